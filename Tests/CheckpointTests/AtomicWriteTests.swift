import AtomicFile
@testable import Checkpoint
import Engine
import Foundation
import TestSupport
import XCTest

/// A write that fails at any point leaves the previous checkpoint byte-identical
/// and no temporary file behind.
final class AtomicWriteTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var path: String { directory.file("checkpoint.h5") }
    private var previous: CheckpointContents!
    private var previousBytes: Data!

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        previous = try makeContents(seed: 1)
        try CheckpointFile.write(previous, to: path)
        previousBytes = try fileBytes(path)
    }

    override func tearDown() {
        directory = nil  // XCTest keeps test case objects alive to the end of the run
    }

    /// The old file is byte-identical, still reads, and nothing else is in the directory.
    private func assertPreviousCheckpointIntact(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try fileBytes(path), previousBytes, "old file byte-identical", file: file, line: line)
        XCTAssertEqual(directory.contents, ["checkpoint.h5"], "temporary file removed", file: file, line: line)
        assertEqualContents(previous, try CheckpointFile.read(path), file: file, line: line)
        XCTAssertEqual(HDF5Library.openObjectCount(), 0, "every HDF5 handle closed", file: file, line: line)
    }

    /// A full disk, simulated with a file-size limit (RLIMIT_FSIZE) below the new
    /// file's size: writes past it fail with EFBIG (SIGXFSZ ignored meanwhile).
    ///
    /// The limit is set in this process, not a child: XCTest runs tests one at a
    /// time on one thread and nothing else writes files meanwhile; the soft limit
    /// and the signal disposition are restored before returning.
    func testFullDiskLeavesThePreviousCheckpointIntact() throws {
        let newer = try makeContents(seed: 2)
        let error = try withFileSizeLimit(bytes: 48 * 1024) {
            assertCheckpointError(.io) { try CheckpointFile.write(newer, to: path) }
        }
        let message = error?.description ?? ""
        XCTAssertTrue(message.hasPrefix("\(path): cannot write the temporary file \(path).tmp-\(getpid()) (49152 of "),
                      message)
        XCTAssertTrue(message.hasSuffix(" bytes written): File too large"), message)
        try assertPreviousCheckpointIntact()
        // Once there is room again, the same write succeeds.
        try CheckpointFile.write(newer, to: path)
        assertEqualContents(newer, try CheckpointFile.read(path))
    }

    func testFolderInTheWayIsRefusedAndLeftAlone() throws {
        // A directory where the file should go is refused before anything is written
        // (rename(2) would replace an empty one).
        let occupied = directory.file("occupied.h5")
        try FileManager.default.createDirectory(atPath: occupied + "/inside", withIntermediateDirectories: true)
        let error = assertCheckpointError(.io) { try CheckpointFile.write(try makeContents(seed: 2), to: occupied) }
        XCTAssertEqual(error?.message, "is a folder, not a regular file; refusing to replace it")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: occupied), ["inside"])
        XCTAssertEqual(directory.contents, ["checkpoint.h5", "occupied.h5"])
    }

    func testTemporaryFileSitsNextToTheTarget() {
        XCTAssertEqual(AtomicFile.temporaryPath(for: path), "\(path).tmp-\(getpid())")
    }

    func testInvalidContentsNeverTouchTheDisk() throws {
        var invalid = try makeContents(seed: 2)
        invalid.buffers["not.a.buffer"] = Tensor(shape: [1])
        assertCheckpointError(.unexpected) { try CheckpointFile.write(invalid, to: path) }
        try assertPreviousCheckpointIntact()
    }

    func testMissingDirectoryFailsWithoutLeftovers() throws {
        let target = directory.file("no/such/dir/c.h5")
        let error = assertCheckpointError(.io) { try CheckpointFile.write(try makeContents(), to: target) }
        XCTAssertEqual(error?.description, "\(target): cannot create the temporary file \(target).tmp-\(getpid()): "
                       + "No such file or directory")
        try assertPreviousCheckpointIntact()
    }

    /// rename(2) over a device or pipe would replace the node itself (`--out /dev/null`
    /// as root left a regular file there): such targets are refused and left alone.
    func testSpecialFilesAreNeverReplaced() throws {
        let pipe = directory.file("pipe")
        XCTAssertEqual(mkfifo(pipe, 0o644), 0)
        XCTAssertThrowsError(try AtomicFile.replace(pipe, with: [1, 2, 3])) {
            XCTAssertEqual("\($0)", "\(pipe): is a named pipe, not a regular file; refusing to replace it")
        }
        XCTAssertEqual(AtomicFile.specialFileKind(pipe), "a named pipe")
        XCTAssertEqual(AtomicFile.specialFileKind(directory.path), "a folder")
        XCTAssertEqual(AtomicFile.specialFileKind("/dev/null"), "a character device")
        XCTAssertNil(AtomicFile.specialFileKind(path))
        XCTAssertNil(AtomicFile.specialFileKind(directory.file("absent")))
        XCTAssertEqual(directory.contents, ["checkpoint.h5", "pipe"], "no temporary left")
    }

    func testDirectoryOfPath() {
        XCTAssertEqual(AtomicFile.directory(of: "c.h5"), ".")
        XCTAssertEqual(AtomicFile.directory(of: "/c.h5"), "/")
        XCTAssertEqual(AtomicFile.directory(of: "runs/seed-0/c.h5"), "runs/seed-0")
    }

    /// A kill mid-write leaves `<target>.tmp-<pid>`; the next write of that target
    /// removes the temporaries of processes that are gone, never a live one's, and a
    /// folder sweep removes the rest (issue 14, item 11).
    func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/sh")
        finished.arguments = ["-c", "exit 0"]
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let stale = "\(path).tmp-\(dead)", live = "\(path).tmp-1", other = directory.file("other.h5.tmp-\(dead)")
        for file in [stale, live, other] { XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(count: 4096))) }
        try CheckpointFile.write(previous, to: path)
        XCTAssertEqual(directory.contents, ["checkpoint.h5", "checkpoint.h5.tmp-1", "other.h5.tmp-\(dead)"])
        XCTAssertEqual(AtomicFile.removeStaleTemporaries(in: directory.path).map { ($0 as NSString).lastPathComponent },
                       ["other.h5.tmp-\(dead)"])
        XCTAssertEqual(directory.contents, ["checkpoint.h5", "checkpoint.h5.tmp-1"], "pid 1 runs: its temporary stays")
    }
}

/// Runs `body` with the soft RLIMIT_FSIZE lowered to `bytes` and SIGXFSZ ignored
/// (so oversized writes fail with EFBIG instead of killing the process), then
/// restores both.
func withFileSizeLimit<T>(bytes: Int, _ body: () throws -> T) throws -> T {
    var saved = rlimit()
    guard getrlimit(RLIMIT_FSIZE_VALUE, &saved) == 0 else { throw XCTSkip("getrlimit(RLIMIT_FSIZE) failed") }
    var limited = saved
    limited.rlim_cur = rlim_t(min(UInt64(bytes), UInt64(saved.rlim_max)))
    let previousHandler = signal(SIGXFSZ, SIG_IGN)
    guard setrlimit(RLIMIT_FSIZE_VALUE, &limited) == 0 else {
        signal(SIGXFSZ, previousHandler)
        throw XCTSkip("setrlimit(RLIMIT_FSIZE) not permitted here")
    }
    defer {
        setrlimit(RLIMIT_FSIZE_VALUE, &saved)
        signal(SIGXFSZ, previousHandler)
    }
    return try body()
}

#if canImport(Glibc)
/// Glibc imports RLIMIT_FSIZE as an enum case that setrlimit's Int32 parameter does not take directly.
private let RLIMIT_FSIZE_VALUE = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
#else
private let RLIMIT_FSIZE_VALUE = RLIMIT_FSIZE
#endif
