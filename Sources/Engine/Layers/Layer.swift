/// Whether a forward pass is for training (dropout active, batch statistics) or
/// for evaluation (dropout off, running statistics).
public enum ForwardMode: Sendable {
    case training, evaluation
}

/// A differentiable layer: a forward/backward pair over batches.
///
/// Contract, as in llm.c:
/// - `forward` caches what `backward` needs and returns a tensor the layer owns and
///   reuses on the next call (copy it if it must outlive the step);
/// - `backward` takes dLoss/dOutput for the last forward, *adds* into its
///   parameters' gradients (`+=`), and returns dLoss/dInput (a tensor it owns), or
///   an empty tensor when `computesInputGradient` is false (the first layer of a
///   network needs no input gradient, which saves a third of its backward work).
/// - The first dimension of every input is the batch.
public protocol Layer: AnyObject {
    /// Trainable parameters, in a fixed order.
    var parameters: [Parameter] { get }
    /// Non-trainable state saved with the model (BatchNorm statistics).
    var buffers: [NamedBuffer] { get }
    /// Whether `backward` must return dLoss/dInput.
    var computesInputGradient: Bool { get set }
    /// The shape of one example's output for one example's input shape (no batch
    /// dimension), or a `LayerShapeError` saying why the layer cannot take `shape`.
    /// `Network.init` calls it on every layer once, so a network never meets a shape
    /// its layers would trap on.
    func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int]
    func forward(_ input: Tensor, mode: ForwardMode) -> Tensor
    func backward(_ outputGradient: Tensor) -> Tensor
    /// Adopts `configuration` (threads, thresholds, kernel build) for every following
    /// call. Layers start with `ComputeConfiguration.default`; `Network.configuration`
    /// calls this on each of its layers, composite layers pass it to their parts, and
    /// layers without tunables ignore it.
    func configure(_ configuration: ComputeConfiguration)
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [NamedBuffer] { [] }
    public func configure(_ configuration: ComputeConfiguration) {}
}

/// Why a layer cannot take an input shape ("expects [6, H, W], got [3, 28, 28]");
/// `Network` prefixes the layer's name.
public struct LayerShapeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
