/// A problem with an ONNX file or with what Rewind can make of it: one line naming
/// the file, the node or tensor, and what was expected.
public struct ONNXError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
