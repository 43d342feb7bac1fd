import Foundation

/// The learning rate as a function of fractional epoch, exactly as PySlowFast's `lr_policy.py`
/// defines it (the trainer queries it every iteration with `epoch + iteration / iterationsPerEpoch`).
public struct LearningRateSchedule: Sendable, Equatable {
    /// The policy after warmup.
    public enum Policy: Sendable, Equatable {
        /// `end + (base - end) * (cos(pi * (e - offset) / (maxEpoch - offset)) + 1) / 2`, where the
        /// offset is the warmup length when `afterWarmup` is set and 0 otherwise.
        case cosine(end: Double, maxEpoch: Double, afterWarmup: Bool)
        /// `relativeRates[i] * base` for the last `steps[i] <= e`; `steps` starts at 0.
        case stepsWithRelativeRates(steps: [Double], relativeRates: [Double])
    }

    public var baseRate: Double
    public var policy: Policy
    public var warmupEpochs: Double
    public var warmupStartRate: Double

    public init(baseRate: Double, policy: Policy, warmupEpochs: Double = 0, warmupStartRate: Double = 0) {
        self.baseRate = baseRate
        self.policy = policy
        self.warmupEpochs = warmupEpochs
        self.warmupStartRate = warmupStartRate
    }

    /// The learning rate at fractional epoch `epoch`.
    ///
    /// During warmup the rate rises linearly from `warmupStartRate` to the policy's value at the end
    /// of warmup (PySlowFast's rule: so without `afterWarmup` the target is the cosine value at
    /// `warmupEpochs`, slightly below the base rate).
    public func rate(atEpoch epoch: Double) -> Double {
        if epoch < warmupEpochs {
            let target = policyRate(atEpoch: warmupEpochs)
            return warmupStartRate + epoch * (target - warmupStartRate) / warmupEpochs
        }
        return policyRate(atEpoch: epoch)
    }

    private func policyRate(atEpoch epoch: Double) -> Double {
        switch policy {
        case let .cosine(end, maxEpoch, afterWarmup):
            let offset = afterWarmup ? warmupEpochs : 0
            return end + (baseRate - end) * (cos(Double.pi * (epoch - offset) / (maxEpoch - offset)) + 1) / 2
        case let .stepsWithRelativeRates(steps, relativeRates):
            // PySlowFast appends maxEpoch to steps and takes the first step beyond `epoch`, minus one.
            let index = max(0, (steps.lastIndex(where: { $0 <= epoch }) ?? 0))
            return relativeRates[min(index, relativeRates.count - 1)] * baseRate
        }
    }
}
