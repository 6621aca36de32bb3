import ArgumentParser
import Checkpoint
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a checkpoint a user handed over (`--from`, `inspect FILE`) without letting
/// a crafted file crash Rewind.
///
/// HDF5 is a complex format and libhdf5 trusts some of its structures: a global-heap
/// string whose stored length is corrupt makes it copy past its buffer (a segfault,
/// with no checksum to catch it first). Rewind cannot validate every structure
/// libhdf5 parses, so it reads such files twice: first in a child process
/// (`rewind probe-checkpoint FILE`, the same reader and checks), and only when that
/// child exits normally, in this process. A child killed by a signal (a segfault,
/// an abort) or still reading after `timeout` becomes a one-line error naming the
/// file; nothing else is done with the file. Checkpoints Rewind wrote itself (run
/// folders) are read directly.
///
/// Cost: one extra process and one extra read (measured in docs/checkpoint-format.md).
enum UntrustedCheckpoint {
    /// How long the probe may read before it is taken to hang.
    static let timeout: Duration = .seconds(300)

    /// The contents of the checkpoint at `path`, after a child process has read it
    /// without crashing.
    static func read(_ path: String) throws -> CheckpointContents {
        try probe(path)
        return try CheckpointFile.read(path)
    }

    /// Reads `path` in a child `rewind probe-checkpoint`; throws if the child died or hung.
    /// A child that exits (0, or 1 for a checkpoint error) lets the caller read: the
    /// in-process read then reports the same error, if any.
    static func probe(_ path: String) throws {
        let child = Process()
        child.executableURL = currentExecutable()
        child.arguments = [ProbeCheckpointCommand.configuration.commandName!, path]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        // A crash report of the child would only be thrown away: skip making one.
        child.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { _, new in new }
        do { try child.run() } catch {
            throw CommandFailure("\(path): cannot start a process to read the checkpoint safely (\(error.localizedDescription))")
        }
        let clock = ContinuousClock(), deadline = clock.now + timeout
        while child.isRunning && clock.now < deadline { Thread.sleep(forTimeInterval: 0.002) }
        if child.isRunning {
            child.terminate()
            child.waitUntilExit()
            throw CommandFailure("\(path): reading it did not finish in \(timeout) (a corrupt or crafted HDF5 file?); nothing was used from it")
        }
        if child.terminationReason == .uncaughtSignal {
            let signal = child.terminationStatus
            throw CommandFailure("\(path): the HDF5 library crashed reading it (signal \(signal)): the file is corrupt or crafted; nothing was used from it")
        }
    }
}

/// `rewind probe-checkpoint FILE` (hidden): reads a checkpoint and exits 0, or prints
/// the error and exits 1. `UntrustedCheckpoint` runs it as a child process, so that
/// a file crashing libhdf5 takes down only the child.
struct ProbeCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-checkpoint", abstract: "Read a checkpoint in a child process (used by Rewind itself).",
        shouldDisplay: false)

    @Argument(help: "The checkpoint.") var file: String

    func run() throws {
        _ = try CheckpointFile.read(file)
    }
}
