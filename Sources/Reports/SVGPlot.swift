import Foundation

/// accuracy-vs-sparsity.svg: test accuracy (%) against weights remaining (%), drawn like
/// the figures of Frankle & Carbin (2019) and Renda et al. (2020).
///
/// - x: weights remaining on a log axis, reversed: 100% (dense) at the left, the
///   sparsest level at the right; ticks at 100% and at levels at least `minTickSpacing`
///   pixels apart, always including the sparsest; a minor tick at every level.
/// - y: test accuracy from the data (every mean ± std, dense included), padded and
///   widened to nice ticks.
/// - One `<path class="strategy" data-strategy="...">` per strategy with results, with
///   a marker per level and a sample-std error bar; dense as a shaded band (mean ± std)
///   with a dashed line at its mean.
/// - Okabe–Ito colours (safe for the common colour-vision deficiencies) plus a distinct
///   marker shape per strategy, so the figure also reads in greyscale.
public enum SVGPlot {
    /// Okabe & Ito (2008), "Color Universal Design", yellow left out (too faint on white).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// Where everything goes; computed from the data before anything is drawn.
    public struct Layout: Equatable, Sendable {
        public var width: Double
        public var height: Double
        /// The plotting area, between the axes.
        public var left: Double, right: Double, top: Double, bottom: Double
        /// Weights remaining (%) -> x pixel.
        public var x: LogScale
        /// Test accuracy (%) -> y pixel.
        public var y: LinearScale
        /// Labelled x ticks, in % weights remaining, left to right.
        public var xTicks: [Double]
        /// Every level's weights remaining (%), left to right (the minor ticks).
        public var levelPercents: [Double]
    }

    static let minTickSpacing = 40.0
    /// The legend's text starts this far right of the plot; its line samples sit before it.
    static let legendTextOffset = 52.0
    static let denseLabel = "dense (mean ± std)"

    /// The layout of `comparison`'s plot.
    public static func layout(_ comparison: Comparison) -> Layout {
        let (left, right, top, bottom) = (72.0, 560.0, 58.0, 418.0)
        // Wide enough for the longest legend label (about 0.6 em per character at 12 px).
        let labels = comparison.strategies.filter { !$0.levels.isEmpty }.map(\.strategy) + [denseLabel]
        let longest = Double(labels.map(\.count).max() ?? 0)
        let (width, height) = ((right + legendTextOffset + 7.2 * longest + 16).rounded(.up), 480.0)
        let levelPercents = comparison.levels.map { 100 * $0.weightsRemaining }
        // A little room beyond 100% and the sparsest level keeps markers off the frame.
        let sparsest = min(levelPercents.min() ?? 50, 50)
        let margin = 0.03 * log(100 / sparsest)
        let x = LogScale(domain: (100 * exp(margin), sparsest * exp(-margin)), range: (left, right))

        var spread: [Double] = []
        for aggregate in comparison.strategies.flatMap(\.levels) + (comparison.dense.map { [$0] } ?? []) {
            let (mean, std) = (100 * aggregate.testAccuracy.mean, 100 * aggregate.testAccuracy.std)
            spread += [mean - std, mean + std]
        }
        let low = spread.min() ?? 0, high = spread.max() ?? 100
        let padding = max(0.08 * (high - low), 0.25)
        let y = LinearScale(covering: low - padding, high + padding, range: (bottom, top), limits: 0...100)

        return Layout(width: width, height: height, left: left, right: right, top: top, bottom: bottom,
                      x: x, y: y, xTicks: xTicks(levelPercents, scale: x), levelPercents: levelPercents)
    }

    /// 100% and then, left to right, each level at least `minTickSpacing` pixels from the
    /// last tick; the sparsest level always, replacing a too-close predecessor.
    static func xTicks(_ levelPercents: [Double], scale: LogScale) -> [Double] {
        let candidates = levelPercents.filter { $0 < 100 }.sorted(by: >)
        var ticks = [100.0]
        for value in candidates where scale(value) - scale(ticks.last!) >= minTickSpacing {
            ticks.append(value)
        }
        if let last = candidates.last, ticks.last != last {
            if ticks.count > 1 && scale(last) - scale(ticks.last!) < minTickSpacing { ticks.removeLast() }
            ticks.append(last)
        }
        return ticks
    }

    /// The SVG document of `comparison`.
    public static func render(_ comparison: Comparison) -> String {
        let layout = layout(comparison)
        var svg = SVGBuilder()
        let (x, y) = (layout.x, layout.y)
        let plotWidth = layout.right - layout.left
        let seeds = Set(comparison.rows.map(\.seed)).count
        let title = "\(comparison.context.name): test accuracy vs weights remaining"

        let (width, height) = (ReportNumbers.trimmed(n(layout.width)), ReportNumbers.trimmed(n(layout.height)))
        svg.open("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": width, "height": height,
                         "viewBox": "0 0 \(width) \(height)",
                         "font-family": "DejaVu Sans, Helvetica, Arial, sans-serif"])
        svg.element("title", text: title)
        svg.element("rect", ["width": "100%", "height": "100%", "fill": "white"])

        // Gridlines at the labelled ticks.
        svg.open("g", ["class": "grid", "stroke": "#dddddd", "stroke-width": "1"])
        for value in layout.xTicks { svg.line(x(value), layout.top, x(value), layout.bottom) }
        for value in y.ticks { svg.line(layout.left, y(value), layout.right, y(value)) }
        svg.close("g")

        // Dense reference: mean ± std band and a dashed line at the mean.
        if let dense = comparison.dense?.testAccuracy {
            let (mean, std) = (100 * dense.mean, 100 * dense.std)
            let (upper, lower) = (y(min(mean + std, y.domain.end)), y(max(mean - std, y.domain.start)))
            svg.open("g", ["class": "dense"])
            svg.element("rect", ["x": n(layout.left), "y": n(upper), "width": n(plotWidth),
                                 "height": n(max(lower - upper, 0)), "fill": "#999999", "fill-opacity": "0.3"])
            svg.element("line", ["x1": n(layout.left), "y1": n(y(mean)), "x2": n(layout.right), "y2": n(y(mean)),
                                 "stroke": "#666666", "stroke-width": "1.2", "stroke-dasharray": "5 3"])
            svg.close("g")
        }

        // Strategies: error bars, then the line, then markers on top.
        let plotted = comparison.strategies.enumerated().filter { !$0.element.levels.isEmpty }
        for (index, results) in plotted {
            let colour = palette[index % palette.count]
            let points = results.levels.map { (x(100 * $0.weightsRemaining), 100 * $0.testAccuracy.mean,
                                               100 * $0.testAccuracy.std) }
            svg.open("g", ["class": "error-bars", "stroke": colour, "stroke-width": "1"])
            for (px, mean, std) in points where std > 0 {
                let (top, bottom) = (y(mean + std), y(mean - std))
                svg.line(px, top, px, bottom)
                svg.line(px - 3, top, px + 3, top)
                svg.line(px - 3, bottom, px + 3, bottom)
            }
            svg.close("g")
            let d = points.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(n(p.0)) \(n(y(p.1)))" }
            svg.element("path", ["class": "strategy", "data-strategy": results.strategy, "d": d.joined(separator: " "),
                                 "fill": "none", "stroke": colour, "stroke-width": "1.8",
                                 "stroke-linejoin": "round", "stroke-linecap": "round"])
            svg.open("g", ["class": "markers", "fill": colour, "stroke": "white", "stroke-width": "0.8"])
            for (px, mean, _) in points { svg.marker(index, at: px, y(mean), size: 4) }
            svg.close("g")
        }

        // Frame, ticks, labels.
        svg.element("rect", ["x": n(layout.left), "y": n(layout.top), "width": n(plotWidth),
                             "height": n(layout.bottom - layout.top), "fill": "none", "stroke": "#333333"])
        svg.open("g", ["class": "x-axis", "font-size": "12", "fill": "#222222", "text-anchor": "middle"])
        svg.open("g", ["stroke": "#333333", "stroke-width": "1"])
        for value in layout.levelPercents { svg.line(x(value), layout.bottom, x(value), layout.bottom + 3) }
        for value in layout.xTicks { svg.line(x(value), layout.bottom, x(value), layout.bottom + 6) }
        svg.close("g")
        let tickLabels = ReportNumbers.weightsRemainingLabels(layout.xTicks).map(ReportNumbers.trimmed)
        for (value, label) in zip(layout.xTicks, tickLabels) {
            svg.element("text", ["x": n(x(value)), "y": n(layout.bottom + 20)], text: label)
        }
        svg.element("text", ["x": n(layout.left + plotWidth / 2), "y": n(layout.bottom + 44), "font-size": "13"],
                    text: "Weights remaining (%, log scale)")
        svg.close("g")

        svg.open("g", ["class": "y-axis", "font-size": "12", "fill": "#222222", "text-anchor": "end"])
        svg.open("g", ["stroke": "#333333", "stroke-width": "1"])
        for value in y.ticks { svg.line(layout.left - 6, y(value), layout.left, y(value)) }
        svg.close("g")
        for value in y.ticks {
            svg.element("text", ["x": n(layout.left - 9), "y": n(y(value) + 4)],
                        text: ReportNumbers.fixed(value, decimals: y.tickDecimals))
        }
        let middle = (layout.top + layout.bottom) / 2
        svg.element("text", ["x": "20", "y": n(middle), "font-size": "13", "text-anchor": "middle",
                             "transform": "rotate(-90 20 \(n(middle)))"], text: "Test accuracy (%)")
        svg.close("g")

        svg.element("text", ["x": n(layout.left), "y": "24", "font-size": "16", "font-weight": "bold"], text: title)
        svg.element("text", ["x": n(layout.left), "y": "44", "font-size": "12", "fill": "#555555"],
                    text: "Mean ± sample std over \(seeds) seed\(seeds == 1 ? "" : "s"); shaded band: dense network")

        // Legend, right of the plot, in recipe order.
        svg.open("g", ["class": "legend", "font-size": "12", "fill": "#222222"])
        var rowY = layout.top + 10
        let (swatch, textX) = (layout.right + 18, layout.right + legendTextOffset)
        for (index, results) in plotted {
            let colour = palette[index % palette.count]
            svg.element("line", ["x1": n(swatch), "y1": n(rowY), "x2": n(swatch + 26), "y2": n(rowY),
                                 "stroke": colour, "stroke-width": "1.8"])
            svg.open("g", ["fill": colour, "stroke": "white", "stroke-width": "0.8"])
            svg.marker(index, at: swatch + 13, rowY, size: 4)
            svg.close("g")
            svg.element("text", ["x": n(textX), "y": n(rowY + 4)], text: results.strategy)
            rowY += 20
        }
        if comparison.dense != nil {
            svg.element("rect", ["x": n(swatch), "y": n(rowY - 6), "width": "26", "height": "12",
                                 "fill": "#999999", "fill-opacity": "0.3"])
            svg.element("line", ["x1": n(swatch), "y1": n(rowY), "x2": n(swatch + 26), "y2": n(rowY),
                                 "stroke": "#666666", "stroke-width": "1.2", "stroke-dasharray": "5 3"])
            svg.element("text", ["x": n(textX), "y": n(rowY + 4)], text: denseLabel)
        }
        svg.close("g")
        svg.close("svg")
        return svg.text
    }

    /// A coordinate with two decimals.
    static func n(_ value: Double) -> String { ReportNumbers.fixed(value, decimals: 2) }
}

/// Writes SVG elements with escaped text and attributes in a fixed (sorted) order.
struct SVGBuilder {
    private(set) var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    private var depth = 0

    mutating func open(_ name: String, _ attributes: [String: String] = [:]) {
        text += indent + "<\(name)\(Self.attributes(attributes))>\n"
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        text += indent + "</\(name)>\n"
    }

    /// `<name .../>`, or `<name ...>text</name>` with `text` escaped.
    mutating func element(_ name: String, _ attributes: [String: String] = [:], text content: String? = nil) {
        if let content {
            text += indent + "<\(name)\(Self.attributes(attributes))>\(Self.escape(content))</\(name)>\n"
        } else {
            text += indent + "<\(name)\(Self.attributes(attributes))/>\n"
        }
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) {
        element("line", ["x1": SVGPlot.n(x1), "y1": SVGPlot.n(y1), "x2": SVGPlot.n(x2), "y2": SVGPlot.n(y2)])
    }

    /// Marker shape `index` (circle, square, triangle, diamond, inverted triangle, cycling)
    /// centred on (x, y), about `size` pixels in radius; colours come from the parent group.
    mutating func marker(_ index: Int, at x: Double, _ y: Double, size r: Double) {
        let n = SVGPlot.n
        func polygon(_ points: [(Double, Double)]) {
            element("polygon", ["points": points.map { "\(n(x + $0.0)) \(n(y + $0.1))" }.joined(separator: " ")])
        }
        switch index % 5 {
        case 0: element("circle", ["cx": n(x), "cy": n(y), "r": n(r)])
        case 1: element("rect", ["x": n(x - 0.9 * r), "y": n(y - 0.9 * r), "width": n(1.8 * r), "height": n(1.8 * r)])
        case 2: polygon([(0, -1.2 * r), (1.1 * r, 0.85 * r), (-1.1 * r, 0.85 * r)])
        case 3: polygon([(0, -1.25 * r), (1.1 * r, 0), (0, 1.25 * r), (-1.1 * r, 0)])
        default: polygon([(0, 1.2 * r), (1.1 * r, -0.85 * r), (-1.1 * r, -0.85 * r)])
        }
    }

    /// `text` with the five XML special characters escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }

    private var indent: String { String(repeating: "  ", count: depth) }

    private static func attributes(_ attributes: [String: String]) -> String {
        attributes.sorted { $0.key < $1.key }.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
    }
}
