/// How `CheckpointFile.write` lays out parameters.
public enum CheckpointFormat: String, Sendable, CaseIterable {
    /// Every parameter a dense float32 dataset, masks as uint8 datasets: fast to
    /// read and resume from (training and the pruning loop use this).
    case dense
    /// Every parameter that has a mask stored in CSR form (a group with `data`,
    /// `indices`, `indptr`), its mask implied by which entries are stored; compressed
    /// where that pays. For export: the file shrinks with density.
    case sparse
}
