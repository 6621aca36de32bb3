import Foundation

/// One child of a stability analysis: the network at rewind point k trained to the
/// end of the schedule with data-order seed `data_seed`. Written as `child-<i>.json`
/// beside `child-<i>.h5` (`RecordJSON`: snake_case, sorted keys).
public struct StabilityChildRecord: Codable, Equatable, Sendable {
    public var version = 1
    /// The cache key of the child's inputs (`StabilityAnalysis.childKey`).
    public var key: String
    public var seed: UInt64
    public var subject: String
    public var rewindPoint: Double
    public var child: Int
    public var dataSeed: UInt64
    public var testAccuracy: Double
    public var testLoss: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case version, key, seed, subject, rewindPoint = "rewind_point", child, dataSeed = "data_seed"
        case testAccuracy = "test_accuracy", testLoss = "test_loss", seconds
    }
}

/// The errors along the line between the two children of one (seed, subject, k), and
/// their instability (`LinearPath.instability`). Written as `interpolation.json`;
/// one row of the stability report.
///
///     {"alphas": [0, 0.5, 1], "key": "…", "rewind_point": 0.25, "rewind_step": 117, "seed": 0,
///      "subject": "dense", "test_error": [0.11, 0.12, 0.11], "test_instability": 0.01, …}
public struct InterpolationRecord: Codable, Equatable, Sendable {
    public var version = 1
    /// The cache key: the children's keys, the points and the BN recomputation.
    public var key: String
    public var seed: UInt64
    /// "dense" or "level-<L>".
    public var subject: String
    /// Fraction of prunable weights remaining in the subject (1 for dense).
    public var weightsRemaining: Double
    /// k in epochs, and the optimizer step it is (round(k · steps per epoch)).
    public var rewindPoint: Double
    public var rewindStep: Int
    public var alphas: [Double]
    /// 1 − accuracy at each α, on the test and on the training set.
    public var testError: [Double]
    public var trainError: [Double]
    public var testInstability: Double
    public var trainInstability: Double
    /// Whether BatchNorm statistics were recomputed at each point (false: the network has none).
    public var batchNormRecomputed: Bool
    /// Wall time of the children and the interpolation, in seconds.
    public var seconds: Double

    public init(key: String, seed: UInt64, subject: String, weightsRemaining: Double, rewindPoint: Double, rewindStep: Int,
                alphas: [Double], testError: [Double], trainError: [Double], testInstability: Double,
                trainInstability: Double, batchNormRecomputed: Bool, seconds: Double) {
        self.key = key
        self.seed = seed
        self.subject = subject
        self.weightsRemaining = weightsRemaining
        self.rewindPoint = rewindPoint
        self.rewindStep = rewindStep
        self.alphas = alphas
        self.testError = testError
        self.trainError = trainError
        self.testInstability = testInstability
        self.trainInstability = trainInstability
        self.batchNormRecomputed = batchNormRecomputed
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case version, key, seed, subject, weightsRemaining = "weights_remaining", rewindPoint = "rewind_point"
        case rewindStep = "rewind_step", alphas, testError = "test_error", trainError = "train_error"
        case testInstability = "test_instability", trainInstability = "train_instability"
        case batchNormRecomputed = "batch_norm_recomputed", seconds
    }

    /// The mean test accuracy of the two children (the path's endpoints).
    public var endpointTestAccuracy: Double { 1 - ((testError.first ?? .nan) + (testError.last ?? .nan)) / 2 }
}

extension Decodable where Self: Encodable {
    /// Reads a record file written by `write(to:)`.
    static func readRecord(_ url: URL) throws -> Self {
        try RecordJSON.decoder().decode(Self.self, from: Data(contentsOf: url))
    }

    /// Writes this record atomically, pretty-printed (creating the folder).
    func writeRecord(to url: URL) throws {
        try writeAtomically(try RecordJSON.encoder(pretty: true).encode(self), to: url)
    }
}
