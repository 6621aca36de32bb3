/// A candidate rewind point k of the stability analysis, in epochs of the dense
/// schedule: `1` is the end of epoch 1, `0.25` a quarter of epoch 1 (step
/// round(0.25 · stepsPerEpoch)), `0` the initialisation.
public struct RewindPoint: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var epochs: Double

    public init(epochs: Double) { self.epochs = epochs }

    /// The optimizer step of the point: round(k · stepsPerEpoch).
    public func step(stepsPerEpoch: Int) -> Int { Int((epochs * Double(stepsPerEpoch)).rounded()) }

    /// Whether the point is an epoch boundary (the only points `rewind_epoch` can name).
    public var isWholeEpoch: Bool { epochs == epochs.rounded() }

    /// "0", "0.25", "2": how folders, tables and `--steps` spell it.
    public var description: String {
        isWholeEpoch ? String(Int(epochs)) : String(epochs)
    }

    public static func < (a: RewindPoint, b: RewindPoint) -> Bool { a.epochs < b.epochs }

    /// The points in `text` ("0,0.25,0.5,1,2"), sorted and distinct; nil when a field is
    /// not a number in [0, `totalEpochs`).
    public static func list(_ text: String, totalEpochs: Int) -> [RewindPoint]? {
        var points: Set<RewindPoint> = []
        for field in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Double(field.trimmingCharacters(in: .whitespaces)), value.isFinite,
                  value >= 0, value < Double(totalEpochs) else { return nil }
            points.insert(RewindPoint(epochs: value))
        }
        return points.isEmpty ? nil : points.sorted()
    }

    /// The paper's candidates for a short schedule, 0, ¼, ½, 1 and 2 epochs, that lie
    /// before the end of training.
    public static func defaults(totalEpochs: Int) -> [RewindPoint] {
        [0, 0.25, 0.5, 1, 2].filter { $0 < Double(totalEpochs) }.map(RewindPoint.init(epochs:))
    }
}
