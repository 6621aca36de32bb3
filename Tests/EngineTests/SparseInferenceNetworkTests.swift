import Engine
import TestSupport
import XCTest

/// The sparse inference path gives the dense network's logits and predictions.
final class SparseInferenceNetworkTests: XCTestCase {
    /// LeNet-300-100 with random weights and biases, each weight pruned to `sparsity`
    /// by magnitude (the smallest |w| of each layer set to zero).
    static func prunedLeNet(sparsity: Double, dropout: Float = 0, seed: UInt64 = 1) throws -> Network {
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100", dropout: dropout))
        network.initialize(seed: seed)
        for p in network.parameters where p.role == .bias {
            p.value.copy(from: randomTensor(p.value.shape, seed: seed + 7, scale: 0.1))
        }
        for name in network.prunableParameterNames {
            magnitudePrune(network.parameter(named: name)!.value, sparsity: sparsity)
        }
        return network
    }

    /// The 95%-pruned LeNet the read-only tests share (building one takes about a
    /// second in a debug build).
    nonisolated(unsafe) static let lenet95 = try! prunedLeNet(sparsity: 0.95)

    /// Zeroes the `sparsity` fraction of `weight`'s entries with the smallest
    /// magnitude (those below the magnitude of rank `sparsity · count`; random
    /// normal weights have no ties).
    static func magnitudePrune(_ weight: Tensor, sparsity: Double) {
        let pruned = Int((Double(weight.count) * sparsity).rounded())
        guard pruned > 0 else { return }
        let threshold = weight.buffer.map { abs($0) }.sorted()[pruned - 1]
        for i in 0..<weight.count where abs(weight[i]) <= threshold { weight[i] = 0 }
    }

    static func argmax(_ logits: Tensor, row: Int) -> Int {
        let classes = logits.shape[1]
        return (0..<classes).max { logits[row * classes + $0] < logits[row * classes + $1] }!
    }

    /// Same logits to 1e-5 of the largest |logit|, same predicted classes.
    func assertMatchesDense(_ sparse: SparseInferenceNetwork, _ network: Network, batch: Int, seed: UInt64,
                            file: StaticString = #filePath, line: UInt = #line) {
        let input = randomTensor([batch, 1, 28, 28], seed: seed)
        let expected = Tensor(copying: network.forward(input, mode: .evaluation))
        let got = sparse.forward(input)
        XCTAssertEqual(got.shape, expected.shape, file: file, line: line)
        let scale = expected.buffer.reduce(Float(0)) { max($0, abs($1)) }
        let difference = maxAbsoluteDifference(got.buffer, expected.buffer)
        XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "batch \(batch): logits differ by \(difference) (scale \(scale))", file: file, line: line)
        for row in 0..<batch {
            XCTAssertEqual(Self.argmax(got, row: row), Self.argmax(expected, row: row), "batch \(batch) row \(row)", file: file, line: line)
        }
    }

    func testPrunedLeNetGivesTheDenseLogitsOnEveryPathAndBatch() {
        let network = Self.lenet95
        for variant in SparseGemmTests.variants {
            // nil: the measured defaults; 1.01: every Linear sparse; 0: every Linear dense.
            network.configuration = SparseGemmTests.configuration(variant)
            defer { network.configuration = .default }
            for crossover in [nil, 1.01, 0] as [Double?] {
                let sparse = SparseInferenceNetwork(network: network, crossoverDensity: crossover)
                for (batch, seed) in [(1, 20), (3, 21), (8, 22), (37, 23), (256, 24)] as [(Int, UInt64)] {
                    assertMatchesDense(sparse, network, batch: batch, seed: seed)
                }
            }
        }
    }

    /// The batch-1 profile covers each Linear layer with its stored entries (timings
    /// are only checked to be measured: speed belongs to `rewind bench`).
    func testLinearProfileCoversEveryLinearLayer() {
        let network = Self.lenet95
        let profile = SparseLinearProfile.measure(network: network, repeats: 1)
        XCTAssertEqual(profile.layers.map(\.name), ["fc1", "fc2", "fc3"])
        XCTAssertEqual(profile.layers.map(\.shape), [[300, 784], [100, 300], [10, 100]])
        for layer in profile.layers {
            XCTAssertEqual(layer.stored, network.parameter(named: layer.name + ".weight")!.value.nonZeroCount)
            XCTAssertGreaterThanOrEqual(layer.slots, layer.stored)
            XCTAssertTrue([layer.denseSeconds, layer.csrSeconds, layer.ellpackSeconds].allSatisfy { $0 > 0 && $0.isFinite })
        }
        XCTAssertTrue(profile.networkSeconds > 0 && profile.networkSeconds.isFinite)
    }

    func testPlanFusesReLUAndReportsDensities() {
        let network = Self.lenet95
        let sparse = SparseInferenceNetwork(network: network, crossoverDensity: 0.5)
        XCTAssertEqual(sparse.linearLayers.map(\.name), ["fc1", "fc2", "fc3"])
        XCTAssertEqual(sparse.linearLayers.map(\.shape), [[300, 784], [100, 300], [10, 100]])
        XCTAssertEqual(sparse.linearLayers.map(\.fusesReLU), [true, true, false])
        for layer in sparse.linearLayers { XCTAssertEqual(layer.density, 0.05, accuracy: 0.001) }
        for batch in [1, 256] {
            XCTAssertEqual(sparse.kernel(for: "fc1", batch: batch), .sparse, "batch \(batch)")
        }
        XCTAssertNil(sparse.kernel(for: "conv1", batch: 1))
        let dense = SparseInferenceNetwork(network: network, crossoverDensity: 0)
        XCTAssertEqual(dense.kernel(for: "fc1", batch: 1), .dense)
    }

    func testMixedSparseAndDenseLayersAndDropout() throws {
        // fc1 and fc2 at 95%, fc3 dense: the last layer runs dense after sparse ones,
        // so the plan transposes back before it. Dropout is the identity.
        let network = try Self.prunedLeNet(sparsity: 0.95, dropout: 0.5, seed: 3)
        network.parameter(named: "fc3.weight")!.value.copy(from: randomTensor([10, 100], seed: 4, scale: 0.1))
        let sparse = SparseInferenceNetwork(network: network, crossoverDensity: 0.5)
        XCTAssertEqual(sparse.kernel(for: "fc2", batch: 16), .sparse)
        XCTAssertEqual(sparse.kernel(for: "fc3", batch: 16), .dense)
        for batch in [1, 16, 70] { assertMatchesDense(sparse, network, batch: batch, seed: UInt64(batch)) }
    }

    func testMasksKeepZeroWeightsInThePattern() throws {
        let network = try Self.prunedLeNet(sparsity: 0.9, seed: 5)
        var masks: [String: Tensor] = [:]
        for name in network.prunableParameterNames {
            let weight = network.parameter(named: name)!.value
            let mask = Tensor(shape: weight.shape)
            for i in 0..<weight.count { mask[i] = weight[i] != 0 ? 1 : 0 }
            // A kept weight that happens to be 0 stays in the pattern.
            for i in 0..<weight.count where mask[i] == 1 { weight[i] = 0; break }
            masks[name] = mask
        }
        let sparse = SparseInferenceNetwork(network: network, crossoverDensity: 1.01, masks: masks)
        for layer in sparse.linearLayers { XCTAssertEqual(layer.density, 0.1, accuracy: 0.001) }
        assertMatchesDense(sparse, network, batch: 9, seed: 30)
    }

    func testCrossoverMeasurement() {
        let density = SparseCrossover.measure(rows: 8, columns: 16, batch: 4, repeats: 1)
        XCTAssertGreaterThanOrEqual(density, 0)
        XCTAssertLessThanOrEqual(density, 1)
    }

    /// Without a fixed crossover, each pruned layer's product is measured once per
    /// batch size (the faster one chosen), kept, reused by another network sharing
    /// the choices, and obeyed when given.
    func testMeasuredChoicesAreKeptPerLayerAndBatchAndObeyed() throws {
        let network = Self.lenet95
        let choices = SparseKernelChoices()
        let sparse = SparseInferenceNetwork(network: network, choices: choices)
        assertMatchesDense(sparse, network, batch: 3, seed: 40)
        let stored = ["fc1", "fc2", "fc3"].map { network.parameter(named: "\($0).weight")!.value.nonZeroCount }
        XCTAssertEqual(choices.entries.map(\.key.stored).sorted(), stored.sorted())
        XCTAssertEqual(Set(choices.entries.map(\.key.batch)), [3])
        XCTAssertEqual(Set(choices.entries.map(\.key.kind)), ["linear"])
        for entry in choices.entries { XCTAssertEqual(entry.kernel, entry.speedUp > 1 ? .sparse : .dense, "\(entry)") }
        XCTAssertTrue(choices.measuredNew)
        _ = sparse.kernel(for: "fc1", batch: 5)
        XCTAssertEqual(choices.entries.count, 4)   // one more batch size, one more measurement

        let kept = SparseKernelChoices(entries: choices.entries)
        let again = SparseInferenceNetwork(network: network, choices: kept)
        assertMatchesDense(again, network, batch: 3, seed: 41)
        XCTAssertFalse(kept.measuredNew)
        XCTAssertEqual(kept.entries, choices.entries)

        let key = { (name: String) in
            SparseKernelChoices.Key(kind: .linear, shape: network.parameter(named: name)!.value.shape,
                                    stored: network.parameter(named: name)!.value.nonZeroCount, batch: 2)
        }
        let given = SparseKernelChoices(entries: [
            .init(key: key("fc1.weight"), kernel: .dense, speedUp: 0.5),
            .init(key: key("fc2.weight"), kernel: .sparse, speedUp: 2),
            .init(key: key("fc3.weight"), kernel: .sparse, speedUp: 2),
        ])
        let obeying = SparseInferenceNetwork(network: network, choices: given)
        XCTAssertEqual(["fc1", "fc2", "fc3"].map { obeying.kernel(for: $0, batch: 2) }, [.dense, .sparse, .sparse])
        assertMatchesDense(obeying, network, batch: 2, seed: 42)
        XCTAssertFalse(given.measuredNew)
    }

    /// At batch 1 a Linear layer's two sparse forms (CSR, sliced ELLPACK) are both
    /// timed, the faster is kept with the choice, and either runs correctly.
    func testBatchOneChoosesBetweenCSRAndSlicedEllpack() {
        let network = Self.lenet95
        let choices = SparseKernelChoices()
        let measured = SparseInferenceNetwork(network: network, choices: choices)
        assertMatchesDense(measured, network, batch: 1, seed: 43)
        _ = measured.kernel(for: "fc1", batch: 4)
        for entry in choices.entries {
            XCTAssertEqual(entry.matrixVectorForm == nil, entry.key.batch != 1, "\(entry)")
        }
        for form in [SparseKernelChoices.MatrixVectorForm.csr, .slicedEllpack] {
            let given = SparseKernelChoices(entries: ["fc1", "fc2", "fc3"].map { name in
                let weight = network.parameter(named: name + ".weight")!.value
                return .init(key: .init(kind: .linear, shape: weight.shape, stored: weight.nonZeroCount, batch: 1),
                             kernel: .sparse, speedUp: 2, matrixVectorForm: form)
            })
            let obeying = SparseInferenceNetwork(network: network, choices: given)
            assertMatchesDense(obeying, network, batch: 1, seed: 44)
            XCTAssertFalse(given.measuredNew)
        }
    }
}
