import ArgumentParser
import Engine
import Foundation

/// `rewind bench`: training and inference throughput, measured after a warm-up and
/// excluding data loading, as ../shared/bench/torch_train_bench.py measures PyTorch
/// (Adam, the peer's learning rates; Fashion-MNIST when installed, else random data
/// of the same shape). Report ratios against the peer run in the same session.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and inference images/s (and the OpenBLAS thread crossover with --gemm).")

    @Option(help: "Comma-separated models (default: every model with a peer figure).") var models: String?
    @Option(help: "Comma-separated training batch sizes.") var batches: String = "60,128"
    @Option(help: "Inference batch size.") var inferenceBatch: Int = 1000
    @Option(help: "Timed repetitions (the median is reported).") var repeats: Int = 5
    @Flag(help: "Shorter runs.") var quick = false
    @Flag(help: "Measure the one- vs two-thread gemm crossover instead.") var gemm = false
    @Flag(help: "Measure dense versus sparse inference of magnitude-pruned networks (0-98% sparsity) and checkpoint bytes.")
    var sparse = false
    @Flag(help: "With --sparse: measure the dense/sparse crossover density of the models' Conv2D layers instead.")
    var crossover = false
    @Flag(help: "One JSON line per measurement.") var json = false
    @Flag(help: "Time the work of a comparison end to end (the IMP reference: LeNet-300-100, 5 strategies, 10 epochs a run) instead.")
    var imp = false
    @Option(help: "With --imp: pruning levels (15: to 3.58% of the weights).") var rounds: Int = 15
    @Option(help: "With --imp: worker processes (default: one per core).") var jobs: Int?
    @Flag(help: "With --imp: keep the run folder and report (in the temporary directory).") var keep = false

    /// The peer script's models and learning rates (Adam).
    static let peerModels: [(name: String, learningRate: Float)] = [("lenet-300-100", 1.2e-3), ("lenet-5", 1.2e-3), ("conv-2", 2e-4)]

    func run() throws {
        if imp {
            return try IMPBench.run(rounds: rounds, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, keep: keep, json: json)
        }
        if gemm { return GemmCrossover.measure(json: json) }
        let names = models?.split(separator: ",").map(String.init) ?? Self.peerModels.map(\.name).filter { ModelZoo.builders[$0] != nil }
        if sparse {
            let sparseModels = models == nil ? SparseBench.defaultModels : names
            for name in sparseModels where ModelZoo.builders[name] == nil {
                throw CommandFailure("--models: unknown model '\(name)'; expected one of \(ModelZoo.names.joined(separator: ", "))")
            }
            if crossover { return try SparseCrossoverBench.run(models: sparseModels, json: json) }
            return try SparseBench.run(models: sparseModels, json: json)
        }
        let trainingBatches = batches.split(separator: ",").compactMap { Int($0) }
        let fashion = Self.loadData()
        if !json { print("\(GemmThreads.maximum) threads max, gemm threshold \(GemmThreads.threshold) multiply-adds") }
        for name in names {
            guard ModelZoo.builders[name] != nil else { throw CommandFailure("--models: unknown model '\(name)'; expected one of \(ModelZoo.names.joined(separator: ", "))") }
            // CIFAR ResNets on CIFAR-shaped random data (CIFAR-10 cannot be installed here); the rest on Fashion-MNIST.
            let data = name.hasPrefix("resnet") ? Self.cifarShapedData() : fashion
            if !json { print("\(name): \(data.description)") }
            let rate = Self.peerModels.first { $0.name == name }?.learningRate ?? 1e-3
            for batch in trainingBatches {
                let value = try measureTraining(model: name, batch: batch, learningRate: rate, data: data.pair.train)
                report(model: name, mode: "train", batch: batch, imagesPerSecond: value)
            }
            let value = try measureInference(model: name, batch: inferenceBatch, data: data.pair.test)
            report(model: name, mode: "infer", batch: inferenceBatch, imagesPerSecond: value)
        }
    }

    func report(model: String, mode: String, batch: Int, imagesPerSecond: Double) {
        if json {
            struct Line: Encodable { let model: String, mode: String, batch: Int, images_per_s: Double, threads: Int }
            printJSONLine(Line(model: model, mode: mode, batch: batch, images_per_s: imagesPerSecond.rounded(), threads: GemmThreads.maximum))
        } else {
            print(column(model, 14) + " " + column(mode, 6) + String(format: " batch %5d  %10.0f images/s", batch, imagesPerSecond))
        }
    }

    /// Median images/s of `repeats` timed chunks of training steps after a warm-up.
    func measureTraining(model: String, batch: Int, learningRate: Float, data: Dataset) throws -> Double {
        let network = try ModelZoo.build(Architecture(model: model, inputShape: data.exampleShape, classes: data.classes))
        network.initialize(seed: 0)
        let trainer = Trainer(network: network, optimizer: Adam(), schedule: .constant(base: learningRate),
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
    func measureInference(model: String, batch: Int, data: Dataset) throws -> Double {
        let network = try ModelZoo.build(Architecture(model: model, inputShape: data.exampleShape, classes: data.classes))
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
/// sizes, to choose `GemmThreads.threshold` on this machine.
enum GemmCrossover {
    static func measure(json: Bool) {
        // (m, n, k): LeNet-300-100 at batch 60 and 128, forward and backward, and squares.
        let shapes = [(60, 10, 100), (60, 100, 300), (100, 300, 60), (60, 300, 784), (300, 784, 60), (60, 300, 100),
                      (128, 300, 784), (300, 784, 128), (64, 784, 576), (128, 128, 128), (256, 256, 256), (512, 512, 512)]
        for (m, n, k) in shapes {
            let a = Tensor(shape: [m, k], repeating: 0.5), b = Tensor(shape: [k, n], repeating: 0.25), c = Tensor(shape: [m, n])
            var speeds: [Int: Double] = [:]
            for threads in [1, GemmThreads.maximum] {
                GemmThreads.set(threads)
                let saved = GemmThreads.threshold
                GemmThreads.threshold = threads == 1 ? .max : 0
                for _ in 0..<20 { gemm(.none, .none, m: m, n: n, k: k, a.pointer, b.pointer, c.pointer) }
                var best = Double.infinity
                for _ in 0..<5 {
                    let clock = ContinuousClock(), start = clock.now
                    var calls = 0
                    repeat { gemm(.none, .none, m: m, n: n, k: k, a.pointer, b.pointer, c.pointer); calls += 1 }
                    while (clock.now - start).seconds < 0.05
                    best = min(best, (clock.now - start).seconds / Double(calls))
                }
                GemmThreads.threshold = saved
                speeds[threads] = 2 * Double(m * n * k) / best / 1e9
            }
            let one = speeds[1]!, all = speeds[GemmThreads.maximum]!
            if json {
                struct Line: Encodable { let m: Int, n: Int, k: Int, multiply_adds: Int, gflops_1_thread: Double, gflops_all_threads: Double }
                printJSONLine(Line(m: m, n: n, k: k, multiply_adds: m * n * k, gflops_1_thread: one, gflops_all_threads: all))
            } else {
                print(String(format: "%4d x %4d x %4d  (%9d mul-adds): 1 thread %6.1f GFLOP/s, %d threads %6.1f GFLOP/s  -> %@",
                             m, n, k, m * n * k, one, GemmThreads.maximum, all, all > one ? "all threads" : "1 thread"))
            }
        }
    }
}
