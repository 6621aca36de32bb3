// swift-tools-version:6.0
// Rewind: lottery-ticket pruning and retraining for CNNs and MLPs on the CPU.
//
// Layers of the package (arrows point down only):
//   rewind (CLI)  ->  Recipes, Reports  ->  Pruning, ONNX  ->  Checkpoint  ->  Engine  ->  CBLAS, CHDF5, CZlib, CKernels
import PackageDescription

let package = Package(
    name: "Rewind",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rewind", targets: ["rewind"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Checkpoint", targets: ["Checkpoint"]),
        .library(name: "Pruning", targets: ["Pruning"]),
        .library(name: "Recipes", targets: ["Recipes"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "ONNX", targets: ["ONNX"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // MARK: C libraries from Debian (pkg-config names: openblas, hdf5, zlib)
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "pkg-config"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev", "pkg-config"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev", "pkg-config"])]),
        // MARK: Hand-written CPU kernels (AVX2/FMA chosen at run time, portable fallback)
        .target(name: "CKernels"),

        // MARK: Rewind's libraries
        .target(name: "AtomicFile"),
        .target(name: "Engine", dependencies: ["CBLAS", "CZlib", "CKernels"]),
        .target(name: "Checkpoint", dependencies: ["Engine", "CHDF5", "AtomicFile"]),
        .target(name: "Pruning", dependencies: ["Engine", "Checkpoint", "Reports", "AtomicFile"]),
        .target(name: "Reports", dependencies: ["AtomicFile"]),
        // ONNX import/export; Generated/onnx.pb.swift comes from Generated/onnx.proto
        // (scripts/generate-onnx-swift.sh, run by hand, not at build time).
        .target(name: "ONNX", dependencies: ["Engine", "Checkpoint", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["Generated/onnx.proto"]),
        .target(name: "Recipes", dependencies: ["Engine", "Pruning", "ONNX", "Yams"]),
        .executableTarget(name: "rewind", dependencies: [
            "Engine", "Checkpoint", "Pruning", "Recipes", "Reports", "ONNX",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Engine"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "Engine", "TestSupport", "AtomicFile"]),
        .testTarget(name: "PruningTests", dependencies: ["Pruning", "Checkpoint", "Engine", "TestSupport"]),
        .testTarget(name: "RecipesTests", dependencies: ["Recipes", "Engine", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        // Runs python3 with onnx, onnxruntime and torch (skipped when they are missing).
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "Checkpoint", "Engine", "Recipes", "TestSupport"],
                    exclude: ["Python"]),
        .testTarget(name: "CLITests", dependencies: ["rewind"]),
        // Runs the built `rewind` binary (next to the test bundle) against a real
        // one-node Slurm started by scripts/slurm-local-cluster.sh.
        .testTarget(name: "SlurmTests", dependencies: ["Recipes", "Reports", "Pruning"]),
    ]
)
