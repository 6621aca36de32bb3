/// What a network is, in enough detail to rebuild it without the recipe that made it.
/// Stored as JSON in every checkpoint's root attribute `architecture`.
public struct Architecture: Codable, Equatable, Sendable {
    /// The model's name in `ModelZoo` ("lenet-300-100", "lenet-5", "conv-2", ...).
    public var model: String
    /// One example's shape, `[channels, height, width]`.
    public var inputShape: [Int]
    /// Number of output classes.
    public var classes: Int
    /// Dropout probability after each hidden fully connected layer (0: none).
    public var dropout: Float
    /// The network's nodes when `model` is "graph" (imported from ONNX or declared in
    /// a recipe); nil for the zoo's models (and absent from their JSON).
    public var graph: GraphSpec?

    public init(model: String, inputShape: [Int] = [1, 28, 28], classes: Int = 10, dropout: Float = 0,
                graph: GraphSpec? = nil) {
        self.model = model
        self.inputShape = inputShape
        self.classes = classes
        self.dropout = dropout
        self.graph = graph
    }

    enum CodingKeys: String, CodingKey { case model, inputShape, classes, dropout, graph }

    /// Decodes the JSON a checkpoint stores; only `model` is required, the other
    /// fields take `init`'s defaults when absent (checkpoints written before a field
    /// existed, or by other tools, stay readable).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Architecture(model: "")
        model = try container.decode(String.self, forKey: .model)
        inputShape = try container.decodeIfPresent([Int].self, forKey: .inputShape) ?? defaults.inputShape
        classes = try container.decodeIfPresent(Int.self, forKey: .classes) ?? defaults.classes
        dropout = try container.decodeIfPresent(Float.self, forKey: .dropout) ?? defaults.dropout
        graph = try container.decodeIfPresent(GraphSpec.self, forKey: .graph)
    }
}

/// Per-channel input normalisation, `x' = (x - mean[c]) / std[c]`, computed on the
/// training set and kept with the model (and its checkpoints) so evaluation of a
/// checkpoint normalises exactly as training did.
public struct Normalization: Codable, Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }
    /// No change: mean 0, std 1.
    public static func identity(channels: Int) -> Normalization {
        Normalization(mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels))
    }
}
