import CadenceTensor

/// Stochastic gradient descent exactly as PyTorch's `torch.optim.SGD` (dampening 0):
/// `d = g + wd * p`; with momentum `buf = d` on the first step, then `buf = μ * buf + d`;
/// Nesterov uses `d + μ * buf`, otherwise `buf`; `p -= lr * that`.
public final class SGD: Optimizer {
    public private(set) var groups: [ParameterGroup]
    public private(set) var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    private let parameters: [String: Tensor]
    private var momentumBuffers: [String: [Float]] = [:]

    public init(groups: [ParameterGroup], learningRate: Float, momentum: Float = 0.9, nesterov: Bool = true) throws {
        guard !nesterov || momentum > 0 else { throw NNError("SGD", "Nesterov momentum needs momentum > 0") }
        self.groups = groups
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        parameters = try SGD.indexParameters(groups, "SGD")
    }

    public func setLearningRate(_ learningRate: Float) { self.learningRate = learningRate }

    public func step() throws {
        let lr = learningRate, mu = momentum
        for group in groups {
            let wd = group.weightDecay
            for (name, p) in group.parameters {
                guard var d = p.grad?.toArray() else { continue }
                try p.withUnsafeMutableBufferPointer { w in
                    if wd != 0 { for i in d.indices { d[i] += wd * w[i] } }
                    if mu != 0 {
                        var buffer = momentumBuffers[name] ?? d
                        if momentumBuffers[name] != nil { for i in d.indices { buffer[i] = mu * buffer[i] + d[i] } }
                        momentumBuffers[name] = buffer
                        if nesterov {
                            for i in d.indices { d[i] += mu * buffer[i] }
                        } else {
                            d = buffer
                        }
                    }
                    for i in d.indices { w[i] -= lr * d[i] }
                }
            }
        }
    }

    public func stateDict() -> [String: ArrayData] {
        var state: [String: ArrayData] = [:]
        for (name, buffer) in momentumBuffers {
            state[name + ".momentum_buffer"] = ArrayData(shape: parameters[name]?.shape ?? [buffer.count], floats: buffer)
        }
        return state
    }

    public func loadStateDict(_ state: [String: ArrayData]) throws {
        var restored: [String: [Float]] = [:]
        for (key, array) in state {
            guard let (name, _) = OptimizerStateKey.parse(key, slots: ["momentum_buffer"]), let p = parameters[name] else {
                throw NNError("SGD", "optimizer state has key \(key) for no known parameter")
            }
            guard array.shape == p.shape else {
                throw NNError("SGD", "state \(key) has shape \(array.shape), parameter \(name) has \(p.shape)")
            }
            restored[name] = array.floats()
        }
        momentumBuffers = restored
    }
}
