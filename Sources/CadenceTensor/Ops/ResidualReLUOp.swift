/// `relu(x + shortcut)` for two tensors of one shape: the end of every residual block (X3D, ResNet,
/// SlowFast) in one pass over memory, where an add and then a ReLU each read and write the whole
/// activation. Where autograd must record (a tensor needs gradients), or the shapes differ and need
/// broadcasting, it is the plain `(x + shortcut).relu()` instead.
public func residualReLU(_ x: Tensor, _ shortcut: Tensor) throws -> Tensor {
    if x.shape != shortcut.shape || (Tensor.isGradEnabled && (x.requiresGrad || shortcut.requiresGrad)) {
        return try (x + shortcut).relu()
    }
    let a = x.contiguous(), b = shortcut.contiguous()
    let output = Tensor.uninitialized(x.shape)
    let count = x.count, chunk = 1 << 14
    withExtendedLifetime((a, b)) {
        let p = a.elements, q = b.elements, o = output.elements
        Parallel.forEach((count + chunk - 1) / chunk) { i in
            for j in (i * chunk)..<min(count, (i + 1) * chunk) { o[j] = max(p[j] + q[j], 0) }
        }
    }
    return output
}
