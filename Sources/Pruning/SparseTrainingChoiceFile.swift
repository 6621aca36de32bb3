import Engine
import Foundation

/// The sparse-or-dense retraining choices of this machine (`SparseTrainingDecisions`)
/// kept in a JSON file (the CLI's: `$XDG_CACHE_HOME/rewind/sparse-training.json`,
/// else `~/.cache/rewind/sparse-training.json`), one list per machine key
/// (`SparseKernelChoices.machineKey`: CPU model, kernel build, OpenBLAS core, threads).
///
/// Why a choice never flips between runs on one machine: a key is measured only
/// when the file does not hold it, and that happens under an exclusive lock on
/// `<file>.lock` that also covers re-reading the file and writing the new choice.
/// So when two processes (the workers of `rewind compare --jobs 2`, a resumed run
/// and the run before it, a serial and a parallel comparison) meet the same layer
/// situation, one measures and every other reads that choice. Deleting the file, or
/// a machine whose key differs, measures again (and may choose otherwise at a
/// layer whose two paths are within timing noise of each other: the results then
/// differ by float rounding only). A file that cannot be read starts empty; one
/// that cannot be written is said once on standard error and the choices stay in
/// memory for the process.
public final class SparseTrainingChoiceFile: SparseTrainingDecisions, @unchecked Sendable {
    struct Contents: Codable {
        var version = 1
        var machines: [String: [SparseTrainingChoice]] = [:]
    }

    public let file: URL
    public let machine: String
    /// Choices this process has read or made.
    private var known: [SparseTrainingKey: SparseTrainingChoice] = [:]
    private var warned = false
    /// Serialises the calls of threads sharing this store (the file lock is per process).
    private let lock = NSLock()

    public init(file: URL, machine: String) {
        self.file = file
        self.machine = machine
    }

    public func trainsSparsely(_ key: SparseTrainingKey, measure: () -> SparseTrainingTiming) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if let choice = known[key] { return choice.sparse }
        let choice = whileLocked {
            var contents = read()
            if let stored = contents.machines[machine]?.first(where: { $0.key == key }) { return stored }
            let made = SparseTrainingChoice(key: key, timing: measure())
            contents.machines[machine, default: []].append(made)
            do {
                try writeAtomically(try RecordJSON.encoder(pretty: true).encode(contents), to: file)
            } catch where !warned {
                warned = true
                FileHandle.standardError.write(Data(
                    "note: could not keep the measured sparse-training choices in \(file.path): \(error.localizedDescription)\n".utf8))
            } catch {}
            return made
        }
        known[key] = choice
        return choice.sparse
    }

    /// This machine's stored choices, in the file's order.
    public var stored: [SparseTrainingChoice] { read().machines[machine] ?? [] }

    private func read() -> Contents {
        guard let data = FileManager.default.contents(atPath: file.path),
              let contents = try? RecordJSON.decoder().decode(Contents.self, from: data) else { return Contents() }
        return contents
    }

    /// `body` under an exclusive `flock` of `<file>.lock` (without it when the lock
    /// file cannot be made: a read-only cache only loses the sharing).
    private func whileLocked<T>(_ body: () -> T) -> T {
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(file.path + ".lock", O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { return body() }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        return body()
    }
}
