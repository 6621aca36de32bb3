/// A learning-rate schedule: a pure function of the optimizer step.
///
/// Being pure is what makes learning-rate rewinding exact: "replay the schedule from
/// step k" is `learningRate(atStep: s)` for `s = k, k+1, ...`, with no hidden state.
/// Steps count optimizer updates from 0; milestones are steps (recipes give epochs
/// and convert with the steps per epoch).
public indirect enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// η(s) = base.
    case constant(base: Float)
    /// η(s) = base · γ^(number of milestones ≤ s).
    case multistep(base: Float, milestones: [Int], gamma: Float)
    /// η(s) = min + (base − min) · (1 + cos(π · min(s, total) / total)) / 2.
    case cosine(base: Float, totalSteps: Int, minimum: Float)
    /// η(s) = after(s) · (s + 1) / steps for s < steps, then after(s): linear warm-up.
    case warmup(steps: Int, then: LearningRateSchedule)

    /// The learning rate at optimizer step `step` (0-based).
    public func learningRate(atStep step: Int) -> Float {
        switch self {
        case .constant(let base):
            return base
        case let .multistep(base, milestones, gamma):
            let passed = milestones.filter { step >= $0 }.count
            return base * Float(pow(Double(gamma), Double(passed)))
        case let .cosine(base, total, minimum):
            let progress = Double(min(max(step, 0), total)) / Double(max(total, 1))
            return minimum + (base - minimum) * Float((1 + cos(Double.pi * progress)) / 2)
        case let .warmup(steps, after):
            let target = after.learningRate(atStep: step)
            return step < steps ? target * Float(step + 1) / Float(steps) : target
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
