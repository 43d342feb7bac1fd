import CadenceTensor

/// Stochastic gradient descent exactly as PyTorch's `torch.optim.SGD` (dampening 0):
/// `d = g + wd * p`; with momentum `buf = d` on the first step, then `buf = μ * buf + d`;
/// Nesterov uses `d + μ * buf`, otherwise `buf`; `p -= lr * that`. Updates run in place over the
/// parameters' memory.
public final class SGD: Optimizer {
    public private(set) var groups: [ParameterGroup]
    public private(set) var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    private let parameters: [String: Tensor]
    private var momentumBuffers: [String: Tensor] = [:]

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
        let lr = learningRate, mu = momentum, nesterov = nesterov
        for group in groups {
            let wd = group.weightDecay
            for (name, p) in group.parameters {
                guard let grad = try SGD.gradient(of: p, name, "SGD") else { continue }
                let existing = momentumBuffers[name]
                let buffer = mu == 0 ? nil : (existing ?? Tensor.zeros(p.shape))
                momentumBuffers[name] = buffer
                let first = existing == nil
                try p.withUnsafeMutableBufferPointer { w in
                    try SGD.withOptionalBuffer(buffer) { b in
                        grad.withUnsafeBufferPointer { g in
                            for i in 0..<w.count {
                                var d = g[i] + wd * w[i]
                                if let b {
                                    b[i] = first ? d : mu * b[i] + d
                                    d = nesterov ? d + mu * b[i] : b[i]
                                }
                                w[i] -= lr * d
                            }
                        }
                    }
                }
            }
        }
    }

    private static func withOptionalBuffer(_ t: Tensor?, _ body: (UnsafeMutablePointer<Float>?) throws -> Void) throws {
        guard let t else { return try body(nil) }
        try t.withUnsafeMutableBufferPointer { try body($0.baseAddress) }
    }

    public func stateDict() -> [String: ArrayData] {
        var state: [String: ArrayData] = [:]
        for (name, buffer) in momentumBuffers {
            state[name + ".momentum_buffer"] = ArrayData(shape: buffer.shape, floats: buffer.toArray())
        }
        return state
    }

    public func loadStateDict(_ state: [String: ArrayData]) throws {
        var restored: [String: Tensor] = [:]
        for (key, array) in state {
            guard let (name, _) = OptimizerStateKey.parse(key, slots: ["momentum_buffer"]), let p = parameters[name] else {
                throw NNError("SGD", "optimizer state has key \(key) for no known parameter")
            }
            guard array.shape == p.shape else {
                throw NNError("SGD", "state \(key) has shape \(array.shape), parameter \(name) has \(p.shape)")
            }
            restored[name] = try Tensor(shape: p.shape, values: array.floats())
        }
        momentumBuffers = restored
    }
}
