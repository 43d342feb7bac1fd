/// Renames checkpoint keys to a model's parameter names, for example PyTorchVideo files trained in
/// PySlowFast, whose keys carry a `model.` prefix.
///
/// Rules apply in order to each key; a rule that does not match leaves the key unchanged.
public struct WeightKeyMap: Sendable {
    public enum Rule: Sendable {
        /// Removes a leading prefix, such as `module.` from a DataParallel model.
        case stripPrefix(String)
        /// Replaces a leading prefix.
        case replacePrefix(String, with: String)
        /// Replaces the first occurrence of a substring (PySlowFast's `clear_name_pattern`).
        case replaceFirst(String, with: String)
        /// Renames one exact key.
        case rename(String, to: String)
        /// Drops matching keys.
        case drop(WeightKeyPattern)
        /// Any other renaming; returning nil drops the key.
        case custom(@Sendable (String) -> String?)
    }

    public var rules: [Rule]

    public init(_ rules: [Rule]) {
        self.rules = rules
    }

    /// The new name of `key`, or nil when a rule drops it.
    public func map(_ key: String) -> String? {
        var name = key
        for rule in rules {
            switch rule {
            case let .stripPrefix(prefix):
                if name.hasPrefix(prefix) { name = String(name.dropFirst(prefix.count)) }
            case let .replacePrefix(prefix, replacement):
                if name.hasPrefix(prefix) { name = replacement + name.dropFirst(prefix.count) }
            case let .replaceFirst(text, replacement):
                if let range = name.range(of: text) { name.replaceSubrange(range, with: replacement) }
            case let .rename(from, to):
                if name == from { name = to }
            case let .drop(pattern):
                if pattern.matches(name) { return nil }
            case let .custom(transform):
                guard let renamed = transform(name) else { return nil }
                name = renamed
            }
        }
        return name
    }

    /// `weights` under their new names. Two keys mapping to one name is an error naming both,
    /// since silently keeping either would load the wrong weights. `source` names the file in errors.
    public func apply(to weights: [String: ArrayData], source: String) throws -> [String: ArrayData] {
        var result: [String: ArrayData] = [:]
        var origin: [String: String] = [:]
        for key in weights.keys.sorted() {
            guard let name = map(key), let array = weights[key] else { continue }
            if let earlier = origin[name] {
                throw WeightFileError.malformed(path: source, reason: "keys \(earlier) and \(key) both map to \(name)")
            }
            origin[name] = key
            result[name] = array
        }
        return result
    }
}
