import CKernels

/// Out-of-place transpose of a contiguous row-major matrix:
///
///     destination[c, r] = source[r, c]     source [rows, columns], destination [columns, rows]
///
/// In 8x8 tiles (AVX2 registers when available), so reads and writes both touch
/// whole cache lines. `source` and `destination` must not overlap.
public func transpose(rows: Int, columns: Int, _ source: UnsafePointer<Float>,
                      _ destination: UnsafeMutablePointer<Float>, variant: KernelVariant = .automatic) {
    precondition(rows >= 0 && columns >= 0 && rows <= Int(Int32.max) && columns <= Int(Int32.max),
                 "transpose: invalid shape [\(rows), \(columns)]")
    rw_transpose(Int32(rows), Int32(columns), source, columns, destination, rows, variant.code)
}
