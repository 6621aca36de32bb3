import ArgumentParser
import Engine
import Foundation
import Pruning
import Recipes
import Reports

/// `rewind report RUN_FOLDER`: (re)generates the report from whatever levels of a
/// run folder are finished (merging the work of every shard).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.md, levels.csv, layers.csv, results.json and the SVG plot from a run folder.")

    /// Where reports go unless `--reports` says otherwise: a folder git ignores, so a
    /// rerun of a shipped recipe never overwrites the committed results under reports/.
    static let defaultReports = "reports/local"

    @Argument(help: "A run folder, e.g. checkpoints/quickstart-1a2b3c4d.") var runFolder: String
    @Option(help: "Folder of report folders (the report goes to <reports>/<recipe name>/).") var reports = Self.defaultReports

    func run() throws {
        try OutputLocation.checkFolder(reports, option: "--reports")
        let (run, recipe) = try Self.open(runFolder: URL(fileURLWithPath: runFolder))
        let folder = try Self.writeReport(run: run, recipe: recipe, reports: URL(fileURLWithPath: reports))
        print(folder.appendingPathComponent(ReportWriter.markdownFile).path)
    }

    /// The run folder at `url` and the recipe it ran. A path that is not a run folder
    /// but names some (`checkpoints/quickstart` for `checkpoints/quickstart-1a2b3c4d`)
    /// gets an error listing them.
    static func open(runFolder url: URL) throws -> (RunFolder, Recipe) {
        let snapshot = RunFolder.recipeSnapshot(in: url)
        guard FileManager.default.fileExists(atPath: snapshot.path) else {
            let parent = url.deletingLastPathComponent(), prefix = url.lastPathComponent + "-"
            let matches = ((try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [])
                .filter { $0.hasPrefix(prefix) }.sorted()
            if !matches.isEmpty {
                throw CommandFailure("\(url.path): not a run folder; run folders of that name: "
                                     + matches.map { parent.appendingPathComponent($0).path }.joined(separator: ", "))
            }
            throw CommandFailure("\(url.path): not a run folder (no recipe.yaml; `rewind compare` writes it)")
        }
        let written = try Recipe.load(path: snapshot.path)
        let run = RunFolder(root: url, source: written.hash)
        // Unresolved `rewind_epoch: auto`: no chain that rewinds has run yet (compare refuses), so nothing is hidden.
        return (run, try written.resolvingAutoRewindEpoch(in: run, required: false))
    }

    /// Collects every finished record of `recipe`'s seeds, strategies and levels in
    /// `run` and writes the report to `<reports>/<recipe name>/`; returns that folder.
    static func writeReport(run: RunFolder, recipe: Recipe, reports: URL) throws -> URL {
        let rows = try recipe.finishedRecords(in: run)
        guard !rows.isEmpty else { throw CommandFailure("\(run.root.path): no finished levels yet") }
        let network = try ModelZoo.build(recipe.architecture)
        let wall = rows.reduce(0) { $0 + $1.seconds }
        let context = ReportContext(name: recipe.name, recipe: recipe.text, machine: MachineDescription.current,
                                    wallSeconds: wall, generated: ISO8601DateFormatter().string(from: Date()),
                                    strategies: recipe.strategies.map(\.name), layers: network.prunableParameterNames)
        let destination = reports.appendingPathComponent(recipe.name)
        _ = try ReportWriter.write(rows: rows, context: context, to: destination)
        return destination
    }
}

/// A one-line description of this machine for reports.
enum MachineDescription {
    static var current: String {
        let info = ProcessInfo.processInfo
        var cpu = "unknown CPU"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let name = line.split(separator: ":", maxSplits: 1).last {
            cpu = name.trimmingCharacters(in: .whitespaces)
        }
        let memory = Double(info.physicalMemory) / 1_073_741_824
        return "\(info.activeProcessorCount) cores, \(cpu), \(String(format: "%.0f", memory)) GiB, \(info.operatingSystemVersionString)"
    }
}
