/// The shape of a 3D max or average pool over channels-last activations: input
/// `[batch, input.t, input.h, input.w, channels]`, output `[batch, output.t, output.h, output.w, channels]`.
/// Output extents follow PyTorch's floor rule (`ceil_mode=False`).
public struct Pool3dGeometry: Sendable, Hashable {
    public let batch: Int
    public let input: Dims3
    public let channels: Int
    public let kernel: Dims3
    public let stride: Dims3
    public let padding: Dims3
    /// Window dilation (max pool only; average pool requires 1).
    public let dilation: Dims3
    public let output: Dims3

    /// Validates the geometry. `stride` defaults to the kernel size, as in PyTorch.
    public init(
        batch: Int, input: Dims3, channels: Int, kernel: Dims3, stride: Dims3? = nil,
        padding: Dims3 = Dims3(all: 0), dilation: Dims3 = Dims3(all: 1)
    ) throws {
        let name = "pool3d"
        for (field, v) in [("batch", batch), ("channels", channels)] where v <= 0 {
            throw KernelError.nonPositive(kernel: name, field: field, value: v)
        }
        let stride = stride ?? kernel
        // PyTorch rejects padding beyond half the window, which would make all-padding windows.
        for (p, k) in [(padding.t, kernel.t), (padding.h, kernel.h), (padding.w, kernel.w)] where 2 * p > k {
            throw KernelError.unsupported(kernel: name, reason: "padding \(p) exceeds half the kernel \(k)")
        }
        output = try Dims3.slide(kernelName: name, input: input, kernel: kernel, stride: stride,
                                 padding: padding, dilation: dilation)
        self.batch = batch
        self.input = input
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// Floats in the input tensor.
    public var inputCount: Int { batch * input.volume * channels }
    /// Floats in the output tensor.
    public var outputCount: Int { batch * output.volume * channels }
}
