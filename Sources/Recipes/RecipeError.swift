/// A recipe problem, printed as one line a person can act on:
/// `recipes/x.yaml:7: train.lr: expected a positive number, got -0.1`.
public struct RecipeError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line of the offending node, when known.
    public var line: Int?
    /// Dotted key path ("train.schedule.gamma"), empty for the whole file.
    public var key: String
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(location): \(message)" : "\(location): \(key): \(message)"
    }
}
