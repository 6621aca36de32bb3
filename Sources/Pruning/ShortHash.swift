import Foundation

/// FNV-1a (64-bit) over bytes: the hash behind run-folder names and cache keys.
/// Stable across runs and machines; not a defence against a crafted collision.
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    }

    /// All 16 hex digits.
    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// `value`'s JSON with sorted keys: what the hashes below read.
private func canonicalJSON<T: Encodable>(_ value: T) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return (try? encoder.encode(value)) ?? Data()
}

/// An 8-hex-digit hash of `value`'s JSON with sorted keys, used to name run and chain
/// folders by their settings (the low 8 digits of the unpadded FNV-1a value, as
/// folders made by earlier versions were named).
public func shortHash<T: Encodable>(_ value: T) -> String {
    var hash = FNV1a()
    hash.add(canonicalJSON(value))
    return String(String(hash.value, radix: 16).suffix(8))
}

/// A 16-hex-digit hash of `value`'s JSON with sorted keys: the cache keys of levels.
public func fullHash<T: Encodable>(_ value: T) -> String {
    var hash = FNV1a()
    hash.add(canonicalJSON(value))
    return hash.hex
}

/// A 16-hex-digit hash of a file's bytes, read in 1 MiB pieces.
public func fileDigest(_ url: URL) throws -> String {
    let handle = try FileHandle(forReadingFrom: url)
    defer { try? handle.close() }
    var hash = FNV1a()
    while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty { hash.add(piece) }
    return hash.hex
}
