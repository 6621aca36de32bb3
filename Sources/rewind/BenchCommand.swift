import ArgumentParser
import Engine
import Foundation

/// `rewind bench`: training and inference throughput, measured after a warm-up and
/// excluding data loading, as the peer script torch_train_bench.py measures PyTorch
/// (Adam, the peer's learning rates; Fashion-MNIST when installed, else random data
/// of the same shape). Report ratios against the peer run in the same session.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and inference images/s (and the one- vs two-thread product crossover with --gemm).")

    @Option(help: "Comma-separated models (default: every model with a peer figure; with --sparse, lenet-300-100 and conv-2).")
    var models: String?
    @Option(help: "Comma-separated training batch sizes (positive integers).") var batches: String = "60,128"
    @Option(help: "Inference batch size (at least 1).") var inferenceBatch: Int = 1000
    @Option(help: "Timed repetitions, the median is reported (at least 1).") var repeats: Int = 5
    @Flag(help: "Shorter runs.") var quick = false
    @Flag(help: "Measure the one- vs two-thread gemm crossover instead.") var gemm = false
    @Flag(help: "Measure dense versus sparse inference of magnitude-pruned networks (0-98% sparsity) and checkpoint bytes.")
    var sparse = false
    @Flag(help: "With --sparse: measure the dense/sparse crossover density of the models' Conv2D layers instead.")
    var crossover = false
    @Flag(help: "Measure seconds per retraining epoch of pruned LeNet-300-100, masked dense against sparse kernels.")
    var sparseTraining = false
    @Flag(help: "One JSON line per measurement.") var json = false
    @Flag(help: "Time the work of a comparison end to end (the IMP reference: LeNet-300-100, 5 strategies, 10 epochs a run) instead.")
    var imp = false
    @Option(help: "With --imp: pruning levels (15: to 3.58% of the weights).") var rounds: Int = 15
    @Option(help: "With --imp: worker processes (default: one per core).") var jobs: Int?
    @Flag(help: "With --imp: keep the run folder and report (in the temporary directory).") var keep = false

    /// The peer script's models and learning rates (Adam).
    static let peerModels: [(name: String, learningRate: Float)] = [("lenet-300-100", 1.2e-3), ("lenet-5", 1.2e-3), ("conv-2", 2e-4)]

    /// Every option checked before anything runs, each failure one line naming the option.
    func validate() throws {
        _ = try Self.modelList(models)
        _ = try Self.batchList(batches)
        guard inferenceBatch >= 1 else { throw ValidationError("--inference-batch: expected an integer >= 1, got \(inferenceBatch)") }
        guard repeats >= 1 else { throw ValidationError("--repeats: expected an integer >= 1, got \(repeats)") }
        guard !crossover || sparse else { throw ValidationError("--crossover: only with --sparse (it measures the sparse crossover)") }
        guard rounds >= 1 else { throw ValidationError("--rounds: expected an integer >= 1, got \(rounds)") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs: expected an integer >= 1, got \(jobs)") }
        guard imp || (rounds == 15 && jobs == nil && !keep) else { throw ValidationError("--rounds, --jobs and --keep: only with --imp") }
        guard [gemm, sparse, sparseTraining, imp].filter({ $0 }).count <= 1 else {
            throw ValidationError("--gemm, --sparse, --sparse-training and --imp: choose one measurement")
        }
    }

    /// The models of `--models` (nil when not given), each known to `ModelZoo`.
    static func modelList(_ text: String?) throws -> [String]? {
        guard let text else { return nil }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        let known = ModelZoo.names.joined(separator: ", ")
        for name in names where ModelZoo.builders[name] == nil {
            throw ValidationError(name.isEmpty
                ? "--models: expected comma-separated model names (\(known)), got '\(text)'"
                : "--models: unknown model '\(name)'; expected one of \(known)")
        }
        return names
    }

    /// The batch sizes of `--batches`, each an integer >= 1.
    static func batchList(_ text: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            guard let batch = Int(item), batch >= 1 else {
                throw ValidationError("--batches: expected comma-separated integers >= 1, got '\(text)'")
            }
            return batch
        }
    }

    func run() throws {
        if imp {
            return try IMPBench.run(rounds: rounds, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, keep: keep, json: json)
        }
        let compute = try makeComputeConfiguration()
        if gemm { return GemmCrossover.measure(configuration: compute, json: json) }
        if sparseTraining {
            return try SparseTrainingBench.run(models: Self.modelList(models) ?? ["lenet-300-100"], configuration: compute,
                                               repeats: repeats, quick: quick, json: json)
        }
        let chosen = try Self.modelList(models)
        if sparse {
            let sparseModels = chosen ?? SparseBench.defaultModels
            if crossover { return try SparseCrossoverBench.run(models: sparseModels, configuration: compute, json: json) }
            return try SparseBench.run(models: sparseModels, configuration: compute, json: json)
        }
        let names = chosen ?? Self.peerModels.map(\.name).filter { ModelZoo.builders[$0] != nil }
        let trainingBatches = try Self.batchList(batches)
        let fashion = Self.loadData()
        if !json { print(compute.description) }
        for name in names {
            // CIFAR ResNets on CIFAR-shaped random data (CIFAR-10 cannot be installed here); the rest on Fashion-MNIST.
            let data = name.hasPrefix("resnet") ? Self.cifarShapedData() : fashion
            if !json { print("\(name): \(data.description)") }
            let rate = Self.peerModels.first { $0.name == name }?.learningRate ?? 1e-3
            for batch in trainingBatches {
                let value = try measureTraining(model: name, batch: batch, learningRate: rate, data: data.pair.train,
                                                configuration: compute)
                report(model: name, mode: "train", batch: batch, imagesPerSecond: value, threads: compute.threads)
            }
            let value = try measureInference(model: name, batch: inferenceBatch, data: data.pair.test, configuration: compute)
            report(model: name, mode: "infer", batch: inferenceBatch, imagesPerSecond: value, threads: compute.threads)
        }
    }

    func report(model: String, mode: String, batch: Int, imagesPerSecond: Double, threads: Int) {
        if json {
            struct Line: Encodable { let model: String, mode: String, batch: Int, images_per_s: Double, threads: Int }
            printJSONLine(Line(model: model, mode: mode, batch: batch, images_per_s: imagesPerSecond.rounded(), threads: threads))
        } else {
            print(column(model, 14) + " " + column(mode, 6) + String(format: " batch %5d  %10.0f images/s", batch, imagesPerSecond))
        }
    }

    /// Median images/s of `repeats` timed chunks of training steps after a warm-up.
    func measureTraining(model: String, batch: Int, learningRate: Float, data: Dataset,
                         configuration: ComputeConfiguration) throws -> Double {
        let network = try ModelZoo.build(Architecture(model: model, inputShape: data.exampleShape, classes: data.classes))
        network.configuration = configuration
        network.initialize(seed: 0)
        let optimizer = Adam()
        let trainer = Trainer(network: network, optimizer: optimizer, schedule: .constant(base: learningRate),
                              trainingSet: data, batchSize: batch, dataSeed: 0)
        trainer.loader.startEpoch(seed: 0, epoch: 0)
        let batches = trainer.loader.batchesPerEpoch - 1   // full batches only
        var next = 0
        func step() {
            trainer.trainStep(batch: next, learningRate: learningRate)
            next = (next + 1) % batches
        }
        for _ in 0..<(quick ? 5 : 20) { step() }
        let chunkSeconds = quick ? 0.25 : 0.6
        var rates: [Double] = []
        for _ in 0..<repeats {
            let clock = ContinuousClock(), start = clock.now
            var steps = 0
            repeat { step(); steps += 1 } while (clock.now - start).seconds < chunkSeconds
            rates.append(Double(steps * batch) / (clock.now - start).seconds)
        }
        return rates.sorted()[rates.count / 2]
    }

    /// Median images/s of `repeats` evaluation passes over the test set.
    func measureInference(model: String, batch: Int, data: Dataset, configuration: ComputeConfiguration) throws -> Double {
        let network = try ModelZoo.build(Architecture(model: model, inputShape: data.exampleShape, classes: data.classes))
        network.configuration = configuration
        network.initialize(seed: 0)
        _ = evaluate(network, on: data.prefix(batch), batchSize: batch)
        var rates: [Double] = []
        for _ in 0..<repeats {
            let clock = ContinuousClock(), start = clock.now
            _ = evaluate(network, on: data, batchSize: batch)
            rates.append(Double(data.count) / (clock.now - start).seconds)
        }
        return rates.sorted()[rates.count / 2]
    }

    /// Random 3x32x32 images in 10 classes, the shape of CIFAR-10.
    static func cifarShapedData() -> (pair: DatasetPair, description: String) {
        let train = SyntheticDataset.make(count: 2560, classes: 10, shape: [3, 32, 32])
        let test = SyntheticDataset.make(count: 2000, classes: 10, shape: [3, 32, 32], seed: 1)
        return (DatasetPair(train: train, test: test), "random CIFAR-shaped 3x32x32 data")
    }

    /// Fashion-MNIST (normalised) if installed, else random data of its shape.
    static func loadData() -> (pair: DatasetPair, description: String) {
        if let (pair, _) = try? DataSettings(dataset: .fashionMNIST).load() { return (pair, "Fashion-MNIST") }
        let train = SyntheticDataset.make(count: 6000, classes: 10, shape: [1, 28, 28])
        let test = SyntheticDataset.make(count: 10000, classes: 10, shape: [1, 28, 28], seed: 1)
        return (DatasetPair(train: train, test: test), "random 28x28 data (Fashion-MNIST not installed)")
    }
}

/// Measures sgemm speed with one and with all threads over a range of product
/// sizes, to choose `ComputeConfiguration.gemmThreshold` on this machine.
enum GemmCrossover {
    static func measure(configuration: ComputeConfiguration, json: Bool) {
        let maximum = configuration.threads
        // (m, n, k): LeNet-300-100 at batch 60 and 128, forward and backward, and squares.
        let shapes = [(60, 10, 100), (60, 100, 300), (100, 300, 60), (60, 300, 784), (300, 784, 60), (60, 300, 100),
                      (128, 300, 784), (300, 784, 128), (64, 784, 576), (128, 128, 128), (256, 256, 256), (512, 512, 512)]
        for (m, n, k) in shapes {
            let a = Tensor(shape: [m, k], repeating: 0.5), b = Tensor(shape: [k, n], repeating: 0.25), c = Tensor(shape: [m, n])
            var speeds: [Int: Double] = [:]
            for threads in Set([1, maximum]) {
                for _ in 0..<20 { gemm(.none, .none, m: m, n: n, k: k, a.pointer, b.pointer, c.pointer, threads: threads) }
                var best = Double.infinity
                for _ in 0..<5 {
                    let clock = ContinuousClock(), start = clock.now
                    var calls = 0
                    repeat { gemm(.none, .none, m: m, n: n, k: k, a.pointer, b.pointer, c.pointer, threads: threads); calls += 1 }
                    while (clock.now - start).seconds < 0.05
                    best = min(best, (clock.now - start).seconds / Double(calls))
                }
                speeds[threads] = 2 * Double(m * n * k) / best / 1e9
            }
            let one = speeds[1]!, all = speeds[maximum]!
            if json {
                struct Line: Encodable { let m: Int, n: Int, k: Int, multiply_adds: Int, gflops_1_thread: Double, gflops_all_threads: Double }
                printJSONLine(Line(m: m, n: n, k: k, multiply_adds: m * n * k, gflops_1_thread: one, gflops_all_threads: all))
            } else {
                print(String(format: "%4d x %4d x %4d  (%9d mul-adds): 1 thread %6.1f GFLOP/s, %d threads %6.1f GFLOP/s  -> %@",
                             m, n, k, m * n * k, one, maximum, all, all > one ? "all threads" : "1 thread"))
            }
        }
    }
}
