import Foundation
import Pruning
import Recipes

/// `rewind compare --jobs N`: N worker processes (`rewind compare RECIPE --worker`)
/// that each load the data once and then run the tasks this pool hands them, one line
/// on standard input per task (`ComparisonTask.line`), answering each with the task's
/// level record on standard output. The pool hands out `ComparisonTasks` in their
/// order as workers free up, so both cores stay busy until the end.
///
/// Processes, not threads: each worker has its own OpenBLAS (whose thread count is
/// process-wide) and its own settings, so workers cannot disturb each other. Every
/// worker gets the same thread count (`REWIND_THREADS`), which is what makes a parallel
/// comparison bit-identical to a serial one with that thread count: each task computes
/// exactly what it computes in a serial run, from the same files.
///
/// Each worker's standard error reaches ours line by line, prefixed `[worker i]`, so
/// the progress of every running chain shows. Ctrl-C reaches the workers (same process
/// group; forwarded when only we got it): each stops after its current epoch is saved.
/// A worker stops the same way when its parent dies (`REWIND_PARENT_PID`), and exits
/// when its standard input closes.
final class WorkerPool: @unchecked Sendable {
    // Safety: every mutable property is touched only on `queue`.
    private let queue = DispatchQueue(label: "rewind.worker-pool")
    private let arguments: [String]
    private let threadsPerWorker: Int
    private let json: Bool
    private var tasks: ComparisonTasks
    private var workers: [Worker] = []
    private var failures: [String] = []
    private let done = DispatchGroup()

    /// A worker process and what it is doing.
    private final class Worker: @unchecked Sendable {   // Safety: mutated only on the pool's queue
        let name: String
        let process = Process()
        let input = Pipe()
        let relay: LineRelay
        var task: ComparisonTask?
        var inputClosed = false
        init(name: String, relay: LineRelay) { self.name = name; self.relay = relay }
    }

    /// `arguments`: the recipe and folders every worker is started with.
    init(arguments: [String], threadsPerWorker: Int, json: Bool, tasks: ComparisonTasks) {
        self.arguments = arguments
        self.threadsPerWorker = threadsPerWorker
        self.json = json
        self.tasks = tasks
    }

    /// Runs every task on `count` workers; throws if a worker fails or `stop` is requested.
    func run(count: Int, stop: StopRequest) throws {
        let environment = ProcessInfo.processInfo.environment.merging([
            "REWIND_THREADS": String(threadsPerWorker), "REWIND_PARENT_PID": String(getpid()),
        ]) { $1 }
        for index in 1...max(count, 1) {
            let name = "worker \(index)"
            let relay = LineRelay(prefix: "[\(name)] ")
            let worker = Worker(name: name, relay: relay)
            worker.process.executableURL = currentExecutable()
            worker.process.arguments = ["compare"] + arguments + ["--worker"]
            worker.process.environment = environment
            worker.process.standardInput = worker.input
            worker.process.standardError = relay.errorPipe
            worker.process.standardOutput = relay.outputPipe
            done.enter()
            relay.onOutputLine = { [self] line in queue.async { self.answered(worker, line) } }
            relay.onOutputClosed = { [self] in queue.async { self.exited(worker) } }
            try queue.sync {
                do { try worker.process.run() } catch {
                    done.leave()
                    failures.append("cannot start \(name): \(error.localizedDescription)")
                    return
                }
                relay.start()
                workers.append(worker)
            }
        }
        queue.sync { assignIdleWorkers() }
        // Forward a stop request (Ctrl-C delivered to us alone) to the workers, once.
        let forwarder = DispatchSource.makeTimerSource(queue: queue)
        var forwarded = false
        forwarder.schedule(deadline: .now(), repeating: .milliseconds(200))
        forwarder.setEventHandler { [self] in
            guard stop.isRequested, !forwarded else { return }
            forwarded = true
            for worker in workers where worker.process.isRunning { worker.process.interrupt() }
        }
        forwarder.resume()
        done.wait()
        forwarder.cancel()
        for worker in queue.sync(execute: { workers }) { worker.process.waitUntilExit() }
        if stop.isRequested { throw PruningError.interrupted("the comparison (\(count) workers)") }
        try queue.sync {
            if let first = failures.first {
                throw CommandFailure(failures.count == 1 ? first : "\(first) (and \(failures.count - 1) more)")
            }
            if !tasks.isComplete { throw CommandFailure("the workers stopped with tasks left; rerun to resume") }
        }
    }

    // MARK: On `queue`

    /// A worker printed a line: its task's record (the task is done).
    private func answered(_ worker: Worker, _ line: String) {
        guard let task = worker.task else { return }
        if json { print(line); fflush(nil) }
        worker.task = nil
        tasks.finished(task)
        assignIdleWorkers()
    }

    /// A worker's output closed: it exited (after its input closed, or failing).
    private func exited(_ worker: Worker) {
        worker.process.waitUntilExit()
        worker.relay.finish()
        if let task = worker.task {
            let reason = worker.relay.lastErrorLine ?? "exit status \(worker.process.terminationStatus)"
            failures.append("\(worker.name) (\(task)): \(reason)")
            worker.task = nil
            for other in workers { closeInput(other) }   // no new tasks after a failure
        }
        closeInput(worker)
        done.leave()
    }

    /// Gives every idle worker the next ready task; closes the inputs when all is done.
    private func assignIdleWorkers() {
        for worker in workers where worker.task == nil && !worker.inputClosed {
            guard failures.isEmpty, let task = tasks.next() else { break }
            worker.task = task
            worker.input.fileHandleForWriting.write(Data((task.line + "\n").utf8))
        }
        if tasks.isComplete || !failures.isEmpty {
            for worker in workers where worker.task == nil { closeInput(worker) }
        }
    }

    private func closeInput(_ worker: Worker) {
        guard !worker.inputClosed else { return }
        worker.inputClosed = true
        try? worker.input.fileHandleForWriting.close()
    }
}

/// Copies a child's standard error to ours with a prefix, line by line, and hands its
/// standard output to `onOutputLine`, line by line.
final class LineRelay: @unchecked Sendable {
    // Safety: `lastError` is touched only on `printing`, shared by every relay so that
    // lines of different workers never interleave; the callbacks are set before `start`.
    let errorPipe = Pipe()
    let outputPipe = Pipe()
    var onOutputLine: @Sendable (String) -> Void = { _ in }
    var onOutputClosed: @Sendable () -> Void = {}
    private let prefix: String
    private static let printing = DispatchQueue(label: "rewind.worker-output")
    private let drained = DispatchGroup()
    private var lastError: String?

    init(prefix: String) { self.prefix = prefix }

    /// The last line the worker printed on standard error (its error, when it failed).
    var lastErrorLine: String? { Self.printing.sync { lastError } }

    func start() {
        pump(errorPipe.fileHandleForReading, closed: {}) { [self] line in
            lastError = line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line
            print(prefix + line, to: &standardError)
        }
        pump(outputPipe.fileHandleForReading, closed: { [self] in onOutputClosed() }) { [self] line in onOutputLine(line) }
    }

    /// Waits until standard error is drained too.
    func finish() { drained.wait() }

    private func pump(_ handle: FileHandle, closed: @escaping @Sendable () -> Void, _ emit: @escaping @Sendable (String) -> Void) {
        drained.enter()
        DispatchQueue.global().async { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    Self.printing.sync { emit(line) }
                }
            }
            if !pending.isEmpty { Self.printing.sync { emit(String(decoding: pending, as: UTF8.self)) } }
            drained.leave()
            closed()
        }
    }
}
