import Engine
import Foundation

/// Where a pruned convolution's time goes on the sparse path, for `rewind bench
/// --sparse`: each Conv2D layer of a network, at its input shape, timed on one
/// thread (`ComputeConfiguration.singleThreaded`, so no worker split hides a share):
///
///     dense   = Conv2D.forward(_, mode: .evaluation)                  (im2col + sgemm)
///     im2col  = SparseConvolution.forward, lowering .columns          (im2col + sparseGemm + regrouping)
///     lowered = ConvolutionGeometry.im2col over the batch, in the groups both paths lower
///     shifted = SparseConvolution.forward, lowering .shiftedWindows   (padding copy + sparseGemm + output copy)
///
/// so `im2col - lowered` is the sparse product (with the `[O, G, P]` to `[G, O, P]`
/// copy of grouped images), and `shifted` (stride 1 only) is what the default
/// lowering costs without im2col.
enum SparseConvolutionProfile {
    struct Line: CustomStringConvertible {
        let layer: String, shape: [Int], inputShape: [Int], batch: Int, density: Double
        let denseSeconds: Double, columnsSeconds: Double, im2colSeconds: Double, shiftedSeconds: Double?

        var description: String {
            let product = max(columnsSeconds - im2colSeconds, 0)
            var text = String(format: "batch %d, one thread, %@ %@ (density %.3f) on %@: dense %.3f ms; sparse by im2col %.3f ms = im2col %.3f ms (%.0f%%) + sparse product %.3f ms (%.0f%%)",
                              batch, layer, shape.description, density, inputShape.map(String.init).joined(separator: "x"),
                              denseSeconds * 1e3, columnsSeconds * 1e3, im2colSeconds * 1e3, 100 * im2colSeconds / columnsSeconds,
                              product * 1e3, 100 * product / columnsSeconds)
            if let shiftedSeconds {
                text += String(format: "; sparse by shifted windows %.3f ms (%.2fx dense)", shiftedSeconds * 1e3, denseSeconds / shiftedSeconds)
            }
            return text
        }
    }

    /// Every Conv2D among `network`'s layers with the input shape (one example) it sees.
    static func convolutions(of network: Network) -> [(layer: Conv2D, inputShape: [Int])] {
        zip(network.layers, network.exampleShapes).compactMap { layer, shape in
            (layer as? Conv2D).map { ($0, shape) }
        }
    }

    /// One line per Conv2D of `network` at `batch`, its weights stored as `masks` says.
    static func measure(network: Network, masks: [String: Tensor], batch: Int) -> [Line] {
        let configuration = network.configuration.singleThreaded
        let restored = network.configuration
        network.configuration = configuration
        defer { network.configuration = restored }
        let repeats = batch > 16 ? 2 : 5
        return convolutions(of: network).map { layer, shape in
            let x = Tensor(shape: [batch] + shape, repeating: 0.5)
            for i in 0..<x.count { x[i] = Float(i % 7) - 3 }
            let mask = masks[layer.weight.name]
            let byColumns = SparseConvolution(layer: layer, mask: mask, lowering: .columns,
                                              configuration: configuration)
            let byWindows = layer.stride == 1 ? SparseConvolution(layer: layer, mask: mask, lowering: .shiftedWindows,
                                                                                    configuration: configuration) : nil
            let g = ConvolutionGeometry(channels: layer.inChannels, height: shape[1], width: shape[2],
                                        kernelHeight: layer.kernelSize, kernelWidth: layer.kernelSize,
                                        stride: layer.stride, padding: layer.padding)
            let group = max(1, min(batch, configuration.convolutionColumnBudget / max(g.patchSize * g.outputPlane, 1)))
            let columns = Tensor(shape: [g.patchSize, group * g.outputPlane])
            func time(_ body: () -> Void) -> Double { bestSecondsPerCall(repeats: repeats, minimumSeconds: 0.02, body) }
            let dense = time { _ = layer.forward(x, mode: .evaluation) }
            let columnsTime = time { _ = byColumns.forward(x) }
            let lowering = time {
                for start in stride(from: 0, to: batch, by: group) {
                    g.im2col(x.pointer + start * g.inputSize, images: min(group, batch - start), into: columns.pointer)
                }
            }
            let shifted = byWindows.map { windows in time { _ = windows.forward(x) } }
            return Line(layer: String(layer.weight.name.dropLast(".weight".count)), shape: layer.weight.value.shape,
                        inputShape: shape, batch: batch, density: byColumns.density, denseSeconds: dense,
                        columnsSeconds: columnsTime, im2colSeconds: lowering, shiftedSeconds: shifted)
        }
    }
}
