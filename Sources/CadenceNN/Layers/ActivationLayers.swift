import CadenceTensor

/// `max(x, 0)` as a module.
public final class ReLU: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { x.relu() }
}

/// Swish / SiLU, `x * sigmoid(x)`, as a module.
public final class Swish: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { x.silu() }
}

/// The logistic sigmoid as a module.
public final class Sigmoid: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { x.sigmoid() }
}

/// GELU in its exact erf form as a module.
public final class GELU: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { x.gelu() }
}

/// Passes its input through unchanged (a placeholder where a layer is optional).
public final class Identity: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { x }
}
