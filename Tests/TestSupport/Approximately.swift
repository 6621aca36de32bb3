import Engine

/// `|a - b| <= absolute + relative * max(|a|, |b|)`, the test suite's approx-equal.
public func isApproximatelyEqual(_ a: Double, _ b: Double, absolute: Double = 1e-6, relative: Double = 1e-4) -> Bool {
    abs(a - b) <= absolute + relative * max(abs(a), abs(b))
}

/// The largest `|a[i] - b[i]|` over two equal-length sequences.
public func maxAbsoluteDifference<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Float
where A.Element == Float, B.Element == Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// A tensor of `shape` with N(0, scale²) values from `seed`.
public func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var generator = SeededGenerator(seed: seed, concern: .benchmark, stream: 77)
    let t = Tensor(shape: shape)
    for i in 0..<t.count { t[i] = scale * generator.nextNormal() }
    return t
}
