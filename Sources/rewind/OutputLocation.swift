import AtomicFile
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command will write, checked before any work (training can take hours; a
/// `--reports` that is a file must fail first, not last), and filesystem errors as
/// one line `path: cause` instead of Foundation's `Error Domain=NSCocoaErrorDomain
/// Code=512 "(null)"` dumps.
///
/// A file location is writable when the path is not empty, is not a folder, and its
/// folder exists, is a folder, and allows creating files (`access(W_OK | X_OK)`). A
/// folder location is writable when it is a writable folder, or when it can be
/// created: no part of the path is a file and the nearest existing folder above it
/// is writable.
enum OutputLocation {
    /// Throws `CommandFailure("option: path: cause")` unless `path` can be created or
    /// replaced as a file.
    static func checkFile(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw CommandFailure("\(option): the path is empty; expected a file to write") }
        if let kind = AtomicFile.specialFileKind(path) { throw CommandFailure("\(option): \(path): is \(kind); expected a file to write") }
        guard !path.hasSuffix("/") else { throw CommandFailure("\(option): \(path): ends in '/'; expected a file to write") }
        let parent = parentFolder(of: path)
        guard exists(parent) else { throw CommandFailure("\(option): \(path): its folder \(parent) does not exist (create it first)") }
        guard isFolder(parent) else { throw CommandFailure("\(option): \(path): \(parent) is a file, not a folder") }
        try checkWritableFolder(parent, for: path, option: option)
    }

    /// Throws `CommandFailure("option: path: cause")` unless `path` is, or can be
    /// created as, a writable folder.
    static func checkFolder(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw CommandFailure("\(option): the path is empty; expected a folder") }
        var existing = path
        while !exists(existing) {
            let parent = parentFolder(of: existing)
            if parent == existing { break }
            existing = parent
        }
        guard isFolder(existing) else {
            throw CommandFailure("\(option): \(path): \(existing == path ? "is a file" : "\(existing) is a file"); expected a folder")
        }
        try checkWritableFolder(existing, for: path, option: option)
    }

    /// `error` as one line naming the path it concerns and its cause, for errors
    /// Foundation raises about files (CocoaError, POSIXError with a file path).
    static func describe(_ error: Error) -> String? {
        let nsError = error as NSError
        guard nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain else { return nil }
        let path = (nsError.userInfo[NSFilePathErrorKey] as? String)
            ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
            ?? (nsError.userInfo["NSDestinationFilePath"] as? String)
        var cause = (nsError.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { underlying -> String? in
            underlying.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(underlying.code))) : nil
        }
        if cause == nil, let path, let file = fileInTheWay(of: path) {
            cause = "\(file) is a file, not a folder"
        }
        if cause == nil {
            switch CocoaError.Code(rawValue: nsError.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: cause = "no such file or folder"
            case .fileWriteNoPermission, .fileReadNoPermission: cause = "permission denied"
            case .fileWriteFileExists: cause = "a file is in the way"
            case .fileWriteOutOfSpace: cause = "no space left on the device"
            case .fileWriteInvalidFileName, .fileReadInvalidFileName: cause = "not a valid file name"
            case .fileWriteVolumeReadOnly: cause = "the file system is read-only"
            default: cause = "file system error \(nsError.code)"
            }
        }
        return "\(path ?? "a file"): \(cause!)"
    }

    /// The nearest existing part of `path` (itself or a folder above it) when it is
    /// a file: creating `path` as a folder, or anything inside it, fails there.
    private static func fileInTheWay(of path: String) -> String? {
        var part = path
        while !exists(part) {
            let parent = parentFolder(of: part)
            if parent == part { return nil }
            part = parent
        }
        return isFolder(part) ? nil : part
    }

    private static func checkWritableFolder(_ folder: String, for path: String, option: String) throws {
        guard access(folder, W_OK | X_OK) == 0 else {
            throw CommandFailure("\(option): \(path): cannot write in \(folder) (\(String(cString: strerror(errno)).lowercased()))")
        }
    }

    private static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    private static func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }

    /// The folder holding `path`: "." for a bare name, "/" for "/x".
    private static func parentFolder(of path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}
