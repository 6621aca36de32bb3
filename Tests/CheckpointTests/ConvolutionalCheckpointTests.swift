@testable import Checkpoint
import Engine
import TestSupport
import XCTest

/// Convolutional models through a checkpoint: 4-D weights in PyTorch layout, dense and
/// as CSR `[out, in·kh·kw]`, masks over them, and BatchNorm's running statistics.
final class ConvolutionalCheckpointTests: XCTestCase {
    /// A ResNet-20 (small input, so the test is quick) with non-default running
    /// statistics and a third of every prunable weight masked out.
    private func prunedResNet() throws -> (Network, [String: Tensor]) {
        let network = try ModelZoo.build(Architecture(model: "resnet-20", inputShape: [3, 8, 8]))
        network.initialize(seed: 3)
        for (index, buffer) in network.buffers.enumerated() {
            let values = randomTensor(buffer.value.shape, seed: 100 + UInt64(index), scale: 0.5)
            // running_var must stay positive; running_mean may be anything
            if buffer.name.hasSuffix("running_var") { for i in 0..<values.count { values[i] = abs(values[i]) + 0.5 } }
            buffer.value.copy(from: values)
        }
        var masks: [String: Tensor] = [:]
        for name in network.prunableParameterNames {
            let weight = network.parameter(named: name)!.value
            let mask = Tensor(shape: weight.shape)
            for i in 0..<weight.count {
                mask[i] = i % 3 == 0 ? 0 : 1
                weight[i] *= mask[i]
            }
            masks[name] = mask
        }
        return (network, masks)
    }

    func testResNetRoundTripKeepsConvWeightsMasksAndBatchNormBuffers() throws {
        let (network, masks) = try prunedResNet()
        XCTAssertTrue(network.prunableParameterNames.contains("layer2.0.shortcut.0.weight"), "the 1x1 shortcut is prunable")
        XCTAssertEqual(network.buffers.count, 2 * 21, "19 convolutions' and 2 shortcuts' BatchNorms keep mean and variance")
        let input = randomTensor([2, 3, 8, 8], seed: 7)
        let expected = network.forward(input, mode: .evaluation).values
        let directory = TemporaryDirectory()
        for format in [CheckpointFormat.dense, .sparse] {
            let path = directory.file("resnet-\(format).h5")
            try CheckpointFile.write(CheckpointContents(network: network, masks: masks), to: path, format: format)
            let read = try CheckpointFile.read(path)
            XCTAssertEqual(Set(read.masks.keys), Set(masks.keys))
            for (name, mask) in masks { XCTAssertEqual(read.masks[name]?.values, mask.values, "\(format): mask \(name)") }
            let restored = try ModelZoo.build(read.architecture)
            restored.initialize(seed: 9)
            try read.restore(into: restored, optimizer: nil)
            for (saved, loaded) in zip(network.parameters, restored.parameters) {
                XCTAssertEqual(saved.name, loaded.name)
                XCTAssertEqual(loaded.value.shape, saved.value.shape, "\(format): \(saved.name) keeps its PyTorch shape")
                XCTAssertEqual(loaded.value.values, saved.value.values, "\(format): \(saved.name)")
            }
            for (saved, loaded) in zip(network.buffers, restored.buffers) {
                XCTAssertEqual(loaded.value.values, saved.value.values, "\(format): \(saved.name)")
            }
            XCTAssertEqual(restored.forward(input, mode: .evaluation).values, expected, "\(format): same logits")
        }
    }
}
