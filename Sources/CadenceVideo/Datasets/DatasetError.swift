/// Why a dataset could not be listed. Names the file or folder, and the line for CSV files:
/// `data/train.csv:12: label 'x' is not a non-negative integer`.
public struct DatasetError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file or folder at fault.
    public var path: String
    /// The 1-based line in `path`, for line-oriented files.
    public var line: Int?
    /// What was wrong.
    public var problem: String

    public init(path: String, line: Int? = nil, _ problem: String) {
        self.path = path
        self.line = line
        self.problem = problem
    }

    public var description: String {
        if let line { return "\(path):\(line): \(problem)" }
        return "\(path): \(problem)"
    }
}
