import Foundation
import XCTest

/// `rewind bench` rejects every bad option (and a bad `REWIND_*` variable) before
/// measuring anything: a one-line error naming the option, a non-zero exit, no crash.
final class BenchOptionsTests: XCTestCase {
    func testBadOptionsAreOneLineErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [([String], [String: String], String)] = [
            (["--batches", "0"], [:], "--batches: expected comma-separated integers >= 1, got '0'"),
            (["--batches", "abc"], [:], "--batches: expected comma-separated integers >= 1, got 'abc'"),
            (["--batches", "60,"], [:], "--batches: expected comma-separated integers >= 1, got '60,'"),
            (["--inference-batch", "0"], [:], "--inference-batch: expected an integer >= 1, got 0"),
            (["--repeats", "0"], [:], "--repeats: expected an integer >= 1, got 0"),
            (["--models", ""], [:], "--models: expected comma-separated model names"),
            (["--models", "lenet-300-100,nope"], [:], "--models: unknown model 'nope'"),
            (["--sparse", "--models", "nope"], [:], "--models: unknown model 'nope'"),
            (["--crossover"], [:], "--crossover: only with --sparse"),
            (["--gemm", "--sparse"], [:], "--gemm, --sparse, --sparse-training and --imp: choose one"),
            (["--sparse", "--sparse-training"], [:], "--gemm, --sparse, --sparse-training and --imp: choose one"),
            (["--imp", "--rounds", "0"], [:], "--rounds: expected an integer >= 1, got 0"),
            (["--imp", "--jobs", "0"], [:], "--jobs: expected an integer >= 1, got 0"),
            (["--rounds", "3"], [:], "--rounds, --jobs and --keep: only with --imp"),
            (["--gemm"], ["REWIND_THREADS": "many"], "environment variable REWIND_THREADS: expected an integer >= 1, got 'many'"),
            (["--gemm"], ["REWIND_KERNELS": "sse9"], "environment variable REWIND_KERNELS: expected automatic, portable, avx2+fma, avx512"),
        ]
        for (arguments, environment, words) in cases {
            let result = try RewindProcess.run(["bench"] + arguments, in: folder, environment: environment)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertFalse(result.crashed, "\(arguments) crashed: \(result.error)")
            XCTAssertEqual(result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count, 1, "\(arguments): \(result.error)")
            XCTAssertTrue(result.error.contains(words), "\(arguments): \(result.error)")
            XCTAssertEqual(result.output, "", "\(arguments) measured before failing")
        }
    }
}
