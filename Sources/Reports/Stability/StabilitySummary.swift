import Pruning

/// The stability analysis of a run, aggregated for its report: per subject (dense,
/// level-L) and rewind point k, the mean over seeds of the test and train
/// instability and of the children's test accuracy, and per subject the earliest
/// k whose mean test instability is at most the threshold.
public struct StabilitySummary: Encodable, Sendable {
    public struct Row: Encodable, Sendable {
        public var subject: String
        public var rewindPoint: Double
        public var rewindStep: Int
        public var weightsRemaining: Double
        public var seeds: Int
        public var testInstability: Double
        public var trainInstability: Double
        /// Mean test accuracy of the children (the path's endpoints).
        public var childTestAccuracy: Double
        public var stable: Bool

        enum CodingKeys: String, CodingKey {
            case subject, rewindPoint = "rewind_point", rewindStep = "rewind_step", weightsRemaining = "weights_remaining"
            case seeds, testInstability = "test_instability", trainInstability = "train_instability"
            case childTestAccuracy = "child_test_accuracy", stable
        }
    }

    public var name: String
    public var threshold: Double
    /// Subjects in the order analysed ("dense" first).
    public var subjects: [String]
    public var rows: [Row]
    /// Per subject, the earliest stable k in epochs (absent: none was stable).
    public var earliestStable: [String: Double]
    /// `rewind_epoch: auto` as resolved in the run folder (nil: the recipe names k itself).
    public var choice: RewindEpochChoice?
    /// Every path measured, one per (seed, subject, k).
    public var paths: [InterpolationRecord]
    public var machine: String
    public var wallSeconds: Double
    public var generated: String

    enum CodingKeys: String, CodingKey {
        case name, threshold, subjects, rows, earliestStable = "earliest_stable", choice = "rewind_epoch_choice", paths
        case machine, wallSeconds = "wall_seconds", generated
    }

    public init(name: String, threshold: Double, paths: [InterpolationRecord], choice: RewindEpochChoice?,
                machine: String, generated: String) {
        self.name = name
        self.threshold = threshold
        self.paths = paths
        self.choice = choice
        self.machine = machine
        self.generated = generated
        wallSeconds = paths.reduce(0) { $0 + $1.seconds }
        var subjects: [String] = []
        for path in paths where !subjects.contains(path.subject) { subjects.append(path.subject) }
        self.subjects = subjects
        rows = []
        earliestStable = [:]
        for subject in subjects {
            let mine = paths.filter { $0.subject == subject }
            for point in Set(mine.map(\.rewindPoint)).sorted() {
                let group = mine.filter { $0.rewindPoint == point }
                func mean(_ value: (InterpolationRecord) -> Double) -> Double { group.map(value).reduce(0, +) / Double(group.count) }
                let test = mean(\.testInstability)
                rows.append(Row(subject: subject, rewindPoint: point, rewindStep: group[0].rewindStep,
                                weightsRemaining: group[0].weightsRemaining, seeds: group.count, testInstability: test,
                                trainInstability: mean(\.trainInstability), childTestAccuracy: mean(\.endpointTestAccuracy),
                                stable: test <= threshold))
            }
            earliestStable[subject] = rows.first { $0.subject == subject && $0.stable }?.rewindPoint
        }
    }

    /// Mean test instability by rewind point for `subject` (what `RewindEpochChoice.choose` reads).
    public func instability(of subject: String) -> [RewindPoint: Double] {
        Dictionary(uniqueKeysWithValues: rows.filter { $0.subject == subject }.map { (RewindPoint(epochs: $0.rewindPoint), $0.testInstability) })
    }
}
