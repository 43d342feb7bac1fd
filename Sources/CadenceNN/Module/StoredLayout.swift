import CadenceTensor
import Foundation

/// How a parameter or buffer is laid out in PyTorch state dicts compared with Cadence's tensor, so
/// that loading and saving convert once, at the boundary.
public enum StoredLayout: Sendable, Equatable {
    /// Same shape and element order in both.
    case same
    /// A conv weight: Cadence's `[O, kT, kH, kW, I/g]` is PyTorch's `[O, I/g, kT, kH, kW]`.
    case convWeight
    /// A counter kept as a float scalar here and stored as PyTorch's int64 (`num_batches_tracked`).
    case int64Scalar

    /// The PyTorch shape of a Cadence tensor of `shape`.
    func pyTorchShape(_ shape: [Int]) -> [Int] {
        guard isConv(shape) else { return shape }
        return [shape[0], shape[4], shape[1], shape[2], shape[3]]
    }

    /// Whether values need reordering: conv weights are rank 5 (other ranks are stored as they are).
    private func isConv(_ shape: [Int]) -> Bool { self == .convWeight && shape.count == 5 }

    /// Cadence-order values from PyTorch-order `values` for a tensor of Cadence `shape`.
    func fromPyTorch(_ values: [Float], shape: [Int]) -> [Float] {
        guard isConv(shape) else { return values }
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                ConvWeightLayout.fromPyTorch(s, outputChannels: shape[0], inputChannelsPerGroup: shape[4],
                                             kernel: Dims3(shape[1], shape[2], shape[3]), into: d)
            }
        }
        return out
    }

    /// The array a PyTorch state dict holds for a Cadence tensor.
    func toPyTorch(_ tensor: Tensor) -> ArrayData {
        let values = tensor.toArray()
        switch self {
        case .convWeight where isConv(tensor.shape):
            var out = [Float](repeating: 0, count: values.count)
            let shape = tensor.shape
            values.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                    ConvWeightLayout.toPyTorch(s, outputChannels: shape[0], inputChannelsPerGroup: shape[4],
                                               kernel: Dims3(shape[1], shape[2], shape[3]), into: d)
                }
            }
            return ArrayData(shape: pyTorchShape(shape), floats: out)
        case .int64Scalar:
            let counts = values.map { Int64($0) }
            return ArrayData(type: .int64, shape: tensor.shape,
                             bytes: counts.withUnsafeBufferPointer { Data(buffer: $0) })
        case .same, .convWeight:
            return ArrayData(shape: tensor.shape, floats: values)
        }
    }
}
