import CadenceTensor

/// Parameters that share optimizer settings (PyTorch's `param_groups` entries).
public struct ParameterGroup {
    /// Named parameters; names key the optimizer state in `stateDict()`.
    public var parameters: [(name: String, tensor: Tensor)]
    /// L2 penalty (SGD) or decoupled decay (AdamW) for this group.
    public var weightDecay: Float

    public init(parameters: [(name: String, tensor: Tensor)], weightDecay: Float) {
        self.parameters = parameters
        self.weightDecay = weightDecay
    }

    /// PySlowFast's grouping (`construct_optimizer`): parameters of batch-norm modules get
    /// `normWeightDecay` (BN.WEIGHT_DECAY, 0 by default); names containing one of `noWeightDecay`
    /// (e.g. `pos_embed`, `cls_token`) and, with `zeroWeightDecay1D` (`ZERO_WD_1D_PARAM`), 1-D
    /// parameters and biases get 0; the rest get `weightDecay`. Empty groups are left out.
    public static func pySlowFast(
        _ module: Module, weightDecay: Float, normWeightDecay: Float = 0, zeroWeightDecay1D: Bool = false,
        noWeightDecay: Set<String> = []
    ) -> [ParameterGroup] {
        var decayed: [(String, Tensor)] = [], norm: [(String, Tensor)] = [], zero: [(String, Tensor)] = []
        for (path, m) in module.namedModules() {
            let isNorm = m is NormalizationModule
            for slot in m.parameterSlots {
                let name = join(path, slot.name), p = slot.tensor
                if !p.requiresGrad {
                    zero.append((name, p))
                } else if isNorm {
                    norm.append((name, p))
                } else if noWeightDecay.contains(where: { name.contains($0) }) {
                    zero.append((name, p))
                } else if zeroWeightDecay1D && (p.rank == 1 || name.hasSuffix(".bias")) {
                    zero.append((name, p))
                } else {
                    decayed.append((name, p))
                }
            }
        }
        return [ParameterGroup(parameters: decayed, weightDecay: weightDecay),
                ParameterGroup(parameters: norm, weightDecay: normWeightDecay),
                ParameterGroup(parameters: zero, weightDecay: 0)].filter { !$0.parameters.isEmpty }
    }
}
