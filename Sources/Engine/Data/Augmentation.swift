/// Training-time image augmentation: a random crop of the image padded by `padding`
/// pixels on every side, then a horizontal flip with probability `flipProbability`
/// (the standard CIFAR-10 recipe of He et al. 2016: padding 4, flip 0.5; as
/// torchvision's `RandomCrop(32, padding=4)` followed by `RandomHorizontalFlip()`).
///
/// For an image `x [C, H, W]` and a draw `(dy, dx, flip)` with `dy, dx` uniform in
/// `-padding...padding`:
///
///     out[c, i, j] = x[c, i + dy, j' + dx]   with j' = flip ? W - 1 - j : j,
///                    or fill[c] where (i + dy, j' + dx) falls outside the image.
///
/// Draws come from `SeededGenerator(seed, .augmentation, stream: epoch)`, three per
/// example in epoch order (dy by `nextInt(below: 2p + 1)`, then dx, then the flip by
/// `nextFloat() < flipProbability`), drawn for the whole epoch when it starts: a
/// seed and an epoch fix every augmented batch, whatever order batches are loaded in.
public struct Augmentation: Equatable, Sendable {
    /// Zero padding on each side before the random crop (0: no crop).
    public var padding: Int
    /// Probability of a horizontal flip.
    public var flipProbability: Float
    /// The value of padded pixels per channel; empty means 0. Data normalised before
    /// batching (`Dataset.normalized(by:)`) has 0 at the channel mean; pass
    /// `-mean[c] / std[c]` to pad with black as torchvision does on raw images.
    public var fill: [Float]

    public init(padding: Int = 4, flipProbability: Float = 0.5, fill: [Float] = []) {
        precondition(padding >= 0 && flipProbability >= 0 && flipProbability <= 1, "Augmentation: invalid settings")
        self.padding = padding
        self.flipProbability = flipProbability
        self.fill = fill
    }

    /// The CIFAR-10 recipe: 4-pixel padding, random crop, flip with p = 0.5.
    public static let cifar = Augmentation()

    /// One example's random choices.
    public struct Draw: Equatable, Sendable {
        /// Vertical and horizontal shift, in `-padding...padding`.
        public var dy: Int8
        public var dx: Int8
        public var flip: Bool
        public init(dy: Int8, dx: Int8, flip: Bool) {
            self.dy = dy
            self.dx = dx
            self.flip = flip
        }
    }

    /// The draws of `count` examples of epoch `epoch`, in epoch order, into `draws`.
    public func draws(into draws: inout [Draw], count: Int, seed: UInt64, epoch: Int) {
        var generator = SeededGenerator(seed: seed, concern: .augmentation, stream: UInt64(epoch))
        draws.removeAll(keepingCapacity: true)
        let span = 2 * padding + 1
        for _ in 0..<count {
            let dy = generator.nextInt(below: span) - padding
            let dx = generator.nextInt(below: span) - padding
            let flip = generator.nextFloat() < flipProbability
            draws.append(Draw(dy: Int8(dy), dx: Int8(dx), flip: flip))
        }
    }

    /// Writes the augmented `source` `[C, H, W]` into `target` (distinct buffers).
    public func apply(_ draw: Draw, shape: [Int], from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>) {
        let channels = shape[0], height = shape[1], width = shape[2]
        let dy = Int(draw.dy), dx = Int(draw.dx)
        // Output columns j whose source column j' + dx is inside: j' in max(0, -dx) ..< min(W, W - dx)
        let low = max(0, -dx), high = min(width, width - dx)
        for c in 0..<channels {
            let value = c < fill.count ? fill[c] : 0
            let plane = source + c * height * width, out = target + c * height * width
            for i in 0..<height {
                let row = out + i * width, sourceRow = i + dy
                guard sourceRow >= 0, sourceRow < height, low < high else {
                    row.update(repeating: value, count: width)
                    continue
                }
                let input = plane + sourceRow * width + dx     // input[j'] = x[c, i + dy, j' + dx]
                if draw.flip {
                    // out[j] = input[W - 1 - j]
                    for j in 0..<width {
                        let jj = width - 1 - j
                        row[j] = jj >= low && jj < high ? input[jj] : value
                    }
                } else {
                    row.update(repeating: value, count: low)
                    (row + low).update(from: input + low, count: high - low)
                    (row + high).update(repeating: value, count: width - high)
                }
            }
        }
    }
}
