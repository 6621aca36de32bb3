import Foundation
import TestSupport
import XCTest

/// Runs the `rewind` executable that `swift test` built beside the test bundle.
struct RewindProcess {
    struct Result {
        let status: Int32
        let output: String
        let error: String
        /// Whether the process ended by a signal (a crash or trap) rather than exiting.
        let crashed: Bool
    }

    /// The `rewind` binary in the build folder of this test run.
    static func executable() throws -> URL {
        let (url, searched) = builtRewindExecutable()
        guard let url else { throw XCTSkip("the rewind executable was not built beside the tests (looked in \(searched))") }
        return url
    }

    /// Runs `rewind arguments` in `folder` and waits for it; `environment` adds to
    /// (or replaces entries of) this process's environment.
    static func run(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> Result {
        let process = try start(arguments, in: folder, environment: environment)
        process.process.waitUntilExit()
        return process.result()
    }

    final class Running {
        let process: Process
        let output: URL, error: URL
        init(process: Process, output: URL, error: URL) {
            self.process = process
            self.output = output
            self.error = error
        }
        func result() -> Result {
            Result(status: process.terminationStatus,
                   output: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
                   error: (try? String(contentsOf: error, encoding: .utf8)) ?? "",
                   crashed: process.terminationReason == .uncaughtSignal)
        }
    }

    /// Starts `rewind arguments` in `folder` without waiting; output goes to files.
    static func start(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> Running {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = folder
        let id = UUID().uuidString
        let output = folder.appendingPathComponent(".out-\(id)"), error = folder.appendingPathComponent(".err-\(id)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        FileManager.default.createFile(atPath: error.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        try process.run()
        return Running(process: process, output: output, error: error)
    }
}
