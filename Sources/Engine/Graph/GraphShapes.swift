extension GraphSpec {
    /// One example's shape after every node, for one example's `inputShape`
    /// (`[C, H, W]`), checking every node against its inputs first so that building
    /// the layers (whose initialisers trap on bad sizes) never sees a bad graph.
    ///
    /// Shapes (no batch dimension):
    ///
    ///     linear      [*] with product in        → [out]
    ///     conv        [in, H, W]                 → [out, (H + 2·padding − kernel)/stride + 1, (W …)/stride + 1]
    ///     maxpool/avgpool [C, H, W], H, W ≥ kernel → [C, (H − kernel)/stride + 1, (W − kernel)/stride + 1]
    ///     globalavgpool [C, H, W]                → [C]
    ///     batchnorm   [in, H, W]                 → same
    ///     flatten     [d1, d2, …]                → [d1·d2·…]
    ///     relu, dropout                          → same
    ///     add         two equal shapes           → same
    ///
    /// Throws `EngineError.invalidArchitecture` naming the node, its op and what was expected.
    public func outputShapes(inputShape: [Int]) throws -> [[Int]] {
        guard !nodes.isEmpty else { throw EngineError.invalidArchitecture("the graph has no nodes") }
        var shapes: [[Int]] = []
        for (index, node) in nodes.enumerated() {
            func fail(_ why: String) -> EngineError {
                .invalidArchitecture("node \(index) (\(node.op.rawValue)\(node.name.map { " \($0)" } ?? "")): \(why)")
            }
            func positive(_ value: Int?, _ field: String) throws -> Int {
                guard let value else { throw fail("missing \(field)") }
                guard value > 0 else { throw fail("\(field) must be positive, got \(value)") }
                return value
            }
            let inputs = node.resolvedInputs(index: index)
            guard inputs.count == (node.op == .add ? 2 : 1) else {
                throw fail("expected \(node.op == .add ? 2 : 1) input(s), got \(inputs.count)")
            }
            if let bad = inputs.first(where: { $0 < -1 || $0 >= index }) {
                throw fail("input \(bad) is not an earlier node (expected -1 for the network input or 0 ..< \(index))")
            }
            let shapeOf = { (input: Int) in input == -1 ? inputShape : shapes[input] }
            shapes.append(try nodeShape(node, shapeOf(inputs[0]), inputs.count == 2 ? shapeOf(inputs[1]) : nil,
                                        fail: fail, positive: positive))
        }
        return shapes
    }

    private func nodeShape(_ node: GraphNode, _ shape: [Int], _ second: [Int]?,
                           fail: (String) -> EngineError, positive: (Int?, String) throws -> Int) throws -> [Int] {
        switch node.op {
        case .linear:
            let features = try positive(node.in, "in")
            _ = try positive(node.out, "out")
            guard shape.reduce(1, *) == features else { throw fail("expected \(features) input features, got shape \(shape)") }
            return [node.out!]
        case .conv:
            let channels = try positive(node.in, "in"), out = try positive(node.out, "out")
            let kernel = try positive(node.kernel, "kernel"), stride = try positive(node.stride ?? 1, "stride")
            let padding = node.padding ?? 0
            guard padding >= 0 else { throw fail("padding must be non-negative, got \(padding)") }
            guard shape.count == 3, shape[0] == channels else { throw fail("expected input [\(channels), H, W], got \(shape)") }
            guard shape[1] + 2 * padding >= kernel, shape[2] + 2 * padding >= kernel else {
                throw fail("\(kernel)x\(kernel) kernel larger than the padded \(shape[1])x\(shape[2]) input")
            }
            return [out, (shape[1] + 2 * padding - kernel) / stride + 1, (shape[2] + 2 * padding - kernel) / stride + 1]
        case .maxpool, .avgpool:
            let kernel = try positive(node.kernel, "kernel"), stride = try positive(node.stride ?? kernel, "stride")
            guard shape.count == 3, shape[1] >= kernel, shape[2] >= kernel else {
                throw fail("expected input [C, H, W] of at least \(kernel)x\(kernel), got \(shape)")
            }
            return [shape[0], (shape[1] - kernel) / stride + 1, (shape[2] - kernel) / stride + 1]
        case .globalavgpool:
            guard shape.count == 3 else { throw fail("expected input [C, H, W], got \(shape)") }
            return [shape[0]]
        case .batchnorm:
            let channels = try positive(node.in, "in")
            guard shape.count == 3, shape[0] == channels else { throw fail("expected input [\(channels), H, W], got \(shape)") }
            if let epsilon = node.epsilon, !(epsilon > 0) { throw fail("epsilon must be positive, got \(epsilon)") }
            if let momentum = node.momentum, !(0...1).contains(momentum) { throw fail("momentum must be in [0, 1], got \(momentum)") }
            return shape
        case .flatten:
            return [shape.reduce(1, *)]
        case .relu:
            return shape
        case .dropout:
            let p = node.p ?? 0.5
            guard p >= 0, p < 1 else { throw fail("p must be in [0, 1), got \(p)") }
            return shape
        case .add:
            guard let second, second == shape else { throw fail("the two inputs differ in shape: \(shape) and \(second ?? [])") }
            return shape
        }
    }
}
