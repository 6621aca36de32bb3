import ArgumentParser
import Foundation

/// `rewind status RUN_FOLDER`: which chains and levels of a run are done, in progress
/// (or interrupted) and missing, and how much compute is left (see `RunStatus`).
/// Reads files only, so it works from any machine that sees the run folder, while
/// Slurm tasks or shards are writing it.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which levels of a run folder are done, in progress or missing, and the time left.",
        discussion: """
        A level is in progress while its level-<L>.partial.h5 exists: a process is training it, or one was \
        stopped and a rerun (or a requeued Slurm task) will resume it from its last saved epoch.
        """)

    @Argument(help: "A run folder, e.g. checkpoints/quickstart-1a2b3c4d.") var runFolder: String
    @Flag(help: "Print one JSON object instead of the table.") var json = false

    func run() throws {
        let status = try RunStatus(runFolder: URL(fileURLWithPath: runFolder))
        if json {
            printJSONLine(status)
        } else {
            print(Self.table(status))
        }
    }

    /// The status as a table, one row per chain, and a closing line with what is left.
    static func table(_ status: RunStatus) -> String {
        let seeds = Set(status.chains.map(\.seed)).count
        let strategies = Set(status.chains.map(\.strategy)).subtracting(["dense"]).count
        var lines = ["\(status.run) (recipe \(status.recipe)): \(seeds) seed\(seeds == 1 ? "" : "s"), \(strategies) strateg\(strategies == 1 ? "y" : "ies"), \(status.levels) level\(status.levels == 1 ? "" : "s") per chain"]
        var rows = [["seed", "chain", "done", "in progress", "missing"]]
        for chain in status.chains {
            let running = zip(chain.inProgress, chain.secondsSinceSaved).map { "\($0) (saved \(formatDuration($1)) ago)" }
            rows.append(["\(chain.seed)", chain.strategy, ranges(chain.done),
                         running.isEmpty ? "-" : running.joined(separator: ", "), ranges(chain.missing)])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        lines += rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        let total = status.done + status.inProgress + status.missing
        let left = status.inProgress + status.missing
        if left == 0 {
            lines.append("all \(total) levels done (dense runs included); `rewind report` merges them")
        } else {
            let time = status.estimatedSecondsLeft.map { "about \(formatDuration($0)) of compute at the finished levels' pace (N tasks at once: about 1/N of it)" }
                ?? "no estimate until a level of each kind has finished"
            lines.append("left: \(left) of \(total) levels (\(status.inProgress) in progress), \(time)")
        }
        return lines.joined(separator: "\n")
    }

    /// Level numbers as ranges, "1-3, 5", or "-" when empty.
    static func ranges(_ levels: [Int]) -> String {
        guard var start = levels.first else { return "-" }
        var parts: [String] = [], end = start
        for level in levels.dropFirst() {
            if level == end + 1 { end = level; continue }
            parts.append(start == end ? "\(start)" : "\(start)-\(end)")
            (start, end) = (level, level)
        }
        parts.append(start == end ? "\(start)" : "\(start)-\(end)")
        return parts.joined(separator: ", ")
    }
}
