import CadenceTensor
import Foundation

/// State dicts: saving and strictly loading a module tree's parameters and buffers under PyTorch's
/// names and layouts.
extension Module {
    /// Every parameter and buffer by full name, as PyTorch stores it (conv weights in
    /// `[O, I/g, kT, kH, kW]`, `num_batches_tracked` as int64). Writing it with
    /// `SafetensorsFile.write` gives a file with PyTorch's keys and shapes.
    public func stateDict() -> [String: ArrayData] {
        var result: [String: ArrayData] = [:]
        for (name, slot) in namedSlots(\.parameterSlots) + namedSlots(\.bufferSlots) {
            result[name] = slot.layout.toPyTorch(slot.tensor)
        }
        return result
    }

    /// The PyTorch shape of every parameter and buffer, by full name.
    public func expectedShapes() -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for (name, slot) in namedSlots(\.parameterSlots) + namedSlots(\.bufferSlots) {
            result[name] = slot.layout.pyTorchShape(slot.tensor.shape)
        }
        return result
    }

    /// Copies `weights` (a PyTorch-layout state dict) into this tree's tensors, in place, so
    /// optimizers holding them see the new values.
    ///
    /// With `strict`, every missing, unexpected or mis-shaped key is listed by full name in one
    /// `WeightMismatchError` and nothing is changed (`num_batches_tracked` may be absent). Without
    /// it, keys that match by name and shape are loaded and the rest ignored. `source` names the
    /// file in errors.
    public func load(_ weights: [String: ArrayData], strict: Bool = true, source: String = "state dict") throws {
        let expected = expectedShapes()
        let matched: [String: ArrayData]
        if strict {
            matched = try StrictLoading.check(expected: expected, loaded: weights, source: source)
        } else {
            matched = weights.filter { expected[$0.key] == $0.value.shape }
        }
        for (name, slot) in namedSlots(\.parameterSlots) + namedSlots(\.bufferSlots) {
            guard let array = matched[name] else { continue }
            let values = slot.layout.fromPyTorch(array.floats(), shape: slot.tensor.shape)
            try Tensor.withNoGrad {
                try slot.tensor.assign(Tensor(shape: slot.tensor.shape, values: values))
            }
        }
        for (_, module) in namedModules() { try module.didLoadState() }
    }

    /// A readable listing of the tree: one line per module with its path and type, and one per
    /// parameter or buffer with its Cadence shape. For debugging and `cadence models`.
    public func treeDescription() -> String {
        var lines: [String] = []
        for (path, module) in namedModules() {
            let depth = path.isEmpty ? 0 : path.split(separator: ".").count
            let indent = String(repeating: "  ", count: depth)
            lines.append("\(indent)\(path.isEmpty ? "(root)" : path): \(module.typeName)")
            for slot in module.parameterSlots {
                lines.append("\(indent)  \(slot.name) \(slot.tensor.shape)")
            }
            for slot in module.bufferSlots {
                lines.append("\(indent)  \(slot.name) \(slot.tensor.shape) (buffer)")
            }
        }
        lines.append("\(parameterCount) parameters")
        return lines.joined(separator: "\n")
    }
}
