import Foundation
import Pruning

/// The stability analysis report, written next to a comparison's report
/// (`<reports>/<recipe name>/stability/`): stability.md (the table of k against
/// instability and the children's accuracy, and the recommendation), stability.csv
/// (one row per seed × subject × k), stability.json (`StabilitySummary`, every path
/// included) and one stability-<subject>.svg per subject (`StabilityPlot`).
public enum StabilityReport {
    public static let markdownFile = "stability.md"
    public static let csvFile = "stability.csv"
    public static let jsonFile = "stability.json"
    public static func plotFile(_ subject: String) -> String { "stability-\(subject).svg" }

    /// Renders every file, then writes them (atomically each) into `directory`; returns their URLs.
    @discardableResult
    public static func write(_ summary: StabilitySummary, to directory: URL) throws -> [URL] {
        var files: [(String, Data)] = [
            (markdownFile, Data(markdown(summary).utf8)),
            (csvFile, Data(csv(summary).utf8)),
            (jsonFile, try RecordJSON.encoder(pretty: true).encode(summary)),
        ]
        for subject in summary.subjects {
            files.append((plotFile(subject), Data(StabilityPlot.render(summary, subject: subject).utf8)))
        }
        return try ReportWriter.writeFiles(files, to: directory)
    }

    /// `seed,subject,weights_remaining,rewind_point,rewind_step,test_instability,train_instability,
    /// child_0_test_accuracy,child_1_test_accuracy,max_test_error,seconds`: one row per path.
    public static func csv(_ summary: StabilitySummary) -> String {
        let header = ["seed", "subject", "weights_remaining", "rewind_point", "rewind_step", "test_instability",
                      "train_instability", "child_0_test_accuracy", "child_1_test_accuracy", "max_test_error", "seconds"]
        let records = summary.paths.map { path in
            ["\(path.seed)", path.subject, "\(path.weightsRemaining)", "\(path.rewindPoint)", "\(path.rewindStep)",
             "\(path.testInstability)", "\(path.trainInstability)", "\(1 - (path.testError.first ?? .nan))",
             "\(1 - (path.testError.last ?? .nan))", "\(path.testError.max() ?? .nan)", "\(path.seconds)"]
        }
        return ([header] + records).map { $0.map(CSVReport.escape).joined(separator: ",") + "\n" }.joined()
    }

    /// stability.md.
    public static func markdown(_ summary: StabilitySummary) -> String {
        let percent = { (value: Double) in ReportNumbers.fixed(100 * value, decimals: 2) }
        var lines = ["# \(summary.name): stability analysis (linear mode connectivity)", ""]
        lines.append("Two children of the network at rewind point k (epochs) are trained to the end of the schedule on different data orders; the test error is measured at \(summary.paths.first?.alphas.count ?? 0) evenly spaced points of the line between them. Instability = the highest error on the line minus the mean of the two children's errors (Frankle, Dziugaite, Roy & Carbin, ICML 2020). A k is stable when its instability is at most \(percent(summary.threshold))%.")
        lines.append("")
        for subject in summary.subjects {
            let rows = summary.rows.filter { $0.subject == subject }
            let remaining = rows.first.map { ReportNumbers.significant(100 * $0.weightsRemaining, digits: 3) } ?? "100"
            lines += ["## \(subject) (\(remaining)% of weights)", ""]
            lines.append("| k (epochs) | step | seeds | test instability (%) | train instability (%) | children's test accuracy (%) | stable |")
            lines.append("|---:|---:|---:|---:|---:|---:|:---:|")
            for row in rows {
                lines.append("| \(ReportNumbers.trimmed(String(row.rewindPoint))) | \(row.rewindStep) | \(row.seeds) | \(percent(row.testInstability)) | \(percent(row.trainInstability)) | \(percent(row.childTestAccuracy)) | \(row.stable ? "yes" : "no") |")
            }
            lines.append("")
            if let k = summary.earliestStable[subject] {
                lines.append("Recommended rewind point: **k = \(ReportNumbers.trimmed(String(k))) epochs**, the earliest with test instability at most \(percent(summary.threshold))%.")
            } else {
                lines.append("No candidate k is stable at \(percent(summary.threshold))%: try later rewind points.")
            }
            lines += ["", "![test error along the path](\(plotFile(subject)))", ""]
        }
        if let choice = summary.choice {
            lines.append("`rewind_epoch: auto` resolved to **\(choice.rewindEpoch)** from the \(choice.subject) analysis: \(choice.reason) (recorded in the run folder's stability/rewind-epoch.json).")
            lines.append("")
        }
        lines.append("Machine: \(summary.machine). Compute time of the children and paths: \(ReportNumbers.duration(summary.wallSeconds)). Generated \(summary.generated).")
        return lines.joined(separator: "\n") + "\n"
    }
}
