import CadenceTensor
import Foundation

/// A first-order optimizer over parameter groups. Updates happen in place on the parameters'
/// memory, outside autograd.
public protocol Optimizer: AnyObject {
    var groups: [ParameterGroup] { get }
    /// The learning rate the next `step()` uses (every group).
    var learningRate: Float { get }
    /// Sets the learning rate of every group, as PySlowFast's `set_lr` does each iteration.
    func setLearningRate(_ learningRate: Float)
    /// Applies one update from the accumulated gradients; parameters without a gradient are skipped.
    func step() throws
    /// The optimizer's state (momentum buffers, moments, step counts) keyed `<parameter>.<slot>`,
    /// so a resumed run continues exactly.
    func stateDict() -> [String: ArrayData]
    /// Restores what `stateDict()` saved; throws on unknown keys or mis-shaped arrays.
    func loadStateDict(_ state: [String: ArrayData]) throws
}

extension Optimizer {
    /// Forgets the gradients of every parameter.
    public func zeroGrad() {
        for group in groups { for (_, p) in group.parameters { p.zeroGrad() } }
    }

    /// Every parameter by name; throws when a name repeats (state would be ambiguous).
    static func indexParameters(_ groups: [ParameterGroup], _ source: String) throws -> [String: Tensor] {
        var index: [String: Tensor] = [:]
        for group in groups {
            for (name, p) in group.parameters {
                guard index.updateValue(p, forKey: name) == nil else {
                    throw NNError(source, "parameter name \(name) appears twice")
                }
                guard p.isContiguous else { throw NNError(source, "parameter \(name) is not contiguous") }
            }
        }
        return index
    }

    /// The dense gradient of parameter `p`, or nil when it has none; throws if its shape differs.
    static func gradient(of p: Tensor, _ name: String, _ source: String) throws -> Tensor? {
        guard let grad = p.grad else { return nil }
        guard grad.shape == p.shape else {
            throw NNError(source, "gradient of shape \(grad.shape) for parameter \(name) of shape \(p.shape)")
        }
        return grad.contiguous()
    }
}

/// Keys of optimizer state: `<parameter>.<slot>`.
enum OptimizerStateKey {
    /// Splits `key` into the parameter name and a slot in `slots`.
    static func parse(_ key: String, slots: [String]) -> (parameter: String, slot: String)? {
        for slot in slots where key.hasSuffix("." + slot) {
            return (String(key.dropLast(slot.count + 1)), slot)
        }
        return nil
    }
}

/// A scalar int64 array, as PyTorch stores step counts.
func int64Scalar(_ value: Int) -> ArrayData {
    ArrayData(type: .int64, shape: [], bytes: withUnsafeBytes(of: Int64(value).littleEndian) { Data($0) })
}
