/// What a stability analysis measures: the dense network, or the IMP subnetwork of
/// pruning level `level` (the lottery chain's mask at that level, found by IMP with
/// rewinding to initialisation: a mask that does not depend on the k being chosen).
public enum StabilitySubject: Hashable, Sendable, Codable, CustomStringConvertible {
    case dense
    case level(Int)

    /// "dense" or "level-<L>": the subject's folder name and its name in reports.
    public var description: String {
        switch self {
        case .dense: return "dense"
        case .level(let level): return "level-\(level)"
        }
    }
}
