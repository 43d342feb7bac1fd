/// A model could not be built, loaded or run; the message names the model and the problem.
public struct ModelError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ subject: String, _ problem: String) {
        description = "\(subject): \(problem)"
    }
}
