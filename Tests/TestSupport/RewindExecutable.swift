import Foundation

/// The `rewind` binary that `swift test` built beside the test bundle, for tests
/// that run it as a user would; nil (with the folders searched) when it is not there.
public func builtRewindExecutable() -> (url: URL?, searched: [String]) {
    let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
    let url = candidates.map { $0.appendingPathComponent("rewind") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    return (url, candidates.map(\.path))
}
