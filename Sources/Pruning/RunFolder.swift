import AtomicFile
import Foundation

/// A comparison's run folder: the one place that names its files, reads its records
/// and says what is finished (the open_lth layout: one folder per recipe, named by the
/// recipe's hash; a level whose record matches its inputs is finished and skipped).
///
///     <root>/recipe.yaml                                   the recipe, as run
///     <root>/slurm/                                        `compare --slurm`'s scripts and logs
///     <root>/seed-<s>/dense/init.h5 | rewind.h5 | final.h5 | final.json | last.h5
///     <root>/seed-<s>/<strategy>/level-<L>.h5 + level-<L>.json (+ level-<L>.partial.h5 while running)
///
/// Only the recipe's seeds and strategies are read: other folders (a user's own
/// files, or anything else under the root) never reach a report. `rewind prune`
/// keeps its levels beside its output, never in a run folder (`PruneLevels`).
public struct RunFolder: Sendable {
    public let root: URL
    /// What every level of the run is computed from besides its seed, strategy and
    /// plan: the recipe's hash (the run folder's name ends with it).
    public let source: String

    public init(root: URL, source: String) {
        self.root = root
        self.source = source
    }

    /// The recipe as the run read it.
    public var recipeSnapshot: URL { Self.recipeSnapshot(in: root) }
    /// The recipe snapshot of the run folder at `root` (to open a folder whose recipe,
    /// and so whose source, is not known yet).
    public static func recipeSnapshot(in root: URL) -> URL { root.appendingPathComponent("recipe.yaml") }
    /// The sbatch scripts and logs of `rewind compare --slurm`.
    public var slurmFolder: URL { root.appendingPathComponent("slurm") }
    public func seedFolder(_ seed: UInt64) -> URL { root.appendingPathComponent("seed-\(seed)") }
    public func denseFolder(_ seed: UInt64) -> URL { seedFolder(seed).appendingPathComponent("dense") }
    public func dense(_ seed: UInt64, _ role: DenseCheckpoint) -> URL {
        denseFolder(seed).appendingPathComponent("\(role.rawValue).h5")
    }
    public func denseRecord(_ seed: UInt64) -> URL { denseFolder(seed).appendingPathComponent("final.json") }
    /// The dense run's checkpoints the chains of `seed` start from.
    public func denseSources(_ seed: UInt64) -> DenseSources { DenseSources(folder: denseFolder(seed)) }
    /// The cache key of seed `seed`'s dense run.
    public func denseKey(_ seed: UInt64) -> String { fullHash(DenseKey(source: source, seed: seed)) }

    /// The folder of `strategy`'s levels for `seed`.
    public func chain(_ seed: UInt64, _ strategy: String) -> ChainFolder {
        ChainFolder(url: seedFolder(seed).appendingPathComponent(strategy))
    }

    /// The dense run's record, if it finished (and was made by this run's inputs).
    public func finishedDense(_ seed: UInt64) -> LevelRecord? {
        guard FileManager.default.fileExists(atPath: dense(seed, .final).path),
              let record = try? LevelRecord.read(denseRecord(seed)),
              record.key == nil || record.key == denseKey(seed) else { return nil }
        return record
    }

    /// Every finished record of the run: the dense runs of `seeds`, then for each seed
    /// and strategy the finished levels of `schedule` (surviving fraction per level).
    public func finishedRecords(seeds: [UInt64], strategies: [RetrainingStrategy], plan: PruningPlan,
                                schedule: [Double]) -> [LevelRecord] {
        var records: [LevelRecord] = []
        for seed in seeds {
            if let dense = finishedDense(seed) { records.append(dense) }
            for strategy in strategies {
                for level in schedule.indices.map({ $0 + 1 }) {
                    if case .done(let record) = levelState(seed: seed, strategy: strategy, plan: plan, level: level, schedule: schedule) {
                        records.append(record)
                    }
                }
            }
        }
        return records
    }

    /// Where level `level` of `strategy`'s chain for `seed` stands.
    public func levelState(seed: UInt64, strategy: RetrainingStrategy, plan: PruningPlan, level: Int,
                           schedule: [Double]) -> ChainFolder.LevelState {
        let inputs = ChainInputs(source: source, seed: seed, strategy: strategy, plan: plan)
        return chain(seed, strategy.name).state(level, key: inputs.levelKey(level, schedule: schedule), remaining: schedule[level - 1])
    }

    private struct DenseKey: Encodable { let source: String; let seed: UInt64 }
}

/// The folder of one chain of levels: `level-<L>.h5` (the retrained network),
/// `level-<L>.json` (its `LevelRecord`) and, while a level runs, `level-<L>.partial.h5`
/// (the resume point, saved every epoch).
public struct ChainFolder: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    public func level(_ level: Int) -> URL { url.appendingPathComponent("level-\(level).h5") }
    public func record(_ level: Int) -> URL { url.appendingPathComponent("level-\(level).json") }
    public func partial(_ level: Int) -> URL { url.appendingPathComponent("level-\(level).partial.h5") }

    /// Where a level stands.
    public enum LevelState {
        /// Its checkpoint and a record made from the same inputs are on disk.
        case done(LevelRecord)
        /// Its resume point was last saved at the date given (running, or interrupted).
        case inProgress(savedAt: Date)
        /// Nothing usable on disk; `stale` is a record made from other inputs.
        case missing(stale: LevelRecord?)
    }

    /// Level `level`'s state, given the key its inputs give now and the surviving
    /// fraction the plan gives it (which a version-1 record, without a key, must match).
    public func state(_ level: Int, key: String, remaining: Double) -> LevelState {
        let manager = FileManager.default
        var stale: LevelRecord?
        if manager.fileExists(atPath: self.level(level).path), let record = try? LevelRecord.read(record(level)) {
            if record.matches(key: key, remaining: remaining) { return .done(record) }
            stale = record
        }
        if let saved = (try? manager.attributesOfItem(atPath: partial(level).path))?[.modificationDate] as? Date {
            return .inProgress(savedAt: saved)
        }
        return .missing(stale: stale)
    }
}

/// The dense run's checkpoints: the initial weights (lottery ticket), the rewind
/// point (end of epoch k), the final weights, and the newest epoch (for resume).
public enum DenseCheckpoint: String, Sendable, CaseIterable {
    case initial = "init", rewind, final, last
}

extension LevelRecord {
    /// Whether this record was made from the inputs whose key is `key`. A version-1
    /// record has no key: it counts when its surviving fraction is the one the plan
    /// gives its level now (its run folder is already named by the recipe's hash).
    public func matches(key: String, remaining: Double) -> Bool {
        if let recorded = self.key { return recorded == key }
        return abs(weightsRemaining - remaining) <= 1e-9
    }

    /// Reads a record file.
    public static func read(_ url: URL) throws -> LevelRecord {
        try RecordJSON.decoder().decode(LevelRecord.self, from: Data(contentsOf: url))
    }

    /// Writes this record atomically (creating the folder).
    public func write(to url: URL) throws {
        try writeAtomically(try RecordJSON.encoder(pretty: true).encode(self), to: url)
    }
}

/// Writes `data` to `url` (creating its folder) through `AtomicFile`: readers, and a
/// crash at any moment, see the old file or the new one, never a partial one.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try AtomicFile.replace(url.path, with: [UInt8](data))
}
