import Engine
import Foundation
import Pruning
import XCTest

/// The per-machine file of sparse-training choices: a key is measured once per
/// machine and every later store on the same file reads that choice, whatever a new
/// timing would say.
final class SparseTrainingChoiceFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-choices-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private let key = SparseTrainingKey(kind: "linear", weightShape: [300, 784], inputShape: [784], batch: 60,
                                        inputGradient: false, densityPercent: 21)

    func testAChoiceIsMeasuredOnceAndThenReadFromTheFile() throws {
        let file = folder.appendingPathComponent("cache/sparse-training.json")
        let first = SparseTrainingChoiceFile(file: file, machine: "machine A")
        var measurements = 0
        XCTAssertTrue(first.trainsSparsely(key) { measurements += 1; return SparseTrainingTiming(dense: 2, sparse: 1) })
        XCTAssertTrue(first.trainsSparsely(key) { measurements += 1; return SparseTrainingTiming(dense: 1, sparse: 2) })
        XCTAssertEqual(measurements, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: file.path))

        // Another process (a worker, a resumed run) on the same file: the stored choice
        // wins over what its own timing would say.
        let second = SparseTrainingChoiceFile(file: file, machine: "machine A")
        XCTAssertTrue(second.trainsSparsely(key) { measurements += 1; return SparseTrainingTiming(dense: 1, sparse: 2) })
        XCTAssertEqual(measurements, 1)
        XCTAssertEqual(second.stored, [SparseTrainingChoice(key: key, timing: SparseTrainingTiming(dense: 2, sparse: 1))])

        // Another machine key, or another situation, is measured.
        let other = SparseTrainingChoiceFile(file: file, machine: "machine B")
        XCTAssertFalse(other.trainsSparsely(key) { measurements += 1; return SparseTrainingTiming(dense: 1, sparse: 2) })
        let denser = SparseTrainingKey(kind: "linear", weightShape: [300, 784], inputShape: [784], batch: 60,
                                       inputGradient: false, densityPercent: 51)
        XCTAssertFalse(second.trainsSparsely(denser) { measurements += 1; return SparseTrainingTiming(dense: 1, sparse: 3) })
        XCTAssertEqual(measurements, 3)
        XCTAssertEqual(SparseTrainingChoiceFile(file: file, machine: "machine A").stored.count, 2)
        XCTAssertEqual(SparseTrainingChoiceFile(file: file, machine: "machine B").stored.count, 1)
    }

    /// An unreadable file starts empty, and a cache that cannot be written keeps the
    /// choices in memory for the process.
    func testABrokenOrUnwritableFileStillDecides() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let broken = folder.appendingPathComponent("broken.json")
        try Data("{not json".utf8).write(to: broken)
        var measurements = 0
        let store = SparseTrainingChoiceFile(file: broken, machine: "m")
        XCTAssertTrue(store.trainsSparsely(key) { measurements += 1; return SparseTrainingTiming(dense: 2, sparse: 1) })
        XCTAssertEqual(store.stored.count, 1, "rewritten whole")

        let blocker = folder.appendingPathComponent("a-file")
        try Data().write(to: blocker)
        let unwritable = SparseTrainingChoiceFile(file: blocker.appendingPathComponent("sparse-training.json"), machine: "m")
        XCTAssertFalse(unwritable.trainsSparsely(key) { measurements += 1; return SparseTrainingTiming(dense: 1, sparse: 2) })
        XCTAssertFalse(unwritable.trainsSparsely(key) { measurements += 1; return SparseTrainingTiming(dense: 2, sparse: 1) })
        XCTAssertEqual(measurements, 2)
    }
}
