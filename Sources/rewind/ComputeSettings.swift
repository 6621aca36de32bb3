import Engine
import Foundation
import Pruning

/// The process's `ComputeConfiguration`, built once at the start of a command from
/// the environment (`REWIND_THREADS`, `REWIND_GEMM_THRESHOLD`, `REWIND_SPARSE_THRESHOLD`,
/// `REWIND_CONV_COLUMNS`, `REWIND_CONV_PARALLEL`, `REWIND_KERNELS`) and the command's
/// `--threads` (which wins over `REWIND_THREADS`). Every network and optimizer the command makes
/// carries the returned value; a bad variable is a one-line error naming it. Pruned
/// layers choose sparse or dense retraining by measurement kept in the per-machine
/// cache (`SparseTrainingChoiceFile`) unless `REWIND_SPARSE_TRAINING_DENSITY` is set.
func makeComputeConfiguration(threads: Int? = nil) throws -> ComputeConfiguration {
    var configuration: ComputeConfiguration
    do {
        configuration = try ComputeConfiguration(environment: ProcessInfo.processInfo.environment)
    } catch let error as ComputeConfigurationError {
        throw CommandFailure(error.description)
    }
    if let threads { configuration.threads = threads }
    if ProcessInfo.processInfo.environment["REWIND_SPARSE_TRAINING_DENSITY"] == nil {
        let file = SparseChoiceCache.file.deletingLastPathComponent().appendingPathComponent("sparse-training.json")
        configuration.measuredSparseTraining = MeasuredSparseTraining(SparseTrainingChoiceFile(
            file: file, machine: SparseKernelChoices.machineKey(configuration: configuration)))
    }
    return configuration
}
