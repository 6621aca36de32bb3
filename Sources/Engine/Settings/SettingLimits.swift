/// The allowed range of a numeric setting and how to say it: the one definition the
/// recipe parser, the command-line options and the settings' own `validate` share,
/// so a range is stated once.
public struct SettingLimits: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    /// Whether `lower` / `upper` themselves are excluded.
    public let lowerOpen: Bool
    public let upperOpen: Bool
    /// What a reader is told is expected, e.g. "a fraction in (0, 1)".
    public let expected: String

    public init(_ lower: Double, _ upper: Double, lowerOpen: Bool, upperOpen: Bool, expected: String) {
        self.lower = lower
        self.upper = upper
        self.lowerOpen = lowerOpen
        self.upperOpen = upperOpen
        self.expected = expected
    }

    /// `(0, 1)`: both ends excluded.
    public static func openUnitInterval(_ expected: String) -> SettingLimits {
        SettingLimits(0, 1, lowerOpen: true, upperOpen: true, expected: expected)
    }

    /// Whether `value` is inside (NaN never is).
    public func contains(_ value: Double) -> Bool {
        guard !value.isNaN else { return false }
        let aboveLower = lowerOpen ? value > lower : value >= lower
        let belowUpper = upperOpen ? value < upper : value <= upper
        return aboveLower && belowUpper
    }

    /// Throws "`name`: expected …, got `value`" unless `value` is inside.
    public func check(_ value: Double, option name: String) throws {
        guard contains(value) else { throw SettingError("\(name): expected \(expected), got \(value)") }
    }
}

/// A setting outside its limits, as one line naming the setting.
public struct SettingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
