import Foundation

/// Where the stability analysis of a run keeps its files, inside the run folder:
///
///     <run>/seed-<s>/dense/epoch-<k>.h5                    the dense weights at rewind point k
///     <run>/stability/seed-<s>/<subject>/k-<k>/child-<i>.h5 + child-<i>.json
///                                                          child i (0, 1) trained from k to the end
///     <run>/stability/seed-<s>/<subject>/k-<k>/interpolation.json
///                                                          errors along the line between the children
///     <run>/stability/rewind-epoch.json                    `rewind_epoch: auto`, resolved once
///
/// `<subject>` is "dense" or "level-<L>". Every file carries the cache key of its
/// inputs and is reused only when that key is the one the inputs give now.
public struct StabilityFolder: Sendable {
    public let run: RunFolder

    public init(run: RunFolder) { self.run = run }

    public var root: URL { run.root.appendingPathComponent("stability") }

    /// The resolved `rewind_epoch: auto` (a `RewindEpochChoice`).
    public var rewindEpochChoice: URL { root.appendingPathComponent("rewind-epoch.json") }

    /// The dense run's weights at rewind point `point` (kept beside its other checkpoints).
    public func denseWeights(_ seed: UInt64, at point: RewindPoint) -> URL {
        run.denseFolder(seed).appendingPathComponent("epoch-\(point).h5")
    }

    /// The folder of one (seed, subject, k).
    public func point(_ seed: UInt64, _ subject: StabilitySubject, _ point: RewindPoint) -> URL {
        root.appendingPathComponent("seed-\(seed)").appendingPathComponent(subject.description)
            .appendingPathComponent("k-\(point)")
    }

    public func child(_ seed: UInt64, _ subject: StabilitySubject, _ point: RewindPoint, _ index: Int) -> URL {
        self.point(seed, subject, point).appendingPathComponent("child-\(index).h5")
    }

    public func childRecord(_ seed: UInt64, _ subject: StabilitySubject, _ point: RewindPoint, _ index: Int) -> URL {
        self.point(seed, subject, point).appendingPathComponent("child-\(index).json")
    }

    public func interpolation(_ seed: UInt64, _ subject: StabilitySubject, _ point: RewindPoint) -> URL {
        self.point(seed, subject, point).appendingPathComponent("interpolation.json")
    }
}
