import Engine
import Yams

/// A cursor over one YAML mapping that reads typed values. Keys outside the
/// mapping's `allowed` list are reported when the mapping is opened, before any
/// value is read — so `learning_rate:` is named as unknown (with the closest allowed
/// key, `lr`) rather than reported as a missing `lr` — and nothing in a recipe is
/// silently ignored (nanoGPT's configurator rule).
struct YAMLMapping {
    let file: String
    /// Dotted path of this mapping ("train", "train.schedule"); empty at the root.
    let path: String
    let node: Node
    private let entries: [(key: String, value: Node)]

    /// Opens `node` as a mapping; with `allowed`, throws for the first key (in file
    /// order) not in it. Pass nil when the keys are names checked by the caller.
    init(file: String, path: String, node: Node, allowed: [String]?) throws {
        self.file = file
        self.path = path
        self.node = node
        guard case let .mapping(mapping) = node else {
            throw RecipeError(file: file, line: node.mark?.line, key: path,
                              message: "expected a mapping of keys to values, got \(YAMLMapping.describe(node))")
        }
        var entries: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                throw RecipeError(file: file, line: key.mark?.line, key: path, message: "keys must be strings")
            }
            if entries.contains(where: { $0.0 == name }) {
                throw RecipeError(file: file, line: key.mark?.line, key: path.isEmpty ? name : "\(path).\(name)", message: "duplicate key")
            }
            entries.append((name, value))
        }
        self.entries = entries
        if let allowed {
            for (key, value) in entries where !allowed.contains(key) {
                let hint = closestName(to: key, among: allowed).map { "did you mean '\($0)'? " } ?? ""
                throw error(key, value, "unknown key; \(hint)expected one of: \(allowed.joined(separator: ", "))")
            }
        }
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw node under `key`.
    func node(_ key: String) -> Node? {
        entries.first { $0.key == key }?.value
    }

    /// Every key, in file order.
    var keys: [String] { entries.map(\.key) }

    func error(_ key: String, _ node: Node?, _ message: String) -> RecipeError {
        RecipeError(file: file, line: (node ?? self.node).mark?.line, key: keyPath(key), message: message)
    }

    // MARK: Typed values

    func string(_ key: String) throws -> String? {
        guard let n = node(key) else { return nil }
        guard case let .scalar(s) = n, !s.string.isEmpty else { throw error(key, n, "expected a string, got \(Self.describe(n))") }
        return s.string
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws -> T? where T.RawValue == String {
        guard let raw = try string(key) else { return nil }
        guard let value = T(rawValue: raw) else {
            throw error(key, node(key), "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(raw)'")
        }
        return value
    }

    func double(_ key: String, _ range: ClosedRange<Double>? = nil, open: Bool = false,
                         expected: String = "a number") throws -> Double? {
        guard let n = node(key) else { return nil }
        guard case .scalar = n, let value = n.float ?? n.int.map(Double.init), value.isFinite else {
            throw error(key, n, "expected \(expected), got \(Self.describe(n))")
        }
        if let range {
            let inside = open ? (value > range.lowerBound && value < range.upperBound) : range.contains(value)
            if !inside { throw error(key, n, "expected \(expected), got \(Self.format(value))") }
        }
        return value
    }

    /// A number within `limits` (the setting's one definition of its range).
    func double(_ key: String, _ limits: SettingLimits) throws -> Double? {
        guard let value = try double(key, expected: limits.expected) else { return nil }
        if !limits.contains(value) { throw error(key, node(key), "expected \(limits.expected), got \(Self.format(value))") }
        return value
    }

    func int(_ key: String, minimum: Int? = nil, expected: String = "an integer") throws -> Int? {
        guard let n = node(key) else { return nil }
        guard case let .scalar(s) = n, let value = Int(s.string) else {
            throw error(key, n, "expected \(expected), got \(Self.describe(n))")
        }
        if let minimum, value < minimum { throw error(key, n, "expected \(expected), got \(value)") }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        guard let n = node(key) else { return nil }
        guard case .scalar = n, let value = n.bool else { throw error(key, n, "expected true or false, got \(Self.describe(n))") }
        return value
    }

    func intList(_ key: String, minimum: Int? = nil, expected: String = "a list of integers") throws -> [Int]? {
        guard let n = node(key) else { return nil }
        if case .scalar = n, let single = n.int { return [single] }
        guard case let .sequence(items) = n else { throw error(key, n, "expected \(expected), got \(Self.describe(n))") }
        return try items.map { item in
            guard let value = item.int, value >= (minimum ?? .min) else {
                throw RecipeError(file: file, line: item.mark?.line, key: keyPath(key), message: "expected \(expected), got \(Self.describe(item))")
            }
            return value
        }
    }

    /// The mapping under `key`, its keys checked against `allowed` (nil: any).
    func mapping(_ key: String, allowed: [String]?) throws -> YAMLMapping? {
        guard let n = node(key) else { return nil }
        return try YAMLMapping(file: file, path: keyPath(key), node: n, allowed: allowed)
    }

    /// A short, quoted rendering of a node for error messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return s.string.isEmpty ? "nothing" : "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
