import Foundation
import XCTest

/// Issue 14's "Done when": every malformed input, each its own `rewind` process
/// (time-limited, 4 GiB address space), ends with a non-zero exit below 128, no
/// crash banner, an error of at most 3 lines naming the file/key/option, every
/// pre-existing file unchanged and nothing written outside `--checkpoints`/`--reports`
/// (or the case's `--out`).
final class MalformedInputTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-robustness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    /// A trained tiny checkpoint for every checkpoint case.
    private func trainedModel() throws -> URL {
        let folder = root.appendingPathComponent("fixture")
        try Inputs.write(Inputs.recipe(), to: folder.appendingPathComponent("recipe.yaml"))
        let result = try RewindRun.run(["train", "recipe.yaml", "--checkpoints", "checkpoints"], in: folder, logs: root, timeout: 120)
        XCTAssertEqual(result.status, 0, result.error)
        let runs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)
        return folder.appendingPathComponent("checkpoints/\(runs[0])/seed-0/dense/final.h5")
    }

    func testEveryMalformedInputGetsAOneLineErrorAndChangesNothing() throws {
        let inputs = malformedInputs(model: try trainedModel())
        var failures: [String] = []
        for (index, input) in inputs.enumerated() {
            let problems = try run(input, folder: root.appendingPathComponent("case-\(index)"))
            failures += problems.map { "[\(input.kind.rawValue)] \(input.name): \($0)" }
        }
        let counts = Dictionary(grouping: inputs, by: \.kind).mapValues(\.count)
        let summary = MalformedInput.Kind.allCases.map { "\($0.rawValue): \(counts[$0] ?? 0)" }.joined(separator: "; ")
        print("malformed inputs: \(inputs.count) cases (\(summary))")
        for kind in MalformedInput.Kind.allCases {
            XCTAssertGreaterThanOrEqual(counts[kind] ?? 0, 2, "cases of \(kind.rawValue)")
        }
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }

    /// Runs one case in `folder`; returns what went wrong (empty: it passed).
    private func run(_ input: MalformedInput, folder: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try input.prepare(folder)
        let before = snapshot(of: folder)
        let result = try RewindRun.run(input.arguments, in: folder, logs: root, timeout: input.timeout,
                                       addressSpaceKiB: input.addressSpaceKiB)
        let after = snapshot(of: folder)
        var problems: [String] = []
        if result.timedOut { problems.append("still running after \(input.timeout) s (a hang)") }
        if result.signalled { problems.append("killed by signal \(result.status) (a crash)") }
        for banner in ["Fatal error", "Program crashed", "Backtrac", "Illegal instruction", "Segmentation fault", "NSCocoaErrorDomain"]
        where (result.output + result.error).contains(banner) {
            problems.append("crash banner or raw error '\(banner)' in the output")
        }
        if input.succeeds {
            if result.status != 0 { problems.append("exit \(result.status), expected success: \(result.error)") }
            for fragment in input.expected where !result.output.contains(fragment) {
                problems.append("output lacks '\(fragment)': \(result.output)")
            }
        } else {
            if result.status == 0 { problems.append("exit 0: silently accepted") }
            if result.status >= 128 { problems.append("exit \(result.status) >= 128") }
            let lines = result.error.split(separator: "\n", omittingEmptySubsequences: true)
            let message = lines.drop { !$0.hasPrefix("Error:") }
            if message.isEmpty { problems.append("no 'Error:' line: \(result.error)") }
            if message.count > 3 { problems.append("error of \(message.count) lines: \(message.joined(separator: " | "))") }
            let text = message.joined(separator: "\n")
            for fragment in input.expected where !text.contains(fragment) {
                problems.append("error lacks '\(fragment)': \(text)")
            }
        }
        // Files that were there are unchanged, unless the case may write them; new
        // files appear only where the case may write.
        func writable(_ path: String) -> Bool { input.writable.contains { path == $0 || path.hasPrefix($0.hasSuffix("-") ? $0 : $0 + "/") } }
        for (path, digest) in before where !writable(path) && after[path] != digest {
            problems.append(after[path] == nil ? "removed \(path)" : "changed \(path)")
        }
        for path in after.keys where before[path] == nil && !writable(path) {
            problems.append("wrote \(path), outside what it may write")
        }
        if problems.isEmpty, let check = input.check {
            do { try check(folder) } catch { problems.append("check failed: \(error)") }
        }
        return problems
    }
}
