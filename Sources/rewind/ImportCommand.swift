import ArgumentParser
import Checkpoint
import Engine
import Foundation
import ONNX

/// `rewind import model.onnx --out model.h5`: an ONNX model (e.g. from
/// `torch.onnx.export`) as a Rewind checkpoint whose architecture is the ONNX graph,
/// so eval, prune, inspect and export work on it like on a zoo model.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn an ONNX model (MLP or CNN) into a Rewind checkpoint.",
        discussion: """
        Supported operators: \(ONNXImporter.supportedOperators.joined(separator: ", ")) (see docs/onnx.md).
        Parameter names are the ONNX initializers' (torch.onnx.export keeps fc1.weight, layer1.0.conv1.weight), so the
        checkpoint maps 1:1 to the model's state_dict. Rewind feeds images scaled to [0, 1]; give the normalisation the
        model was trained with (e.g. transforms.Normalize((0.286,), (0.353,)) is --normalization 0.286,0.353).
        """)

    @Argument(help: "The ONNX model.") var file: String
    @Option(help: "Where to write the checkpoint.") var out: String
    @Option(help: "Input normalisation the model expects, mean,std (one pair for every channel, or mean1/mean2/...,std1/std2/...).")
    var normalization: String?
    @Option(help: "One example's shape C,H,W when the model's input is [N, features] (default: a square image, 784 -> 1,28,28).")
    var inputShape: String?

    func run() throws {
        let imported = try ONNXImporter.read(file, inputShape: try parsedInputShape(), normalization: try parsedNormalization())
        let contents = CheckpointContents(architecture: imported.architecture, normalization: imported.normalization,
                                          parameters: imported.parameters, masks: imported.masks, buffers: imported.buffers,
                                          attributes: ["source": "onnx", "onnx_file": URL(fileURLWithPath: file).lastPathComponent])
        _ = try contents.makeNetwork()
        try CheckpointFile.write(contents, to: out, format: .dense)
        for (onnx, rewind) in imported.renamed.sorted(by: { $0.key < $1.key }) {
            print("note: ONNX tensor '\(onnx)' is parameter '\(rewind)'", to: &standardError)
        }
        let count = imported.parameters.values.reduce(0) { $0 + $1.count }
        let graph = imported.architecture.graph?.nodes ?? []
        let masked = imported.masks.isEmpty ? "" : ", \(imported.masks.count) masks"
        print("wrote \(out): \(graph.count) nodes (\(Set(graph.map(\.op.rawValue)).sorted().joined(separator: ", "))), "
              + "\(count) parameters\(masked), input \(imported.architecture.inputShape), \(imported.architecture.classes) classes")
    }

    func parsedInputShape() throws -> [Int]? {
        guard let inputShape else { return nil }
        let parts = inputShape.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let dims = parts as? [Int], dims.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--input-shape: expected C,H,W (three positive integers), got '\(inputShape)'")
        }
        return dims
    }

    func parsedNormalization() throws -> Normalization? {
        guard let normalization else { return nil }
        let parts = normalization.split(separator: ",")
        let lists = parts.map { $0.split(separator: "/").map { Float($0.trimmingCharacters(in: .whitespaces)) } }
        guard lists.count == 2, let mean = lists[0] as? [Float], let std = lists[1] as? [Float], mean.count == std.count,
              std.allSatisfy({ $0 > 0 }), (mean + std).allSatisfy({ $0.isFinite }) else {
            throw ValidationError("--normalization: expected mean,std with std > 0 (per channel: m1/m2/m3,s1/s2/s3), got '\(normalization)'")
        }
        return Normalization(mean: mean, std: std)
    }
}
