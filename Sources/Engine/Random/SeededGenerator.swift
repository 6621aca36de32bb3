/// A seeded pseudo-random generator: xoshiro256** (Blackman & Vigna 2018),
/// its 256-bit state filled from `(seed, stream)` by SplitMix64.
///
/// Rewind uses one generator per concern so that changing one concern never shifts
/// another's numbers: `.initialization` (weights), `.dataOrder` (shuffles, one stream
/// per epoch), `.dropout` (one stream per epoch), `.pruning` (random masks),
/// `.augmentation`. Deriving a stream per epoch makes resuming at an epoch boundary
/// exact without storing generator state.
///
/// The algorithms are fixed and documented so the same seed gives the same run on
/// any machine:
/// - `next()`: xoshiro256** — `rotl(s1 * 5, 7) * 9`, then the xoshiro state update;
/// - `nextFloat()`: the top 24 bits of `next()` times 2⁻²⁴, uniform in [0, 1);
/// - `nextInt(below:)`: Lemire's multiply-and-reject, unbiased;
/// - `nextNormal()`: Box–Muller on two uniforms, the cosine branch only.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// What the numbers are used for; each concern gets an independent stream.
    public enum Concern: UInt64, Sendable {
        case initialization = 1, dataOrder = 2, dropout = 3, pruning = 4, augmentation = 5, benchmark = 6
    }

    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator for `seed`, `concern` and `stream` (e.g. the epoch).
    public init(seed: UInt64, concern: Concern, stream: UInt64 = 0) {
        var mix = SplitMix64(state: seed &* 0x9E37_79B9_7F4A_7C15 ^ concern.rawValue &* 0xBF58_476D_1CE4_E5B9 ^ stream &* 0x94D0_49BB_1331_11EB)
        s0 = mix.next(); s1 = mix.next(); s2 = mix.next(); s3 = mix.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of resolution (every value exactly a Float).
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 bits of resolution.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in `0..<bound` (Lemire 2019, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A standard normal sample, N(0, 1), by Box–Muller.
    public mutating func nextNormal() -> Float {
        let u1 = 1.0 - nextDouble()  // (0, 1]: log is finite
        let u2 = nextDouble()
        return Float((-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2))
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates), written into `indices`.
    public mutating func permutation(into indices: inout [Int32], count: Int) {
        indices.removeAll(keepingCapacity: true)
        indices.append(contentsOf: (0..<Int32(count)))
        var i = count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            indices.swapAt(i, j)
            i -= 1
        }
    }
}

@inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}

/// SplitMix64 (Steele, Lea & Flood 2014): expands one 64-bit seed into a stream
/// of well-mixed words, used to fill xoshiro's state.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
