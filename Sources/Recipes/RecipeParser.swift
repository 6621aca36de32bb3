import Engine
import Foundation
import Pruning
import Yams

extension Recipe {
    /// Reads and validates the recipe at `path`. Every problem is a `RecipeError`
    /// naming the file, the line, the key and what was expected.
    public static func load(path: String) throws -> Recipe {
        guard !path.isEmpty else {
            throw RecipeError(file: "recipe", line: nil, key: "", message: "the path is empty; expected a recipe file (YAML)")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw RecipeError(file: path, line: nil, key: "", message: "is a folder; expected a recipe file (YAML)")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.intValue > RecipeLimits.maximumBytes {
            throw RecipeError(file: path, line: nil, key: "", message: "\(size.intValue) bytes; a recipe may hold at most \(RecipeLimits.maximumBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecipeError(file: path, line: nil, key: "", message: "cannot read the file (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RecipeError(file: path, line: nil, key: "", message: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Parses recipe YAML `text`; `file` names it in errors. `autoRewindEpoch` is what
    /// `rewind_epoch: auto` resolved to (`resolvingAutoRewindEpoch(in:required:)`).
    public static func parse(_ text: String, file: String, autoRewindEpoch: Int? = nil) throws -> Recipe {
        guard text.utf8.count <= RecipeLimits.maximumBytes else {
            throw RecipeError(file: file, line: nil, key: "", message: "\(text.utf8.count) bytes; a recipe may hold at most \(RecipeLimits.maximumBytes)")
        }
        let aliases = RecipeLimits.aliasCount(in: text)
        guard aliases <= RecipeLimits.maximumAliases else {
            throw RecipeError(file: file, line: nil, key: "", message: "\(aliases) YAML aliases (*name); a recipe may use at most \(RecipeLimits.maximumAliases)")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw RecipeError(file: file, line: nil, key: "", message: "empty recipe; expected keys name, data, model, train")
            }
            root = node
        } catch let error as RecipeError {
            throw error
        } catch let error as YamlError {
            throw RecipeError(file: file, line: Self.line(of: error), key: "", message: "not valid YAML (\(Self.summary(of: error)))")
        }
        try RecipeLimits.checkSize(of: root, file: file)
        let top = try YAMLMapping(file: file, path: "", node: root,
                                  allowed: ["name", "seed", "seeds", "data", "model", "train", "prune", "retrain"])
        guard let name = try top.string("name") else { throw top.error("name", nil, "missing; expected the recipe's name") }
        guard RecipeLimits.isSafeName(name) else {
            let shown = name.count > 80 ? "\(name.prefix(77))..." : name
            throw top.error("name", top.node("name"), "expected 1 to \(RecipeLimits.maximumNameLength) ASCII letters, digits, '-', '_' or '.', "
                            + "starting with a letter or digit (it names the run folder), got '\(shown)' (\(name.count) characters)")
        }
        var seeds: [UInt64] = [0]
        if let list = try top.intList("seeds", minimum: 0, expected: "a list of non-negative integers") {
            guard !list.isEmpty else { throw top.error("seeds", top.node("seeds"), "expected at least one seed") }
            guard Set(list).count == list.count else { throw top.error("seeds", top.node("seeds"), "seeds must be distinct") }
            seeds = list.map(UInt64.init)
        }
        if let seed = try top.int("seed", minimum: 0, expected: "a non-negative integer") {
            if top.keys.contains("seeds") { throw top.error("seed", top.node("seed"), "give either seed or seeds, not both") }
            seeds = [UInt64(seed)]
        }
        let data = try parseData(top)
        var architecture = try parseModel(top, inputShape: data.exampleShape, classes: data.classes)
        architecture.inputShape = data.exampleShape
        architecture.classes = data.classes
        do {
            _ = try ModelZoo.build(architecture)   // sizes and shapes the model cannot take fail here
        } catch let error as EngineError {
            throw top.error("model", top.node("model"), "cannot be built for \(data.dataset.rawValue) data of shape \(data.exampleShape): \(error)")
        }
        let train = try parseTrain(top, autoRewindEpoch: autoRewindEpoch)
        let (prune, paperRates) = try parsePrune(top, architecture: architecture)
        let strategies = try parseStrategies(top, train: train)
        if prune == nil, !strategies.isEmpty {
            throw top.error("retrain", top.node("retrain"), "retraining strategies need a prune section")
        }
        var recipe = Recipe(name: name, seeds: seeds, data: data, architecture: architecture, train: train,
                            prune: prune, usesPaperRates: paperRates, strategies: strategies, text: text, path: file)
        recipe.rewindEpochIsAuto = top.node("train")?["rewind_epoch"]?.string == "auto"
        if let path = try importedWeightsPath(top) {
            recipe.importedWeights = path
            do { recipe.importedWeightsDigest = try fileDigest(URL(fileURLWithPath: path)) } catch {
                throw top.error("model", top.node("model"), "\(path): cannot be read (\(error.localizedDescription))")
            }
        }
        return recipe
    }

    // MARK: Sections

    static func parseData(_ top: YAMLMapping) throws -> DataSettings {
        guard let section = try top.mapping("data", allowed: ["dataset", "path", "npz", "train_limit", "test_limit", "augment", "synthetic"]) else {
            throw top.error("data", nil, "missing; expected e.g. data: {dataset: fashion-mnist}")
        }
        var data = DataSettings()
        data.dataset = try section.choice("dataset", DataSettings.Source.self) ?? .fashionMNIST
        data.path = try section.string("path")
        if let npz = try section.string("npz") {   // data: {npz: file.npz}
            if section.keys.contains("dataset") || data.path != nil { throw section.error("npz", section.node("npz"), "give either npz or dataset/path, not both") }
            (data.dataset, data.path) = (.npz, npz)
        }
        data.trainLimit = try section.int("train_limit", minimum: 1, expected: "a positive integer")
        data.testLimit = try section.int("test_limit", minimum: 1, expected: "a positive integer")
        data.augment = try section.bool("augment")
        if let synthetic = try section.mapping("synthetic", allowed: ["train", "test", "classes", "side", "noise"]) {
            data.syntheticTrain = try synthetic.int("train", minimum: 1, expected: "a positive integer") ?? data.syntheticTrain
            data.syntheticTest = try synthetic.int("test", minimum: 1, expected: "a positive integer") ?? data.syntheticTest
            data.syntheticClasses = try synthetic.int("classes", minimum: 2, expected: "an integer of at least 2") ?? data.syntheticClasses
            data.syntheticSide = try synthetic.int("side", minimum: 1, expected: "a positive integer") ?? data.syntheticSide
            data.syntheticNoise = Float(try synthetic.double("noise", 0...100, expected: "a number in [0, 100]") ?? Double(data.syntheticNoise))
            if let problem = data.syntheticSizeProblem { throw section.error("synthetic", section.node("synthetic"), problem.description) }
        }
        if let missing = data.missingFile {
            let key = data.path == nil ? "dataset" : "path"
            throw section.error(key, section.node(key), missing.description)
        }
        return data
    }

    static func parseModel(_ top: YAMLMapping, inputShape: [Int] = [1, 28, 28], classes: Int = 10) throws -> Architecture {
        guard let node = top.node("model") else {
            throw top.error("model", nil, "missing; expected a model name (\(ModelZoo.names.joined(separator: ", ")))")
        }
        if case let .scalar(s) = node {
            guard ModelZoo.builders[s.string] != nil else {
                throw top.error("model", node, "expected one of \(ModelZoo.names.joined(separator: ", ")), got '\(s.string)'")
            }
            return Architecture(model: s.string)
        }
        if let graph = try parseGraphModel(top, node: node, inputShape: inputShape, classes: classes) { return graph }
        let section = try YAMLMapping(file: top.file, path: "model", node: node, allowed: ["name", "dropout"])
        guard let name = try section.string("name") else { throw section.error("name", nil, "missing; expected a model name") }
        guard ModelZoo.builders[name] != nil else {
            throw section.error("name", section.node("name"), "expected one of \(ModelZoo.names.joined(separator: ", ")), got '\(name)'")
        }
        let dropout = try section.double("dropout", 0...0.99, expected: "a probability in [0, 1)") ?? 0
        return Architecture(model: name, dropout: Float(dropout))
    }

    /// `autoRewindEpoch`: the value `rewind_epoch: auto` resolved to, if it has been.
    static func parseTrain(_ top: YAMLMapping, autoRewindEpoch: Int? = nil) throws -> TrainingSettings {
        guard let section = try top.mapping("train", allowed: ["optimizer", "lr", "momentum", "nesterov", "weight_decay", "beta1", "beta2",
                                                               "epsilon", "batch_size", "epochs", "clip_norm", "rewind_epoch", "schedule"]) else {
            throw top.error("train", nil, "missing; expected e.g. train: {optimizer: adam, lr: 0.0012, batch_size: 60, epochs: 10}")
        }
        var t = TrainingSettings()
        t.optimizer = try section.choice("optimizer", TrainingSettings.OptimizerKind.self) ?? .sgd
        guard let lr = try section.double("lr", 0...10, open: true, expected: "a positive learning rate below 10") else {
            throw section.error("lr", nil, "missing; expected a positive learning rate")
        }
        t.learningRate = Float(lr)
        t.momentum = Float(try section.double("momentum", 0...0.999_999, expected: "a number in [0, 1)") ?? 0)
        t.nesterov = try section.bool("nesterov") ?? false
        if t.nesterov && t.momentum == 0 { throw section.error("nesterov", section.node("nesterov"), "Nesterov momentum needs momentum > 0") }
        if t.optimizer == .adam, section.keys.contains("momentum") {
            throw section.error("momentum", section.node("momentum"), "Adam has no momentum; use beta1")
        }
        t.weightDecay = Float(try section.double("weight_decay", 0...1, expected: "a number in [0, 1]") ?? 0)
        t.beta1 = Float(try section.double("beta1", 0...1, open: true, expected: "a number in (0, 1)") ?? 0.9)
        t.beta2 = Float(try section.double("beta2", 0...1, open: true, expected: "a number in (0, 1)") ?? 0.999)
        t.epsilon = Float(try section.double("epsilon", 0...1, open: true, expected: "a small positive number") ?? 1e-8)
        guard let batch = try section.int("batch_size", minimum: 1, expected: "a positive integer") else {
            throw section.error("batch_size", nil, "missing; expected a positive integer")
        }
        guard batch <= RecipeLimits.maximumBatchSize else {
            throw section.error("batch_size", section.node("batch_size"),
                                "expected at most \(RecipeLimits.maximumBatchSize) (the most examples a data set holds), got \(batch)")
        }
        t.batchSize = batch
        guard let epochs = try section.int("epochs", minimum: 1, expected: "a positive integer") else {
            throw section.error("epochs", nil, "missing; expected a positive integer")
        }
        guard epochs <= RecipeLimits.maximumEpochs else {
            throw section.error("epochs", section.node("epochs"), "expected at most \(RecipeLimits.maximumEpochs) epochs, got \(epochs)")
        }
        t.epochs = epochs
        t.clipNorm = try section.double("clip_norm", 0...1e9, open: true, expected: "a positive number").map(Float.init)
        if section.node("rewind_epoch")?.string == "auto" {
            // Chosen by `rewind stability` (see AutoRewindEpoch.swift); until then the default.
            t.rewindEpoch = autoRewindEpoch ?? min(1, epochs - 1)
        } else {
            t.rewindEpoch = try section.int("rewind_epoch", minimum: 0, expected: "a non-negative integer or auto") ?? min(1, epochs - 1)
        }
        if t.rewindEpoch >= epochs {
            throw section.error("rewind_epoch", section.node("rewind_epoch"), "expected an epoch before the end of training (0 ... \(epochs - 1)), got \(t.rewindEpoch)")
        }
        if let schedule = try section.mapping("schedule", allowed: ["kind", "milestones", "gamma", "minimum", "warmup_epochs"]) {
            t.schedule = try schedule.choice("kind", TrainingSettings.ScheduleKind.self) ?? .constant
            t.milestones = try schedule.intList("milestones", minimum: 1, expected: "a list of epochs") ?? []
            if t.schedule == .multistep {
                if t.milestones.isEmpty { throw schedule.error("milestones", nil, "missing; a multistep schedule needs milestones (epochs)") }
                if t.milestones != t.milestones.sorted() || Set(t.milestones).count != t.milestones.count {
                    throw schedule.error("milestones", schedule.node("milestones"), "expected strictly increasing epochs")
                }
                if let late = t.milestones.first(where: { $0 >= epochs }) {
                    throw schedule.error("milestones", schedule.node("milestones"), "milestone \(late) is not before the end of training (epoch \(epochs))")
                }
            } else if !t.milestones.isEmpty {
                throw schedule.error("milestones", schedule.node("milestones"), "only a multistep schedule has milestones")
            }
            t.gamma = Float(try schedule.double("gamma", 0...1, open: true, expected: "a factor in (0, 1)") ?? 0.1)
            t.minimumLearningRate = Float(try schedule.double("minimum", 0...10, expected: "a non-negative learning rate") ?? 0)
            t.warmupEpochs = try schedule.int("warmup_epochs", minimum: 0, expected: "a non-negative integer") ?? 0
            if t.warmupEpochs >= epochs { throw schedule.error("warmup_epochs", schedule.node("warmup_epochs"), "warm-up must end before training does") }
        }
        return t
    }

    static func parsePrune(_ top: YAMLMapping, architecture: Architecture) throws -> (PruningPlan?, Bool) {
        guard let section = try top.mapping("prune", allowed: ["criterion", "scope", "fraction", "target", "one_shot", "rates"]) else {
            return (nil, false)
        }
        let network = try ModelZoo.build(architecture)
        var plan = PruningPlan(targetSparsity: 0.5)
        plan.criterion = try section.choice("criterion", PruningCriterion.self) ?? .magnitude
        plan.scope = try section.choice("scope", PruningScope.self) ?? .layerwise
        plan.fraction = try section.double("fraction", PruningPlan.Limits.fraction) ?? 0.2
        guard let target = try section.double("target", PruningPlan.Limits.targetSparsity) else {
            throw section.error("target", nil, "missing; expected the overall sparsity to reach, e.g. 0.95")
        }
        plan.targetSparsity = target
        plan.oneShot = try section.bool("one_shot") ?? false
        var paper = false
        if let ratesNode = section.node("rates") {
            if case let .scalar(s) = ratesNode, s.string == "paper" {
                paper = true
                plan.rates = network.paperPruningRates
            } else {
                let rates = try YAMLMapping(file: top.file, path: "prune.rates", node: ratesNode, allowed: nil)
                for name in rates.keys {
                    guard network.prunableParameterNames.contains(name) else {
                        throw rates.error(name, rates.node(name), "not a prunable parameter of \(architecture.model); expected one of \(network.prunableParameterNames.joined(separator: ", "))")
                    }
                    plan.rates[name] = try rates.double(name, PruningPlan.Limits.rate)
                }
            }
        }
        return (plan, paper)
    }

    static func parseStrategies(_ top: YAMLMapping, train: TrainingSettings) throws -> [RetrainingStrategy] {
        guard let node = top.node("retrain") else { return [] }
        guard case let .sequence(items) = node else {
            throw top.error("retrain", node, "expected a list of strategies (\(RetrainingStrategy.presetNames.joined(separator: ", ")))")
        }
        var strategies: [RetrainingStrategy] = []
        for item in items {
            let strategy: RetrainingStrategy
            if case let .scalar(s) = item {
                guard let preset = RetrainingStrategy.preset(s.string, rewindEpoch: train.rewindEpoch) else {
                    throw RecipeError(file: top.file, line: item.mark?.line, key: "retrain",
                                      message: "unknown strategy '\(s.string)'; expected one of \(RetrainingStrategy.presetNames.joined(separator: ", ")) or a mapping with weights and lr")
                }
                strategy = preset
            } else {
                strategy = try parseStrategy(item, file: top.file, train: train)
            }
            if strategies.contains(where: { $0.name == strategy.name }) {
                throw RecipeError(file: top.file, line: item.mark?.line, key: "retrain", message: "strategy '\(strategy.name)' is listed twice")
            }
            do { try strategy.validate(totalEpochs: train.epochs) } catch let error as PruningError {
                throw RecipeError(file: top.file, line: item.mark?.line, key: "retrain.\(strategy.name)", message: error.description)
            }
            strategies.append(strategy)
        }
        return strategies
    }

    /// `{name: {epoch: k, epochs: t, weights: ..., lr: ...}}`: a preset with options, or
    /// a custom strategy from the three knobs.
    static func parseStrategy(_ item: Node, file: String, train: TrainingSettings) throws -> RetrainingStrategy {
        let outer = try YAMLMapping(file: file, path: "retrain", node: item, allowed: nil)
        guard outer.keys.count == 1, let name = outer.keys.first else {
            throw RecipeError(file: file, line: item.mark?.line, key: "retrain", message: "expected one strategy per list item, e.g. {weight-rewind: {epoch: 2}}")
        }
        let body = outer.node(name)!
        var options: YAMLMapping? = nil
        if case let .scalar(s) = body, s.string.isEmpty { options = nil } else {
            options = try YAMLMapping(file: file, path: "retrain.\(name)", node: body, allowed: ["epoch", "epochs", "weights", "lr"])
        }
        let epoch = try options?.int("epoch", minimum: 0, expected: "a non-negative epoch") ?? train.rewindEpoch
        let epochs = try options?.int("epochs", minimum: 1, expected: "a positive integer")
        var strategy: RetrainingStrategy
        if let preset = RetrainingStrategy.preset(name, rewindEpoch: epoch, epochs: epochs) {
            strategy = preset
        } else {
            guard let o = options, let source = try o.string("weights"), let rate = try o.string("lr") else {
                throw RecipeError(file: file, line: item.mark?.line, key: "retrain.\(name)",
                                  message: "unknown preset; a custom strategy needs weights (previous, rewind, initial, random) and lr (fixed, replay)")
            }
            let sources: [String: RetrainingStrategy.WeightSource] = ["previous": .previous, "rewind": .rewindPoint, "initial": .initial, "random": .randomReinit]
            guard let weights = sources[source] else {
                throw o.error("weights", o.node("weights"), "expected previous, rewind, initial or random, got '\(source)'")
            }
            guard rate == "fixed" || rate == "replay" else { throw o.error("lr", o.node("lr"), "expected fixed or replay, got '\(rate)'") }
            strategy = RetrainingStrategy(name: name, weights: weights,
                                          learningRate: rate == "fixed" ? .finalValueFixed : .replay(fromEpoch: weights == .initial || weights == .randomReinit ? 0 : epoch),
                                          rewindEpoch: epoch, epochs: epochs)
            options = o
        }
        return strategy
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): return mark.line
        default: return nil
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, _, _), let .parser(_, problem, _, _), let .composer(_, problem, _, _): return problem
        default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "parse error"
        }
    }
}
