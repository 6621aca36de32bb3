/// What a report says about the run besides its rows.
public struct ReportContext: Codable, Equatable, Sendable {
    /// The recipe's name ("lenet300-fashion").
    public var name: String
    /// The recipe text (YAML), shown in report.md.
    public var recipe: String
    /// Machine description ("2 cores, Linux x86_64, ...").
    public var machine: String
    /// Total wall time of the run, in seconds.
    public var wallSeconds: Double
    /// Date the report was generated (ISO 8601).
    public var generated: String
    /// Strategies in the order the recipe lists them (columns and legend order).
    public var strategies: [String]
    /// The prunable layers in network order (per-layer columns).
    public var layers: [String]

    enum CodingKeys: String, CodingKey {
        case name, recipe, machine, wallSeconds = "wall_seconds", generated, strategies, layers
    }

    public init(name: String, recipe: String, machine: String, wallSeconds: Double,
                generated: String, strategies: [String], layers: [String]) {
        self.name = name
        self.recipe = recipe
        self.machine = machine
        self.wallSeconds = wallSeconds
        self.generated = generated
        self.strategies = strategies
        self.layers = layers
    }
}
