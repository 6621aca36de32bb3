import Engine
import Foundation

/// The process's `ComputeConfiguration`, built once at the start of a command from
/// the environment (`REWIND_THREADS`, `REWIND_GEMM_THRESHOLD`, `REWIND_SPARSE_THRESHOLD`,
/// `REWIND_CONV_COLUMNS`, `REWIND_CONV_PARALLEL`, `REWIND_KERNELS`) and the command's
/// `--threads` (which wins over `REWIND_THREADS`). Every network and optimizer the command makes
/// carries the returned value; a bad variable is a one-line error naming it.
func makeComputeConfiguration(threads: Int? = nil) throws -> ComputeConfiguration {
    var configuration: ComputeConfiguration
    do {
        configuration = try ComputeConfiguration(environment: ProcessInfo.processInfo.environment)
    } catch let error as ComputeConfigurationError {
        throw CommandFailure(error.description)
    }
    if let threads { configuration.threads = threads }
    return configuration
}
