import Foundation

/// Writes a comparison's five report files into one directory
/// (`reports/<recipe-name>/` by DESIGN.md's layout).
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
    /// (`ReportError`) leave the directory untouched. Each file is written to a temporary
    /// file beside it and renamed over the old one, so a reader never sees half a file.
    @discardableResult
    public static func write(rows: [ResultRow], context: ReportContext, to directory: URL) throws -> [URL] {
        let comparison = try Comparison(rows: rows, context: context)
        let files: [(String, Data)] = [
            (markdownFile, Data(MarkdownReport.render(comparison, plotFile: plotFile).utf8)),
            (levelsFile, Data(CSVReport.levels(comparison).utf8)),
            (layersFile, Data(CSVReport.layers(comparison).utf8)),
            (jsonFile, try JSONReport.encode(comparison)),
            (plotFile, Data(SVGPlot.render(comparison).utf8)),
        ]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try files.map { name, contents in
            let url = directory.appendingPathComponent(name)
            try replaceAtomically(url, with: contents)
            return url
        }
    }

    /// Writes `contents` to a hidden temporary file in `url`'s directory, then renames it
    /// to `url` (rename(2) replaces atomically within one file system).
    static func replaceAtomically(_ url: URL, with contents: Data) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try contents.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [
                    NSFilePathErrorKey: url.path,
                    NSLocalizedDescriptionKey: "cannot rename \(temporary.path) to \(url.path): "
                        + String(cString: strerror(errno)),
                ])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
