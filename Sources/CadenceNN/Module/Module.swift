import CadenceTensor

/// A node of a network: it owns named parameters, buffers and child modules, registered explicitly
/// by each subclass (no reflection), so names are exactly PyTorch's dotted state-dict keys, e.g.
/// `s2.pathway0_res0.branch2.a.weight`.
///
/// Subclasses set their stored properties, call `super.init()`, then register what they own in
/// PyTorch's order:
///
///     final class Block: Module {
///         let conv: Conv3dLayer, bn: BatchNorm3d
///         init(generator: inout TensorRandom) {
///             conv = Conv3dLayer(inputChannels: 8, outputChannels: 8, kernel: Dims3(all: 3),
///                                padding: Dims3(all: 1), bias: false, generator: &generator)
///             bn = BatchNorm3d(channels: 8)
///             super.init()
///             registerModule("conv", conv)
///             registerModule("bn", bn)
///         }
///         override func forward(_ x: Tensor) throws -> Tensor { try bn(conv(x)).relu() }
///     }
open class Module {
    /// A registered tensor: a parameter (trainable) or a buffer (state such as running statistics).
    struct Slot {
        let name: String
        let tensor: Tensor
        let layout: StoredLayout
    }

    /// Whether the module is in training mode (batch statistics, dropout active); `train()` and
    /// `eval()` set it on the whole tree.
    public private(set) var isTraining = true
    private(set) var parameterSlots: [Slot] = []
    private(set) var bufferSlots: [Slot] = []
    private(set) var children: [(name: String, module: Module)] = []

    public init() {}

    /// The module's type name, for messages and the tree printout.
    open var typeName: String { String(describing: type(of: self)) }

    // MARK: Registration

    /// Registers a trainable tensor under `name` (it is marked `requiresGrad`) and returns it.
    /// `layout` says how PyTorch stores it (conv weights differ).
    @discardableResult
    public func registerParameter(_ name: String, _ tensor: Tensor, layout: StoredLayout = .same) -> Tensor {
        tensor.requiresGrad = true
        parameterSlots.removeAll { $0.name == name }
        parameterSlots.append(Slot(name: name, tensor: tensor, layout: layout))
        return tensor
    }

    /// Registers non-trainable state (running statistics, counters) saved in state dicts.
    @discardableResult
    public func registerBuffer(_ name: String, _ tensor: Tensor, layout: StoredLayout = .same) -> Tensor {
        bufferSlots.removeAll { $0.name == name }
        bufferSlots.append(Slot(name: name, tensor: tensor, layout: layout))
        return tensor
    }

    /// Registers a child; its parameters are named `name.<its names>`. Registering a name again
    /// replaces the child in place.
    @discardableResult
    public func registerModule<M: Module>(_ name: String, _ module: M) -> M {
        if let i = children.firstIndex(where: { $0.name == name }) {
            children[i].module = module
        } else {
            children.append((name, module))
        }
        module.setMode(training: isTraining)
        return module
    }

    /// Registers an array of children as `name.0`, `name.1`, ... (PyTorch's `ModuleList`).
    @discardableResult
    public func registerModules<M: Module>(_ name: String, _ modules: [M]) -> [M] {
        registerModule(name, ModuleList(modules))
        return modules
    }

    // MARK: Traversal

    /// Every module of the tree with its dotted path, this one first (path `""`), depth first in
    /// registration order.
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(String, Module)] = [("", self)]
        for (name, child) in children {
            result += child.namedModules().map { (join(name, $0.name), $0.module) }
        }
        return result
    }

    /// Every parameter of the tree with its full dotted name.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        namedSlots(\.parameterSlots).map { ($0.name, $0.slot.tensor) }
    }

    /// Every buffer of the tree with its full dotted name.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        namedSlots(\.bufferSlots).map { ($0.name, $0.slot.tensor) }
    }

    /// All parameters, in `namedParameters()` order.
    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Number of trainable values in the tree.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// This module's direct children with their names.
    public func namedChildren() -> [(name: String, module: Module)] { children }

    /// The module at a dotted `path` below this one (`""` is this module), or nil.
    public func module(at path: String) -> Module? {
        if path.isEmpty { return self }
        return namedModules().first { $0.name == path }?.module
    }

    func namedSlots(_ kind: KeyPath<Module, [Slot]>) -> [(name: String, slot: Slot)] {
        namedModules().flatMap { prefix, module in
            module[keyPath: kind].map { (join(prefix, $0.name), $0) }
        }
    }

    // MARK: Mode

    /// Puts the whole tree in training mode (or evaluation mode with `false`).
    public func train(_ mode: Bool = true) {
        for (_, module) in namedModules() { module.setMode(training: mode) }
    }

    /// Puts the whole tree in evaluation mode.
    public func eval() { train(false) }

    private func setMode(training: Bool) {
        isTraining = training
        for (_, child) in children { child.setMode(training: training) }
    }

    /// Clears the gradients of every parameter.
    public func zeroGrad() {
        for p in parameters() { p.zeroGrad() }
    }

    // MARK: Forward

    /// The computation of a module with one input and one output. Modules with other signatures
    /// provide their own methods and leave this one, which throws.
    open func forward(_ x: Tensor) throws -> Tensor {
        throw NNError(typeName, "does not take a single tensor input")
    }

    /// Called on every module of the tree after `load` wrote new values, for modules that keep
    /// derived state (sub-batch BN tiles its running statistics into its splits).
    open func didLoadState() throws {}

    /// `forward(x)`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }
}

/// `a.b`, or whichever is non-empty.
func join(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : (name.isEmpty ? prefix : prefix + "." + name)
}
