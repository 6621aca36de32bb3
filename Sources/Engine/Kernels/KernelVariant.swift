import CKernels

/// Which build of a hand-written CPU kernel (the CKernels target) runs.
///
/// Swift compiles for baseline x86-64 (SSE2), so kernels that need AVX2/FMA are C
/// functions compiled with `target("avx2,fma")`, each with a portable C twin. The
/// choice is made per call: `.automatic` takes AVX2/FMA when the CPU reports it
/// (`rw_cpu_has_avx2_fma`), `.portable` forces the twin (for tests and for
/// comparing the two), and `.avx2FMA` asks for AVX2/FMA but still falls back to
/// the portable build on a CPU without it, so no choice can crash.
public enum KernelVariant: Sendable, CaseIterable, CustomStringConvertible {
    case automatic, portable, avx2FMA

    /// Whether this CPU runs the AVX2/FMA builds.
    public static var isAVX2FMAAvailable: Bool { rw_cpu_has_avx2_fma() != 0 }

    /// The build `.automatic` resolves to on this CPU.
    public static var resolved: KernelVariant { isAVX2FMAAvailable ? .avx2FMA : .portable }

    /// The `RW_KERNEL_*` code the C kernels take.
    var code: Int32 {
        switch self {
        case .automatic: return RW_KERNEL_AUTOMATIC
        case .portable: return RW_KERNEL_PORTABLE
        case .avx2FMA: return RW_KERNEL_AVX2_FMA
        }
    }

    public var description: String {
        switch self {
        case .automatic: return "automatic"
        case .portable: return "portable"
        case .avx2FMA: return "avx2+fma"
        }
    }
}

extension KernelVariant {
    /// The variant named `name` (its `description`, or "auto" / "avx2"), nil otherwise.
    public init?(name: String) {
        switch name.lowercased() {
        case "automatic", "auto": self = .automatic
        case "portable": self = .portable
        case "avx2", "avx2+fma": self = .avx2FMA
        default: return nil
        }
    }
}
