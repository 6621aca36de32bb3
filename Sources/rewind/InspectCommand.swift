import ArgumentParser
import Checkpoint
import Engine
import Foundation

/// `rewind inspect FILE`: what a checkpoint holds: architecture, every tensor's
/// shape, non-zeros and sparsity, metadata and metrics.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a checkpoint's architecture, tensors, sparsity and metadata.")

    @Argument(help: "The checkpoint.") var file: String
    @Flag(help: "Print one JSON object.") var json = false

    struct TensorInfo: Encodable {
        let name: String, kind: String, shape: [Int], dtype: String, count: Int, nonzeros: Int, sparsity: Double, masked: Bool
        let bytes_on_disk: Int?
    }
    struct Summary: Encodable {
        let file: String, format: String, version: Int, bytes: Int, architecture: Architecture, normalization: Normalization
        let step: Int, epoch: Int, seed: UInt64, metrics: [String: Double], attributes: [String: String]
        let optimizer: String?, schedule: LearningRateSchedule?, has_recipe: Bool, sparsity: Double, tensors: [TensorInfo]
    }

    func run() throws {
        let contents = try UntrustedCheckpoint.read(file)
        let bytes = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let storage = try CheckpointFile.storageBytes(file)
        var tensors: [TensorInfo] = []
        let order = (try? ModelZoo.build(contents.architecture))?.parameters.map(\.name) ?? contents.parameters.keys.sorted()
        for name in order {
            guard let value = contents.parameters[name] else { continue }
            let masked = contents.masks[name] != nil
            let zeros = value.count - value.nonZeroCount
            let pruned = contents.masks[name].map { $0.count - $0.nonZeroCount } ?? zeros
            tensors.append(TensorInfo(name: name, kind: "parameter", shape: value.shape, dtype: "float32", count: value.count,
                                      nonzeros: value.nonZeroCount, sparsity: Double(pruned) / Double(max(value.count, 1)), masked: masked,
                                      bytes_on_disk: storage["/params/\(name)"]))
        }
        for (name, value) in contents.buffers.sorted(by: { $0.key < $1.key }) {
            tensors.append(TensorInfo(name: name, kind: "buffer", shape: value.shape, dtype: "float32", count: value.count,
                                      nonzeros: value.nonZeroCount, sparsity: 0, masked: false, bytes_on_disk: nil))
        }
        let maskTotal = contents.masks.values.reduce(0) { $0 + $1.count }
        let maskKept = contents.masks.values.reduce(0) { $0 + $1.nonZeroCount }
        let sparsity = maskTotal == 0 ? 0 : 1 - Double(maskKept) / Double(maskTotal)
        let optimizer = contents.optimizer.map { "\($0.kind), \($0.stepCount) steps" }
        let summary = Summary(file: file, format: "rewind.checkpoint", version: CheckpointFile.schemaVersion, bytes: bytes,
                              architecture: contents.architecture, normalization: contents.normalization, step: contents.step,
                              epoch: contents.epoch, seed: contents.seed, metrics: contents.metrics, attributes: contents.attributes,
                              optimizer: optimizer, schedule: contents.schedule, has_recipe: contents.recipe != nil,
                              sparsity: sparsity, tensors: tensors)
        if json { return printJSONLine(summary) }
        print("\(file): rewind.checkpoint v\(CheckpointFile.schemaVersion), \(bytes) bytes")
        print("model: \(contents.architecture.model), input \(contents.architecture.inputShape), \(contents.architecture.classes) classes")
        print("epoch \(contents.epoch), step \(contents.step), seed \(contents.seed); optimizer: \(optimizer ?? "none")")
        if !contents.attributes.isEmpty {
            print("attributes: " + contents.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        if !contents.metrics.isEmpty {
            print("metrics: " + contents.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.6g", $0.value))" }.joined(separator: ", "))
        }
        print(String(format: "overall sparsity of masked weights: %.2f%%", sparsity * 100))
        print("name                             shape              non-zeros    sparsity  bytes on disk  masked")
        for t in tensors {
            let bytes = t.bytes_on_disk.map(String.init) ?? "-"
            print(column(t.name, 32) + " " + column("\(t.shape)", 18)
                  + String(format: " %9d   %7.2f%%  ", t.nonzeros, t.sparsity * 100)
                  + String(repeating: " ", count: max(0, 13 - bytes.count)) + bytes
                  + "  " + (t.masked ? "yes" : (t.kind == "buffer" ? "buffer" : "no")))
        }
    }
}
