/// `silu(x * gate)` with one gate per clip and channel: X3D's squeeze-excitation scaling and the Swish
/// after it in one vectorised pass over the activations. Where autograd must record (a tensor needs
/// gradients), it is the plain `(x * gate).silu()` instead.
///
/// `x` is channels-last `[N, T, H, W, C]`, `gate` has `N * C` values (e.g. `[N, 1, 1, 1, C]`).
public func gatedSiLU(_ x: Tensor, gate: Tensor) throws -> Tensor {
    try x.checkVideoActivation("gated_silu")
    let n = x.shape[0], c = x.shape[4]
    guard gate.count == n * c else {
        throw TensorError("gated_silu", "gate of shape \(gate.shape) does not hold one value per clip and channel of \(x.shape)")
    }
    if Tensor.isGradEnabled && (x.requiresGrad || gate.requiresGrad) {
        return try (x * gate.reshape([n, 1, 1, 1, c])).silu()
    }
    let input = x.contiguous(), gates = gate.contiguous()
    let output = Tensor.uninitialized(x.shape)
    let pixelsPerClip = x.count / max(n * c, 1)
    // Rows of whole pixels, a few thousand floats each, spread over the pool.
    let rowPixels = max(1, 4096 / max(c, 1))
    let rowsPerClip = (pixelsPerClip + rowPixels - 1) / rowPixels
    // Each clip's gates repeated for a row's pixels, so a row is one flat vector loop: per pixel,
    // channel counts off the vector width (X3D's 54, 108) would leave a scalar tail every pixel.
    let repeated = Tensor.uninitialized([n, rowPixels * c])
    withExtendedLifetime((input, gates, repeated)) {
        let from = input.elements, to = output.elements, tiles = repeated.elements
        for clip in 0..<n {
            for pixel in 0..<rowPixels { (tiles + (clip * rowPixels + pixel) * c).update(from: gates.elements + clip * c, count: c) }
        }
        Parallel.forEach(n * rowsPerClip) { item in
            let clip = item / rowsPerClip, row = item % rowsPerClip
            let first = row * rowPixels, last = min(pixelsPerClip, first + rowPixels)
            let offset = (clip * pixelsPerClip + first) * c
            VectorMath.gatedSiLU(from + offset, gate: tiles + clip * rowPixels * c, into: to + offset,
                                 count: (last - first) * c)
        }
    }
    return output
}
