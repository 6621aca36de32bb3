import Foundation
import Pruning
import Recipes

/// `rewind compare --jobs N`: runs the slices of one stage of a comparison as N child
/// `rewind compare --stage … --shard i/N` processes sharing the run folder, and waits
/// for them.
///
/// Processes, not threads: each worker has its own OpenBLAS (whose thread count is
/// process-wide) and its own settings, so workers cannot disturb each other, and a
/// worker computes exactly what the same shard run by hand computes. Every worker gets
/// the same thread count (`REWIND_THREADS`), which is what makes a parallel comparison
/// bit-identical to a serial one with that thread count: the (seed, strategy) chains
/// are independent and each is deterministic given its inputs and thread count.
///
/// Each worker's standard error reaches ours line by line, prefixed `[i/N]`, so the
/// progress of every running chain shows; its `--json` records reach our standard
/// output unchanged. Ctrl-C reaches the workers (same process group; forwarded when
/// only we got it): each stops after its current epoch is saved. A worker whose parent
/// died stops the same way (`REWIND_PARENT_PID`).
struct WorkerPool {
    /// The arguments of `rewind compare` every worker shares (recipe, folders, --json).
    let commonArguments: [String]
    /// OpenBLAS threads per worker.
    let threadsPerWorker: Int
    let json: Bool

    /// Runs `stage` as `count` shards at once; throws if any worker fails.
    func run(stage: CompareStage, count: Int, stop: StopRequest) throws {
        guard count > 0 else { return }
        var workers: [(shard: Shard, process: Process, relay: LineRelay)] = []
        let environment = ProcessInfo.processInfo.environment.merging([
            "REWIND_THREADS": String(threadsPerWorker),
            "REWIND_PARENT_PID": String(getpid()),
        ]) { $1 }
        for index in 1...count {
            let shard = Shard(index: index, count: count)
            let process = Process()
            process.executableURL = currentExecutable()
            process.arguments = ["compare"] + commonArguments + ["--stage", stage.rawValue, "--shard", shard.description]
            process.environment = environment
            let relay = LineRelay(prefix: "[\(stage.rawValue) \(shard)] ", json: json)
            process.standardError = relay.errorPipe
            process.standardOutput = relay.outputPipe
            do { try process.run() } catch {
                for worker in workers { worker.process.interrupt() }
                throw CommandFailure("cannot start worker \(shard): \(error.localizedDescription)")
            }
            relay.start()
            workers.append((shard, process, relay))
        }
        // Forward a stop request (Ctrl-C delivered to us alone) to the workers, once.
        let forwarder = DispatchSource.makeTimerSource(queue: .global())
        var forwarded = false
        forwarder.schedule(deadline: .now(), repeating: .milliseconds(200))
        forwarder.setEventHandler {
            if stop.isRequested && !forwarded {
                forwarded = true
                for worker in workers where worker.process.isRunning { worker.process.interrupt() }
            }
        }
        forwarder.resume()
        defer { forwarder.cancel() }
        var failures: [String] = []
        for worker in workers {
            worker.process.waitUntilExit()
            worker.relay.finish()
            if worker.process.terminationStatus != 0 {
                let reason = worker.relay.lastErrorLine ?? "exit status \(worker.process.terminationStatus)"
                failures.append("worker \(stage.rawValue) \(worker.shard): \(reason)")
            }
        }
        if stop.isRequested { throw PruningError.interrupted("the \(stage.rawValue) stage (\(count) workers)") }
        if let first = failures.first {
            throw CommandFailure(failures.count == 1 ? first : "\(first) (and \(failures.count - 1) more)")
        }
    }
}

/// Copies a child's standard error to ours with a prefix, line by line, and its
/// standard output (JSON lines) to ours, leaving out the child's own plan line.
final class LineRelay: @unchecked Sendable {
    // Safety: `lastError` is touched only on `queue`, shared by every relay so that
    // lines of different workers never interleave.
    let errorPipe = Pipe()
    let outputPipe = Pipe()
    private let prefix: String
    private let json: Bool
    private let queue = LineRelay.sharedQueue
    private static let sharedQueue = DispatchQueue(label: "rewind.worker-relay")
    private let group = DispatchGroup()
    private var lastError: String?

    init(prefix: String, json: Bool) {
        self.prefix = prefix
        self.json = json
    }

    /// The last line the worker printed on standard error ("Error: ..." when it failed).
    var lastErrorLine: String? { queue.sync { lastError } }

    func start() {
        pump(errorPipe.fileHandleForReading) { [self] line in
            lastError = line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line
            print(prefix + line, to: &standardError)
        }
        pump(outputPipe.fileHandleForReading) { [self] line in
            guard json, !line.contains("\"kind\":\"plan\"") else { return }
            print(line)
            fflush(nil)
        }
    }

    /// Waits until both pipes are drained (the worker has exited).
    func finish() { group.wait() }

    private func pump(_ handle: FileHandle, _ emit: @escaping @Sendable (String) -> Void) {
        group.enter()
        DispatchQueue.global().async { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    queue.sync { emit(line) }
                }
            }
            if !pending.isEmpty { queue.sync { emit(String(decoding: pending, as: UTF8.self)) } }
            group.leave()
        }
    }
}
