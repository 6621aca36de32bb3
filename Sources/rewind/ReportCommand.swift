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

    @Argument(help: "A run folder, e.g. checkpoints/quickstart-1a2b3c4d.") var runFolder: String
    @Option(help: "Folder of report folders (the report goes to <reports>/<recipe name>).") var reports = "reports"

    func run() throws {
        let folder = try Self.writeReport(runFolder: URL(fileURLWithPath: runFolder), reports: URL(fileURLWithPath: reports))
        print(folder.appendingPathComponent(ReportWriter.markdownFile).path)
    }

    /// Collects every finished level's record under `runFolder` and writes the report
    /// to `<reports>/<recipe name>/`; returns that folder.
    static func writeReport(runFolder: URL, reports: URL) throws -> URL {
        let recipeFile = runFolder.appendingPathComponent("recipe.yaml")
        guard FileManager.default.fileExists(atPath: recipeFile.path) else {
            throw CommandFailure("\(runFolder.path): not a run folder (no recipe.yaml; run `rewind compare` first)")
        }
        let recipe = try Recipe.load(path: recipeFile.path)
        let rows = try collectRows(runFolder: runFolder)
        guard !rows.isEmpty else { throw CommandFailure("\(runFolder.path): no finished levels yet") }
        let network = try ModelZoo.build(recipe.architecture)
        let wall = rows.reduce(0) { $0 + $1.seconds }
        let context = ReportContext(name: recipe.name, recipe: recipe.text, machine: MachineDescription.current,
                                    wallSeconds: wall, generated: ISO8601DateFormatter().string(from: Date()),
                                    strategies: recipe.strategies.map(\.name), layers: network.prunableParameterNames)
        let destination = reports.appendingPathComponent(recipe.name)
        _ = try ReportWriter.write(rows: rows, context: context, to: destination)
        return destination
    }

    /// Every `final.json` (dense) and `level-<L>.json` under the run folder's seed folders.
    static func collectRows(runFolder: URL) throws -> [ResultRow] {
        let manager = FileManager.default
        var rows: [ResultRow] = []
        let seeds = (try? manager.contentsOfDirectory(atPath: runFolder.path))?.filter { $0.hasPrefix("seed-") }.sorted() ?? []
        for seed in seeds {
            let seedFolder = runFolder.appendingPathComponent(seed)
            for chain in (try? manager.contentsOfDirectory(atPath: seedFolder.path))?.sorted() ?? [] {
                let chainFolder = seedFolder.appendingPathComponent(chain)
                for file in (try? manager.contentsOfDirectory(atPath: chainFolder.path))?.sorted() ?? []
                where file == "final.json" || (file.hasPrefix("level-") && file.hasSuffix(".json")) {
                    let url = chainFolder.appendingPathComponent(file)
                    do {
                        rows.append(try JSONDecoder().decode(ResultRow.self, from: Data(contentsOf: url)))
                    } catch {
                        throw CommandFailure("\(url.path): not a level record (\(error.localizedDescription))")
                    }
                }
            }
        }
        return rows
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
