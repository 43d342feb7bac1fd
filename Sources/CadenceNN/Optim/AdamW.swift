import CadenceTensor
import Foundation

/// AdamW exactly as PyTorch's `torch.optim.AdamW` (amsgrad off): decoupled decay
/// `p *= 1 - lr * wd`, moments `m = β1 m + (1 - β1) g`, `v = β2 v + (1 - β2) g²`, and
/// `p -= lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)`, with a step count per parameter.
public final class AdamW: Optimizer {
    public private(set) var groups: [ParameterGroup]
    public private(set) var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let eps: Float
    private let parameters: [String: Tensor]
    private var firstMoments: [String: [Float]] = [:]
    private var secondMoments: [String: [Float]] = [:]
    private var steps: [String: Int] = [:]

    public init(groups: [ParameterGroup], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8) throws {
        self.groups = groups
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        parameters = try AdamW.indexParameters(groups, "AdamW")
    }

    public func setLearningRate(_ learningRate: Float) { self.learningRate = learningRate }

    public func step() throws {
        let lr = learningRate, b1 = beta1, b2 = beta2
        for group in groups {
            let wd = group.weightDecay
            for (name, p) in group.parameters {
                guard let g = p.grad?.toArray() else { continue }
                let t = (steps[name] ?? 0) + 1
                steps[name] = t
                var m = firstMoments[name] ?? [Float](repeating: 0, count: g.count)
                var v = secondMoments[name] ?? [Float](repeating: 0, count: g.count)
                let correction1 = 1 - Float(Foundation.pow(Double(b1), Double(t)))
                let correction2 = 1 - Float(Foundation.pow(Double(b2), Double(t)))
                let stepSize = lr / correction1, root2 = correction2.squareRoot()
                try p.withUnsafeMutableBufferPointer { w in
                    for i in g.indices {
                        w[i] *= 1 - lr * wd
                        m[i] = b1 * m[i] + (1 - b1) * g[i]
                        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                        w[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
                    }
                }
                firstMoments[name] = m
                secondMoments[name] = v
            }
        }
    }

    public func stateDict() -> [String: ArrayData] {
        var state: [String: ArrayData] = [:]
        for (name, t) in steps {
            let shape = parameters[name]?.shape ?? []
            state[name + ".step"] = int64Scalar(t)
            state[name + ".exp_avg"] = ArrayData(shape: shape, floats: firstMoments[name] ?? [])
            state[name + ".exp_avg_sq"] = ArrayData(shape: shape, floats: secondMoments[name] ?? [])
        }
        return state
    }

    public func loadStateDict(_ state: [String: ArrayData]) throws {
        var m: [String: [Float]] = [:], v: [String: [Float]] = [:], t: [String: Int] = [:]
        for (key, array) in state {
            guard let (name, slot) = OptimizerStateKey.parse(key, slots: ["step", "exp_avg", "exp_avg_sq"]),
                  let p = parameters[name] else {
                throw NNError("AdamW", "optimizer state has key \(key) for no known parameter")
            }
            let shape = slot == "step" ? [] : p.shape
            guard array.shape == shape else {
                throw NNError("AdamW", "state \(key) has shape \(array.shape), expected \(shape)")
            }
            switch slot {
            case "step": t[name] = Int(array.floats().first ?? 0)
            case "exp_avg": m[name] = array.floats()
            default: v[name] = array.floats()
            }
        }
        for name in t.keys where m[name] == nil || v[name] == nil {
            throw NNError("AdamW", "optimizer state for \(name) lacks its moments")
        }
        firstMoments = m
        secondMoments = v
        steps = t
    }
}
