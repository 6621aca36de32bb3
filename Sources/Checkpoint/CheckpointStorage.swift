/// Bytes each tensor takes on disk, for `rewind inspect`.
extension CheckpointFile {
    /// Storage bytes per object under /params and /masks, keyed by HDF5 path
    /// ("/params/fc1.weight"); a CSR group counts the sum of its data, indices and
    /// indptr datasets (after compression). Read `read(_:)` first to validate.
    public static func storageBytes(_ path: String) throws -> [String: Int] {
        HDF5Library.prepare()
        let file = try HDF5File.open(at: path, name: path)
        return try withExtendedLifetime(file) {
            let root = try file.rootGroup()
            var sizes: [String: Int] = [:]
            for groupName in ["params", "masks"] where try root.contains(groupName) {
                let group = try root.openGroup(groupName)
                for name in try group.childNames() {
                    switch try group.childKind(name) {
                    case .dataset?:
                        sizes["/\(groupName)/\(name)"] = try group.openDataset(name).storageSize()
                    case .group?:
                        let csr = try group.openGroup(name)
                        sizes["/\(groupName)/\(name)"] = try csr.childNames().reduce(0) { $0 + (try csr.openDataset($1).storageSize()) }
                    default:
                        break
                    }
                }
            }
            return sizes
        }
    }
}
