import CadenceTensor

/// An ordered list of child modules named `0`, `1`, ... (PyTorch's `nn.ModuleList`); it has no
/// forward pass of its own.
public final class ModuleList<Element: Module>: Module {
    /// The children, in order.
    public let modules: [Element]

    public init(_ modules: [Element]) {
        self.modules = modules
        super.init()
        for (i, m) in modules.enumerated() { registerModule(String(i), m) }
    }

    public override var typeName: String { "ModuleList" }
}
