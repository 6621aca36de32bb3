import Foundation
import Pruning

/// Standard error, for progress and messages (standard output carries results).
nonisolated(unsafe) var standardError = FileHandleOutputStream(FileHandle.standardError)

struct FileHandleOutputStream: TextOutputStream {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
    mutating func write(_ string: String) { handle.write(Data(string.utf8)) }
}

/// Whether standard error is a terminal (live bars) or a file or pipe (plain lines).
let standardErrorIsTerminal = isatty(STDERR_FILENO) == 1

/// Prints one line of compact JSON (`RecordJSON`'s policy: snake_case, sorted keys)
/// to standard output.
func printJSONLine<T: Encodable>(_ value: T) {
    if let data = try? RecordJSON.encoder(pretty: false).encode(value), let line = String(data: data, encoding: .utf8) {
        print(line)
        fflush(nil)   // flush every stream, so JSON lines arrive in order with progress
    }
}

/// `text` left-aligned in a column of `width` characters (`%-20@` does not pad on
/// Linux's Foundation, so tables pad their string columns here).
func column(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// Formats a duration in seconds as "1h02m", "3m07s" or "12.3s".
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "--" }
    if seconds >= 3600 { return String(format: "%dh%02dm", Int(seconds) / 3600, Int(seconds) % 3600 / 60) }
    if seconds >= 60 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
    return String(format: "%.1fs", seconds)
}

/// A failure the CLI reports as one line, with a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Turns the first Ctrl-C into a request to stop after the current epoch is saved
/// (a rerun resumes from there); a second Ctrl-C ends the process at once, which is
/// also safe, because every checkpoint is written by temp-file-and-rename.
func installInterruptHandler() -> StopRequest {
    let stop = StopRequest()
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler {
        if stop.isRequested { exit(130) }
        stop.request()
        print("\nstopping after the current epoch is saved (Ctrl-C again to stop now); rerun the same command to resume", to: &standardError)
    }
    source.resume()
    interruptSource = source
    return stop
}
nonisolated(unsafe) private var interruptSource: DispatchSourceSignal?

/// Whether this process is a `compare --jobs` worker whose parent has gone (killed):
/// the worker then stops after its current epoch is saved instead of running on
/// unattended. (`REWIND_PARENT_PID` is set by `WorkerPool`.)
func parentDied() -> Bool {
    guard let expected = ProcessInfo.processInfo.environment["REWIND_PARENT_PID"].flatMap({ Int32($0) }) else { return false }
    return getppid() != expected
}
