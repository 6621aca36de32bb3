/// Typed reads of attributes: each throws `.missing` when the attribute is absent
/// and `.typeMismatch` ("attribute 'step' is a string, expected an integer") when
/// it holds something else. Integers are accepted wherever floats are expected.
extension HDF5Node {
    /// A single string.
    func stringAttribute(_ name: String) throws -> String {
        let value = try attribute(name)
        guard case .string(let text) = value else { throw mismatch(name, value, expected: "a string") }
        return text
    }

    /// A scalar integer that fits `Int`.
    func integerAttribute(_ name: String) throws -> Int {
        let value = try attribute(name)
        switch value {
        case .integers(let values, scalar: true): return Int(values[0])
        case .unsignedIntegers(let values, scalar: true) where values[0] <= UInt64(Int.max): return Int(values[0])
        default: throw mismatch(name, value, expected: "an integer")
        }
    }

    /// A scalar non-negative integer, kept as `UInt64` (seeds use the full range).
    func unsignedAttribute(_ name: String) throws -> UInt64 {
        let value = try attribute(name)
        switch value {
        case .unsignedIntegers(let values, scalar: true): return values[0]
        case .integers(let values, scalar: true) where values[0] >= 0: return UInt64(values[0])
        default: throw mismatch(name, value, expected: "a non-negative integer")
        }
    }

    /// A scalar number.
    func doubleAttribute(_ name: String) throws -> Double {
        let value = try attribute(name)
        switch value {
        case .floats(let values, scalar: true): return values[0]
        case .integers(let values, scalar: true): return Double(values[0])
        case .unsignedIntegers(let values, scalar: true): return Double(values[0])
        default: throw mismatch(name, value, expected: "a number")
        }
    }

    /// An array of integers (a scalar counts as one element).
    func integerArrayAttribute(_ name: String) throws -> [Int] {
        let value = try attribute(name)
        switch value {
        case .integers(let values, _): return values.map { Int($0) }
        case .unsignedIntegers(let values, _) where values.allSatisfy({ $0 <= UInt64(Int.max) }):
            return values.map { Int($0) }
        default: throw mismatch(name, value, expected: "an array of integers")
        }
    }

    private func mismatch(_ name: String, _ value: HDF5AttributeValue, expected: String) -> CheckpointError {
        location.attribute(name).error(.typeMismatch, "is \(value.typeDescription), expected \(expected)")
    }
}

extension HDF5AttributeValue {
    /// "a string", "an integer", "an array of 3 floats", ... for messages.
    var typeDescription: String {
        func numbers(_ count: Int, scalar: Bool, _ kind: String) -> String {
            scalar ? (kind == "integer" ? "an integer" : "a \(kind)") : "an array of \(count) \(kind)s"
        }
        switch self {
        case .string: return "a string"
        case let .integers(values, scalar): return numbers(values.count, scalar: scalar, "integer")
        case let .unsignedIntegers(values, scalar): return numbers(values.count, scalar: scalar, "integer")
        case let .floats(values, scalar): return numbers(values.count, scalar: scalar, "float")
        case .other(let description): return description
        }
    }
}
