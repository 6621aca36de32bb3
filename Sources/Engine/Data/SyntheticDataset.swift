/// A small, learnable, seeded classification set for tests and quick checks.
///
/// Each class `c` has a prototype image drawn from N(0, 1); an example of class `c`
/// is its prototype plus N(0, noise²) per pixel. Labels cycle through the classes
/// (balanced), so with low noise a linear model separates them.
public enum SyntheticDataset {
    public static func make(count: Int, classes: Int, shape: [Int] = [1, 8, 8],
                            noise: Float = 0.5, seed: UInt64 = 0) -> Dataset {
        var generator = SeededGenerator(seed: seed, concern: .initialization, stream: 0xDA7A)
        let size = shape.reduce(1, *)
        var prototypes = [Float](repeating: 0, count: classes * size)
        for i in prototypes.indices { prototypes[i] = generator.nextNormal() }
        let images = Tensor(shape: [count] + shape)
        var labels = [Int32](repeating: 0, count: count)
        for n in 0..<count {
            let label = n % classes
            labels[n] = Int32(label)
            for i in 0..<size {
                images[n * size + i] = prototypes[label * size + i] + noise * generator.nextNormal()
            }
        }
        return Dataset(images: images, labels: labels, classes: classes)
    }
}
