import Pruning
/// Why a report could not be made from the rows and context it was given.
///
/// Every case names the offending row or key so the message says what to fix. Reports
/// are computed completely before anything is written, so an error leaves the report
/// directory as it was.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// No rows at all.
    case noRows
    /// A row's strategy is neither "dense" nor listed in `ReportContext.strategies`.
    case unknownStrategy(String, known: [String])
    /// `ReportContext.strategies` lists a strategy twice.
    case repeatedStrategy(String)
    /// `ReportContext.layers` lists a layer twice.
    case repeatedLayer(String)
    /// Two rows share (strategy, level, seed).
    case duplicateRow(strategy: String, level: Int, seed: Int)
    /// A "dense" row at a level other than 0.
    case denseLevelNotZero(level: Int, seed: Int)
    /// A row reports sparsity for a layer that `ReportContext.layers` does not list.
    case unknownLayer(String, strategy: String, level: Int, seed: Int)
    /// A value outside its range (`field` is the `LevelRecord` property name).
    case valueOutOfRange(field: String, value: Double, expected: String, strategy: String, level: Int, seed: Int)
    /// results.json was not written by this format and version.
    case unsupportedDocument(format: String, version: Int)

    public var description: String {
        switch self {
        case .noRows:
            return "no result rows: run at least the dense network and one pruning level first"
        case let .unknownStrategy(name, known):
            return "row strategy \"\(name)\" is not in the recipe's strategies \(known) (nor \"dense\")"
        case let .repeatedStrategy(name):
            return "strategy \"\(name)\" is listed twice in the report context"
        case let .repeatedLayer(name):
            return "layer \"\(name)\" is listed twice in the report context"
        case let .duplicateRow(strategy, level, seed):
            return "two rows for strategy \"\(strategy)\", level \(level), seed \(seed): keep one result per seed"
        case let .denseLevelNotZero(level, seed):
            return "dense row for seed \(seed) has level \(level): the dense network is level 0"
        case let .unknownLayer(layer, strategy, level, seed):
            return "row (\(strategy), level \(level), seed \(seed)) reports sparsity for layer \"\(layer)\", "
                + "which the report context's layers do not list"
        case let .valueOutOfRange(field, value, expected, strategy, level, seed):
            return "row (\(strategy), level \(level), seed \(seed)): \(field) = \(value), expected \(expected)"
        case let .unsupportedDocument(format, version):
            return "results.json has format \"\(format)\" version \(version); this build reads "
                + "\"\(JSONReport.format)\" version \(JSONReport.version): regenerate the report with this build"
        }
    }
}
