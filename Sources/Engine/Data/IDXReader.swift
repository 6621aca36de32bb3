import CZlib
import Foundation

/// Reads IDX files (LeCun's MNIST format, also Fashion-MNIST's), gzip-compressed or plain.
///
/// Layout: a big-endian magic `0x00 0x00 type ndim`, `ndim` big-endian UInt32
/// dimensions, then the data. Rewind reads unsigned-byte data (type 0x08).
/// zlib's `gzread` reads plain files unchanged, so one path serves both.
///
/// The header is checked before anything is allocated: the data size
/// `d1 · d2 · … · dn` is computed with overflow checks, must fit
/// `ResourceLimits.memoryBudget` (as Floats, 4 bytes each, which is what the loader
/// makes of them) and must be possible for the file's size: a plain file holds
/// exactly `header + data` bytes, and a gzip file at most `1032 ×` its own size
/// (deflate's largest compression ratio) — an IDX file cannot hold more images
/// than its bytes.
public enum IDXReader {
    /// Deflate's largest compression ratio (zlib technical details: 1032:1).
    static let largestDeflateRatio = 1032

    /// The dimensions and the raw bytes of the IDX file at `path`.
    public static func read(_ path: String) throws -> (dimensions: [Int], bytes: [UInt8]) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let fileSize = (attributes[.size] as? NSNumber)?.intValue else {
            throw DataError.missingFile(path: path, hint: "expected an IDX file, gzip-compressed or plain")
        }
        guard let file = gzopen(path, "rb") else { throw DataError.malformed(path: path, reason: "cannot be opened") }
        defer { gzclose(file) }
        let compressed = gzdirect(file) == 0
        let magic = try readExactly(4, from: file, path: path, what: "the magic number")
        guard magic[0] == 0, magic[1] == 0 else {
            throw DataError.malformed(path: path, reason: "not an IDX file (bad magic number)")
        }
        guard magic[2] == 0x08 else {
            throw DataError.malformed(path: path, reason: "IDX data type 0x\(String(magic[2], radix: 16)), expected 0x08 (unsigned bytes)")
        }
        let rank = Int(magic[3])
        let header = try readExactly(4 * rank, from: file, path: path, what: "the header's \(rank) dimensions")
        let dimensions = (0..<rank).map { d in
            header[4 * d ..< 4 * d + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        guard let expected = ResourceLimits.elementCount(of: dimensions) else {
            throw DataError.malformed(path: path, reason: "header dimensions \(dimensions) overflow")
        }
        let headerSize = 4 + 4 * rank
        let possible = compressed ? fileSize.multipliedReportingOverflow(by: largestDeflateRatio).partialValue : fileSize - headerSize
        guard expected <= possible else {
            throw DataError.malformed(path: path, reason: "header dimensions \(dimensions) need \(expected) data bytes, more than "
                                      + (compressed ? "a \(fileSize)-byte gzip file can hold" : "the \(fileSize - headerSize) the file holds"))
        }
        do { try ResourceLimits.checkElements(dimensions, what: "the data") } catch let error as ResourceLimitError {
            throw DataError.malformed(path: path, reason: error.description)
        }
        let bytes = try readExactly(expected, from: file, path: path, what: "the \(expected) data bytes the header gives")
        var extra: UInt8 = 0
        guard gzread(file, &extra, 1) == 0 else {
            throw DataError.malformed(path: path, reason: "holds more data bytes than the header's \(expected)")
        }
        return (dimensions, bytes)
    }

    /// Exactly `count` bytes from `file`, or an error saying the file ended early.
    private static func readExactly(_ count: Int, from file: gzFile, path: String, what: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while offset < count {
                let chunk = UInt32(min(count - offset, 1 << 30))
                let read = gzread(file, buffer.baseAddress! + offset, chunk)
                if read < 0 { throw DataError.malformed(path: path, reason: "corrupt gzip stream") }
                if read == 0 { throw DataError.malformed(path: path, reason: "ends after \(offset) bytes of \(what)") }
                offset += Int(read)
            }
        }
        return bytes
    }
}
