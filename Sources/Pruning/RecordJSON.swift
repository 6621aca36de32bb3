import Foundation

/// How Rewind writes JSON for programs: one policy for level records, `--json` lines,
/// results.json and `rewind status --json`.
///
/// - Keys are snake_case, spelled out in each type's `CodingKeys` (never derived by a
///   key strategy, which would also rewrite dictionary keys such as layer names).
/// - Keys are sorted, so the same value gives the same bytes.
/// - A non-finite number (a diverged run's loss) is the string "NaN", "Infinity" or
///   "-Infinity".
public enum RecordJSON {
    /// An encoder with the policy; `pretty` adds two-space indentation (files).
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// A decoder that reads what `encoder` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}
