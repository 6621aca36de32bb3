@testable import Checkpoint
import Engine
import Foundation
import TestSupport
import XCTest

/// Python (h5py, scipy) reads what Rewind writes, and Rewind reads what h5py writes,
/// value for value. Runs Tests/interop/*.py with the python3 on PATH; skipped, with
/// the reason, when python3 lacks h5py, scipy or numpy.
final class InteropTests: XCTestCase {
    private var directory: TemporaryDirectory!

    /// Whether python3 can import what the scripts need (asked once per test run).
    private static let python: (status: Int32, output: String) =
        (try? runPython(["-c", "import h5py, scipy, numpy"])) ?? (-1, "python3 not found on PATH")

    override func setUpWithError() throws {
        try XCTSkipIf(Self.python.status != 0, "python3 with h5py, scipy and numpy is needed "
                      + "(pip install h5py scipy numpy): \(Self.python.output)")
        directory = TemporaryDirectory()
    }

    override func tearDown() {
        directory = nil  // XCTest keeps test case objects alive to the end of the run
    }

    func testPythonReadsWhatSwiftWroteDenseAndSparse() throws {
        // Adam's two slots in the dense file; the sparse export without optimizer state,
        // as `rewind export` writes it (and half the JSON to parse).
        var contents = try makeContents(optimizer: "adam")
        for format in [CheckpointFormat.dense, .sparse] {
            if format == .sparse { contents.optimizer = nil }
            let path = directory.file("\(format).h5"), json = directory.file("\(format).json")
            try CheckpointFile.write(contents, to: path, format: format)
            let run = try runPython([script("read_checkpoint.py"), path, "--json", json])
            XCTAssertEqual(run.status, 0, run.output)
            let dump = try JSONDecoder().decode(CheckpointDump.self, from: fileBytes(json))
            // scipy's csr_matrix rebuilt the masked dense weights; masks are the structure.
            dump.assertEqual(to: contents, "\(format)")
            if format == .sparse {
                XCTAssertEqual(dump.csr.keys.sorted(), ["fc1.weight", "fc2.weight", "fc3.weight"])
                XCTAssertEqual(dump.csr["fc2.weight"]?.indicesDtype, "uint16")
                XCTAssertEqual(dump.csr["fc1.weight"]?.indicesDtype, "uint8")
                XCTAssertEqual(dump.csr["fc2.weight"]?.nnz, contents.masks["fc2.weight"]!.nonZeroCount)
            } else {
                XCTAssertTrue(dump.csr.isEmpty)
            }
        }
    }

    func testSwiftReadsWhatH5pyWroteDenseAndSparse() throws {
        for sparse in [false, true] {
            let path = directory.file("python-\(sparse).h5"), json = directory.file("python-\(sparse).json")
            let run = try runPython([script("write_checkpoint.py"), path, "--seed", "5", "--input-shape", "1", "4", "4",
                                     "--classes", "3", "--density", "0.25", "--json", json] + (sparse ? ["--sparse"] : []))
            XCTAssertEqual(run.status, 0, run.output)
            let truth = try JSONDecoder().decode(CheckpointDump.self, from: fileBytes(json))
            let contents = try CheckpointFile.read(path)
            truth.assertEqual(to: contents, "h5py sparse=\(sparse)")
            XCTAssertEqual(contents.step, 7)
            XCTAssertEqual(contents.schedule, .constant(base: 0.05))
            XCTAssertEqual(contents.recipe, "name: from-python\n")
            XCTAssertEqual(contents.attributes, ["role": "python"])
            // The optimizer h5py wrote can be rebuilt and stepped.
            let optimizer = try XCTUnwrap(try contents.makeOptimizer() as? SGD)
            XCTAssertEqual(optimizer.momentum, 0.9)
            XCTAssertEqual(optimizer.stepCount, 7)
            XCTAssertEqual(try contents.makeNetwork().normalization, Normalization(mean: [0.5], std: [0.25]))
        }
    }

    func testFixedLengthStringsFromH5pyAreReadAndBoolMasksAreRejected() throws {
        let withNote = directory.file("note.h5"), withBoolMask = directory.file("bool.h5")
        try CheckpointFile.write(try makeContents(), to: withNote)
        try CheckpointFile.write(try makeContents(), to: withBoolMask)
        let edit = """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r+") as f:
                f.attrs.create("note", np.bytes_(b"fixed ascii"))  # fixed-length, read by h5py as bytes
            with h5py.File(sys.argv[2], "r+") as f:
                mask = f["masks/fc3.weight"][()].astype(bool)       # h5py stores numpy bool as an enum
                del f["masks/fc3.weight"]
                f["masks/fc3.weight"] = mask
            """
        let run = try runPython(["-c", edit, withNote, withBoolMask])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertEqual(try CheckpointFile.read(withNote).attributes["note"], "fixed ascii")
        let error = assertCheckpointError(.typeMismatch) { _ = try CheckpointFile.read(withBoolMask) }
        XCTAssertEqual(error?.description, "\(withBoolMask): /masks/fc3.weight: dtype enum (h5py stores numpy bool as "
                       + "an enum; use uint8), expected uint8")
    }

    // MARK: Helpers

    private func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("interop").appendingPathComponent(name).path
    }
}

/// Runs `python3 arguments...` from PATH; returns the exit status and stdout + stderr.
func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// The JSON of read_checkpoint.py's `to_json`: every array as shape, dtype and values.
struct CheckpointDump: Decodable {
    struct Array: Decodable {
        let shape: [Int]
        let dtype: String
        let values: [Double]
    }

    struct Optimizer: Decodable {
        let kind: String
        let step_count: Int
        let hyperparameters: [String: Double]
        let slots: [String: [String: Array]]
    }

    struct CSR: Decodable {
        let indicesDtype: String
        let nnz: Int
        enum CodingKeys: String, CodingKey {
            case indicesDtype = "indices_dtype", nnz
        }
    }

    let architecture: Architecture
    let normalization: Normalization
    let params: [String: Array]
    let masks: [String: Array]
    let buffers: [String: Array]
    let optimizer: Optimizer?
    let metrics: [String: Double]
    let csr: [String: CSR]

    /// Asserts every array equals `contents`' tensor bit for bit (float32 values
    /// survive the trip through Python floats exactly) with the schema's dtypes.
    func assertEqual(to contents: CheckpointContents, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(architecture, contents.architecture, what, file: file, line: line)
        XCTAssertEqual(normalization, contents.normalization, what, file: file, line: line)
        XCTAssertEqual(metrics, contents.metrics, what, file: file, line: line)
        compare(params, contents.parameters, dtype: "float32", "\(what) params", file: file, line: line)
        compare(masks, contents.masks, dtype: "uint8", "\(what) masks", file: file, line: line)
        compare(buffers, contents.buffers, dtype: "float32", "\(what) buffers", file: file, line: line)
        XCTAssertEqual(optimizer?.kind, contents.optimizer?.kind, what, file: file, line: line)
        XCTAssertEqual(optimizer?.step_count, contents.optimizer?.stepCount, what, file: file, line: line)
        XCTAssertEqual(optimizer?.hyperparameters, contents.optimizer?.hyperparameters, what, file: file, line: line)
        XCTAssertEqual(optimizer?.slots.keys.sorted(), contents.optimizer?.slots.keys.sorted(), what, file: file, line: line)
        for (slot, arrays) in optimizer?.slots ?? [:] {
            compare(arrays, contents.optimizer?.slots[slot] ?? [:], dtype: "float32", "\(what) \(slot)", file: file, line: line)
        }
    }

    private func compare(_ arrays: [String: Array], _ tensors: [String: Tensor], dtype: String, _ what: String,
                         file: StaticString, line: UInt) {
        XCTAssertEqual(arrays.keys.sorted(), tensors.keys.sorted(), what, file: file, line: line)
        for (name, array) in arrays {
            guard let tensor = tensors[name] else { continue }
            XCTAssertEqual(array.dtype, dtype, "\(what) \(name)", file: file, line: line)
            XCTAssertEqual(array.shape, tensor.shape, "\(what) \(name)", file: file, line: line)
            assertBitIdentical(array.values.map { Float($0) }, tensor.values, "\(what) \(name)", file: file, line: line)
        }
    }
}
