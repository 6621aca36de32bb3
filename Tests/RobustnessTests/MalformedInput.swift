import Foundation

/// One malformed input as a hostile or careless user would supply it: the files it
/// needs (written by code into its own folder), the `rewind` command that reads them,
/// and what the one-line error must name.
struct MalformedInput {
    /// The classes of issue 14 ("No input crashes Rewind"), plus the three items of
    /// issue 13 this suite covers.
    enum Kind: String, CaseIterable {
        case unboundedSize = "14.1 sizes bounded"
        case shape = "14.2 shapes checked"
        case emptyData = "14.3 empty data"
        case escapingName = "14.4 names stay in their folder"
        case filesystem = "14.5 filesystem problems"
        case yamlLimits = "14.7 YAML limits"
        case craftedHDF5 = "14.8 crafted HDF5"
        case maskMismatch = "14.9 masks agree with parameters"
        case divergence = "14.10 divergence"
        case staleTemporary = "14.11 stale temporaries"
        case unknownKey = "13.9 unknown keys"
        case missingMNIST = "13.10 missing MNIST"
        case architectureJSON = "13.11 architecture JSON"
    }

    let kind: Kind
    let name: String
    /// `rewind` arguments, run in the case's folder.
    let arguments: [String]
    /// Every fragment must appear in the error line (the file, key or option, and the cause).
    let expected: [String]
    /// Writes the input files into the case's folder.
    var prepare: (URL) throws -> Void = { _ in }
    /// Paths (relative to the case folder) the command may create or change; every
    /// other file must be byte-identical afterwards, and nothing else may appear.
    var writable: [String] = ["checkpoints", "reports"]
    /// Seconds the command may take (parser cases: a few).
    var timeout: Double = 60
    /// The address space the command may use (`ulimit -v`, KiB): 4 GiB as in the
    /// issue's trial; parser cases get 1 GiB, bounding the parser's memory.
    var addressSpaceKiB = 4 << 20
    /// Exit 0 expected (a malformed-looking input Rewind must accept, e.g. an
    /// architecture without its optional fields); `expected` then applies to stdout.
    var succeeds = false
    /// Checks after the run (e.g. the last good checkpoint is still there).
    var check: ((URL) throws -> Void)? = nil
}
