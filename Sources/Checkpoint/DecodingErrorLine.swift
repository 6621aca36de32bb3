extension DecodingError {
    /// The error as one line naming the field: `field 'classes': expected Int, found a
    /// string`, `field 'model' is missing`, `not JSON (…)`. Swift's own description is a
    /// multi-line dump of the coding path and context.
    var oneLine: String {
        func field(_ path: [CodingKey], _ last: CodingKey? = nil) -> String {
            let keys = (path + (last.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : "field '\(keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "["))'"
        }
        switch self {
        case let .keyNotFound(key, context): return "\(field(context.codingPath, key)) is missing"
        case let .typeMismatch(type, context): return "\(field(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context): return "\(field(context.codingPath)): expected \(type), found null"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "not JSON" }
            return "\(field(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "cannot be decoded"
        }
    }
}
