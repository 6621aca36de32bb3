@testable import Checkpoint
import Engine
import Foundation
import TestSupport
import XCTest

/// LeNet-300-100 on 4x4 inputs with 3 classes: fc1 [300, 16], fc2 [100, 300],
/// fc3 [3, 100]; small enough for fast debug-build tests, with index ranges that
/// need uint8 (fc1, fc3) and uint16 (fc2) CSR indices.
let tinyArchitecture = Architecture(model: "lenet-300-100", inputShape: [1, 4, 4], classes: 3)

/// A random 0/1 mask of `shape` with about `density` ones.
func randomMask(_ shape: [Int], density: Double, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed, concern: .pruning)
    let mask = Tensor(shape: shape)
    for i in 0..<mask.count { mask[i] = generator.nextDouble() < density ? 1 : 0 }
    return mask
}

/// `values` with every entry outside `mask` zeroed, as pruning leaves them.
func applyMask(_ mask: Tensor, to values: Tensor) {
    for i in 0..<values.count where mask[i] == 0 { values[i] = 0 }
}

/// Contents with every field set: random weights (masked on the prunable layers at
/// `density`, with one kept weight exactly zero to show masks are not inferred from
/// values), non-trivial normalisation, optimizer state, schedule, recipe, metrics and
/// free-form attributes including non-ASCII text.
func makeContents(architecture: Architecture = tinyArchitecture, optimizer kind: String = "sgd",
                  density: Double = 0.3, seed: UInt64 = 1) throws -> CheckpointContents {
    let network = try ModelZoo.build(architecture)
    network.initialize(seed: seed)
    network.normalization = Normalization(mean: [0.2860], std: [0.3530])
    var masks: [String: Tensor] = [:]
    for (index, name) in network.prunableParameterNames.enumerated() {
        let weight = network.parameter(named: name)!.value
        let mask = randomMask(weight.shape, density: density, seed: seed &+ UInt64(index))
        applyMask(mask, to: weight)
        if let kept = (0..<mask.count).first(where: { mask[$0] == 1 }) { weight[kept] = 0 }
        masks[name] = mask
    }
    for (index, parameter) in network.parameters.enumerated() where parameter.role == .bias {
        parameter.value.copy(from: randomTensor(parameter.value.shape, seed: seed &+ 100 &+ UInt64(index), scale: 0.1))
    }
    let optimizer: Optimizer = kind == "adam"
        ? Adam(beta1: 0.85, beta2: 0.995, epsilon: 1e-7, weightDecay: 5e-4)
        : SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-4)
    for parameter in network.parameters {
        parameter.gradient.copy(from: randomTensor(parameter.value.shape, seed: seed &+ 7, scale: 0.01))
    }
    optimizer.step(network.parameters, learningRate: 0.01)
    optimizer.step(network.parameters, learningRate: 0.01)
    for (name, mask) in masks { applyMask(mask, to: network.parameter(named: name)!.value) }
    return CheckpointContents(
        network: network, optimizer: optimizer, masks: masks,
        schedule: .warmup(steps: 5, then: .multistep(base: 0.1, milestones: [100, 150], gamma: 0.1)),
        step: 2, epoch: 1, seed: UInt64.max - 3, recipe: "name: tiny\nseeds: [0, 1]\nmodel: lenet-300-100\n",
        metrics: ["test_accuracy": 0.8125, "test_loss": 0.53125, "sparsity": 1 - density],
        attributes: ["strategy": "lr-rewind", "level": "3", "note": "Grüße ✓"])
}

/// A fresh directory under the system's temporary directory, removed with everything in it on deinit.
final class TemporaryDirectory {
    let path: String

    init() {
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent("rewind-checkpoint-XXXXXX")
        var template = Array(base.utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// The names of the entries in the directory, sorted.
    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The bytes of the file at `path`.
func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

/// The size of the file at `path` in bytes.
func fileSize(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
}

/// Asserts two tensor dictionaries hold the same names, shapes and bit-identical values.
func assertEqualTensors(_ a: [String: Tensor], _ b: [String: Tensor], _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), "\(what): names", file: file, line: line)
    for (name, tensor) in a {
        guard let other = b[name] else { continue }
        XCTAssertEqual(tensor.shape, other.shape, "\(what) \(name): shape", file: file, line: line)
        assertBitIdentical(tensor.values, other.values, "\(what) \(name)", file: file, line: line)
    }
}

/// Asserts two Float arrays are bit-identical, reporting the first difference only.
func assertBitIdentical(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard a.count == b.count else {
        return XCTFail("\(what): \(a.count) values vs \(b.count)", file: file, line: line)
    }
    let differing = a.indices.filter { a[$0].bitPattern != b[$0].bitPattern }
    if let first = differing.first {
        XCTFail("\(what): \(differing.count) values differ, first at \(first): \(a[first]) vs \(b[first])",
                file: file, line: line)
    }
}

/// Asserts every field of two checkpoints is equal, tensors bit for bit.
func assertEqualContents(_ a: CheckpointContents, _ b: CheckpointContents,
                         file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.architecture, b.architecture, "architecture", file: file, line: line)
    XCTAssertEqual(a.normalization, b.normalization, "normalization", file: file, line: line)
    assertEqualTensors(a.parameters, b.parameters, "parameters", file: file, line: line)
    assertEqualTensors(a.masks, b.masks, "masks", file: file, line: line)
    assertEqualTensors(a.buffers, b.buffers, "buffers", file: file, line: line)
    XCTAssertEqual(a.optimizer?.kind, b.optimizer?.kind, "optimizer kind", file: file, line: line)
    XCTAssertEqual(a.optimizer?.stepCount, b.optimizer?.stepCount, "optimizer step count", file: file, line: line)
    XCTAssertEqual(a.optimizer?.hyperparameters, b.optimizer?.hyperparameters, "hyperparameters", file: file, line: line)
    XCTAssertEqual(a.optimizer?.slots.keys.sorted(), b.optimizer?.slots.keys.sorted(), "slots", file: file, line: line)
    for (slot, tensors) in a.optimizer?.slots ?? [:] {
        assertEqualTensors(tensors, b.optimizer?.slots[slot] ?? [:], "optimizer slot \(slot)", file: file, line: line)
    }
    XCTAssertEqual(a.schedule, b.schedule, "schedule", file: file, line: line)
    XCTAssertEqual(a.step, b.step, "step", file: file, line: line)
    XCTAssertEqual(a.epoch, b.epoch, "epoch", file: file, line: line)
    XCTAssertEqual(a.seed, b.seed, "seed", file: file, line: line)
    XCTAssertEqual(a.recipe, b.recipe, "recipe", file: file, line: line)
    XCTAssertEqual(a.metrics, b.metrics, "metrics", file: file, line: line)
    XCTAssertEqual(a.attributes, b.attributes, "attributes", file: file, line: line)
}

/// Opens `path` read-write with the HDF5 wrapper and runs `change` on its root,
/// to make malformed files for the validation tests.
func modifyCheckpoint(_ path: String, _ change: (HDF5Group) throws -> Void) throws {
    HDF5Library.prepare()
    let file = try HDF5File.open(at: path, name: path, writable: true)
    try change(file.rootGroup())
    try file.close()
}

/// Runs `body`, which must throw a `CheckpointError` of `kind`, and returns it.
@discardableResult
func assertCheckpointError(_ kind: CheckpointError.Kind, file: StaticString = #filePath, line: UInt = #line,
                           _ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        XCTFail("expected a \(kind) error, got success", file: file, line: line)
    } catch let error as CheckpointError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), "one line: \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected a CheckpointError, got \(error)", file: file, line: line)
    }
    return nil
}
