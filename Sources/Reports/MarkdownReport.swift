import Foundation

/// report.md: the comparison for a person to read.
///
/// Sections: title and run facts (generated, machine, compute time, seeds, dense network); one finding per
/// band of weights remaining (`Findings`); the plot; the accuracy table (one row per
/// level, one column per strategy, mean ± std in %, best per level in bold, dense as the
/// reference row); per-layer sparsity; retraining time; the recipe as YAML.
public enum MarkdownReport {
    /// The Markdown text of `comparison`; `plotFile` is the SVG it links to.
    public static func render(_ comparison: Comparison, plotFile: String = ReportWriter.plotFile) -> String {
        let context = comparison.context
        let seeds = Set(comparison.rows.map(\.seed)).sorted()
        var lines = [
            "# \(inline(context.name)): retraining strategies compared",
            "",
            "- Generated: \(inline(context.generated))",
            "- Machine: \(inline(context.machine))",
            "- Compute time: \(ReportNumbers.duration(context.wallSeconds)) (the wall times of every training run, summed; runs on parallel workers or shards overlap)",
            "- Seeds: \(seeds.map(String.init).joined(separator: ", ")) "
                + "(accuracies are mean ± sample std over seeds, in %)",
        ]
        if let dense = comparison.dense {
            lines.append("- Dense network: \(ReportNumbers.accuracy(dense.testAccuracy))% test accuracy, "
                         + "\(timeCell(dense)) (mean epochs / total seconds over seeds)")
        }
        lines += [
            "",
            "## Findings",
            "",
        ]
        let findings = Findings.bands(comparison)
        lines += findings.isEmpty ? ["No pruning levels yet."]
            : findings.map { "- " + $0.sentence(strategyOrder: comparison.strategyNames) }
        lines += ["", "![Test accuracy against weights remaining](\(plotFile))", ""]
        lines += ["## Test accuracy (%)", ""] + accuracyTable(comparison)
        lines += ["", "## Per-layer sparsity (% of weights pruned)", ""] + sparsityTable(comparison)
        lines += ["", "## Retraining time (mean epochs / total seconds over seeds)", ""] + timeTable(comparison)
        lines += ["", "## Recipe", ""] + fenced(context.recipe, language: "yaml")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per level, one column per strategy; the dense reference first, showing the
    /// dense accuracy in every column (every strategy starts from the dense network).
    public static func accuracyTable(_ comparison: Comparison) -> [String] {
        let header = ["Level", "Weights remaining (%)"] + comparison.strategyNames.map(inline)
        var rows: [[String]] = []
        if let dense = comparison.dense {
            rows.append(["dense", "100"] + comparison.strategyNames.map { _ in accuracyCell(dense.testAccuracy, best: false) })
        }
        for (level, label) in zip(comparison.levels, weightsLabels(comparison)) {
            rows.append(["\(level.level)", label] + comparison.strategyNames.map { name in
                comparison.aggregate(strategy: name, level: level.level)
                    .map { accuracyCell($0.testAccuracy, best: name == level.best) } ?? missing
            })
        }
        return table(header: header, rows: rows)
    }

    /// "88.41 ± 0.12", or "**88.41 ± 0.12**" for the best strategy of its level.
    public static func accuracyCell(_ accuracy: SampleStatistics, best: Bool) -> String {
        let text = ReportNumbers.accuracy(accuracy)
        return best ? "**\(text)**" : text
    }

    /// One row per level, one column per layer: the percentage of the layer pruned, mean
    /// over strategies and seeds; "min–max" over strategies when those round apart at one
    /// decimal (global pruning gives each strategy its own per-layer rates).
    public static func sparsityTable(_ comparison: Comparison) -> [String] {
        let layers = comparison.context.layers
        let header = ["Level", "Weights remaining (%)"] + layers.map(inline)
        let rows = zip(comparison.levels, weightsLabels(comparison)).map { level, label -> [String] in
            let aggregates = comparison.strategies.compactMap { $0.aggregate(at: level.level) }
            return ["\(level.level)", label] + layers.map { layer in
                let values = aggregates.compactMap { $0.layerSparsity[layer] }.map { 100 * $0 }
                guard let low = values.min(), let high = values.max() else { return missing }
                let (lowText, highText) = (ReportNumbers.fixed(low, decimals: 1), ReportNumbers.fixed(high, decimals: 1))
                if lowText != highText { return "\(lowText)–\(highText)" }
                return ReportNumbers.fixed(values.reduce(0, +) / Double(values.count), decimals: 1)
            }
        }
        return table(header: header, rows: rows)
    }

    /// One row per level, one column per strategy: "20 / 123.4" (mean epochs / total seconds).
    /// The dense network's time is in the run facts: it is trained once, not per strategy.
    public static func timeTable(_ comparison: Comparison) -> [String] {
        let header = ["Level", "Weights remaining (%)"] + comparison.strategyNames.map(inline)
        let rows = zip(comparison.levels, weightsLabels(comparison)).map { level, label in
            ["\(level.level)", label] + comparison.strategyNames.map { name in
                comparison.aggregate(strategy: name, level: level.level).map(timeCell) ?? missing
            }
        }
        return table(header: header, rows: rows)
    }

    /// The empty cell of a strategy that has no rows at a level.
    static let missing = "–"

    private static func timeCell(_ aggregate: LevelAggregate) -> String {
        "\(ReportNumbers.compact(aggregate.epochs)) / \(ReportNumbers.fixed(aggregate.totalSeconds, decimals: 1))"
    }

    /// The weights-remaining labels of the levels, in %, digits enough to tell them apart.
    private static func weightsLabels(_ comparison: Comparison) -> [String] {
        ReportNumbers.weightsRemainingLabels(comparison.levels.map { 100 * $0.weightsRemaining })
    }

    /// A GitHub-flavoured Markdown table: the first column left-aligned, the numbers right.
    private static func table(header: [String], rows: [[String]]) -> [String] {
        let alignment = header.indices.map { $0 == 0 ? ":---" : "---:" }
        return ([header, alignment] + rows).map { "| " + $0.joined(separator: " | ") + " |" }
    }

    /// Text safe inside a table cell or a list item: pipes escaped, line breaks flattened.
    private static func inline(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\r\n", with: " ")
            .replacingOccurrences(of: "\n", with: " ")
    }

    /// `text` in a code block whose backtick fence is longer than any run of backticks in it.
    private static func fenced(_ text: String, language: String) -> [String] {
        var longest = 0, run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return [fence + language, body, fence]
    }
}
