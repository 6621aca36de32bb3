import Foundation

/// levels.csv and layers.csv: the numbers for a spreadsheet or pandas.
///
/// Fields are quoted per RFC 4180 when they hold a comma, a double quote, CR or LF
/// (quotes doubled); records end with LF. Numbers are written in Swift's shortest
/// round-trip form (`0.8`, `1e-05`), fractions as fractions (not percent); a non-finite
/// loss is written `nan` or `inf`. An empty field is a layer the row does not report.
public enum CSVReport {
    /// One row per seed × strategy × level, dense first, in `Comparison.rows` order:
    /// `strategy,level,seed,weights_remaining,test_accuracy,test_loss,epochs,seconds`,
    /// then `sparsity_<layer>` per layer in `ReportContext.layers` order.
    public static func levels(_ comparison: Comparison) -> String {
        let layers = comparison.context.layers
        let header = ["strategy", "level", "seed", "weights_remaining", "test_accuracy", "test_loss",
                      "epochs", "seconds"] + layers.map { "sparsity_\($0)" }
        let records = comparison.rows.map { row in
            [row.strategy, "\(row.level)", "\(row.seed)", number(row.weightsRemaining), number(row.testAccuracy),
             number(row.testLoss), "\(row.epochs)", number(row.seconds)]
                + layers.map { row.layerSparsity[$0].map(number) ?? "" }
        }
        return document([header] + records)
    }

    /// One row per (strategy, level), dense first: `strategy,level,seeds,weights_remaining`,
    /// then the mean `sparsity_<layer>` over seeds per layer.
    public static func layers(_ comparison: Comparison) -> String {
        let layers = comparison.context.layers
        let header = ["strategy", "level", "seeds", "weights_remaining"] + layers.map { "sparsity_\($0)" }
        let aggregates = (comparison.dense.map { [$0] } ?? []) + comparison.strategies.flatMap(\.levels)
        let records = aggregates.map { aggregate in
            [aggregate.strategy, "\(aggregate.level)", "\(aggregate.seeds.count)", number(aggregate.weightsRemaining)]
                + layers.map { aggregate.layerSparsity[$0].map(number) ?? "" }
        }
        return document([header] + records)
    }

    /// `field`, quoted if RFC 4180 requires it: `a,b` -> `"a,b"`, `say "hi"` -> `"say ""hi"""`.
    public static func escape(_ field: String) -> String {
        // `isNewline` also matches "\r\n", which Swift treats as one Character.
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func number(_ value: Double) -> String { "\(value)" }

    private static func document(_ records: [[String]]) -> String {
        records.map { $0.map(escape).joined(separator: ",") + "\n" }.joined()
    }
}
