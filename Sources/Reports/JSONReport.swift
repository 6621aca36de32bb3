import Pruning
import Foundation

/// results.json: the whole comparison for programs, aggregates and raw rows together.
///
/// Schema (format "rewind-report", version 2; keys snake_case and sorted, two-space
/// indent, as every JSON Rewind writes (`RecordJSON`); see also docs/report-format.md):
///
///     {
///       "format": "rewind-report",
///       "version": 2,
///       "context": {"name", "recipe", "machine", "generated": String, "wall_seconds": Number,
///                   "strategies": [String], "layers": [String]},
///       "dense": Aggregate,                 // absent when the run has no dense rows
///       "levels": [{"level": Int, "weights_remaining": Number, "best": String}],
///                                           // by weights remaining, descending; "best"
///                                           // absent when no strategy reached the level
///       "strategies": [{"strategy": String, "levels": [Aggregate]}],
///                                           // recipe order; aggregates in "levels" order
///       "rows": [LevelRecord]               // the level records as written beside each level
///                                           // (`LevelRecord`); dense first, then strategy, level, seed
///     }
///     Aggregate = {"strategy": String, "level": Int, "seeds": [Int],
///                  "weights_remaining": Number,       // mean
///                  "test_accuracy": Stats, "test_loss": Stats,
///                  "layer_sparsity": {layer: Number}, // mean per layer
///                  "epochs": Number,                  // mean
///                  "total_seconds": Number}           // sum over seeds
///
/// Version 1 (before 2026-12) spelled the multi-word keys in camelCase.
///     Stats = {"mean": Number, "std": Number, "count": Int}   // std: sample (n - 1), 0 for n = 1
///
/// Fractions stay fractions (accuracy 0.8841, not 88.41). Numbers are written in the
/// shortest form that reads back to the same Double, and every aggregate is computed
/// in a fixed order, so the same rows give byte-identical files. A non-finite loss is
/// written as the string "NaN", "Infinity" or "-Infinity".
public enum JSONReport {
    /// The format tag at the top of every results.json.
    public static let format = "rewind-report"
    /// The schema version; bump it when a key changes meaning or disappears.
    public static let version = 2

    /// The results.json bytes of `comparison` (ending with a newline).
    public static func encode(_ comparison: Comparison) throws -> Data {
        var data = try RecordJSON.encoder(pretty: true).encode(Document(comparison))
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Reads results.json bytes back. Throws `ReportError.unsupportedDocument` for another
    /// format or version, and `DecodingError` for malformed JSON.
    public static func decode(_ data: Data) throws -> Comparison {
        let decoder = RecordJSON.decoder()
        let header = try decoder.decode(Header.self, from: data)
        guard header.format == format, header.version == version else {
            throw ReportError.unsupportedDocument(format: header.format, version: header.version)
        }
        let document = try decoder.decode(Document.self, from: data)
        return Comparison(context: document.context, dense: document.dense, levels: document.levels,
                          strategies: document.strategies, rows: document.rows)
    }

    private struct Header: Decodable {
        var format: String
        var version: Int
    }

    private struct Document: Codable {
        var format: String
        var version: Int
        var context: ReportContext
        var dense: LevelAggregate?
        var levels: [PrunedLevel]
        var strategies: [StrategyResults]
        var rows: [LevelRecord]

        init(_ comparison: Comparison) {
            format = JSONReport.format
            version = JSONReport.version
            context = comparison.context
            dense = comparison.dense
            levels = comparison.levels
            strategies = comparison.strategies
            rows = comparison.rows
        }
    }
}
