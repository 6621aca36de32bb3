import ArgumentParser

/// `rewind`: lottery-ticket pruning and retraining from the command line.
@main
struct Rewind: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewind",
        abstract: "Prune neural networks and retrain them by fine-tuning, weight rewinding or learning-rate rewinding.",
        discussion: """
        Typical use:
          rewind compare recipes/quickstart.yaml        every strategy, every level -> report
          rewind compare RECIPE --slurm --submit        the same as Slurm job arrays; rewind status RUN_FOLDER shows progress
          rewind train recipes/lenet300-fashion.yaml     dense training (keeps init, rewind point, final)
          rewind prune --from checkpoints/<run>/seed-0/dense/final.h5 --to 0.95 --strategy lr-rewind --out pruned.h5
          rewind export --from pruned.h5 --sparse --out pruned-sparse.h5
          rewind import model.onnx --out model.h5       a PyTorch/ONNX model as a checkpoint; rewind export --onnx writes one back
        """,
        subcommands: [TrainCommand.self, PruneCommand.self, CompareCommand.self, StabilityCommand.self, ReportCommand.self, StatusCommand.self,
                      EvalCommand.self, InspectCommand.self, ExportCommand.self, ImportCommand.self, BenchCommand.self, ProbeCheckpointCommand.self])

    /// Parses and runs the command; a filesystem error from Foundation is printed as
    /// one line `path: cause` (`OutputLocation.describe`), everything else as the
    /// argument parser prints it.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: OutputLocation.describe(error).map(CommandFailure.init) ?? error)
        }
    }
}
