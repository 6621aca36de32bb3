import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one memory budget of Rewind: the most it will allocate for a single tensor,
/// data set or network whose size comes from input (a recipe, a checkpoint's
/// architecture, an IDX header), so a hostile or mistyped size is refused with a
/// message instead of a failed allocation or an overflow trap.
///
///     budget = min(physical memory / 2, address-space limit / 2)   (RLIMIT_AS, when set)
///
/// Every size derived from input is computed with overflow-checked arithmetic
/// (`elementCount(of:)`) and compared with the budget in bytes (4 per Float element).
public enum ResourceLimits {
    /// Bytes Rewind allows for one allocation that input asked for.
    public static let memoryBudget: Int = {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        var budget = physical / 2
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            budget = min(budget, Int(clamping: limit.rlim_cur) / 2)
        }
        return max(budget, 1 << 26)
    }()

    /// The largest number of Float elements that fits the budget.
    public static var maximumElements: Int { memoryBudget / MemoryLayout<Float>.stride }

    /// The most examples a data set may hold: batches index them with Int32.
    public static let maximumExamples = Int(Int32.max)

    /// The product of `dimensions`, or nil when a dimension is negative or the product
    /// overflows `Int`.
    public static func elementCount(of dimensions: [Int]) -> Int? {
        var product = 1
        for dimension in dimensions {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// The element count of `dimensions` when it fits the budget; otherwise a
    /// `ResourceLimitError` describing `what` ("fc1.weight", "the training images").
    @discardableResult
    public static func checkElements(_ dimensions: [Int], what: String) throws -> Int {
        guard let count = elementCount(of: dimensions), count <= maximumElements else {
            throw ResourceLimitError(what: what, dimensions: dimensions)
        }
        return count
    }

    /// A budget in a person's units ("7.8 GiB").
    public static func format(bytes: Double) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(Int(value)) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}

/// A size asked for by input that Rewind will not allocate: it overflows, or it is
/// larger than `ResourceLimits.memoryBudget`. The caller prefixes the file and field.
public struct ResourceLimitError: Error, CustomStringConvertible, Equatable {
    public let what: String
    public let dimensions: [Int]

    public var description: String {
        let budget = ResourceLimits.format(bytes: Double(ResourceLimits.memoryBudget))
        guard let count = ResourceLimits.elementCount(of: dimensions) else {
            return "\(what) of shape \(dimensions) has no representable size (negative or overflowing); the memory budget is \(budget)"
        }
        let bytes = ResourceLimits.format(bytes: Double(count) * Double(MemoryLayout<Float>.stride))
        return "\(what) of shape \(dimensions) needs \(bytes), more than the memory budget of \(budget)"
    }
}
