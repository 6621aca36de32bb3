import CKernels

/// Which build of a hand-written CPU kernel (the CKernels target) runs.
///
/// Swift compiles for baseline x86-64 (SSE2), so kernels that need AVX2/FMA or
/// AVX-512 are C functions compiled with `target(...)` attributes, each with a
/// portable C twin. The choice is made per call (CKernels' `rw_kernel_path`, from
/// cpuid, checked once): `.automatic` takes the best build the CPU has (AVX-512 on
/// the Intel and Zen 4 machines, AVX2/FMA on Zen 3); `.portable`, `.avx2FMA` and
/// `.avx512` ask for one build (for tests, and for comparing them), and a build the
/// CPU lacks falls back to the best below it, so no choice can crash. It is set per
/// network by `ComputeConfiguration.kernelPath` (`REWIND_KERNELS`).
public enum KernelVariant: Sendable, CaseIterable, CustomStringConvertible {
    case automatic, portable, avx2FMA, avx512

    /// Whether this CPU runs the AVX2/FMA builds.
    public static var isAVX2FMAAvailable: Bool { rw_cpu_has_avx2_fma() != 0 }

    /// Whether this CPU runs the AVX-512 builds.
    public static var isAVX512Available: Bool { rw_cpu_has_avx512() != 0 }

    /// The build `.automatic` resolves to on this CPU.
    public static var resolved: KernelVariant { KernelVariant.automatic.resolvedPath }

    /// The builds this CPU can run, portable first: what tests compare.
    public static var available: [KernelVariant] {
        [.portable] + (isAVX2FMAAvailable ? [.avx2FMA] : []) + (isAVX512Available ? [.avx512] : [])
    }

    /// The build this request runs on this CPU (never `.automatic`).
    public var resolvedPath: KernelVariant {
        switch rw_kernel_path(code) {
        case RW_KERNEL_AVX512: return .avx512
        case RW_KERNEL_AVX2_FMA: return .avx2FMA
        default: return .portable
        }
    }

    /// The `RW_KERNEL_*` code the C kernels take.
    var code: Int32 {
        switch self {
        case .automatic: return RW_KERNEL_AUTOMATIC
        case .portable: return RW_KERNEL_PORTABLE
        case .avx2FMA: return RW_KERNEL_AVX2_FMA
        case .avx512: return RW_KERNEL_AVX512
        }
    }

    public var description: String {
        switch self {
        case .automatic: return "automatic"
        case .portable: return "portable"
        case .avx2FMA: return "avx2+fma"
        case .avx512: return "avx512"
        }
    }
}

extension KernelVariant {
    /// The variant named `name` (its `description`, or "auto" / "avx2" / "avx-512"), nil otherwise.
    public init?(name: String) {
        switch name.lowercased() {
        case "automatic", "auto": self = .automatic
        case "portable": self = .portable
        case "avx2", "avx2+fma": self = .avx2FMA
        case "avx512", "avx-512": self = .avx512
        default: return nil
        }
    }
}
