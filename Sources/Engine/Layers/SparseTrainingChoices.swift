import Foundation

/// Whether a pruned Linear or Conv2D layer retrains through the sparse kernels or
/// the masked dense products, decided per layer from a measurement on the running
/// machine instead of one fixed density (`ComputeConfiguration.measuredSparseTraining`).
///
/// The first training pass of a layer with a pruning pattern times one forward and
/// backward of the layer itself, on its own weights, pattern and input, through both
/// paths (`SparseTraining.decide`), and asks `SparseTrainingDecisions` for the
/// choice of its `SparseTrainingKey`: a store that already holds one returns it
/// without looking at the new timing; otherwise the faster path is kept, for this
/// and every later call. The CLI's store (`SparseTrainingChoiceFile`) keeps the
/// choices in a per-machine cache file, so each situation is measured once per
/// machine and every later run, resumed run and parallel worker reads the same
/// choice.
///
/// Why per layer and not one density: on the 2-core AMD EPYC Zen 4 (AVX-512, OpenBLAS
/// Cooperlake, one thread, release build, batch 60; `REWIND_THREADS=1 rewind bench
/// --sparse-training --quick --repeats 1 --models lenet-300-100,lenet-5`, busy
/// machine; docs/benchmarks.md) the Linear layers' crossovers lay at 20% (fc1, fc2)
/// but 5-10% for the 100x10 output layer, and LeNet-5's convolutions trained faster
/// sparse from 40% (conv2) and 60% (conv1, no input gradient): the old fixed 20% kept
/// them dense where sparse was 1.3-1.7x faster.
///
/// The key holds everything that shapes the two costs within a machine: layer kind,
/// weight shape, one example's input shape, batch, whether the input gradient is
/// computed, and the density in whole percent (rounded up). The store keeps one set
/// per machine (`SparseKernelChoices.machineKey`: CPU model, kernel build, OpenBLAS
/// core type, threads).
public struct SparseTrainingKey: Hashable, Codable, Sendable, CustomStringConvertible {
    public let kind: String            // "linear" or "convolution"
    public let weightShape: [Int]
    public let inputShape: [Int]       // one example's: [in] or [C, H, W]
    public let batch: Int
    public let inputGradient: Bool
    public let densityPercent: Int     // surviving weights in percent, rounded up (1 ... 100)

    public init(kind: String, weightShape: [Int], inputShape: [Int], batch: Int, inputGradient: Bool, densityPercent: Int) {
        self.kind = kind
        self.weightShape = weightShape
        self.inputShape = inputShape
        self.batch = batch
        self.inputGradient = inputGradient
        self.densityPercent = densityPercent
    }

    /// The density bucket of `stored` surviving weights out of `count`: percent, rounded up.
    public static func densityPercent(stored: Int, count: Int) -> Int {
        (stored * 100 + count - 1) / max(count, 1)
    }

    enum CodingKeys: String, CodingKey {
        case kind, batch
        case weightShape = "weight_shape", inputShape = "input_shape", inputGradient = "input_gradient"
        case densityPercent = "density_percent"
    }

    public var description: String {
        "\(kind) \(weightShape) at \(densityPercent)%, input \(inputShape), batch \(batch)\(inputGradient ? "" : ", no input gradient")"
    }
}

/// Seconds of one forward and backward pass of a layer through each path.
public struct SparseTrainingTiming: Codable, Sendable, Equatable {
    public let dense: Double
    public let sparse: Double

    public init(dense: Double, sparse: Double) {
        self.dense = dense
        self.sparse = sparse
    }

    /// The sparse path is kept only when it was measured faster.
    public var sparseIsFaster: Bool { sparse < dense }
}

/// One stored choice: the situation, the path, and the timing it came from.
public struct SparseTrainingChoice: Codable, Sendable, Equatable {
    public let key: SparseTrainingKey
    public let sparse: Bool
    public let timing: SparseTrainingTiming

    public init(key: SparseTrainingKey, timing: SparseTrainingTiming) {
        self.key = key
        self.sparse = timing.sparseIsFaster
        self.timing = timing
    }
}

/// Where the choices live. `trainsSparsely` must return, for a key it has seen (or
/// stored anywhere it reads), the choice made then, never a new measurement's: that
/// is what keeps a path from flipping with timing noise between runs.
public protocol SparseTrainingDecisions: AnyObject, Sendable {
    /// The stored choice for `key`; else `measure()`'s, stored for every later call.
    func trainsSparsely(_ key: SparseTrainingKey, measure: () -> SparseTrainingTiming) -> Bool
}

/// Choices kept in memory (tests, benchmarks, library users): measured once per key
/// for the object's lifetime. Networks on several threads may share one (a lock
/// serialises the calls, measurements included).
public final class SparseTrainingChoices: SparseTrainingDecisions, @unchecked Sendable {
    private var choices: [SparseTrainingKey: SparseTrainingChoice] = [:]
    private let lock = NSLock()

    public init(_ choices: [SparseTrainingChoice] = []) {
        for choice in choices { self.choices[choice.key] = choice }
    }

    /// Every choice, in a stable order.
    public var all: [SparseTrainingChoice] {
        lock.withLock { Array(choices.values) }.sorted { ($0.key.kind, $0.key.weightShape.description, $0.key.densityPercent, $0.key.batch)
            < ($1.key.kind, $1.key.weightShape.description, $1.key.densityPercent, $1.key.batch) }
    }

    public func choice(for key: SparseTrainingKey) -> SparseTrainingChoice? { lock.withLock { choices[key] } }

    public func trainsSparsely(_ key: SparseTrainingKey, measure: () -> SparseTrainingTiming) -> Bool {
        lock.withLock {
            if let known = choices[key] { return known.sparse }
            let choice = SparseTrainingChoice(key: key, timing: measure())
            choices[key] = choice
            return choice.sparse
        }
    }
}

/// `ComputeConfiguration`'s handle on a `SparseTrainingDecisions` store: equal when
/// it is the same store.
public struct MeasuredSparseTraining: Sendable, Equatable {
    public let decisions: any SparseTrainingDecisions

    public init(_ decisions: any SparseTrainingDecisions) { self.decisions = decisions }

    public static func == (a: MeasuredSparseTraining, b: MeasuredSparseTraining) -> Bool { a.decisions === b.decisions }
}
