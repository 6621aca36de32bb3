/// A contiguous, row-major buffer of `Float` values with a shape.
///
/// Images are NCHW; weights follow PyTorch's layouts (Linear `[out, in]`,
/// Conv2D `[out, in, kh, kw]`) so that a checkpoint maps 1:1 to a `state_dict`.
///
/// `Tensor` is a reference type on purpose: layers own their output and gradient
/// buffers and reuse them every step, so the training hot path allocates nothing.
/// `reshape(to:)` keeps the allocation when the new element count fits the capacity
/// (a smaller last batch reuses the buffer of the full batches).
public final class Tensor {
    /// The dimensions, outermost first.
    public private(set) var shape: [Int]
    /// The number of elements, the product of `shape`.
    public private(set) var count: Int
    /// How many elements the allocation holds (at least `count`).
    public private(set) var capacity: Int
    /// The first element. Valid until the next `reshape(to:)` that grows the tensor.
    public private(set) var pointer: UnsafeMutablePointer<Float>

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = Swift.max(count, 1)
        self.pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: value, count: capacity)
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    /// A copy of `other` (its own storage).
    public convenience init(copying other: Tensor) {
        self.init(shape: other.shape)
        pointer.update(from: other.pointer, count: count)
    }

    /// A tensor over memory it does not own (a batch that is already contiguous in a
    /// dataset, say): no copy, and nothing freed at deinit. The memory must outlive the
    /// tensor and every layer holding it. Growing it with `reshape(to:)` moves it to
    /// storage of its own.
    public init(borrowing memory: UnsafeMutablePointer<Float>, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = count
        self.pointer = memory
        self.ownsStorage = false
    }

    /// Whether `pointer` was allocated by this tensor (false for `init(borrowing:shape:)`
    /// and after `borrow(_:shape:)`).
    private var ownsStorage = true

    /// Turns this tensor into a view of `memory` with `shape`, freeing the storage it
    /// owned: how a layer whose output is its input's memory (Flatten) hands it on
    /// without a copy, reusing one `Tensor` object every step. The memory must outlive
    /// the view's use; a later growing `reshape(to:)` gives the tensor storage of its own again.
    public func borrow(_ memory: UnsafeMutablePointer<Float>, shape: [Int]) {
        if ownsStorage { pointer.deallocate() }
        ownsStorage = false
        pointer = memory
        self.shape = shape
        count = shape.reduce(1, *)
        capacity = count
    }

    deinit { if ownsStorage { pointer.deallocate() } }

    /// The elements as a buffer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// The elements as a Swift array (a copy).
    public var values: [Float] { Array(buffer) }

    /// Element `index` of the flattened tensor.
    @inlinable public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// Changes the shape; reallocates only when the new count exceeds the capacity.
    /// Contents are unspecified afterwards unless the count is unchanged.
    public func reshape(to newShape: [Int]) {
        if newShape == shape { return }
        let newCount = newShape.reduce(1, *)
        if newCount > capacity {
            if ownsStorage { pointer.deallocate() }
            ownsStorage = true
            capacity = newCount
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        shape = newShape
        count = newCount
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        pointer.update(repeating: value, count: count)
    }

    /// Copies the elements of `other`, taking its shape.
    public func copy(from other: Tensor) {
        reshape(to: other.shape)
        pointer.update(from: other.pointer, count: count)
    }

    /// The sum of squares of the elements, accumulated in Double.
    public func sumOfSquares() -> Double {
        var total = 0.0
        for value in buffer { total += Double(value) * Double(value) }
        return total
    }

    /// Whether every element is finite (no NaN, no infinity).
    public var isFinite: Bool { buffer.allSatisfy { $0.isFinite } }

    /// The number of non-zero elements.
    public var nonZeroCount: Int { buffer.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = buffer.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)[\(preview)\(count > 8 ? ", ..." : "")]"
    }
}
