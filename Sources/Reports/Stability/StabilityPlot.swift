import Foundation

/// stability-<subject>.svg: test error (%) along the linear path between the two
/// children, against the interpolation coefficient α (0: child 0, 1: child 1), one
/// line per rewind point k (mean over seeds), as in Frankle et al. (2020), Figure 2.
/// A flat line is a stable k; a bump is the error barrier the instability measures.
public enum StabilityPlot {
    /// The SVG of `subject`'s paths in `summary`.
    public static func render(_ summary: StabilitySummary, subject: String) -> String {
        let paths = summary.paths.filter { $0.subject == subject }
        let points = Set(paths.map(\.rewindPoint)).sorted()
        // Mean test error (%) at each α, per k (seeds share their α's).
        let curves: [(Double, [Double], [Double])] = points.map { point in
            let group = paths.filter { $0.rewindPoint == point }
            let alphas = group[0].alphas
            let errors = alphas.indices.map { i in 100 * group.map { $0.testError[i] }.reduce(0, +) / Double(group.count) }
            return (point, alphas, errors)
        }
        let (left, right, top, bottom) = (72.0, 520.0, 58.0, 398.0)
        let values = curves.flatMap(\.2)
        let low = values.min() ?? 0, high = values.max() ?? 100
        let y = LinearScale(covering: low - max(0.08 * (high - low), 0.25), high + max(0.08 * (high - low), 0.25),
                            range: (bottom, top), limits: 0...100)
        let x = LinearScale(covering: 0, 1, range: (left, right), tickCount: 4, limits: 0...1)
        let n = SVGPlot.n
        var svg = SVGBuilder()
        let title = "\(summary.name), \(subject): test error along the linear path"
        svg.open("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": "640", "height": "460", "viewBox": "0 0 640 460",
                         "font-family": "DejaVu Sans, Helvetica, Arial, sans-serif"])
        svg.element("title", text: title)
        svg.element("rect", ["width": "100%", "height": "100%", "fill": "white"])
        svg.open("g", ["class": "grid", "stroke": "#dddddd", "stroke-width": "1"])
        for value in x.ticks { svg.line(x(value), top, x(value), bottom) }
        for value in y.ticks { svg.line(left, y(value), right, y(value)) }
        svg.close("g")
        for (index, (point, alphas, errors)) in curves.enumerated() {
            let colour = SVGPlot.palette[index % SVGPlot.palette.count]
            let d = zip(alphas, errors).enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(n(x(p.0))) \(n(y(p.1)))" }
            svg.element("path", ["class": "path", "data-k": "\(point)", "d": d.joined(separator: " "), "fill": "none",
                                 "stroke": colour, "stroke-width": "1.8", "stroke-linejoin": "round"])
            svg.open("g", ["class": "markers", "fill": colour, "stroke": "white", "stroke-width": "0.8"])
            for (alpha, error) in zip(alphas, errors) { svg.marker(index, at: x(alpha), y(error), size: 3) }
            svg.close("g")
            // Legend, right of the plot.
            let rowY = top + 10 + 20 * Double(index)
            svg.element("line", ["x1": n(right + 14), "y1": n(rowY), "x2": n(right + 40), "y2": n(rowY),
                                 "stroke": colour, "stroke-width": "1.8"])
            svg.open("g", ["fill": colour, "stroke": "white", "stroke-width": "0.8"])
            svg.marker(index, at: right + 27, rowY, size: 3)
            svg.close("g")
            svg.element("text", ["x": n(right + 46), "y": n(rowY + 4), "font-size": "12"], text: "k = \(ReportNumbers.trimmed(String(point)))")
        }
        svg.element("rect", ["x": n(left), "y": n(top), "width": n(right - left), "height": n(bottom - top),
                             "fill": "none", "stroke": "#333333"])
        svg.open("g", ["class": "x-axis", "font-size": "12", "fill": "#222222", "text-anchor": "middle"])
        for value in x.ticks {
            svg.element("text", ["x": n(x(value)), "y": n(bottom + 20)], text: ReportNumbers.fixed(value, decimals: x.tickDecimals))
        }
        svg.element("text", ["x": n((left + right) / 2), "y": n(bottom + 44), "font-size": "13"],
                    text: "Interpolation α (0: child 0, 1: child 1)")
        svg.close("g")
        svg.open("g", ["class": "y-axis", "font-size": "12", "fill": "#222222", "text-anchor": "end"])
        for value in y.ticks {
            svg.element("text", ["x": n(left - 9), "y": n(y(value) + 4)], text: ReportNumbers.fixed(value, decimals: y.tickDecimals))
        }
        let middle = (top + bottom) / 2
        svg.element("text", ["x": "20", "y": n(middle), "font-size": "13", "text-anchor": "middle",
                             "transform": "rotate(-90 20 \(n(middle)))"], text: "Test error (%)")
        svg.close("g")
        svg.element("text", ["x": n(left), "y": "24", "font-size": "15", "font-weight": "bold"], text: title)
        svg.element("text", ["x": n(left), "y": "44", "font-size": "12", "fill": "#555555"],
                    text: "Mean over \(Set(paths.map(\.seed)).count) seed(s); one line per rewind point k (epochs)")
        svg.close("svg")
        return svg.text
    }
}
