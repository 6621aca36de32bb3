/// A node's attributes by name, read with their expected type: a wrong type or
/// value is an `ONNXError` naming the node (through `fail`).
struct Attributes {
    private let byName: [String: Onnx_AttributeProto]
    private let fail: (String) -> ONNXError

    init(node: Onnx_NodeProto, fail: @escaping (String) -> ONNXError) {
        var byName: [String: Onnx_AttributeProto] = [:]
        for attribute in node.attribute { byName[attribute.name] = attribute }
        self.byName = byName
        self.fail = fail
    }

    func int(_ name: String) throws -> Int? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .int || (attribute.type == .undefined && attribute.hasI) else { throw fail("attribute \(name) must be an integer") }
        return Int(attribute.i)
    }

    func float(_ name: String) throws -> Float? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .float || (attribute.type == .undefined && attribute.hasF) else { throw fail("attribute \(name) must be a float") }
        return attribute.f
    }

    func ints(_ name: String) throws -> [Int64]? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .ints || attribute.type == .undefined else { throw fail("attribute \(name) must be a list of integers") }
        return attribute.ints
    }

    func tensor(_ name: String) -> Onnx_TensorProto? {
        guard let attribute = byName[name], attribute.hasT else { return nil }
        return attribute.t
    }

    /// Throws unless every entry of the list attribute `name` (if present) is `value`.
    func requireAll(_ name: String, equalTo value: Int64) throws {
        if let list = try ints(name), list.contains(where: { $0 != value }) {
            throw fail("\(name) \(list) is not supported; expected all \(value)")
        }
    }

    /// The one value every entry of the list attribute `name` holds (`fallback` if absent).
    func uniform(_ name: String, default fallback: Int) throws -> Int {
        guard let list = try ints(name), !list.isEmpty else { return fallback }
        guard Set(list).count == 1, let first = list.first, first >= 0, first <= Int64(Int32.max) else {
            throw fail("\(name) \(list) is not supported; expected the same value on every side")
        }
        return Int(first)
    }

    /// Throws unless `auto_pad` is absent, NOTSET or VALID (explicit pads only).
    func requireNoAutoPad() throws {
        guard let attribute = byName["auto_pad"] else { return }
        let value = String(decoding: attribute.s, as: UTF8.self)
        guard ["", "NOTSET", "VALID"].contains(value) else { throw fail("auto_pad \(value) is not supported; expected explicit pads") }
    }
}
