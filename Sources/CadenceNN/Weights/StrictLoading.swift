/// One mis-shaped weight: the name, the shape the model wants and the shape the file has.
public struct WeightShapeMismatch: Sendable, Equatable {
    public var name: String
    public var expected: [Int]
    public var found: [Int]

    public init(name: String, expected: [Int], found: [Int]) {
        self.name = name
        self.expected = expected
        self.found = found
    }
}

/// Every difference between the weights a model expects and those a file holds, in one error.
public struct WeightMismatchError: Error, CustomStringConvertible, Equatable {
    /// The file the weights came from.
    public var source: String
    /// Names the model expects that the file lacks, sorted.
    public var missing: [String]
    /// Names in the file that the model does not have, sorted.
    public var unexpected: [String]
    /// Names in both whose shapes differ, sorted by name.
    public var mismatched: [WeightShapeMismatch]

    public var description: String {
        var lines = ["cannot load \(source): \(missing.count) missing, \(unexpected.count) unexpected, \(mismatched.count) mis-shaped weights"]
        lines += missing.map { "  missing:    \($0)" }
        lines += unexpected.map { "  unexpected: \($0)" }
        lines += mismatched.map { "  mis-shaped: \($0.name) expects \($0.expected), file has \($0.found)" }
        return lines.joined(separator: "\n")
    }
}

/// Strict weight loading: the file must match the model exactly, apart from names explicitly ignored.
public enum StrictLoading {
    /// The weights of `loaded` the model expects, after checking that every expected name is
    /// present with its shape (PyTorch layout) and that nothing else is in the file.
    ///
    /// Names matching `ignoring` are never reported: they may be missing, extra or differently
    /// shaped (an ignored expected name that is present with the right shape is still returned).
    /// - Throws: `WeightMismatchError` listing every problem at once, so one run shows them all.
    public static func check(expected: [String: [Int]], loaded: [String: ArrayData],
                             ignoring: [WeightKeyPattern] = [.numBatchesTracked],
                             source: String) throws -> [String: ArrayData] {
        func ignored(_ name: String) -> Bool { ignoring.contains { $0.matches(name) } }
        var error = WeightMismatchError(source: source, missing: [], unexpected: [], mismatched: [])
        var matched: [String: ArrayData] = [:]
        for (name, shape) in expected.sorted(by: { $0.key < $1.key }) {
            guard let array = loaded[name] else {
                if !ignored(name) { error.missing.append(name) }
                continue
            }
            if array.shape == shape {
                matched[name] = array
            } else if !ignored(name) {
                error.mismatched.append(WeightShapeMismatch(name: name, expected: shape, found: array.shape))
            }
        }
        error.unexpected = loaded.keys.filter { expected[$0] == nil && !ignored($0) }.sorted()
        guard error.missing.isEmpty, error.unexpected.isEmpty, error.mismatched.isEmpty else { throw error }
        return matched
    }
}
