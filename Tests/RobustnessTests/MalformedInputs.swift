@testable import Checkpoint
import Foundation

/// Every case of the suite, by class of issue 14 (and items 9-11 of issue 13).
/// `model` is a trained tiny checkpoint (lenet-300-100 on 4x4 synthetic images,
/// 3 classes) that checkpoint cases copy to `model.h5` and then damage.
func malformedInputs(model: URL) -> [MalformedInput] {
    typealias Kind = MalformedInput.Kind
    /// `file`: what the error must name first (the recipe, or the data file at fault).
    func recipeCase(_ kind: Kind, _ name: String, _ recipe: String, command: String = "train", file: String = "recipe.yaml:",
                    _ expected: [String], files: @escaping (URL) throws -> Void = { _ in }) -> MalformedInput {
        var input = MalformedInput(kind: kind, name: name, arguments: [command, "recipe.yaml", "--checkpoints", "checkpoints"]
                                       + (command == "compare" ? ["--reports", "reports"] : []),
                                   expected: [file] + expected,
                                   prepare: { folder in
                                       try Inputs.write(recipe, to: folder.appendingPathComponent("recipe.yaml"))
                                       try files(folder)
                                   })
        if kind == .yamlLimits {
            input.timeout = 10
            input.addressSpaceKiB = 1 << 20
        }
        return input
    }
    func checkpointCase(_ kind: Kind, _ name: String, _ arguments: [String], _ expected: [String],
                        damage: @escaping (URL) throws -> Void, writable: [String] = [],
                        extra: @escaping (URL) throws -> Void = { _ in }) -> MalformedInput {
        MalformedInput(kind: kind, name: name, arguments: arguments, expected: expected,
                       prepare: { folder in
                           let copy = folder.appendingPathComponent("model.h5")
                           try FileManager.default.copyItem(at: model, to: copy)
                           try damage(copy)
                           try extra(folder)
                       }, writable: writable)
    }
    let idxData = "{dataset: fashion-mnist, path: idx}"
    let synthetic = { (side: Int) in "{dataset: synthetic, synthetic: {train: 32, test: 16, classes: 3, side: \(side)}}" }
    let architecture = { (input: String, classes: String) in
        #"{"model":"lenet-300-100","inputShape":\#(input),"classes":\#(classes),"dropout":0}"#
    }
    let bomb: String = {
        var lines = ["name: bomb", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in 1...8 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        return lines.joined(separator: "\n")
    }()
    let doubling: String = {
        var lines = ["name: chain", "a0: &a0 [x, x]"]
        for i in 1...15 { lines.append("a\(i): &a\(i) [*a\(i - 1), *a\(i - 1)]") }
        return lines.joined(separator: "\n")
    }()
    let unmaskedWeights: (URL) throws -> Void = { url in
        // fc3.weight [3, 100] is non-zero everywhere after training; mask out its first 5 entries.
        try Inputs.addMask("fc3.weight", shape: [3, 100], values: (0..<300).map { $0 < 5 ? 0 : 1 }, to: url)
    }
    let biasMask: (URL) throws -> Void = { url in
        try Inputs.addMask("fc3.bias", shape: [3], values: [1, 0, 1], to: url)
    }

    return [
        // MARK: 14.1 Sizes are bounded and overflow-checked before allocating
        recipeCase(.unboundedSize, "synthetic classes 2^40", Inputs.recipe(data: "{dataset: synthetic, synthetic: {classes: 1099511627776}}"),
                   ["data.synthetic", "more than the memory budget"]),
        recipeCase(.unboundedSize, "synthetic side 3e9", Inputs.recipe(data: "{dataset: synthetic, synthetic: {side: 3000000000}}"),
                   ["data.synthetic", "no representable size"]),
        recipeCase(.unboundedSize, "synthetic 1e12 examples", Inputs.recipe(data: "{dataset: synthetic, synthetic: {train: 1000000000000}}"),
                   ["data.synthetic", "more than the memory budget"]),
        recipeCase(.unboundedSize, "epochs 10^12", Inputs.recipe(train: "{lr: 0.1, batch_size: 8, epochs: 1000000000000}"),
                   ["train.epochs", "at most 1000000 epochs"]),
        recipeCase(.unboundedSize, "batch_size 2^63 - 1", Inputs.recipe(train: "{lr: 0.1, batch_size: 9223372036854775807, epochs: 1}"),
                   ["train.batch_size", "expected at most 2147483647"]),
        recipeCase(.unboundedSize, "batch_size 1e12", Inputs.recipe(train: "{lr: 0.1, batch_size: 1e12, epochs: 1}"),
                   ["train.batch_size", "expected a positive integer"]),
        recipeCase(.unboundedSize, "IDX images 0xFFFFFFFF", Inputs.recipe(data: idxData), file: "idx/train-images-idx3-ubyte: ", ["header dimensions", "more than the 64 the file holds"],
                   files: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"),
                                              override: ["train-images-idx3-ubyte": Inputs.idx([0xFFFF_FFFF, 28, 28], dataBytes: 64)]) }),
        recipeCase(.unboundedSize, "IDX labels 0xFFFFFFFF", Inputs.recipe(data: idxData), file: "idx/train-labels-idx1-ubyte: ", ["header dimensions [4294967295]"],
                   files: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"),
                                              override: ["train-labels-idx1-ubyte": Inputs.idx([0xFFFF_FFFF], dataBytes: 20)]) }),
        recipeCase(.unboundedSize, "IDX 16 dimensions of 0xFFFFFFFF", Inputs.recipe(data: idxData), file: "idx/t10k-images-idx3-ubyte: ", ["overflow"],
                   files: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"),
                                              override: ["t10k-images-idx3-ubyte": Inputs.idx(Array(repeating: 0xFFFF_FFFF, count: 16), dataBytes: 8)]) }),
        checkpointCase(.unboundedSize, "architecture input [1, 100000, 100000]", ["eval", "--from", "model.h5"],
                       ["model.h5", "architecture", "memory budget"],
                       damage: { try Inputs.setArchitecture(architecture("[1,100000,100000]", "3"), in: $0) }),
        checkpointCase(.unboundedSize, "architecture classes 2^40", ["inspect", "model.h5"], ["model.h5", "architecture", "the class count", "memory budget"],
                       damage: { try Inputs.setArchitecture(architecture("[1,4,4]", "1099511627776"), in: $0) }),
        checkpointCase(.unboundedSize, "architecture input overflowing", ["export", "--from", "model.h5", "--out", "out.h5"],
                       ["model.h5", "architecture", "no representable size"],
                       damage: { try Inputs.setArchitecture(architecture("[4294967296,4294967296,4294967296]", "3"), in: $0) },
                       writable: ["out.h5"]),

        // MARK: 14.2 Shapes are checked against the model before use
        recipeCase(.shape, "LeNet-5 on 2x2", Inputs.recipe(data: synthetic(2), model: "lenet-5"), ["model", "layer conv2", "does not fit a 1x1 input"]),
        recipeCase(.shape, "LeNet-5 on 8x8", Inputs.recipe(data: synthetic(8), model: "lenet-5"), ["model", "layer conv2", "does not fit a 4x4 input"]),
        recipeCase(.shape, "Conv-2 on 1x1", Inputs.recipe(data: synthetic(1), model: "conv-2"), ["model", "MaxPool2D", "does not fit a 1x1 input"]),
        recipeCase(.shape, "ResNet-20 on 4x4 with a last batch of 1",
                   Inputs.recipe(data: "{dataset: synthetic, synthetic: {train: 65, test: 16, classes: 3, side: 4}}", model: "resnet-20",
                                 train: "{lr: 0.1, batch_size: 8, epochs: 1, rewind_epoch: 0}"),
                   file: "layer layer3.0", ["batch normalisation of 1x1 planes", "recipe.yaml: data.synthetic's 65 training examples", "last batch of 1"]),
        recipeCase(.shape, "5x5 IDX images into LeNet-300-100", Inputs.recipe(data: idxData), file: "idx: ", ["examples of shape [1, 5, 5]", "takes [1, 28, 28]"],
                   files: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"), side: 5) }),
        checkpointCase(.shape, "checkpoint without its recipe on 28x28 data", ["eval", "--from", "model.h5", "--data-path", "idx"],
                       ["idx", "examples of shape [1, 28, 28]", "takes [1, 4, 4]"],
                       damage: { try Inputs.modifyCheckpoint($0) { try $0.removeAttribute("recipe") } },
                       extra: { try Inputs.idxSet(in: $0.appendingPathComponent("idx")) }),
        checkpointCase(.shape, "checkpoint of LeNet-5 on 2x2", ["inspect", "model.h5"], ["model.h5", "layer conv2", "does not fit"],
                       damage: { try Inputs.setArchitecture(#"{"model":"lenet-5","inputShape":[1,2,2],"classes":3}"#, in: $0) }),

        // MARK: 14.3 Empty data is refused at load
        recipeCase(.emptyData, "no training images", Inputs.recipe(data: idxData), file: "idx/train-images-idx3-ubyte: ", ["holds no images"],
                   files: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"), train: 0) }),
        recipeCase(.emptyData, "no test images", Inputs.recipe(data: idxData), file: "idx/t10k-images-idx3-ubyte: ", ["holds no images"],
                   files: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"), test: 0) }),
        recipeCase(.emptyData, "images of 0x28 pixels", Inputs.recipe(data: idxData), file: "idx/train-images-idx3-ubyte: ", ["holds no images (dimensions [20, 0, 28])"],
                   files: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"),
                                              override: ["train-images-idx3-ubyte": Inputs.idx([20, 0, 28])]) }),
        checkpointCase(.emptyData, "eval on an empty test set", ["eval", "--from", "model.h5", "--data-path", "idx"],
                       ["idx/t10k-images-idx3-ubyte", "holds no images"],
                       damage: { try Inputs.modifyCheckpoint($0) { try $0.removeAttribute("recipe") } },
                       extra: { try Inputs.idxSet(in: $0.appendingPathComponent("idx"), test: 0) }),

        // MARK: 14.4 A recipe name cannot leave its folder
        recipeCase(.escapingName, "name ..", Inputs.recipe(name: ".."), ["name", "starting with a letter or digit"]),
        recipeCase(.escapingName, "name ..", Inputs.recipe(name: ".."), command: "compare", ["name", "starting with a letter or digit"]),
        recipeCase(.escapingName, "300-character name", Inputs.recipe(name: String(repeating: "n", count: 300)), ["name", "(300 characters)"]),
        recipeCase(.escapingName, "name with a slash", Inputs.recipe(name: "\"a/b\""), ["name", "got 'a/b'"]),
        recipeCase(.escapingName, "hidden name", Inputs.recipe(name: ".hidden"), ["name", "got '.hidden'"]),

        // MARK: 14.5 Filesystem problems: checked first, one line naming the path
        MalformedInput(kind: .filesystem, name: "--checkpoints is a file", arguments: ["train", "recipe.yaml", "--checkpoints", "afile"],
                       expected: ["--checkpoints", "afile: is a file"],
                       prepare: { try Inputs.write(Inputs.recipe(), to: $0.appendingPathComponent("recipe.yaml"))
                                  try Inputs.write("keep", to: $0.appendingPathComponent("afile")) }),
        MalformedInput(kind: .filesystem, name: "--checkpoints under a file", arguments: ["train", "recipe.yaml", "--checkpoints", "afile/runs"],
                       expected: ["--checkpoints", "afile/runs: afile is a file"],
                       prepare: { try Inputs.write(Inputs.recipe(), to: $0.appendingPathComponent("recipe.yaml"))
                                  try Inputs.write("keep", to: $0.appendingPathComponent("afile")) }),
        MalformedInput(kind: .filesystem, name: "--reports is a file", arguments: ["compare", "recipe.yaml", "--checkpoints", "checkpoints", "--reports", "afile"],
                       expected: ["--reports", "afile"],
                       prepare: { try Inputs.write(Inputs.recipe(extra: "prune: {target: 0.5}\nretrain: [fine-tune]\n"), to: $0.appendingPathComponent("recipe.yaml"))
                                  try Inputs.write("keep", to: $0.appendingPathComponent("afile")) }),
        checkpointCase(.filesystem, "export --out empty", ["export", "--from", "model.h5", "--out", ""], ["--out", "empty"], damage: { _ in }),
        checkpointCase(.filesystem, "export --out a folder", ["export", "--from", "model.h5", "--out", "afolder"], ["--out", "afolder: is a folder"],
                       damage: { _ in }, extra: { try FileManager.default.createDirectory(at: $0.appendingPathComponent("afolder"), withIntermediateDirectories: true) }),
        MalformedInput(kind: .filesystem, name: "empty recipe path", arguments: ["train", "", "--checkpoints", "checkpoints"],
                       expected: ["recipe: the path is empty"]),
        checkpointCase(.filesystem, "eval --data-path empty", ["eval", "--from", "model.h5", "--data-path", ""], ["--data-path", "empty"],
                       damage: { _ in }),
        checkpointCase(.filesystem, "export --out a named pipe", ["export", "--from", "model.h5", "--out", "pipe"], ["--out", "pipe: is a named pipe"],
                       damage: { _ in }, extra: { folder in
                           guard mkfifo(folder.appendingPathComponent("pipe").path, 0o644) == 0 else { throw CocoaError(.fileWriteUnknown) }
                       }),
        checkpointCase(.filesystem, "export --out in a missing folder", ["export", "--from", "model.h5", "--out", "missing/x.h5"],
                       ["--out", "missing/x.h5", "does not exist"], damage: { _ in }),
        checkpointCase(.filesystem, "prune --out in a missing folder", ["prune", "--from", "model.h5", "--to", "0.5", "--strategy", "fine-tune", "--out", "missing/x.h5"],
                       ["--out", "missing/x.h5"], damage: { _ in }, writable: ["checkpoints", "missing"]),

        // MARK: 14.7 YAML resource limits
        recipeCase(.yamlLimits, "alias bomb as a key", bomb + "\n? *a8 : 1\n", ["aliases", "at most 32"]),
        recipeCase(.yamlLimits, "alias bomb as a value", bomb + "\nboom: *a8\n", ["aliases", "at most 32"]),
        recipeCase(.yamlLimits, "doubling aliases (2^15 copies) as a key", doubling + "\n? *a15 : 1\n", ["more than 100000 values"]),
        recipeCase(.yamlLimits, "nesting 100000 deep", "name: deep\nv: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                   ["nesting level"]),
        recipeCase(.yamlLimits, "a 1.5 MB list", "name: big\nv: [" + Array(repeating: "1", count: 750_000).joined(separator: ",") + "]\n",
                   ["bytes; a recipe may hold at most 1048576"]),

        // MARK: 14.8 A crafted HDF5 file cannot crash Rewind
        checkpointCase(.craftedHDF5, "corrupt global heap: inspect", ["inspect", "model.h5"], ["model.h5", "HDF5 library crashed"],
                       damage: Inputs.corruptGlobalHeap),
        checkpointCase(.craftedHDF5, "corrupt global heap: eval", ["eval", "--from", "model.h5"], ["model.h5", "HDF5 library crashed"],
                       damage: Inputs.corruptGlobalHeap),
        checkpointCase(.craftedHDF5, "corrupt global heap: export", ["export", "--from", "model.h5", "--out", "out.h5"], ["model.h5", "HDF5 library crashed"],
                       damage: Inputs.corruptGlobalHeap, writable: ["out.h5"]),
        checkpointCase(.craftedHDF5, "truncated file", ["inspect", "model.h5"], ["model.h5", "truncated"],
                       damage: { url in let data = try Data(contentsOf: url); try data.prefix(data.count / 2).write(to: url) }),
        checkpointCase(.craftedHDF5, "not HDF5", ["eval", "--from", "model.h5"], ["model.h5", "not an HDF5 file"],
                       damage: { try Data((0..<4096).map { UInt8($0 * 7 % 251) }).write(to: $0) }),

        // MARK: 14.9 Masks must agree with their parameters
        checkpointCase(.maskMismatch, "mask for a bias: eval", ["eval", "--from", "model.h5"], ["model.h5", "/masks/fc3.bias", "not prunable"], damage: biasMask),
        checkpointCase(.maskMismatch, "mask for a bias: prune", ["prune", "--from", "model.h5", "--to", "0.5", "--strategy", "fine-tune", "--out", "x.h5"],
                       ["model.h5", "/masks/fc3.bias", "not prunable"], damage: biasMask, writable: ["checkpoints", "x.h5"]),
        checkpointCase(.maskMismatch, "weights outside their mask: eval --path dense", ["eval", "--from", "model.h5", "--path", "dense"],
                       ["model.h5", "/masks/fc3.weight", "5 weights of /params/fc3.weight are non-zero where the mask is 0"], damage: unmaskedWeights),
        checkpointCase(.maskMismatch, "weights outside their mask: eval --path sparse", ["eval", "--from", "model.h5", "--path", "sparse"],
                       ["model.h5", "/masks/fc3.weight", "non-zero where the mask is 0"], damage: unmaskedWeights),
        checkpointCase(.maskMismatch, "weights outside their mask: inspect", ["inspect", "model.h5"],
                       ["model.h5", "/masks/fc3.weight", "non-zero where the mask is 0"], damage: unmaskedWeights),

        // MARK: 14.10 Divergence is named as such
        divergenceCase("SGD, lr 9.9, momentum 0.99, batch 8", side: 4, train: "{lr: 9.9, momentum: 0.99, batch_size: 8, epochs: 3}"),
        divergenceCase("SGD, lr 9.9, Nesterov momentum 0.9, batch 4", side: 6, train: "{lr: 9.9, momentum: 0.9, nesterov: true, batch_size: 4, epochs: 3}"),

        // MARK: 14.11 Stale temporaries of dead processes are removed on the next run
        staleTemporaryCase(model: model, live: false),
        staleTemporaryCase(model: model, live: true),

        // MARK: Issue 13, items 9-11
        recipeCase(.unknownKey, "learning_rate instead of lr", Inputs.recipe(train: "{learning_rate: 0.1, batch_size: 8, epochs: 1}"),
                   ["train.learning_rate", "unknown key; did you mean 'lr'?"]),
        recipeCase(.unknownKey, "optimiser", Inputs.recipe(train: "{optimiser: sgd, lr: 0.1, batch_size: 8, epochs: 1}"),
                   ["train.optimiser", "did you mean 'optimizer'?"]),
        recipeCase(.unknownKey, "dataset misspelt", Inputs.recipe(data: "{datset: synthetic}"), ["data.datset", "did you mean 'dataset'?"]),
        recipeCase(.missingMNIST, "MNIST not downloaded", Inputs.recipe(data: "{dataset: mnist, path: mnist}"),
                   ["data.path", "Debian has no MNIST package", "train-images-idx3-ubyte.gz", "into mnist"],
                   files: { try FileManager.default.createDirectory(at: $0.appendingPathComponent("mnist"), withIntermediateDirectories: true) }),
        recipeCase(.missingMNIST, "MNIST default folder", Inputs.recipe(data: "{dataset: mnist}"),
                   ["data.dataset", "Debian has no MNIST package", "into /usr/share/datasets/mnist"]),
        {
            var accepted = checkpointCase(.architectureJSON, "architecture without dropout", ["eval", "--from", "model.h5"], ["model.h5: test accuracy"],
                                          damage: { try Inputs.setArchitecture(#"{"model":"lenet-300-100","inputShape":[1,4,4],"classes":3}"#, in: $0) })
            accepted.succeeds = true
            return accepted
        }(),
        checkpointCase(.architectureJSON, "architecture classes as a string", ["inspect", "model.h5"],
                       ["model.h5", "attribute 'architecture'", "field 'classes': expected Int"],
                       damage: { try Inputs.setArchitecture(#"{"model":"lenet-300-100","classes":"three"}"#, in: $0) }),
        checkpointCase(.architectureJSON, "root attributes step and seed missing", ["eval", "--from", "model.h5"],
                       ["model.h5", "missing root attributes 'step', 'seed'"],
                       damage: { try Inputs.modifyCheckpoint($0) { root in try root.removeAttribute("step"); try root.removeAttribute("seed") } }),
    ]
}

/// Training whose loss becomes NaN stops with "training diverged", keeping the last
/// good checkpoints (init.h5, written before the first epoch, and any epoch's before).
private func divergenceCase(_ name: String, side: Int, train: String) -> MalformedInput {
    let recipe = Inputs.recipe(name: "diverge", data: "{dataset: synthetic, synthetic: {train: 64, test: 16, classes: 3, side: \(side)}}",
                               train: train)
    return MalformedInput(kind: .divergence, name: name, arguments: ["train", "recipe.yaml", "--checkpoints", "checkpoints"],
                          expected: ["training diverged at epoch ", " step ", "try a lower train.lr or set train.clip_norm"],
                          prepare: { try Inputs.write(recipe, to: $0.appendingPathComponent("recipe.yaml")) },
                          check: { folder in
                              let runs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)
                              let dense = folder.appendingPathComponent("checkpoints/\(runs[0])/seed-0/dense")
                              // The checkpoints before the diverged epoch stay; no final one is written.
                              let kept = try FileManager.default.contentsOfDirectory(atPath: dense.path).sorted()
                              guard kept.contains("init.h5"), !kept.contains("final.h5") else {
                                  throw CocoaError(.fileReadUnknown, userInfo: ["kept": kept])
                              }
                          })
}

/// `export` over a target whose `*.tmp-<pid>` killed processes left: the export
/// succeeds and their temporaries are gone; with `live`, a running process's
/// temporary (pid 1) is there too and must stay.
private func staleTemporaryCase(model: URL, live: Bool) -> MalformedInput {
    var input = MalformedInput(kind: .staleTemporary,
                               name: "export over two stale out.h5.tmp-<dead pid>" + (live ? " and a live one's" : ""),
                               arguments: ["export", "--from", "model.h5", "--out", "out.h5"], expected: ["wrote out.h5"],
                               prepare: { folder in
                                   try FileManager.default.copyItem(at: model, to: folder.appendingPathComponent("model.h5"))
                                   for pid in [try Inputs.deadPID(), try Inputs.deadPID()] + (live ? [1] : []) {
                                       try Data(count: 1 << 20).write(to: folder.appendingPathComponent("out.h5.tmp-\(pid)"))
                                   }
                               })
    input.succeeds = true
    input.writable = ["out.h5", "out.h5.tmp-"]
    input.check = { folder in
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        guard left == (live ? ["out.h5.tmp-1"] : []) else { throw CocoaError(.fileWriteFileExists, userInfo: ["left": left]) }
    }
    return input
}
