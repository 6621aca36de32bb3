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
/// temporary name. A crash leaves a stale `*.tmp-<pid>` that is safe to delete.
public enum AtomicFile {
    /// The temporary path used while writing `target`.
    public static func temporaryPath(for target: String) -> String { "\(target).tmp-\(getpid())" }

    /// Makes `target` hold exactly `bytes`, atomically. Errors name the file `name`.
    public static func replace(_ target: String, name: String? = nil, with bytes: [UInt8]) throws {
        let name = name ?? target
        let temporary = temporaryPath(for: target)
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
