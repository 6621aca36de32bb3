import CZlib
import Foundation

/// The members of a ZIP archive (what NumPy's `np.savez` and `np.savez_compressed`
/// write): stored (method 0) or deflated (method 8) members, no ZIP64, no encryption.
///
/// Read through the central directory: the end-of-central-directory record (the last
/// 22 bytes plus up to 64 KiB of comment) gives its offset; each entry gives a
/// member's name, method, sizes and local header offset; the member's data follows
/// its local header (30 bytes + name + extra field). Every offset and size is checked
/// against the file before it is used.
public struct ZipArchive {
    public let path: String
    private let data: Data
    /// Member name → (method, compressed size, uncompressed size, local header offset).
    private var entries: [String: (method: Int, compressed: Int, size: Int, offset: Int)] = [:]
    /// Member names in directory order.
    public private(set) var names: [String] = []

    public init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.missingFile(path: path, hint: "expected a NumPy .npz archive (np.savez) with x_train, y_train, x_test, y_test")
        }
        self.data = data
        func fail(_ why: String) -> DataError { .malformed(path: path, reason: why) }
        guard data.count >= 22 else { throw fail("not a ZIP archive (.npz): too short") }
        var end = -1
        for position in stride(from: data.count - 22, through: max(0, data.count - 22 - 65_535), by: -1)
        where read32(position) == 0x0605_4B50 {
            end = position
            break
        }
        guard end >= 0 else { throw fail("not a ZIP archive (.npz): no end of central directory record") }
        let count = read16(end + 10), directorySize = read32(end + 12), directoryOffset = read32(end + 16)
        guard count != 0xFFFF, directoryOffset != 0xFFFF_FFFF else { throw fail("ZIP64 archives are not supported (arrays over 4 GiB)") }
        guard directoryOffset + directorySize <= end else { throw fail("central directory lies outside the file (truncated?)") }
        var position = directoryOffset
        for _ in 0..<count {
            guard position + 46 <= end, read32(position) == 0x0201_4B50 else { throw fail("malformed central directory entry") }
            let flags = read16(position + 8), method = read16(position + 10)
            let compressed = read32(position + 20), size = read32(position + 24)
            let nameLength = read16(position + 28), extraLength = read16(position + 30), commentLength = read16(position + 32)
            let offset = read32(position + 42)
            guard position + 46 + nameLength <= end else { throw fail("malformed central directory entry") }
            let name = String(decoding: data[(data.startIndex + position + 46)..<(data.startIndex + position + 46 + nameLength)], as: UTF8.self)
            guard flags & 1 == 0 else { throw fail("member \(name) is encrypted") }
            guard method == 0 || method == 8 else { throw fail("member \(name) uses compression method \(method); expected stored (0) or deflate (8)") }
            guard size != 0xFFFF_FFFF, compressed != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else { throw fail("ZIP64 member \(name) is not supported") }
            entries[name] = (method, compressed, size, offset)
            names.append(name)
            position += 46 + nameLength + extraLength + commentLength
        }
    }

    /// The uncompressed bytes of member `name`, or nil if there is none.
    public func member(_ name: String) throws -> Data? {
        guard let entry = entries[name] else { return nil }
        func fail(_ why: String) -> DataError { .malformed(path: path, reason: "member \(name): \(why)") }
        guard entry.offset + 30 <= data.count, read32(entry.offset) == 0x0403_4B50 else { throw fail("bad local header") }
        let start = entry.offset + 30 + read16(entry.offset + 26) + read16(entry.offset + 28)
        guard start + entry.compressed <= data.count else { throw fail("data runs past the end of the file (truncated?)") }
        let body = data[(data.startIndex + start)..<(data.startIndex + start + entry.compressed)]
        if entry.method == 0 {
            guard entry.compressed == entry.size else { throw fail("stored member with different sizes") }
            return Data(body)
        }
        return try inflate(body, size: entry.size, fail: fail)
    }

    /// Raw-deflate decompression (zlib, window bits -15) of `body` into exactly `size` bytes.
    private func inflate(_ body: Data, size: Int, fail: (String) -> DataError) throws -> Data {
        var output = Data(count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail("zlib failed to start") }
        defer { inflateEnd(&stream) }
        var input = Data(body)
        let status: Int32 = input.withUnsafeMutableBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(target.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw fail("corrupt deflate data (zlib status \(status), \(stream.total_out) of \(size) bytes)")
        }
        return output
    }

    private func read16(_ offset: Int) -> Int {
        Int(data[data.startIndex + offset]) | Int(data[data.startIndex + offset + 1]) << 8
    }

    private func read32(_ offset: Int) -> Int { read16(offset) | read16(offset + 2) << 16 }
}
