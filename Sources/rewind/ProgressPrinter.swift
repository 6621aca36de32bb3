import Engine
import Foundation
import Pruning
import Reports

/// Shows training progress on standard error: on a terminal, a live bar redrawn in
/// place (epoch, batch, loss, images/s, ETA) under an overall bar when the run has
/// several parts; otherwise one plain line per epoch and per level.
final class ProgressPrinter: RunObserver {
    /// Total units of work (levels including dense runs) for the overall bar, if known.
    var totalUnits: Int?
    private(set) var finishedUnits = 0
    private let started = ContinuousClock.now
    private let quiet: Bool
    private var lastDraw = ContinuousClock.now

    init(quiet: Bool = false, totalUnits: Int? = nil) {
        self.quiet = quiet
        self.totalUnits = totalUnits
    }

    func batchProgress(_ progress: BatchProgress, epochs: Range<Int>, context: String) {
        guard !quiet, standardErrorIsTerminal else { return }
        let now = ContinuousClock.now
        guard (now - lastDraw).seconds > 0.1 || progress.batch == progress.batches else { return }
        lastDraw = now
        let fraction = Double(progress.batch) / Double(max(progress.batches, 1))
        var line = "\(context) | epoch \(progress.epoch - epochs.lowerBound + 1)/\(epochs.count) \(bar(fraction, width: 20)) "
        line += "\(progress.batch)/\(progress.batches) loss \(String(format: "%.4f", progress.loss)) "
        line += "\(Int(progress.imagesPerSecond)) img/s ETA \(formatDuration(progress.remaining))"
        if let overall = overallText() { line = overall + " | " + line }
        print("\r\u{1B}[2K" + String(line.prefix(terminalWidth())), terminator: "", to: &standardError)
    }

    func epochFinished(_ summary: EpochSummary, evaluation: Evaluation, epochs: Range<Int>, context: String) {
        guard !quiet else { return }
        let line = String(format: "%@ | epoch %d/%d  loss %.4f  test acc %.2f%%  test loss %.4f  lr %.3g  %.0f img/s  %@",
                          context, summary.epoch - epochs.lowerBound + 1, epochs.count, summary.trainLoss, evaluation.accuracy * 100,
                          evaluation.loss, summary.learningRate, summary.imagesPerSecond, formatDuration(summary.seconds))
        clearLine()
        print(line, to: &standardError)
    }

    func levelFinished(_ row: LevelRecord, context: String) {
        finishedUnits += 1
        guard !quiet else { return }
        clearLine()
        print(String(format: "%@ done: %.2f%% weights remaining, test accuracy %.2f%%, %@%@", context,
                     row.weightsRemaining * 100, row.testAccuracy * 100, formatDuration(row.seconds),
                     overallText().map { "  [\($0)]" } ?? ""), to: &standardError)
    }

    func skipped(_ what: String) {
        if what.hasSuffix("finished") { finishedUnits += 1 }
        guard !quiet else { return }
        clearLine()
        print("\(what) (skipped)", to: &standardError)
    }

    /// "12/40 levels, ETA 3m10s".
    private func overallText() -> String? {
        guard let total = totalUnits, total > 1 else { return nil }
        let elapsed = (ContinuousClock.now - started).seconds
        let eta = finishedUnits > 0 ? elapsed / Double(finishedUnits) * Double(total - finishedUnits) : .nan
        return "\(bar(Double(finishedUnits) / Double(total), width: 10)) \(finishedUnits)/\(total) ETA \(formatDuration(eta))"
    }

    private func clearLine() {
        if standardErrorIsTerminal { print("\r\u{1B}[2K", terminator: "", to: &standardError) }
    }

    private func bar(_ fraction: Double, width: Int) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    private func terminalWidth() -> Int {
        var size = winsize()
        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) - 1 : 120
    }
}
