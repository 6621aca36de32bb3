import Checkpoint
import Engine
import Foundation
import ONNX
import TestSupport
import XCTest

/// Without Python: a zoo model exported to ONNX and imported back is a graph network
/// with the same names, values, masks, logits and (through `GraphLayer`'s backward
/// for the ResNets' joins) the same gradients.
final class GraphRoundTripTests: XCTestCase {
    func roundTrip(_ model: String, pruned: Bool) throws -> (zoo: Network, masks: [String: Tensor], imported: ONNXImport) {
        let (network, masks) = try ZooExportTests.fixture(model, pruned: pruned)
        let path = try PythonTool.temporaryFolder(for: self).appendingPathComponent("\(model).onnx").path
        try ONNXFile.write(try ONNXExporter.model(of: network, masks: masks, file: path), to: path)
        return (network, masks, try ONNXImporter.read(path))
    }

    func testImportedExportRestoresNamesValuesMasksAndNormalisation() throws {
        for model in ["lenet-300-100", "resnet-20"] {
            let (zoo, masks, imported) = try roundTrip(model, pruned: true)
            XCTAssertEqual(imported.architecture.model, GraphSpec.modelName)
            XCTAssertEqual(imported.architecture.inputShape, zoo.architecture.inputShape)
            XCTAssertEqual(imported.normalization, zoo.normalization)
            XCTAssertEqual(Set(imported.parameters.keys), Set(zoo.parameters.map(\.name)), model)
            XCTAssertEqual(Set(imported.buffers.keys), Set(zoo.buffers.map(\.name)), model)
            for parameter in zoo.parameters { XCTAssertEqual(imported.parameters[parameter.name]?.values, parameter.value.values, parameter.name) }
            XCTAssertEqual(Set(imported.masks.keys), Set(masks.keys))
            for (name, mask) in masks { XCTAssertEqual(imported.masks[name]?.values, mask.values, name) }
            XCTAssertTrue(imported.renamed.isEmpty, "\(imported.renamed)")
        }
    }

    func testImportedResNetGivesTheZooLogitsAndGradients() throws {
        let (zoo, _, imported) = try roundTrip("resnet-20", pruned: false)
        let contents = CheckpointContents(architecture: imported.architecture, normalization: imported.normalization,
                                          parameters: imported.parameters, buffers: imported.buffers)
        let graph = try contents.makeNetwork()
        XCTAssertEqual(graph.layers.count, 1, "a graph with joins runs as one GraphLayer")
        XCTAssertEqual(graph.prunableParameterNames.sorted(), zoo.prunableParameterNames.sorted())
        let input = randomTensor([2, 3, 8, 8], seed: 5)
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(zoo.forward(input, mode: .evaluation).values,
                                                       graph.forward(input, mode: .evaluation).values), 1e-5)
        // Training-mode forward and backward of the same loss gradient: every parameter gradient agrees.
        let upstream = randomTensor([2, 10], seed: 6)
        for network in [zoo, graph] {
            network.zeroGradients()
            _ = network.forward(input, mode: .training)
            network.backward(upstream)
        }
        for parameter in zoo.parameters {
            let other = graph.parameter(named: parameter.name)!.gradient
            XCTAssertGreaterThan(parameter.gradient.sumOfSquares(), 0, parameter.name)
            XCTAssertLessThanOrEqual(maxAbsoluteDifference(parameter.gradient.values, other.values), 1e-4, parameter.name)
        }
    }

    func testCheckpointOfAnImportRebuildsTheGraph() throws {
        let (_, masks, imported) = try roundTrip("lenet-5", pruned: true)
        let file = try PythonTool.temporaryFolder(for: self).appendingPathComponent("imported.h5").path
        let contents = CheckpointContents(architecture: imported.architecture, normalization: imported.normalization,
                                          parameters: imported.parameters, masks: imported.masks, buffers: imported.buffers)
        try CheckpointFile.write(contents, to: file, format: .dense)
        let read = try CheckpointFile.read(file)
        XCTAssertEqual(read.architecture, imported.architecture)
        XCTAssertEqual(Set(read.masks.keys), Set(masks.keys))
        let network = try read.makeNetwork()
        XCTAssertEqual(network.parameterCount, 61_706)
    }
}
