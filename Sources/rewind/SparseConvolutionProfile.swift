import Engine
import Foundation

/// Where a pruned convolution's time goes on the sparse path, for `rewind bench
/// --sparse`: each Conv2D layer of a network, at its input shape, timed on one
/// thread (`GemmThreads.maximum` and `SparseThreads.maximum` set to 1, so no
/// worker split hides a share):
///
///     dense  = Conv2D.forward(_, mode: .evaluation)        (im2col + sgemm)
///     sparse = SparseConvolution.forward                   (im2col + sparseGemm + regrouping)
///     im2col = ConvolutionGeometry.im2col over the batch, in the groups both paths lower
///
/// and `sparse - im2col` is the sparse product (with the `[O, G, P]` to `[G, O, P]`
/// copy of grouped images).
enum SparseConvolutionProfile {
    struct Line: CustomStringConvertible {
        let layer: String, shape: [Int], inputShape: [Int], batch: Int
        let denseSeconds: Double, sparseSeconds: Double, im2colSeconds: Double, density: Double

        var description: String {
            let product = max(sparseSeconds - im2colSeconds, 0)
            return String(format: "batch %d, one thread, %@ %@ (density %.3f) on %@: dense %.3f ms, sparse %.3f ms = im2col %.3f ms (%.0f%%) + sparse product %.3f ms (%.0f%%)",
                          batch, layer, shape.description, density, inputShape.map(String.init).joined(separator: "x"),
                          denseSeconds * 1e3, sparseSeconds * 1e3, im2colSeconds * 1e3, 100 * im2colSeconds / sparseSeconds,
                          product * 1e3, 100 * product / sparseSeconds)
        }
    }

    /// Every Conv2D among `network`'s layers with the input shape (one example) it sees.
    static func convolutions(of network: Network) -> [(layer: Conv2D, inputShape: [Int])] {
        var shape = network.architecture.inputShape
        var found: [(layer: Conv2D, inputShape: [Int])] = []
        for layer in network.layers {
            if let convolution = layer as? Conv2D { found.append((convolution, shape)) }
            shape = layer.outputShape(forInputShape: shape)
        }
        return found
    }

    /// One line per Conv2D of `network` at `batch`, its weights stored as `masks` says.
    static func measure(network: Network, masks: [String: Tensor], batch: Int) -> [Line] {
        let savedGemm = GemmThreads.maximum, savedSparse = SparseThreads.maximum
        GemmThreads.maximum = 1
        SparseThreads.maximum = 1
        defer {
            GemmThreads.maximum = savedGemm
            SparseThreads.maximum = savedSparse
        }
        let repeats = batch > 16 ? 2 : 5
        return convolutions(of: network).map { layer, shape in
            let x = Tensor(shape: [batch] + shape, repeating: 0.5)
            for i in 0..<x.count { x[i] = Float(i % 7) - 3 }
            let sparse = SparseConvolution(layer: layer, mask: masks[layer.weight.name])
            let g = ConvolutionGeometry(channels: layer.inChannels, height: shape[1], width: shape[2],
                                        kernelHeight: layer.kernelSize, kernelWidth: layer.kernelSize,
                                        stride: layer.stride, padding: layer.padding)
            let group = max(1, min(batch, Conv2D.columnBudget / max(g.patchSize * g.outputPlane, 1)))
            let columns = Tensor(shape: [g.patchSize, group * g.outputPlane])
            let dense = bestSecondsPerCall(repeats: repeats, minimumSeconds: 0.02) { _ = layer.forward(x, mode: .evaluation) }
            let sparseTime = bestSecondsPerCall(repeats: repeats, minimumSeconds: 0.02) { _ = sparse.forward(x) }
            let lowering = bestSecondsPerCall(repeats: repeats, minimumSeconds: 0.02) {
                for start in stride(from: 0, to: batch, by: group) {
                    g.im2col(x.pointer + start * g.inputSize, images: min(group, batch - start), into: columns.pointer)
                }
            }
            return Line(layer: String(layer.weight.name.dropLast(".weight".count)), shape: layer.weight.value.shape,
                        inputShape: shape, batch: batch, denseSeconds: dense, sparseSeconds: sparseTime,
                        im2colSeconds: lowering, density: sparse.density)
        }
    }
}
