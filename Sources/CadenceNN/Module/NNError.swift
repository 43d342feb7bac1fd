/// A layer, loss or optimizer was given something it cannot work with; the message names the
/// module (by its dotted path or type) and what was wrong.
public struct NNError: Error, CustomStringConvertible, Equatable {
    /// The module, loss or optimizer that refused, e.g. `"Conv3dLayer s1.pathway0_stem.conv"`.
    public let source: String
    /// What was wrong, in words.
    public let reason: String

    public init(_ source: String, _ reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }
}
