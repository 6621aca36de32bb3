/// Global-norm gradient clipping (Pascanu et al. 2013), as `torch.nn.utils.clip_grad_norm_`:
///
///     n = sqrt(sum over all parameters of |∇p|²)
///     if n > maxNorm:  ∇p ← ∇p · maxNorm / (n + 1e-6)
///
/// Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters { total += p.gradient.sumOfSquares() }
    let norm = Float(total.squareRoot())
    if norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for p in parameters {
            let g = p.gradient.pointer
            for i in 0..<p.gradient.count { g[i] *= scale }
        }
    }
    return norm
}
