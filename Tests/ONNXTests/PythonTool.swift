import Foundation
import XCTest

/// Runs the Python helpers next to this file (Python/*.py) with `python3`, skipping
/// the calling test when a module they need is missing.
enum PythonTool {
    /// The folder of the helper scripts (found from this source file, so tests run from any directory).
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")

    /// Throws `XCTSkip` unless `python3` can import every module in `modules`.
    static func require(_ modules: [String]) throws {
        let check = try run(["-c", "import " + modules.joined(separator: ", ")])
        if check.status != 0 {
            throw XCTSkip("needs python3 with \(modules.joined(separator: ", ")): pip install onnx onnxruntime torch (as .ci/run does)")
        }
    }

    /// Runs `python3 arguments` and returns its exit status, standard output and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    /// Runs the helper `script` with `arguments`, failing with its standard error unless it exits 0, and decodes
    /// its last output line as JSON.
    static func json<T: Decodable>(_ type: T.Type, script: String, _ arguments: [String]) throws -> T {
        let result = try run([scripts.appendingPathComponent(script).path] + arguments)
        guard result.status == 0, let line = result.output.split(separator: "\n").last else {
            throw NSError(domain: "PythonTool", code: Int(result.status), userInfo: [NSLocalizedDescriptionKey: "\(script) failed: \(result.error.suffix(2000))"])
        }
        return try JSONDecoder().decode(T.self, from: Data(line.utf8))
    }

    /// A fresh temporary folder, removed at the end of `test`.
    static func temporaryFolder(for test: XCTestCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }
}
