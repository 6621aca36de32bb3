import AtomicFile
import Foundation

/// Where a run keeps its files (the open_lth layout: one folder per run, named by
/// the recipe's hash; a level whose files exist is finished and is skipped).
///
///     <root>/seed-<s>/dense/init.h5 | rewind.h5 | final.h5 | final.json | last.h5
///     <root>/seed-<s>/<strategy>/level-<L>.h5 + level-<L>.json (+ level-<L>.partial.h5 while running)
public struct RunLayout: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public func seedFolder(_ seed: UInt64) -> URL { root.appendingPathComponent("seed-\(seed)") }
    public func denseFolder(_ seed: UInt64) -> URL { seedFolder(seed).appendingPathComponent("dense") }
    public func dense(_ seed: UInt64, _ role: DenseCheckpoint) -> URL {
        denseFolder(seed).appendingPathComponent("\(role.rawValue).h5")
    }
    public func denseRecord(_ seed: UInt64) -> URL { denseFolder(seed).appendingPathComponent("final.json") }
    public func chainFolder(_ seed: UInt64, _ strategy: String) -> URL { seedFolder(seed).appendingPathComponent(strategy) }
    public func level(_ seed: UInt64, _ strategy: String, _ level: Int) -> URL {
        chainFolder(seed, strategy).appendingPathComponent("level-\(level).h5")
    }
    public func levelRecord(_ seed: UInt64, _ strategy: String, _ level: Int) -> URL {
        chainFolder(seed, strategy).appendingPathComponent("level-\(level).json")
    }
    public func partialLevel(_ seed: UInt64, _ strategy: String, _ level: Int) -> URL {
        chainFolder(seed, strategy).appendingPathComponent("level-\(level).partial.h5")
    }
}

/// The dense run's checkpoints: the initial weights (lottery ticket), the rewind
/// point (end of epoch k), the final weights, and the newest epoch (for resume).
public enum DenseCheckpoint: String, Sendable, CaseIterable {
    case initial = "init", rewind, final, last
}

/// Writes `data` to `url` (creating its folder) through `AtomicFile`: readers, and a
/// crash at any moment, see the old file or the new one, never a partial one.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try AtomicFile.replace(url.path, with: [UInt8](data))
}
