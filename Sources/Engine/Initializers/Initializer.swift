/// How a parameter's initial values are drawn.
///
/// Fans follow PyTorch: for a weight `[out, in, k1, k2, ...]`,
/// `fanIn = in * k1 * k2 * ...` and `fanOut = out * k1 * k2 * ...`.
public enum Initializer: Equatable, Sendable {
    /// N(0, 2 / fanIn) — He et al. 2015, for ReLU networks.
    case kaimingNormal
    /// U(-b, b), b = sqrt(6 / fanIn) — He et al. 2015.
    case kaimingUniform
    /// N(0, 2 / (fanIn + fanOut)) — Glorot & Bengio 2010.
    case glorotNormal
    /// U(-b, b), b = sqrt(6 / (fanIn + fanOut)) — Glorot & Bengio 2010.
    case glorotUniform
    /// N(0, sigma²).
    case normal(sigma: Float)
    /// U(-a, a).
    case uniform(bound: Float)
    /// A constant value (zeros for biases, ones for normalisation scales).
    case constant(Float)

    public static let zeros = Initializer.constant(0)
    public static let ones = Initializer.constant(1)

    /// `(fanIn, fanOut)` of a tensor shape, as PyTorch computes them.
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else { return (shape.first ?? 1, shape.first ?? 1) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// Fills `tensor` with draws from this distribution, in element order.
    public func fill(_ tensor: Tensor, using generator: inout SeededGenerator) {
        let (fanIn, fanOut) = Initializer.fans(of: tensor.shape)
        switch self {
        case .kaimingNormal:
            fillNormal(tensor, sigma: (2 / Float(fanIn)).squareRoot(), &generator)
        case .kaimingUniform:
            fillUniform(tensor, bound: (6 / Float(fanIn)).squareRoot(), &generator)
        case .glorotNormal:
            fillNormal(tensor, sigma: (2 / Float(fanIn + fanOut)).squareRoot(), &generator)
        case .glorotUniform:
            fillUniform(tensor, bound: (6 / Float(fanIn + fanOut)).squareRoot(), &generator)
        case .normal(let sigma):
            fillNormal(tensor, sigma: sigma, &generator)
        case .uniform(let bound):
            fillUniform(tensor, bound: bound, &generator)
        case .constant(let value):
            tensor.fill(value)
        }
    }

    private func fillNormal(_ tensor: Tensor, sigma: Float, _ generator: inout SeededGenerator) {
        for i in 0..<tensor.count { tensor[i] = sigma * generator.nextNormal() }
    }

    private func fillUniform(_ tensor: Tensor, bound: Float, _ generator: inout SeededGenerator) {
        for i in 0..<tensor.count { tensor[i] = bound * (2 * generator.nextFloat() - 1) }
    }
}
