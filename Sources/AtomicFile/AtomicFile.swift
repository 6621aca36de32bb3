import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file so that readers (and a crash or power cut) see either the old
/// file or the complete new one, never a mixture:
///
/// 1. write the bytes to `<target>.tmp-<pid>` in the target's directory (same file
///    system, so the rename cannot turn into a copy), with POSIX `write`;
/// 2. `fsync` and `close` it, so its bytes are on disk before its name is;
/// 3. `rename` it over the target (atomic on POSIX);
/// 4. `fsync` the directory, so the rename itself survives a crash.
///
/// On any failure up to the rename (a full disk, a quota, EIO, a directory in the
/// way) the temporary file is removed and the target is untouched. One writer per
/// target at a time: two concurrent writers in one process would share the
/// temporary name. A kill leaves a stale `*.tmp-<pid>`; the next `replace` of the
/// same target removes the stale temporaries of processes that no longer run
/// (`removeStaleTemporaries(of:)`), and `removeStaleTemporaries(in:)` sweeps a folder.
public enum AtomicFile {
    /// The temporary path used while writing `target`.
    public static func temporaryPath(for target: String) -> String { "\(target).tmp-\(getpid())" }

    /// Makes `target` hold exactly `bytes`, atomically. Errors name the file `name`.
    public static func replace(_ target: String, name: String? = nil, with bytes: [UInt8]) throws {
        let name = name ?? target
        if let kind = specialFileKind(target) {
            // rename(2) would replace the node itself: `--out /dev/null` run as root
            // would leave a regular file where the device was.
            throw AtomicFileError(file: name, message: "is \(kind), not a regular file; refusing to replace it")
        }
        let temporary = temporaryPath(for: target)
        removeStaleTemporaries(of: target)
        do {
            try writeDurably(bytes, to: temporary, name: name)
            guard rename(temporary, target) == 0 else {
                throw ioError(name, "cannot rename \(temporary) over the target")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        try synchronizeDirectory(of: target, name: name)
    }

    /// What `path` is when it exists but is neither a regular file nor a symbolic
    /// link ("a character device", "a folder", ...); nil otherwise. A symbolic link is
    /// replaced as a link, leaving what it points to alone.
    public static func specialFileKind(_ path: String) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG, S_IFLNK: return nil
        case S_IFDIR: return "a folder"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a named pipe"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    /// Removes `<target>.tmp-<pid>` files left by processes that are no longer
    /// running (on this machine); returns the paths removed.
    @discardableResult
    public static func removeStaleTemporaries(of target: String) -> [String] {
        let base = target.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? target
        return removeStaleTemporaries(in: directory(of: target)) { $0 == base }
    }

    /// Removes every stale `*.tmp-<pid>` file directly in `folder` whose writer (by
    /// `pid`) no longer runs, and whose target name `keep` accepts; returns the
    /// paths removed. A live process's temporary is never touched: `kill(pid, 0)`
    /// must fail with ESRCH. (A temporary of a process on another machine sharing the
    /// folder looks dead here; one writer per target, as above, keeps that safe for
    /// `removeStaleTemporaries(of:)`, which only sweeps its own target's.)
    @discardableResult
    public static func removeStaleTemporaries(in folder: String, where keep: (String) -> Bool = { _ in true }) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for entry in entries {
            guard let marker = entry.range(of: ".tmp-", options: .backwards),
                  let pid = Int32(entry[marker.upperBound...]), pid > 0, pid != getpid(),
                  keep(String(entry[..<marker.lowerBound])) else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = folder == "." ? entry : "\(folder)/\(entry)"
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// The directory holding `path` ("." for a bare file name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Creates (or truncates) `path`, writes every byte (retrying short writes and
    /// EINTR), fsyncs and closes it, reporting the first failure.
    private static func writeDurably(_ bytes: [UInt8], to path: String, name: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw ioError(name, "cannot create the temporary file \(path)") }
        var closed = false
        defer { if !closed { close(descriptor) } }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw ioError(name, "cannot write the temporary file \(path) (\(offset) of \(buffer.count) bytes written)")
                }
                offset += written
            }
        }
        guard fsync(descriptor) == 0 else { throw ioError(name, "cannot fsync the temporary file \(path)") }
        closed = true
        guard close(descriptor) == 0 else { throw ioError(name, "cannot close the temporary file \(path)") }
    }

    /// Fsyncs the directory holding `target`. Some file systems cannot fsync a
    /// directory (EINVAL); that is not an error.
    private static func synchronizeDirectory(of target: String, name: String) throws {
        let descriptor = open(directory(of: target), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        let failure = "the new file is in place, but the rename may not survive a crash"
        guard descriptor >= 0 else { throw ioError(name, "cannot open the directory to fsync it (\(failure))") }
        defer { close(descriptor) }
        if fsync(descriptor) != 0 && errno != EINVAL {
            throw ioError(name, "cannot fsync the directory (\(failure))")
        }
    }

    /// An error with `errno`'s text appended.
    private static func ioError(_ name: String, _ message: String) -> AtomicFileError {
        AtomicFileError(file: name, message: "\(message): \(String(cString: strerror(errno)))")
    }
}

/// A failed atomic replacement: which file, and what went wrong (with errno's text).
/// The target is untouched unless the message says the rename happened.
public struct AtomicFileError: Error, Equatable, CustomStringConvertible, Sendable {
    public let file: String
    public let message: String
    public var description: String { "\(file): \(message)" }
}
