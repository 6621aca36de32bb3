import ArgumentParser
import Checkpoint
import Engine
import Foundation
import ONNX

/// `rewind export --from FILE --sparse --out OUT`: rewrites a checkpoint, with every
/// masked weight in CSR form (`--sparse`) so the file shrinks with density.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint in sparse (CSR) or dense form, e.g. for deployment or for SciPy/PyTorch users.")

    @Option(help: "The checkpoint to export.") var from: String
    @Option(help: "Where to write the export.") var out: String
    @Flag(help: "Store masked weights as CSR (data, indices, indptr), compressed.") var sparse = false
    @Flag(help: "Leave out optimizer state (smaller; the export cannot resume training).") var dropOptimizer = false
    @Flag(help: "Write an ONNX model (opset 17) instead of a checkpoint; masks are kept as side tensors (docs/onnx.md).")
    var onnx = false

    func validate() throws {
        try OutputLocation.checkFile(out, option: "--out")
    }

    func run() throws {
        var contents = try UntrustedCheckpoint.read(from)
        if onnx {
            try ONNXExporter.write(contents, to: out)
            let sparsity = contents.masks.isEmpty ? "dense" : String(format: "%.2f%% of masked weights pruned",
                100 * (1 - Double(contents.masks.values.reduce(0) { $0 + $1.nonZeroCount }) / Double(contents.masks.values.reduce(0) { $0 + $1.count })))
            return print("wrote \(out): ONNX opset \(ONNXExporter.opsetVersion), input [N, \(contents.architecture.inputShape.map(String.init).joined(separator: ", "))] in [0, 1], output logits; \(sparsity)")
        }
        if dropOptimizer { contents.optimizer = nil }
        if sparse && contents.masks.isEmpty {
            print("note: \(from) has no masks, so nothing is stored as CSR (prune it first)", to: &standardError)
        }
        try CheckpointFile.write(contents, to: out, format: sparse ? .sparse : .dense)
        let before = try FileManager.default.attributesOfItem(atPath: from)[.size] as? Int ?? 0
        let after = try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int ?? 0
        print(String(format: "wrote %@: %d bytes (%.1f%% of %@'s %d bytes)", out, after, 100 * Double(after) / Double(max(before, 1)), from, before))
    }
}
