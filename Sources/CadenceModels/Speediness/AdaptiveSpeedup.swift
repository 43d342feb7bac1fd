import Foundation

/// Plans a speed-up that goes faster where the content tolerates it (reference A5, the solver-free
/// form): the per-frame speediness V(t) is smoothed (a median filter, then a Gaussian), the rate is
/// `R(t) = clamp(λ·V(t), 1, maxRate)`, and λ is found by bisection so that the output has
/// `round(N / target)` frames, i.e. `Σ 1/R(t)` over the N source frames equals that count.
public struct AdaptiveSpeedup: Sendable {
    /// Overall speed-up wanted (source frames / output frames), in `1...maxRate`.
    public var target: Double
    /// The fastest rate any part of the video may play at.
    public var maxRate: Double
    /// Width of the median filter, and the Gaussian's standard deviation, in seconds.
    public var medianSeconds: Double = 1
    public var gaussianSeconds: Double = 0.5

    public init(target: Double, maxRate: Double = 4) throws {
        guard maxRate >= 1, target >= 1, target <= maxRate else {
            throw ModelError("speed-up", "the target must lie in [1, max rate]; got target \(target), max rate \(maxRate)")
        }
        self.target = target
        self.maxRate = maxRate
    }

    /// The plan for a video whose source frames have `speediness` (at least one frame), at `fps`.
    public func plan(speediness: [Double], fps: Double) throws -> SpeedupPlan {
        let n = speediness.count
        guard n > 0, fps > 0 else { throw ModelError("speed-up", "needs frames and a frame rate, got \(n) at \(fps) fps") }
        let smooth = Self.gaussian(Self.median(speediness, width: Int((medianSeconds * fps).rounded()) | 1),
                                   sigma: gaussianSeconds * fps)
        // Output frames: at least one, and no more than the range of rates allows.
        let outputs = min(max(Int((Double(n) / target).rounded()), Int((Double(n) / maxRate).rounded(.up)), 1), n)
        let rates = rates(smooth, outputFrames: Double(outputs))
        // Output frame k sits where the output time u(s) = Σ_{i < s} 1/R(i) (linear inside a frame) reaches k.
        var sourceTimes: [Double] = [], sourceFrames: [Int] = [], outputRates: [Double] = []
        var frame = 0, u = 0.0
        for k in 0..<outputs {
            while frame < n - 1, u + 1 / rates[frame] <= Double(k) + 1e-9 {
                u += 1 / rates[frame]
                frame += 1
            }
            let s = Double(frame) + min((Double(k) - u) * rates[frame], 1)
            sourceTimes.append(s / fps)
            sourceFrames.append(min(Int(s.rounded(.down)), n - 1))
            outputRates.append(rates[frame])
        }
        return SpeedupPlan(target: target, achieved: Double(n) / Double(outputs), maxAllowedRate: maxRate,
                           minRate: outputRates.min() ?? 1, maxRate: outputRates.max() ?? 1, fps: fps,
                           sourceFrameCount: n, outputFrameCount: outputs, rates: outputRates,
                           sourceTimes: sourceTimes, sourceFrames: sourceFrames)
    }

    /// `clamp(λ·V, 1, maxRate)` with λ bisected so `Σ 1/R = outputFrames` (the sum falls as λ grows,
    /// from N at λ→0 to N/maxRate at large λ).
    func rates(_ v: [Double], outputFrames: Double) -> [Double] {
        func rate(_ lambda: Double) -> [Double] { v.map { min(max(lambda * $0, 1), maxRate) } }
        func outputs(_ lambda: Double) -> Double { rate(lambda).reduce(0) { $0 + 1 / $1 } }
        var low = 0.0, high = maxRate / max(v.min() ?? 1, 1e-9)
        for _ in 0..<100 {
            let mid = (low + high) / 2
            if outputs(mid) > outputFrames { low = mid } else { high = mid }
        }
        return rate((low + high) / 2)
    }

    /// Running median over `width` frames (odd), the window shrunk at the ends.
    static func median(_ x: [Double], width: Int) -> [Double] {
        let half = max(width, 1) / 2
        return x.indices.map { i in
            let window = x[max(0, i - half)...min(x.count - 1, i + half)].sorted()
            return window[window.count / 2]
        }
    }

    /// Gaussian smoothing with standard deviation `sigma` frames (3 sigma each side), the ends
    /// renormalised so a constant curve stays constant.
    static func gaussian(_ x: [Double], sigma: Double) -> [Double] {
        guard sigma > 0 else { return x }
        let radius = Int((3 * sigma).rounded(.up))
        let weights = (-radius...radius).map { Foundation.exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        return x.indices.map { i in
            var sum = 0.0, total = 0.0
            for (j, w) in zip(-radius...radius, weights) where x.indices.contains(i + j) {
                sum += w * x[i + j]
                total += w
            }
            return sum / total
        }
    }
}
