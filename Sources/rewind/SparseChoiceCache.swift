import Engine
import Foundation
import Pruning

/// The sparse/dense choices measured on this machine (`SparseKernelChoices`), kept
/// between runs in `$XDG_CACHE_HOME/rewind/sparse-kernels.json` (else
/// `~/.cache/rewind/sparse-kernels.json`), one set per machine key (CPU model,
/// kernel build, OpenBLAS core type, threads, batch-1 layout), so each layer shape is measured once
/// per machine. The cache only saves time: a missing or unreadable file means
/// measuring again, and a file that cannot be written is said in one line.
enum SparseChoiceCache {
    struct Contents: Codable {
        var version = 1
        var machines: [String: [SparseKernelChoices.Entry]] = [:]
    }

    static var file: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("rewind/sparse-kernels.json")
    }

    static func read() -> Contents? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        return try? RecordJSON.decoder().decode(Contents.self, from: data)
    }

    /// This machine's choices for `configuration` (empty when none were kept).
    static func load(configuration: ComputeConfiguration) -> SparseKernelChoices {
        let key = SparseKernelChoices.machineKey(configuration: configuration)
        return SparseKernelChoices(entries: read()?.machines[key] ?? [])
    }

    /// Adds `choices` to the file under this machine's key when any was newly measured.
    static func save(_ choices: SparseKernelChoices, configuration: ComputeConfiguration) {
        guard choices.measuredNew else { return }
        var contents = read() ?? Contents()
        contents.machines[SparseKernelChoices.machineKey(configuration: configuration)] = choices.entries
        do {
            try writeAtomically(try RecordJSON.encoder(pretty: true).encode(contents), to: file)
        } catch {
            print("note: could not keep the measured sparse choices in \(file.path): \(error.localizedDescription)",
                  to: &standardError)
        }
    }
}
