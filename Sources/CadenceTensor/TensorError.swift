/// A tensor operation was given arguments it cannot work with (mismatched shapes, an axis out of
/// range, a bad index, ...). The message names the operation and what was wrong.
public struct TensorError: Error, CustomStringConvertible, Equatable {
    /// The operation that refused its arguments, e.g. `"matmul"`.
    public let operation: String
    /// What was wrong, in words.
    public let reason: String

    public init(_ operation: String, _ reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(operation): \(reason)" }
}
