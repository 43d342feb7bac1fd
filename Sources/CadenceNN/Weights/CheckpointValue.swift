/// A non-tensor leaf of a PyTorch checkpoint, such as PySlowFast's `epoch` or `cfg`.
public enum CheckpointValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}
