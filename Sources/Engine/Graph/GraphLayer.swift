/// A directed acyclic graph of layers run as one `Layer`: how a `GraphSpec` with
/// residual joins (`add` nodes, or any node reading something other than the
/// previous node) becomes part of a `Network`, which is always a chain.
///
/// Forward: `v[-1] = x`, then for each node in order `v[i] = layer_i(v[input_i])`, or
/// `v[i] = v[a] + v[b]` for an add; the output is the last node's value.
///
/// Backward, in reverse node order: `g[i]` (dLoss/dv[i]) is the sum over every
/// consumer `j` of node `i` of what `j` sends back; a layer node sends
/// `layer_i.backward(g[i])` to its input, an add sends `g[i]` unchanged to both of its
/// inputs (`∂(a + b)/∂a = ∂(a + b)/∂b = 1`). `g[-1]` is the returned input gradient.
public final class GraphLayer: Layer {
    /// One node: a layer, or nil for an add.
    struct Node {
        let layer: Layer?
        let inputs: [Int]
    }

    let nodes: [Node]
    private let sums: [Tensor]          // output of each add node (unused for layer nodes)
    private let gradients: [Tensor]     // g[i] for node i; gradients[nodes.count] is g[-1]
    private var hasGradient: [Bool]
    private var outputs: [Tensor] = []  // v[i] of the last forward (owned by the layers or `sums`)

    public var computesInputGradient = true {
        didSet {
            for node in nodes where node.inputs.allSatisfy({ $0 == -1 }) { node.layer?.computesInputGradient = computesInputGradient }
        }
    }

    /// `layers[i]` is node i's layer (nil for an add); `inputs[i]` the values it reads.
    init(layers: [Layer?], inputs: [[Int]]) {
        nodes = zip(layers, inputs).map { Node(layer: $0, inputs: $1) }
        sums = nodes.map { _ in Tensor(shape: [0]) }
        gradients = (0...nodes.count).map { _ in Tensor(shape: [0]) }
        hasGradient = Array(repeating: false, count: nodes.count + 1)
    }

    public var parameters: [Parameter] { nodes.flatMap { $0.layer?.parameters ?? [] } }
    public var buffers: [NamedBuffer] { nodes.flatMap { $0.layer?.buffers ?? [] } }

    /// Every layer of the graph, in node order (what `Network` looks into for Dropout).
    public var layers: [Layer] { nodes.compactMap(\.layer) }

    /// The nodes in order: each one's layer (nil for an add) and the values it reads
    /// (-1: the graph's input), for code that walks the graph (the ONNX export).
    public var steps: [(layer: Layer?, inputs: [Int])] { nodes.map { ($0.layer, $0.inputs) } }

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        var shapes: [[Int]] = []
        for (index, node) in nodes.enumerated() {
            let input = node.inputs[0] == -1 ? shape : shapes[node.inputs[0]]
            if let layer = node.layer {
                shapes.append(try layer.outputShape(forInputShape: input))
            } else {
                let other = node.inputs[1] == -1 ? shape : shapes[node.inputs[1]]
                guard other == input else { throw LayerShapeError("add node \(index) joins \(input) and \(other)") }
                shapes.append(input)
            }
        }
        return shapes.last ?? shape
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        outputs.removeAll(keepingCapacity: true)
        for (index, node) in nodes.enumerated() {
            let value = { (input: Int) in input == -1 ? x : self.outputs[input] }
            if let layer = node.layer {
                outputs.append(layer.forward(value(node.inputs[0]), mode: mode))
            } else {
                // v[i] = v[a] + v[b]
                let a = value(node.inputs[0]), b = value(node.inputs[1]), sum = sums[index]
                precondition(a.shape == b.shape, "GraphLayer: add node \(index) reads \(a.shape) and \(b.shape)")
                sum.reshape(to: a.shape)
                let pa = a.pointer, pb = b.pointer, ps = sum.pointer
                for i in 0..<sum.count { ps[i] = pa[i] + pb[i] }
                outputs.append(sum)
            }
        }
        return outputs.last ?? x
    }

    public func backward(_ dy: Tensor) -> Tensor {
        for i in hasGradient.indices { hasGradient[i] = false }
        accumulate(dy, into: nodes.count - 1)
        for (index, node) in nodes.enumerated().reversed() where hasGradient[slot(index)] {
            let g = gradients[slot(index)]
            if let layer = node.layer {
                let dx = layer.backward(g)
                if node.inputs[0] != -1 || computesInputGradient { accumulate(dx, into: node.inputs[0]) }
            } else {
                for input in node.inputs where input != -1 || computesInputGradient { accumulate(g, into: input) }
            }
        }
        let inputGradient = gradients[nodes.count]
        if !computesInputGradient || !hasGradient[nodes.count] { inputGradient.reshape(to: emptyShape) }
        return inputGradient
    }

    /// The index into `gradients` of value `input` (-1 is the network input).
    private func slot(_ input: Int) -> Int { input == -1 ? nodes.count : input }

    /// g[input] += gradient (the first contribution of a pass is copied).
    private func accumulate(_ gradient: Tensor, into input: Int) {
        let target = gradients[slot(input)]
        if hasGradient[slot(input)] {
            precondition(target.shape == gradient.shape, "GraphLayer: gradient \(gradient.shape) for a value of shape \(target.shape)")
            let t = target.pointer, g = gradient.pointer
            for i in 0..<target.count { t[i] += g[i] }
        } else {
            target.reshape(to: gradient.shape)
            target.pointer.update(from: gradient.pointer, count: gradient.count)
            hasGradient[slot(input)] = true
        }
    }
}
