import Foundation

/// Maps values to pixels on a logarithmic axis: `pixel = r0 + (ln v - ln d0) / (ln d1 - ln d0) * (r1 - r0)`.
///
/// The domain may run downwards: the accuracy plot maps 100% (`d0`) to the left pixel
/// (`r0`) and its sparsest level (`d1 < d0`) to the right one, as in the papers' figures.
public struct LogScale: Equatable, Sendable {
    /// Values at the two ends of the axis, both > 0 and different.
    public var domain: (start: Double, end: Double)
    /// Pixels of the two ends.
    public var range: (start: Double, end: Double)

    public init(domain: (start: Double, end: Double), range: (start: Double, end: Double)) {
        precondition(domain.start > 0 && domain.end > 0 && domain.start != domain.end, "log scale needs a positive, non-empty domain")
        self.domain = domain
        self.range = range
    }

    /// The pixel of `value` (> 0).
    public func callAsFunction(_ value: Double) -> Double {
        let t = (log(value) - log(domain.start)) / (log(domain.end) - log(domain.start))
        return range.start + t * (range.end - range.start)
    }

    public static func == (a: LogScale, b: LogScale) -> Bool {
        a.domain == b.domain && a.range == b.range
    }
}

/// Maps values to pixels on a linear axis, with "nice" ticks (1, 2, 2.5 or 5 × 10^k apart).
public struct LinearScale: Equatable, Sendable {
    public var domain: (start: Double, end: Double)
    public var range: (start: Double, end: Double)
    /// Tick values, from `domain.start` to `domain.end`.
    public var ticks: [Double]

    /// A scale covering `low...high` widened to whole tick steps, about `tickCount` ticks,
    /// never beyond `limits`.
    public init(covering low: Double, _ high: Double, range: (start: Double, end: Double),
                tickCount: Int = 6, limits: ClosedRange<Double> = -.infinity ... .infinity) {
        let span = max(high - low, 1e-9)
        let step = Self.niceStep(span / Double(tickCount))
        let start = max(limits.lowerBound, (low / step).rounded(.down) * step)
        let end = min(limits.upperBound, (high / step).rounded(.up) * step)
        domain = (start, end > start ? end : start + step)
        self.range = range
        let first = (domain.start / step).rounded(.up)
        let last = (domain.end / step).rounded(.down)
        ticks = first <= last ? stride(from: first, through: last, by: 1).map { $0 * step } : []
    }

    /// The pixel of `value`.
    public func callAsFunction(_ value: Double) -> Double {
        range.start + (value - domain.start) / (domain.end - domain.start) * (range.end - range.start)
    }

    /// The decimals the tick labels need (0 for a step of 1 or more, 1 for 0.5, 2 for 0.25...).
    public var tickDecimals: Int {
        guard ticks.count > 1 else { return 0 }
        let step = ticks[1] - ticks[0]
        return (0...6).first { decimals in
            let scaled = step * pow(10, Double(decimals))
            return abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled)
        } ?? 6
    }

    /// The smallest of 1, 2, 2.5, 5 × 10^k that is at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        let magnitude = pow(10, log10(rough).rounded(.down))
        return [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough * (1 - 1e-9) }!
    }

    public static func == (a: LinearScale, b: LinearScale) -> Bool {
        a.domain == b.domain && a.range == b.range && a.ticks == b.ticks
    }
}
