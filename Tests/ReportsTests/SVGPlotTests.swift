import Pruning
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Reports

final class SVGPlotTests: XCTestCase {
    /// Collects what the tests look at while XMLParser checks well-formedness.
    private final class Collector: NSObject, XMLParserDelegate {
        var strategyPaths: [(strategy: String, d: String)] = []
        var texts: [String] = []
        var current = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String]) {
            current = ""
            if name == "path", attributes["class"] == "strategy" {
                strategyPaths.append((attributes["data-strategy"] ?? "", attributes["d"] ?? ""))
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" || name == "title" { texts.append(current) }
            current = ""
        }
    }

    private func parse(_ svg: String) throws -> Collector {
        let collector = Collector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        return collector
    }

    func testWellFormedWithOneStrategyPathPerStrategy() throws {
        let (rows, context) = Fixtures.paperSized()
        let comparison = try Comparison(rows: rows, context: context)
        let collector = try parse(SVGPlot.render(comparison))
        XCTAssertEqual(collector.strategyPaths.map(\.strategy), context.strategies)
        for path in collector.strategyPaths {
            XCTAssertEqual(path.d.filter { $0 == "M" }.count, 1)
            XCTAssertEqual(path.d.filter { $0 == "L" }.count, 17, "18 levels: one move, 17 lines")
        }
        XCTAssertTrue(collector.texts.contains("Weights remaining (%, log scale)"))
        XCTAssertTrue(collector.texts.contains("Test accuracy (%)"))
        XCTAssertTrue(collector.texts.contains("dense (mean ± std)"))
        for label in ["100", "1.8"] { XCTAssertTrue(collector.texts.contains(label), "x tick \(label)") }
    }

    func testTextIsEscaped() throws {
        var context = Fixtures.context
        context.name = "a<b & \"c\""
        context.strategies = ["<fine>&tune", "lr-rewind"]
        let rows = Fixtures.rows.map { row -> LevelRecord in
            var row = row
            if row.strategy == "fine-tune" { row.strategy = "<fine>&tune" }
            return row
        }
        let collector = try parse(SVGPlot.render(try Comparison(rows: rows, context: context)))
        XCTAssertEqual(collector.strategyPaths.map(\.strategy), ["<fine>&tune", "lr-rewind"])
        XCTAssertTrue(collector.texts.contains("a<b & \"c\": test accuracy vs weights remaining"))
    }

    func testLogAxisPutsDenseLeftAndTheSparsestLevelRight() throws {
        let (rows, context) = Fixtures.paperSized()
        let layout = SVGPlot.layout(try Comparison(rows: rows, context: context))
        let positions = ([100] + layout.levelPercents).map { layout.x($0) }
        XCTAssertEqual(positions, positions.sorted(), "x grows as weights remaining fall")
        XCTAssertGreaterThan(positions.first!, layout.left)
        XCTAssertLessThan(positions.first! - layout.left, 0.05 * (layout.right - layout.left))
        XCTAssertLessThan(positions.last!, layout.right)
        XCTAssertLessThan(layout.right - positions.last!, 0.05 * (layout.right - layout.left))
        // Log scale: each 20% pruning step is the same distance.
        let steps = zip(positions.dropFirst(), positions).map { $0 - $1 }
        for step in steps { XCTAssertEqual(step, steps[0], accuracy: 1e-9) }
        XCTAssertEqual(layout.xTicks.first, 100)
        XCTAssertEqual(layout.xTicks.last, layout.levelPercents.last)
    }

    func testYAxisCoversEveryErrorBarAndDense() throws {
        let (rows, context) = Fixtures.paperSized()
        let comparison = try Comparison(rows: rows, context: context)
        let layout = SVGPlot.layout(comparison)
        let aggregates = comparison.strategies.flatMap(\.levels) + [comparison.dense!]
        let low = aggregates.map { 100 * ($0.testAccuracy.mean - $0.testAccuracy.std) }.min()!
        let high = aggregates.map { 100 * ($0.testAccuracy.mean + $0.testAccuracy.std) }.max()!
        XCTAssertLessThan(layout.y.domain.start, low)
        XCTAssertGreaterThan(layout.y.domain.end, high)
        XCTAssertLessThan(layout.y.domain.end - layout.y.domain.start, 2 * (high - low), "range follows the data")
        XCTAssertGreaterThan(layout.y(low), layout.y(high), "higher accuracy is higher up")
    }
}
