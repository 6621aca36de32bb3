import Pruning
import AtomicFile
import Foundation

/// Writes a comparison's five report files into one directory
/// (`<reports>/<recipe-name>/`, `reports/local/<recipe-name>/` by default).
public enum ReportWriter {
    public static let markdownFile = "report.md"
    public static let levelsFile = "levels.csv"
    public static let layersFile = "layers.csv"
    public static let jsonFile = "results.json"
    public static let plotFile = "accuracy-vs-sparsity.svg"

    /// Aggregates `rows` and writes report.md, levels.csv, layers.csv, results.json and
    /// accuracy-vs-sparsity.svg into `directory` (created if missing); returns their URLs
    /// in that order.
    ///
    /// Every file is rendered before the first is written, so invalid rows
    /// (`ReportError`) leave the directory untouched. Each file replaces the old one
    /// atomically (`AtomicFile`), so a reader never sees half a file.
    @discardableResult
    public static func write(rows: [LevelRecord], context: ReportContext, to directory: URL) throws -> [URL] {
        let comparison = try Comparison(rows: rows, context: context)
        let files: [(String, Data)] = [
            (markdownFile, Data(MarkdownReport.render(comparison, plotFile: plotFile).utf8)),
            (levelsFile, Data(CSVReport.levels(comparison).utf8)),
            (layersFile, Data(CSVReport.layers(comparison).utf8)),
            (jsonFile, try JSONReport.encode(comparison)),
            (plotFile, Data(SVGPlot.render(comparison).utf8)),
        ]
        return try writeFiles(files, to: directory)
    }

    /// Writes already rendered `files` (name, bytes) into `directory`, each atomically
    /// (`AtomicFile`); returns their URLs. Every report renders all its files first, so
    /// an error while rendering writes nothing.
    public static func writeFiles(_ files: [(String, Data)], to directory: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try files.map { name, contents in
            let url = directory.appendingPathComponent(name)
            try AtomicFile.replace(url.path, with: [UInt8](contents))
            return url
        }
    }
}
