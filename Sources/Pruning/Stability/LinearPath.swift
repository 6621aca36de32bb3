import Engine

/// The straight line between two networks of one architecture (Frankle, Dziugaite,
/// Roy & Carbin 2020, "Linear Mode Connectivity and the Lottery Ticket Hypothesis"):
///
///     θ(α) = (1 − α) θ_a + α θ_b,   α ∈ [0, 1]
///
/// over every trainable parameter. BatchNorm running statistics are not
/// interpolated but recomputed at each point (`BatchNormRecomputation`), unless
/// `recomputeBatchNorm` is false, in which case they are interpolated like the
/// parameters (only to show what goes wrong without recomputation).
public struct LinearPath {
    public let start: Network
    public let end: Network
    /// The network holding the current point (a third copy of the architecture).
    public let point: Network
    public var recomputeBatchNorm = true

    /// `start` and `end` must be built from the same architecture.
    public init(start: Network, end: Network, point: Network) {
        precondition(start.parameters.map(\.name) == end.parameters.map(\.name)
                     && start.parameters.map(\.name) == point.parameters.map(\.name), "LinearPath: different architectures")
        self.start = start
        self.end = end
        self.point = point
    }

    /// The `count` evenly spaced α: 0, 1/(count − 1), …, 1 (count ≥ 2).
    public static func alphas(_ count: Int) -> [Double] {
        precondition(count >= 2, "a path needs both endpoints")
        return (0..<count).map { Double($0) / Double(count - 1) }
    }

    /// Sets `point` to θ(α); with `recomputeBatchNorm`, then recomputes its BN
    /// statistics on `training` in batches of `batchSize`.
    public func move(to alpha: Double, training: Dataset, batchSize: Int) {
        let a = Float(1 - alpha), b = Float(alpha)
        let pairs = zip(zip(start.parameters.map(\.value), end.parameters.map(\.value)), point.parameters.map(\.value)).map { ($0.0, $0.1, $1) }
            + zip(zip(start.buffers.map(\.value), end.buffers.map(\.value)), point.buffers.map(\.value)).map { ($0.0, $0.1, $1) }
        for (x, y, z) in pairs {
            for i in 0..<z.count { z[i] = a * x[i] + b * y[i] }
        }
        point.normalization = start.normalization
        if recomputeBatchNorm { BatchNormRecomputation.recompute(point, on: training, batchSize: batchSize) }
    }

    /// Test and training error (1 − accuracy) at each of `alphas`.
    public func errors(at alphas: [Double], data: DatasetPair, batchSize: Int) -> (test: [Double], train: [Double]) {
        var test: [Double] = [], train: [Double] = []
        for alpha in alphas {
            move(to: alpha, training: data.train, batchSize: batchSize)
            test.append(1 - evaluate(point, on: data.test).accuracy)
            train.append(1 - evaluate(point, on: data.train).accuracy)
        }
        return (test, train)
    }

    /// The instability of a path whose errors are `errors` (α = 0 first, α = 1 last):
    /// the height of the error barrier above the endpoints,
    ///
    ///     instability = max_α e(α) − (e(0) + e(1)) / 2.
    ///
    /// Never below |e(0) − e(1)| / 2 (the endpoints lie on the path); 0 for a network
    /// interpolated with itself. The paper calls a network stable at k when this is
    /// at most 2% (0.02): its children are linearly connected.
    public static func instability(_ errors: [Double]) -> Double {
        guard let first = errors.first, let last = errors.last, let highest = errors.max() else { return .nan }
        return highest - (first + last) / 2
    }
}
