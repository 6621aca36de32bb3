internal import CHDF5

/// Process-wide HDF5 concerns: silencing its error printing and turning its error
/// stack into text for our messages.
///
/// Debian's libhdf5 is built thread-safe: every API call takes HDF5's global lock,
/// and the error stack and its auto-print setting are per thread. So each public
/// operation calls `prepare()` on the thread that runs it.
enum HDF5Library {
    /// Makes HDF5 quiet on this thread: failures come back as Swift errors, not stderr dumps.
    static func prepare() {
        _ = H5open()
        _ = rw_silence_errors()
    }

    /// The most specific description on this thread's HDF5 error stack (where the
    /// error was first detected, e.g. "truncated file: eof = 1024, ..."), then clears
    /// the stack. Empty when the stack is empty.
    static func takeErrorReason() -> String {
        var reasons: [String] = []
        _ = withUnsafeMutablePointer(to: &reasons) { pointer in
            H5Ewalk2(rw_H5E_DEFAULT(), H5E_WALK_UPWARD, { _, entry, context in
                if let description = entry?.pointee.desc {
                    context!.assumingMemoryBound(to: [String].self).pointee.append(String(cString: description))
                }
                return 0
            }, pointer)
        }
        _ = H5Eclear2(rw_H5E_DEFAULT())
        return oneLine(reasons.first { !$0.isEmpty } ?? "")
    }

    /// An HDF5 description on one line. The file drivers' I/O errors embed a
    /// timestamp with a newline and a dozen fields; of those only the system's
    /// message matters ("file write failed: File too large").
    static func oneLine(_ reason: String) -> String {
        if let start = reason.range(of: "error message = '"),
           let end = reason[start.upperBound...].firstIndex(of: "'") {
            let what = reason.prefix { $0 != ":" }
            return "\(what): \(reason[start.upperBound..<end])"
        }
        return reason.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

extension HDF5Library {
    /// How many HDF5 files, groups, datasets, datatypes and attributes are open in
    /// this process: 0 between operations, or a handle leaked.
    static func openObjectCount() -> Int {
        Int(H5Fget_obj_count(hid_t(rw_H5F_OBJ_ALL()), rw_H5F_OBJ_ALL()))
    }
}
