import Engine
import Foundation

/// `rewind bench --sparse --crossover`: the density below which each Conv2D layer of
/// the models runs faster through `SparseConvolution` than through `Conv2D.forward`
/// (`SparseCrossover.measureConvolution`), at batch 1, 16 and 256 — the figures
/// behind `SparseCrossover.measuredConvolutionDefaults`. Run it on a release build.
enum SparseCrossoverBench {
    static let batches = [1, 16, 256]

    struct Line: Encodable {
        let model: String, layer: String, shape: [Int], input: [Int], batch: Int, crossover: Double
    }

    static func run(models: [String], configuration: ComputeConfiguration, json: Bool) throws {
        var smallest: [Int: Double] = [:]
        for model in models {
            let network = try ModelZoo.build(Architecture(model: model))
            for (layer, shape) in SparseConvolutionProfile.convolutions(of: network) {
                for batch in batches {
                    let density = SparseCrossover.measureConvolution(
                        inChannels: layer.inChannels, outChannels: layer.outChannels, kernelSize: layer.kernelSize,
                        stride: layer.stride, padding: layer.padding, height: shape[1], width: shape[2], batch: batch,
                        repeats: batch >= 256 ? 3 : 5, configuration: configuration)
                    smallest[batch] = min(smallest[batch] ?? 1, density)
                    let line = Line(model: model, layer: String(layer.weight.name.dropLast(".weight".count)),
                                    shape: layer.weight.value.shape, input: shape, batch: batch, crossover: density)
                    if json {
                        printJSONLine(line)
                    } else {
                        print(column(model, 14) + " " + column(line.layer, 6) + " " + column(line.shape.description, 16) + " on "
                              + column(shape.map(String.init).joined(separator: "x"), 9)
                              + String(format: " batch %4d: crossover density %.3f", batch, density))
                    }
                }
            }
        }
        if !json {
            for batch in batches { print(String(format: "smallest over the shapes, batch %4d: %.3f", batch, smallest[batch] ?? 1)) }
        }
    }
}
