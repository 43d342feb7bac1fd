/// Shared plumbing of the differentiable ops in this folder: raw element pointers of dense tensors
/// and shape checks for channels-last activations.
extension Tensor {
    /// First element of this tensor's memory; only meaningful while the tensor is alive and dense.
    var elements: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// The time, height and width extents of a rank-5 `N, T, H, W, C` activation.
    var spatialDims: Dims3 { Dims3(shape[1], shape[2], shape[3]) }

    /// Throws unless this is a rank-5 channels-last activation.
    func checkVideoActivation(_ operation: String) throws {
        guard rank == 5 else {
            throw TensorError(operation, "expects a channels-last N, T, H, W, C tensor, got shape \(shape)")
        }
    }
}

/// The gradients of a normalisation op in the order of its recorded inputs: `x`, then the weight
/// and bias only where they were given.
func affineGradients(_ dx: Tensor, _ dWeight: Tensor?, _ dBias: Tensor?) -> [Tensor?] {
    var result: [Tensor?] = [dx]
    if let dWeight { result.append(dWeight) }
    if let dBias { result.append(dBias) }
    return result
}
