import Pruning
import Reports
import Foundation

/// A small comparison with values chosen to check by hand:
///
/// | strategy  | level | weights | seed 0 | seed 1 | mean  | sample std |
/// |-----------|-------|---------|--------|--------|-------|------------|
/// | dense     | 0     | 1.0     | 0.89   | 0.88   | 0.885 | 0.0070711  |
/// | fine-tune | 1     | 0.8     | 0.88   | 0.87   | 0.875 | 0.0070711  |
/// | lr-rewind | 1     | 0.8     | 0.884  | 0.886  | 0.885 | 0.0014142  |  best at level 1
/// | fine-tune | 2     | 0.64    | 0.86   | 0.85   | 0.855 | 0.0070711  |
/// | lr-rewind | 2     | 0.64    | 0.87   | -      | 0.87  | 0          |  best at level 2
/// | fine-tune | 3     | 0.512   | 0.80   | 0.80   | 0.80  | 0          |  tie: fine-tune, listed first
/// | lr-rewind | 3     | 0.512   | 0.80   | 0.80   | 0.80  | 0          |
///
/// Layer sparsity: fc1 = 1 - weights, fc2 = half of that; epochs 10 (dense 20); seconds 1.5 per row.
enum Fixtures {
    static let context = ReportContext(
        name: "lenet300-fashion", recipe: "name: lenet300-fashion\nseeds: [0, 1]\n",
        machine: "2 cores, Linux x86_64", wallSeconds: 3725, generated: "2025-01-02T03:04:05Z",
        strategies: ["fine-tune", "lr-rewind"], layers: ["fc1.weight", "fc2.weight"])

    static func row(_ strategy: String, _ level: Int, _ seed: Int, weights: Double, accuracy: Double) -> LevelRecord {
        let pruned = 1 - weights
        return LevelRecord(strategy: strategy, level: level, seed: seed, weightsRemaining: weights,
                         layerSparsity: ["fc1.weight": pruned, "fc2.weight": pruned / 2],
                         testAccuracy: accuracy, testLoss: 1 - accuracy,
                         epochs: strategy == "dense" ? 20 : 10, seconds: 1.5)
    }

    static let rows: [LevelRecord] = [
        row("dense", 0, 0, weights: 1, accuracy: 0.89),
        row("dense", 0, 1, weights: 1, accuracy: 0.88),
        row("fine-tune", 1, 0, weights: 0.8, accuracy: 0.88),
        row("fine-tune", 1, 1, weights: 0.8, accuracy: 0.87),
        row("lr-rewind", 1, 0, weights: 0.8, accuracy: 0.884),
        row("lr-rewind", 1, 1, weights: 0.8, accuracy: 0.886),
        row("fine-tune", 2, 0, weights: 0.64, accuracy: 0.86),
        row("fine-tune", 2, 1, weights: 0.64, accuracy: 0.85),
        row("lr-rewind", 2, 0, weights: 0.64, accuracy: 0.87),
        row("fine-tune", 3, 0, weights: 0.512, accuracy: 0.80),
        row("fine-tune", 3, 1, weights: 0.512, accuracy: 0.80),
        row("lr-rewind", 3, 0, weights: 0.512, accuracy: 0.80),
        row("lr-rewind", 3, 1, weights: 0.512, accuracy: 0.80),
    ]

    static func comparison() throws -> Comparison {
        try Comparison(rows: rows, context: context)
    }

    /// A paper-sized comparison: 5 strategies, 18 levels of 20% pruning (to 1.80%), 3 seeds,
    /// accuracies that fall off at different rates, with deterministic seed noise.
    static func paperSized() -> (rows: [LevelRecord], context: ReportContext) {
        let strategies = ["fine-tune", "weight-rewind", "lr-rewind", "lottery", "random-reinit"]
        let layers = ["fc1.weight", "fc2.weight", "fc3.weight"]
        // Accuracy lost per unit of ln(1/weights remaining), and the onset of the fall, per strategy.
        let decay: [Double] = [0.004, 0.0025, 0.002, 0.0028, 0.006]
        let onset: [Double] = [1.0, 2.0, 2.4, 1.8, 0.6]
        var rows: [LevelRecord] = []
        for seed in 0..<3 {
            let noise = { (k: Int) in 0.002 * Double((seed * 7 + k * 13) % 5 - 2) }
            rows.append(LevelRecord(strategy: "dense", level: 0, seed: seed, weightsRemaining: 1,
                                  layerSparsity: Dictionary(uniqueKeysWithValues: layers.map { ($0, 0.0) }),
                                  testAccuracy: 0.894 + noise(0), testLoss: 0.31, epochs: 20, seconds: 40))
            for level in 1...18 {
                let weights = Foundation.pow(0.8, Double(level))
                let depth = -Foundation.log(weights)
                for (s, strategy) in strategies.enumerated() {
                    let excess = max(0, depth - onset[s])
                    let accuracy = max(0.1, 0.894 - decay[s] * excess * excess + noise(level + s))
                    rows.append(LevelRecord(
                        strategy: strategy, level: level, seed: seed, weightsRemaining: weights,
                        layerSparsity: ["fc1.weight": 1 - weights, "fc2.weight": 1 - weights,
                                        "fc3.weight": 1 - Foundation.pow(0.9, Double(level))],
                        testAccuracy: accuracy, testLoss: 1.2 - accuracy, epochs: 20, seconds: 38.5))
                }
            }
        }
        let context = ReportContext(name: "lenet300-fashion", recipe: "name: lenet300-fashion\n",
                                    machine: "2 cores, Linux x86_64", wallSeconds: 9000,
                                    generated: "2025-01-02T03:04:05Z", strategies: strategies, layers: layers)
        return (rows, context)
    }
}
