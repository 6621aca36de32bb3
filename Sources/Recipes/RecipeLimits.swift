import Engine
import Yams

/// The bounds a recipe must keep, checked before or while it is parsed so that no
/// recipe can exhaust memory or time (a 50 MB list, an alias bomb) or name a folder
/// outside its parent. Real recipes are a few hundred bytes with no aliases.
public enum RecipeLimits {
    /// The largest recipe file, in bytes (1 MiB).
    public static let maximumBytes = 1 << 20
    /// The most YAML aliases (`*name`) a recipe may use. Each alias can at most double
    /// the expanded document, so 32 aliases bound it to 2^16 copies of the text; the
    /// node count below then bounds the expansion itself.
    public static let maximumAliases = 32
    /// The most nodes of the document with every alias expanded.
    public static let maximumNodes = 100_000
    /// The deepest nesting of mappings and lists.
    public static let maximumDepth = 32
    /// The longest recipe name: it names the run folder `<name>-<hash>`.
    public static let maximumNameLength = 64
    /// The most training epochs (schedules count steps as `epochs · steps per epoch`).
    public static let maximumEpochs = 1_000_000
    /// The largest batch: the most examples a data set may hold (steps per epoch are
    /// `(examples + batch - 1) / batch`, which must not overflow).
    public static let maximumBatchSize = ResourceLimits.maximumExamples

    /// Whether `name` is a safe folder-name part: 1 to `maximumNameLength` ASCII
    /// letters, digits, '-', '_' or '.', starting with a letter or digit (so never
    /// ".", ".." or a hidden name, and never a path).
    public static func isSafeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= maximumNameLength else { return false }
        func safe(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c)) }
        return safe(first) && name.unicodeScalars.allSatisfy { safe($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// How many alias tokens `text` holds: a `*` that starts a node (at a line's
    /// start or after a space, `[`, `{`, `,`, `:`, `?` or `-`) followed by an anchor
    /// name. Counted on the text, before Yams composes it: composing a bomb is what hangs.
    static func aliasCount(in text: String) -> Int {
        var count = 0
        var previous: UInt8 = UInt8(ascii: "\n")
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() {
            defer { previous = byte }
            guard byte == UInt8(ascii: "*"), index + 1 < bytes.count else { continue }
            let next = bytes[index + 1]
            let startsNode = " \t\n\r[{,:?-".utf8.contains(previous)
            let namesAnchor = !" \t\n\r[]{},".utf8.contains(next)
            if startsNode && namesAnchor { count += 1 }
        }
        return count
    }

    /// Throws unless `node`, aliases expanded, has at most `maximumNodes` nodes nested
    /// at most `maximumDepth` deep. Stops counting as soon as a bound is passed.
    static func checkSize(of node: Node, file: String) throws {
        var nodes = 0
        func visit(_ node: Node, depth: Int) throws {
            nodes += 1
            guard nodes <= maximumNodes else {
                throw RecipeError(file: file, line: node.mark?.line, key: "", message: "more than \(maximumNodes) values (aliases expanded); a recipe is a few dozen")
            }
            guard depth <= maximumDepth else {
                throw RecipeError(file: file, line: node.mark?.line, key: "", message: "nested more than \(maximumDepth) levels deep")
            }
            switch node {
            case .scalar, .alias: return
            case .sequence(let items): for item in items { try visit(item, depth: depth + 1) }
            case .mapping(let pairs): for (key, value) in pairs { try visit(key, depth: depth + 1); try visit(value, depth: depth + 1) }
            }
        }
        try visit(node, depth: 0)
    }
}
