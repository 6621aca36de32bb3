import Checkpoint
import Engine
import Foundation
import ONNX
import TestSupport
import XCTest

/// Every zoo model exported with `ONNXExporter` gives in onnxruntime the logits Rewind
/// computes (max abs difference ≤ 1e-4), dense and pruned, with a non-trivial input
/// normalisation (exported as Sub/Div) and BatchNorm statistics.
final class ZooExportTests: XCTestCase {
    /// One example's shape per model: 28x28 grey for the LeNets and Conv nets, small colour images for the ResNets.
    static func inputShape(_ model: String) -> [Int] { model.hasPrefix("resnet") ? [3, 8, 8] : [1, 28, 28] }

    /// A network of `model` with seeded weights, BatchNorm running statistics
    /// calibrated on `calibration` (20 training-mode passes, so evaluation keeps
    /// activations near unit scale as in a trained network), normalisation (0.3, 0.4)
    /// per channel, and (if `pruned`) 80% of every prunable weight masked to zero (the
    /// kept ones scaled by √5 so the logits keep their scale); with its masks.
    static func fixture(_ model: String, pruned: Bool) throws -> (Network, [String: Tensor]) {
        let network = try ModelZoo.build(Architecture(model: model, inputShape: inputShape(model)))
        network.initialize(seed: 7)
        let channels = network.architecture.inputShape[0]
        network.normalization = Normalization(mean: Array(repeating: 0.3, count: channels), std: Array(repeating: 0.4, count: channels))
        var masks: [String: Tensor] = [:]
        if pruned {
            var generator = SeededGenerator(seed: 3, concern: .benchmark)
            let keep: Float = 0.2
            for name in network.prunableParameterNames {
                let weight = network.parameter(named: name)!.value
                let mask = Tensor(shape: weight.shape)
                for i in 0..<mask.count { mask[i] = generator.nextFloat() < keep ? 1 : 0 }
                for i in 0..<weight.count { weight[i] = mask[i] == 0 ? 0 : weight[i] / keep.squareRoot() }
                masks[name] = mask
            }
        }
        if !network.buffers.isEmpty {
            let calibration = randomTensor([4] + inputShape(model), seed: 12)
            for _ in 0..<20 { _ = network.forward(calibration, mode: .training) }
        }
        return (network, masks)
    }

    /// Rewind's logits for raw `input` (normalised first, as `rewind eval` does).
    static func rewindLogits(_ network: Network, raw input: Dataset) -> Tensor {
        Tensor(copying: network.forward(input.normalized(by: network.normalization).images, mode: .evaluation))
    }

    struct Logits: Decodable { let shape: [Int]; let logits: [Float] }

    func testEveryZooModelMatchesOnnxruntimeDenseAndPruned() throws {
        try PythonTool.require(["onnx", "onnxruntime", "numpy"])
        let folder = try PythonTool.temporaryFolder(for: self)
        var expected: [String: (label: String, logits: Tensor)] = [:]
        var arguments: [String] = []
        for model in ModelZoo.names {
            let shape = Self.inputShape(model)
            let images = randomTensor([3] + shape, seed: 11, scale: 0.5)
            for i in 0..<images.count { images[i] = abs(images[i]) }   // raw pixels in [0, 0.5]
            let raw = Dataset(images: images, labels: [0, 1, 2], classes: 10)
            let inputPath = folder.appendingPathComponent("\(model)-input.npy").path
            try NPYArray.encode(float32: images.values, shape: images.shape).write(to: URL(fileURLWithPath: inputPath))
            for pruned in [false, true] {
                let (network, masks) = try Self.fixture(model, pruned: pruned)
                let path = folder.appendingPathComponent("\(model)-\(pruned ? "pruned" : "dense").onnx").path
                try ONNXFile.write(try ONNXExporter.model(of: network, masks: masks, file: path), to: path)
                expected[path] = ("\(model) \(pruned ? "pruned" : "dense")", Self.rewindLogits(network, raw: raw))
                arguments += [path, inputPath]
            }
        }
        let results = try PythonTool.json([String: Logits].self, script: "run_onnxruntime.py", arguments)
        XCTAssertEqual(results.count, 2 * ModelZoo.names.count)
        for (path, (label, logits)) in expected.sorted(by: { $0.key < $1.key }) {
            guard let result = results[path] else { XCTFail("\(label): no result from onnxruntime"); continue }
            XCTAssertEqual(result.shape, [3, 10], label)
            let difference = maxAbsoluteDifference(logits.values, result.logits)
            let largest = logits.values.map(abs).max() ?? 0
            XCTAssertLessThanOrEqual(difference, 1e-4, "\(label): max |Rewind - onnxruntime| = \(difference), largest logit \(largest)")
            XCTAssertGreaterThan(largest, 0.01, "\(label): logits must not be near zero for the comparison to mean something")
            print("\(label): max |Rewind - onnxruntime| = \(difference), largest |logit| \(largest)")
        }
    }
}
