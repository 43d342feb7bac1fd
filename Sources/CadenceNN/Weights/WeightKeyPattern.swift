/// A set of weight names, for ignore lists and key maps.
public enum WeightKeyPattern: Sendable, Hashable {
    /// Exactly this name.
    case exact(String)
    /// Names starting with this text, such as `head.` for a classifier replaced in transfer learning.
    case prefix(String)
    /// Names whose last dotted component is this, such as `num_batches_tracked`.
    case lastComponent(String)

    /// BatchNorm's step counter, which PyTorch saves and inference never uses.
    public static let numBatchesTracked = WeightKeyPattern.lastComponent("num_batches_tracked")

    /// Whether `name` is in the set.
    public func matches(_ name: String) -> Bool {
        switch self {
        case let .exact(text): return name == text
        case let .prefix(text): return name.hasPrefix(text)
        case let .lastComponent(text): return name == text || name.hasSuffix("." + text)
        }
    }
}
