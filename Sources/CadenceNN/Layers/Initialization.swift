import CadenceTensor

/// PyTorch's default initialisation of conv and linear layers, drawn from Cadence's seeded generator.
enum Initialization {
    /// `kaiming_uniform_(a=sqrt(5))` as PyTorch's `reset_parameters` does: uniform in
    /// `±1/sqrt(fan_in)`. The same bound is PyTorch's default for biases.
    static func defaultUniform(_ shape: [Int], fanIn: Int, generator: inout TensorRandom) -> Tensor {
        let bound = 1 / Float(Swift.max(fanIn, 1)).squareRoot()
        return Tensor.randomUniform(shape, low: -bound, high: bound, using: &generator)
    }
}
