import Foundation
import TestSupport
import XCTest

/// Runs the built `rewind` (beside the test bundle, as CLITests finds it) as its own
/// process with a time limit and an address-space cap (`ulimit -v`, 4 GiB unless
/// told), as the trial ran every input.
enum RewindRun {
    struct Result {
        let status: Int32
        let signalled: Bool
        let timedOut: Bool
        let output: String
        let error: String
        let seconds: Double
    }

    static func executable() throws -> URL {
        let (url, searched) = builtRewindExecutable()
        guard let url else { throw XCTSkip("the rewind executable was not built beside the tests (looked in \(searched))") }
        return url
    }

    /// `rewind arguments` in `folder` with at most `addressSpaceKiB` of address space;
    /// its output goes to files in `logs` (outside `folder`).
    static func run(_ arguments: [String], in folder: URL, logs: URL, timeout: Double, addressSpaceKiB: Int = 4 << 20) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(addressSpaceKiB) && exec \"$0\" \"$@\"", try executable().path] + arguments
        process.currentDirectoryURL = folder
        let id = UUID().uuidString
        let output = logs.appendingPathComponent("out-\(id)"), error = logs.appendingPathComponent("err-\(id)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: error.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        let clock = ContinuousClock(), start = clock.now
        try process.run()
        var timedOut = false
        while process.isRunning {
            if (clock.now - start) > .seconds(timeout) {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        let elapsed = clock.now - start
        return Result(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                      timedOut: timedOut, output: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
                      error: (try? String(contentsOf: error, encoding: .utf8)) ?? "",
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}

/// Every file under `folder` (relative paths) with a digest of its bytes, or of its
/// type for anything but a regular file (a named pipe is never opened).
func snapshot(of folder: URL) -> [String: Int] {
    var files: [String: Int] = [:]
    guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return files }
    while let relative = walker.nextObject() as? String {
        let path = folder.appendingPathComponent(relative).path
        guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType,
              type != .typeDirectory else { continue }
        var hasher = Hasher()
        hasher.combine(type.rawValue)
        if type == .typeRegular { hasher.combine(FileManager.default.contents(atPath: path) ?? Data()) }
        files[relative] = hasher.finalize()
    }
    return files
}
