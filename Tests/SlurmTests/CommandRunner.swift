import Foundation
import XCTest

/// What a finished command printed and how it ended.
struct CommandResult {
    let status: Int32
    let output: String
    let errors: String

    /// The first line of standard error (where the CLI puts its one-line errors).
    var firstErrorLine: String { errors.split(separator: "\n").first.map(String.init) ?? "" }
}

/// Runs commands for the Slurm tests: the `rewind` binary built next to this test
/// bundle, the cluster script, and Slurm's clients.
enum CommandRunner {
    /// The `rewind` executable `swift build` / `swift test` put in the same folder as the
    /// test bundle (`.build/<config>/rewind`).
    static func rewindExecutable() throws -> URL {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                             ?? CommandLine.arguments[0])
        let candidates = [Bundle.main.bundleURL, testBinary.deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("rewind") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("no rewind executable next to the test bundle (looked in \(candidates.map(\.path).joined(separator: ", "))); run `swift build` first")
        }
        return found.resolvingSymlinksInPath()
    }

    /// The repository's root folder (this file is Tests/SlurmTests/CommandRunner.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `executable arguments` in `directory` with `environment` added to (or, for
    /// keys mapped to nil, removed from) this process's environment, and waits at most
    /// `timeout` seconds (then kills it and fails). Output goes through files, so a
    /// chatty command never blocks on a full pipe.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                    environment: [String: String?] = [:], timeout: Double = 120) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputFile = scratch.appendingPathComponent("stdout"), errorFile = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputFile), errors = try FileHandle(forWritingTo: errorFile)
        defer { try? output.close(); try? errors.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw CommandFailed("\(executable.lastPathComponent) \(arguments.joined(separator: " ")): still running after \(Int(timeout)) s; killed")
            }
            // Wait as waitUntilExit does (running this thread's run loop), but with a deadline.
            if !RunLoop.current.run(mode: .default, before: Date().addingTimeInterval(0.02)) { usleep(20_000) }
        }
        return CommandResult(status: process.terminationStatus,
                             output: String(decoding: try Data(contentsOf: outputFile), as: UTF8.self),
                             errors: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self))
    }

    /// Runs the command and fails (throws) unless it exits 0.
    @discardableResult
    static func check(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                      environment: [String: String?] = [:], timeout: Double = 120) throws -> CommandResult {
        let result = try run(executable, arguments, in: directory, environment: environment, timeout: timeout)
        guard result.status == 0 else {
            throw CommandFailed("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) exited \(result.status): \(result.errors.suffix(2000))")
        }
        return result
    }

    /// A program on the PATH (Slurm's clients live in /usr/bin on Debian).
    static func tool(_ name: String) -> URL {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/\(name)")
    }
}

/// A command that failed or hung, with what it printed.
struct CommandFailed: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
