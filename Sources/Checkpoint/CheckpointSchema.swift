import Engine
import Foundation

/// The names and constants of checkpoint schema v1 (docs/checkpoint-format.md).
enum CheckpointSchema {
    /// The root attribute `format` of every Rewind checkpoint.
    static let formatTag = "rewind.checkpoint"
    /// The schema version this Rewind writes and reads.
    static let version = 1

    /// Root attributes the schema defines; every other root attribute is a
    /// free-form string (`CheckpointContents.attributes`).
    enum RootAttribute {
        static let format = "format", version = "version", architecture = "architecture"
        static let normalization = "normalization", step = "step", epoch = "epoch", seed = "seed"
        static let recipe = "recipe", schedule = "schedule"
        static let all: Set<String> = [format, version, architecture, normalization, step, epoch, seed, recipe, schedule]
    }

    /// Groups under the root.
    enum Group {
        static let parameters = "params", masks = "masks", buffers = "buffers"
        static let optimizer = "optimizer", metrics = "metrics"
        static let all: Set<String> = [parameters, masks, buffers, optimizer, metrics]
    }

    /// Attributes of the `/optimizer` group.
    enum OptimizerAttribute {
        static let kind = "kind", stepCount = "step_count", hyperparameters = "hyperparameters"
    }

    /// Names inside a CSR parameter group.
    enum CSR {
        static let formatAttribute = "format", shapeAttribute = "shape", formatTag = "csr"
        static let data = "data", indices = "indices", indptr = "indptr"
        /// On an optimizer slot dataset of a sparse export: the CSR group whose structure
        /// (indices, indptr) its values follow, e.g. "/params/fc1.weight".
        static let structureAttribute = "csr_structure"
    }

    /// Deflate level for compressed datasets. Measured by rewriting the datasets of a
    /// LeNet-300-100 export at 95% sparsity at each setting (shuffle on): level 1
    /// gives 68.6 kB, 4 gives 67.6 kB, 6 gives 67.1 kB, 9 gives 66.9 kB; without
    /// shuffle every level is ~10% larger. 6 is within 0.3% of 9 and writes faster.
    static let deflateLevel = 6
    /// Datasets smaller than this stay contiguous: the filter pipeline and chunk
    /// index cost a few dozen bytes, more than deflate saves on a handful of numbers.
    /// (Same measurement: threshold 64 B gives 66.6 kB, 512 B gives 67.1 kB, 4 kB gives 69.7 kB.)
    static let compressionThresholdBytes = 64

    /// JSON as the schema stores it: keys sorted, so equal values give equal text.
    static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes `text` as `type` (the caller names the attribute on failure).
    static func decodeJSON<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
