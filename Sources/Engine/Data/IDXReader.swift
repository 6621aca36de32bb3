import CZlib
import Foundation

/// Reads IDX files (LeCun's MNIST format, also Fashion-MNIST's), gzip-compressed or plain.
///
/// Layout: a big-endian magic `0x00 0x00 type ndim`, `ndim` big-endian UInt32
/// dimensions, then the data. Rewind reads unsigned-byte data (type 0x08).
/// zlib's `gzread` reads plain files unchanged, so one path serves both.
public enum IDXReader {
    /// The dimensions and the raw bytes of the IDX file at `path`.
    public static func read(_ path: String) throws -> (dimensions: [Int], bytes: [UInt8]) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.missingFile(path: path, hint: "expected an IDX file, gzip-compressed or plain")
        }
        guard let file = gzopen(path, "rb") else { throw DataError.malformed(path: path, reason: "cannot be opened") }
        defer { gzclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if read < 0 { throw DataError.malformed(path: path, reason: "corrupt gzip stream") }
            if read == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(read)])
        }
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.malformed(path: path, reason: "not an IDX file (bad magic number)")
        }
        guard bytes[2] == 0x08 else {
            throw DataError.malformed(path: path, reason: "IDX data type 0x\(String(bytes[2], radix: 16)), expected 0x08 (unsigned bytes)")
        }
        let rank = Int(bytes[3])
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw DataError.malformed(path: path, reason: "truncated header") }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let expected = dimensions.reduce(1, *)
        guard bytes.count - headerSize == expected else {
            throw DataError.malformed(path: path, reason: "holds \(bytes.count - headerSize) data bytes, header says \(expected)")
        }
        return (dimensions, Array(bytes[headerSize...]))
    }
}
