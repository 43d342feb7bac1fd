/// A training failure that names what it concerns (a run folder, a checkpoint, an option) and why.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public let subject: String
    public let reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}
