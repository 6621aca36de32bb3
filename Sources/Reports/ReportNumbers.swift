import Foundation

/// How numbers are written in the human-readable reports (Markdown and SVG).
///
/// All formatting goes through `String(format:)` with the POSIX locale, so a decimal
/// point is always ".", whatever the machine's locale.
public enum ReportNumbers {
    /// `value` rounded to `digits` significant digits, keeping trailing zeros:
    /// `significant(64, digits: 3) == "64.0"`, `significant(1.8, digits: 3) == "1.80"`,
    /// `significant(100, digits: 3) == "100"`. Large numbers are not rounded to the left
    /// of the decimal point (`significant(1234, digits: 3) == "1234"`).
    public static func significant(_ value: Double, digits: Int) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? "0" : "\(value)" }
        let decimals = decimalsFor(value, digits: digits)
        let text = fixed(value, decimals: decimals)
        // Rounding can carry into a new leading digit (99.96 -> "100.0"); one digit fewer then.
        let rounded = Double(text) ?? value
        let carried = rounded == 0 ? decimals : decimalsFor(rounded, digits: digits)
        return carried < decimals ? fixed(rounded, decimals: carried) : text
    }

    /// `value` with exactly `decimals` digits after the point.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        String(format: "%.\(max(0, decimals))f", value)
    }

    /// Labels for the weights-remaining percentages `percents`, with at least 3 significant
    /// digits and as many more (up to 8) as it takes for different values to get
    /// different labels: `[100, 80, 64, 1.8]` -> `["100", "80.0", "64.0", "1.80"]`.
    public static func weightsRemainingLabels(_ percents: [Double]) -> [String] {
        let distinctValues = Set(percents).count
        var labels: [String] = []
        for digits in 3...8 {
            labels = percents.map { significant($0, digits: digits) }
            if Set(labels).count == distinctValues { break }
        }
        return labels
    }

    /// `text` without trailing fractional zeros: "64.0" -> "64", "1.80" -> "1.8", "100" -> "100".
    public static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = Substring(text)
        while result.hasSuffix("0") { result = result.dropLast() }
        if result.hasSuffix(".") { result = result.dropLast() }
        return String(result)
    }

    /// An accuracy fraction as a percentage with two decimals, mean ± std:
    /// `0.8841 ± 0.0012` -> `"88.41 ± 0.12"`.
    /// With one seed no spread is known, and none is printed ("88.41", not "88.41 ± 0.00").
    public static func accuracy(_ statistics: SampleStatistics) -> String {
        guard statistics.count > 1 else { return fixed(100 * statistics.mean, decimals: 2) }
        return "\(fixed(100 * statistics.mean, decimals: 2)) ± \(fixed(100 * statistics.std, decimals: 2))"
    }

    /// A band boundary in percent without trailing zeros: 50 -> "50", 0.5 -> "0.5".
    public static func compact(_ value: Double) -> String {
        String(format: "%g", value)
    }

    /// A duration: "42.0 s", "3 min 07 s", "2 h 05 min 09 s".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 60 else { return "\(fixed(seconds, decimals: 1)) s" }
        let whole = Int(seconds.rounded())
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        let mmss = String(format: "%02d min %02d s", minutes, secs)
        return hours > 0 ? "\(hours) h \(mmss)" : String(format: "%d min %02d s", minutes, secs)
    }

    private static func decimalsFor(_ value: Double, digits: Int) -> Int {
        max(0, digits - 1 - Int(log10(abs(value)).rounded(.down)))
    }
}
