import Engine

/// Result of comparing a layer's analytic gradients with central finite differences.
public struct GradientCheckResult: CustomStringConvertible {
    /// Worst relative error over the input gradient and every parameter gradient.
    public var worstRelativeError: Double
    /// Which tensor and element it was.
    public var worstAt: String
    public var description: String { "worst relative error \(worstRelativeError) at \(worstAt)" }
}

/// Checks `layer.backward` against central differences of the scalar
/// `L(x) = sum_i r[i] * forward(x)[i]` for a fixed random `r`, so dL/dy = r.
///
/// Float32 forward passes are evaluated in `Double` for the sum; the step `h =
/// epsilon` is chosen for Float32 (1e-2 relative to unit-scale inputs).
///
/// The error per element is the part of the disagreement that Float32 rounding cannot
/// explain, relative to the gradient's size:
///
///     error = max(0, |analytic − numeric| − resolution) / max(1e-2, |analytic| + |numeric|)
///
/// `resolution` bounds the rounding error of the central difference itself. Each
/// output `y_i` carries a rounding error of a few units in the last place (`γ = 4u`,
/// `u = 2⁻²⁴`: the roundings along its path, amplified by any normalisation), so `L`
/// is known to `δ = γ · Σ_i |r_i · y_i|`, and `(L(x+h) − L(x−h)) / 2h` to `δ / h`.
/// Without it a check passes or fails with the BLAS kernel (AVX2 or AVX-512 sum in
/// different orders): a residual block with outputs near 6 has `δ / h` near 2e-2,
/// larger than its smallest true gradients. A wrong term still shows: its error is
/// the size of the gradient, far above the resolution.
/// For layers whose forward is random (Dropout) `prepare` reseeds before each call.
public func checkGradients(layer: Layer, input: Tensor, mode: ForwardMode = .training,
                           epsilon: Float = 1e-2, samples: Int = 60, seed: UInt64 = 1,
                           prepare: () -> Void = {}) -> GradientCheckResult {
    prepare()
    let output = layer.forward(input, mode: mode)
    let weights = randomTensor(output.shape, seed: seed + 100)
    var magnitude = 0.0
    for i in 0..<output.count { magnitude += abs(Double(output[i]) * Double(weights[i])) }
    let resolution = 4 * Double(Float.ulpOfOne / 2) * magnitude / Double(epsilon)
    func objective() -> Double {
        prepare()
        let y = layer.forward(input, mode: mode)
        var sum = 0.0
        for i in 0..<y.count { sum += Double(y[i]) * Double(weights[i]) }
        return sum
    }
    for p in layer.parameters { p.gradient.fill(0) }
    prepare()
    _ = layer.forward(input, mode: mode)
    let inputGradient = Tensor(copying: layer.backward(weights))
    var worst = 0.0, worstAt = "nothing checked"
    var generator = SeededGenerator(seed: seed, concern: .benchmark)
    func probe(_ tensor: Tensor, analytic: Tensor, label: String) {
        let indices = tensor.count <= samples ? Array(0..<tensor.count)
            : (0..<samples).map { _ in generator.nextInt(below: tensor.count) }
        for i in indices {
            let saved = tensor[i]
            tensor[i] = saved + epsilon
            let plus = objective()
            tensor[i] = saved - epsilon
            let minus = objective()
            tensor[i] = saved
            let numeric = (plus - minus) / (2 * Double(epsilon))
            let a = Double(analytic[i])
            let error = max(0, abs(a - numeric) - resolution) / max(1e-2, abs(a) + abs(numeric))
            if error > worst { worst = error; worstAt = "\(label)[\(i)] analytic \(a) numeric \(numeric)" }
        }
    }
    if layer.computesInputGradient { probe(input, analytic: inputGradient, label: "input") }
    for p in layer.parameters {
        let analytic = Tensor(copying: p.gradient)
        probe(p.value, analytic: analytic, label: p.name)
    }
    return GradientCheckResult(worstRelativeError: worst, worstAt: worstAt)
}
