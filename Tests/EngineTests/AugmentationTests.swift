import Engine
import TestSupport
import XCTest

/// Random crop with zero padding and horizontal flip: exact geometry, determinism per
/// seed and epoch, and the loader applying it to training epochs only.
final class AugmentationTests: XCTestCase {
    /// A 2x3x4 image whose pixel (c, h, w) holds 100c + 10h + w + 1 (never 0).
    private let shape = [2, 3, 4]
    private func image() -> [Float] {
        var values: [Float] = []
        for c in 0..<2 { for h in 0..<3 { for w in 0..<4 { values.append(Float(100 * c + 10 * h + w + 1)) } } }
        return values
    }

    private func apply(_ augmentation: Augmentation, _ draw: Augmentation.Draw) -> [Float] {
        var source = image(), target = [Float](repeating: -1, count: 24)
        source.withUnsafeMutableBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                augmentation.apply(draw, shape: shape, from: s.baseAddress!, to: t.baseAddress!)
            }
        }
        return target
    }

    func testShiftWithZeroPadding() {
        // dy = 1, dx = -2: out[c, i, j] = x[c, i + 1, j - 2], 0 outside
        let out = apply(.cifar, .init(dy: 1, dx: -2, flip: false))
        XCTAssertEqual(Array(out[0..<12]), [0, 0, 11, 12,
                                            0, 0, 21, 22,
                                            0, 0, 0, 0])
        XCTAssertEqual(Array(out[12..<16]), [0, 0, 111, 112])
    }

    func testFlipAndFill() {
        // no shift, flipped: out[c, i, j] = x[c, i, 3 - j]
        XCTAssertEqual(Array(apply(.cifar, .init(dy: 0, dx: 0, flip: true))[0..<8]), [4, 3, 2, 1, 14, 13, 12, 11])
        // shift then flip: out[c, i, j] = x[c, i - 1, (3 - j) + 1], fill per channel
        let out = apply(Augmentation(padding: 4, fill: [-5, -7]), .init(dy: -1, dx: 1, flip: true))
        XCTAssertEqual(Array(out[0..<12]), [-5, -5, -5, -5,
                                            -5, 4, 3, 2,
                                            -5, 14, 13, 12])
        XCTAssertEqual(Array(out[12..<16]), [-7, -7, -7, -7])
    }

    func testDrawsAreDeterministicPerSeedAndEpoch() {
        let augmentation = Augmentation.cifar
        var a: [Augmentation.Draw] = [], b: [Augmentation.Draw] = [], c: [Augmentation.Draw] = [], d: [Augmentation.Draw] = []
        augmentation.draws(into: &a, count: 500, seed: 7, epoch: 3)
        augmentation.draws(into: &b, count: 500, seed: 7, epoch: 3)
        augmentation.draws(into: &c, count: 500, seed: 7, epoch: 4)
        augmentation.draws(into: &d, count: 500, seed: 8, epoch: 3)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertNotEqual(a, d)
        XCTAssertTrue(a.allSatisfy { abs(Int($0.dy)) <= 4 && abs(Int($0.dx)) <= 4 })
        XCTAssertEqual(Set(a.map(\.dy)).count, 9)                 // every offset in -4...4 occurs
        let flips = a.filter(\.flip).count
        XCTAssertGreaterThan(flips, 200)
        XCTAssertLessThan(flips, 300)
    }

    func testLoaderAugmentsTrainingEpochsOnly() {
        let data = SyntheticDataset.make(count: 10, classes: 2, shape: [3, 8, 8], seed: 1)
        func batches(augmented: Bool, seed: UInt64?, epoch: Int) -> [[Float]] {
            let loader = BatchLoader(dataset: data, batchSize: 4)
            if augmented { loader.augmentation = .cifar }
            loader.startEpoch(seed: seed, epoch: epoch)
            return (0..<loader.batchesPerEpoch).map { loader.load(batch: $0); return loader.inputs.values }
        }
        let plain = batches(augmented: false, seed: 3, epoch: 0)
        let augmented = batches(augmented: true, seed: 3, epoch: 0)
        XCTAssertEqual(augmented, batches(augmented: true, seed: 3, epoch: 0))      // same seed, same batches
        XCTAssertNotEqual(augmented, plain)
        XCTAssertNotEqual(augmented, batches(augmented: true, seed: 3, epoch: 1))
        // sequential passes (evaluation) are never augmented
        XCTAssertEqual(batches(augmented: true, seed: nil, epoch: 0), batches(augmented: false, seed: nil, epoch: 0))
        // loading batches out of order gives the same batches
        let loader = BatchLoader(dataset: data, batchSize: 4)
        loader.augmentation = .cifar
        loader.startEpoch(seed: 3, epoch: 0)
        loader.load(batch: 2)
        XCTAssertEqual(loader.inputs.values, augmented[2])
        loader.load(batch: 0)
        XCTAssertEqual(loader.inputs.values, augmented[0])
    }
}
