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
    /// Per parameter: the step count and the first and second moments.
    private var moments: [String: (step: Int, first: Tensor, second: Tensor)] = [:]

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
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = eps
        for group in groups {
            let wd = group.weightDecay
            for (name, p) in group.parameters {
                guard let grad = try AdamW.gradient(of: p, name, "AdamW") else { continue }
                var state = moments[name] ?? (0, Tensor.zeros(p.shape), Tensor.zeros(p.shape))
                state.step += 1
                moments[name] = state
                let correction1 = 1 - Float(Foundation.pow(Double(b1), Double(state.step)))
                let correction2 = 1 - Float(Foundation.pow(Double(b2), Double(state.step)))
                let stepSize = lr / correction1, root2 = correction2.squareRoot()
                try p.withUnsafeMutableBufferPointer { w in
                    try state.first.withUnsafeMutableBufferPointer { m in
                        try state.second.withUnsafeMutableBufferPointer { v in
                            grad.withUnsafeBufferPointer { g in
                                for i in 0..<w.count {
                                    w[i] *= 1 - lr * wd
                                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                    w[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: ArrayData] {
        var state: [String: ArrayData] = [:]
        for (name, entry) in moments {
            state[name + ".step"] = int64Scalar(entry.step)
            state[name + ".exp_avg"] = ArrayData(shape: entry.first.shape, floats: entry.first.toArray())
            state[name + ".exp_avg_sq"] = ArrayData(shape: entry.second.shape, floats: entry.second.toArray())
        }
        return state
    }

    public func loadStateDict(_ state: [String: ArrayData]) throws {
        var steps: [String: Int] = [:], first: [String: Tensor] = [:], second: [String: Tensor] = [:]
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
            case "step": steps[name] = Int(array.floats().first ?? 0)
            case "exp_avg": first[name] = try Tensor(shape: shape, values: array.floats())
            default: second[name] = try Tensor(shape: shape, values: array.floats())
            }
        }
        var restored: [String: (step: Int, first: Tensor, second: Tensor)] = [:]
        for (name, step) in steps {
            guard let m = first[name], let v = second[name] else {
                throw NNError("AdamW", "optimizer state for \(name) lacks its moments")
            }
            restored[name] = (step, m, v)
        }
        moments = restored
    }
}
