import Foundation
import XCTest

/// A tiny comparison in its own folder: LeNet-300-100 on synthetic 5x5 images, 2 seeds
/// x 2 strategies (fine-tune, lr-rewind: 4 chain units), halving the weights per level.
/// Runs are deterministic for a given thread count, so two runs of it in
/// different folders must give the same numbers.
struct TinyComparison {
    let folder: URL
    let levels: Int
    let epochs: Int

    var recipe: URL { folder.appendingPathComponent("tiny.yaml") }
    var checkpoints: URL { folder.appendingPathComponent("checkpoints") }
    var reports: URL { folder.appendingPathComponent("reports") }
    static let name = "slurm-tiny"

    /// Writes the recipe into a fresh folder under the temporary directory. `levels` levels of halving
    /// reach 2^-levels of the weights; `epochs` dense epochs with the rewind point at 1.
    init(levels: Int = 2, epochs: Int = 2) throws {
        self.levels = levels
        self.epochs = epochs
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-slurm-tiny-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = 1 - 1 / Double(1 << levels)
        let text = """
            name: \(Self.name)
            seeds: [0, 1]
            data: {dataset: synthetic, synthetic: {train: 96, test: 48, classes: 3, side: 5}}
            model: lenet-300-100
            train: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch_size: 32, epochs: \(epochs), rewind_epoch: 1}
            prune: {criterion: magnitude, scope: layerwise, fraction: 0.5, target: \(target)}
            retrain: [fine-tune, lr-rewind]

            """
        try Data(text.utf8).write(to: recipe)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// The run folder `rewind compare` made under `checkpoints` (there is one).
    func runFolder() throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).filter { $0.hasPrefix(Self.name + "-") }
        guard names.count == 1 else { throw CommandFailed("expected one run folder in \(checkpoints.path), found \(names)") }
        return checkpoints.appendingPathComponent(names[0])
    }

    /// Runs the whole comparison in this process's way: one `rewind compare`, with
    /// OpenBLAS on one thread like a one-CPU Slurm task. Returns the wall time.
    func runSingleProcess(rewind: URL) throws -> Double {
        let start = Date()
        try CommandRunner.check(rewind, ["compare", recipe.path, "--checkpoints", checkpoints.path, "--reports", reports.path],
                                in: folder, environment: ["REWIND_THREADS": "1"], timeout: 300)
        return Date().timeIntervalSince(start)
    }

    /// reports/<name>/levels.csv without its `seconds` column (wall time differs between
    /// runs; every other field, every digit, must not).
    func levelsTable() throws -> [String] {
        let file = reports.appendingPathComponent(Self.name).appendingPathComponent("levels.csv")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let header = lines.first, let seconds = header.firstIndex(of: "seconds") else {
            throw CommandFailed("\(file.path): no header with a seconds column")
        }
        return lines.map { fields in fields.enumerated().filter { $0.offset != seconds }.map(\.element).joined(separator: ",") }
    }
}
