import Foundation

/// One recorded operation of the autograd tape: the tensors it read and how to turn the gradient of
/// its output into gradients of those inputs.
final class GradNode {
    let operation: String
    private(set) var inputs: [Tensor]
    /// Optional only so that `deinit` can hand it to `GraphTeardown`.
    private(set) var backward: ((Tensor) throws -> [Tensor?])?

    init(operation: String, inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]) {
        self.operation = operation
        self.inputs = inputs
        self.backward = backward
    }

    deinit { GraphTeardown.release(&inputs, &backward) }
}

/// Frees the tensors of a dropped graph one by one instead of recursively: each tensor's node holds
/// its inputs, so a graph thousands of operations deep would otherwise be freed through a chain of
/// nested deinitialisers as deep as the graph, overflowing small thread stacks.
private enum GraphTeardown {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pending: [Garbage] = []
    nonisolated(unsafe) private static var draining = false

    /// What a node held: its inputs, and its backward closure (which captures inputs too).
    private struct Garbage {
        var tensors: [Tensor]
        var backward: ((Tensor) throws -> [Tensor?])?
    }

    /// Takes `tensors` and `backward` (leaving them empty, so the node holds no reference that
    /// would be freed recursively after its deinitialiser) and frees them unless an outer call is
    /// already doing so.
    static func release(_ tensors: inout [Tensor], _ backward: inout ((Tensor) throws -> [Tensor?])?) {
        lock.lock()
        pending.append(Garbage(tensors: tensors, backward: backward))
        tensors = []
        backward = nil
        if draining {
            // An outer call on some thread is already emptying `pending`; it frees these too.
            lock.unlock()
            return
        }
        draining = true
        while true {
            guard var garbage = pending.popLast() else { break }
            lock.unlock()
            // Dropping the last references here runs deinitialisers that only append to `pending`.
            garbage.tensors.removeAll()
            garbage.backward = nil
            lock.lock()
        }
        draining = false
        lock.unlock()
    }
}

/// Whether operations record the tape; bound per task (and per thread outside tasks).
private enum GradMode {
    @TaskLocal static var enabled = true
}

extension Tensor {
    /// Whether operations run now record what backward needs (false inside `withNoGrad`).
    public static var isGradEnabled: Bool { GradMode.enabled }

    /// Runs `body` with gradient recording off: operations in it keep no inputs alive and build no
    /// tape. Use it for inference and for optimizer updates. The setting is local to the calling
    /// task (or thread), so other work running at the same time is unaffected.
    public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
        try GradMode.$enabled.withValue(false, operation: body)
    }

    /// Records how this freshly computed tensor was made, so gradients can flow to `inputs`.
    ///
    /// Every differentiable operation ends with this call. `backward` receives the gradient of this
    /// output (same shape as it) and returns one gradient per input, each with that input's shape,
    /// or nil for an input that needs none. It runs with gradient recording off. Nothing is recorded
    /// (and `backward` is dropped) when gradients are disabled or no input requires them.
    ///
    /// `backward` must not capture this output tensor itself (that would be a reference cycle);
    /// capture `output.detach()` instead, which shares the memory.
    ///
    /// A new operation is a forward computation followed by this call:
    ///
    ///     extension Tensor {
    ///         /// `x * x * x`.
    ///         public func cube() throws -> Tensor {
    ///             let x = self
    ///             let input = x.contiguous()
    ///             let y = input.withUnsafeBufferPointer { source in
    ///                 Tensor(shape: x.shape) { out in
    ///                     for i in 0..<out.count { out[i] = source[i] * source[i] * source[i] }
    ///                 }
    ///             }
    ///             return y.recording("cube", inputs: [x]) { g in [try g * x.square().mul(3)] }
    ///         }
    ///     }
    @discardableResult
    public func recording(
        _ operation: String, inputs: [Tensor], backward: @escaping (_ gradOutput: Tensor) throws -> [Tensor?]
    ) -> Tensor {
        guard Tensor.isGradEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        gradNode = GradNode(operation: operation, inputs: inputs, backward: backward)
        return self
    }

    /// Whether this tensor is a leaf of the graph (made by the user, not recorded by an operation).
    public var isLeaf: Bool { gradNode == nil }

    /// Name of the operation that produced this tensor, when it was recorded.
    public var gradOperation: String? { gradNode?.operation }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Back-propagates from this tensor: adds d(self)/d(leaf) · `gradient` into `grad` of every
    /// leaf that requires gradients. Without `gradient`, this tensor must hold one element (a loss),
    /// and the seed is 1. Gradients add up across calls until `zeroGrad()`.
    public func backward(_ gradient: Tensor? = nil) throws {
        guard requiresGrad else {
            throw TensorError("backward", "tensor does not require gradients (no input of it requires them)")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw TensorError("backward", "gradient of shape \(gradient.shape) for a tensor of shape \(shape)")
            }
            seed = gradient
        } else {
            guard count == 1 else {
                throw TensorError("backward", "needs an explicit gradient for a tensor of shape \(shape)")
            }
            seed = Tensor.ones(shape)
        }
        let order = topologicalOrder()
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        try Tensor.withNoGrad {
            for tensor in order.reversed() {
                guard let grad = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                guard let node = tensor.gradNode else {
                    tensor.grad = try tensor.grad.map { try $0 + grad } ?? grad.clone()
                    continue
                }
                guard let propagate = node.backward else { continue }
                let inputGrads = try propagate(grad)
                guard inputGrads.count == node.inputs.count else {
                    throw TensorError("backward", "\(node.operation) returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
                }
                for (input, inputGrad) in zip(node.inputs, inputGrads) where input.requiresGrad {
                    guard let inputGrad else { continue }
                    guard inputGrad.shape == input.shape else {
                        throw TensorError("backward", "\(node.operation) returned a gradient of shape \(inputGrad.shape) for an input of shape \(input.shape)")
                    }
                    let key = ObjectIdentifier(input)
                    pending[key] = try pending[key].map { try $0 + inputGrad } ?? inputGrad
                }
            }
        }
    }

    /// Every tensor that requires gradients and that this one depends on, inputs before outputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(self)]
        // Iterative depth-first search: deep graphs (long training unrolls) must not overflow the stack.
        var stack: [(tensor: Tensor, nextInput: Int)] = [(self, 0)]
        while let (tensor, next) = stack.last {
            let inputs = tensor.gradNode?.inputs ?? []
            if next < inputs.count {
                stack[stack.count - 1].nextInput += 1
                let input = inputs[next]
                if input.requiresGrad && visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
                stack.removeLast()
            }
        }
        return order
    }
}
