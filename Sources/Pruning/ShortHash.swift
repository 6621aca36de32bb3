import Foundation

/// An 8-hex-digit FNV-1a (64-bit) hash of `value`'s JSON with sorted keys: stable
/// across runs and machines, used to name run and chain folders by their settings.
public func shortHash<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let bytes = (try? encoder.encode(value)) ?? Data()
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return String(String(h, radix: 16).suffix(8))
}
