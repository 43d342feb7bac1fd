import CadenceNN

/// A command's failure on one input, as the message to print (it names the file): exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }

    init(_ message: String) { self.message = message }

    /// Runs a file operation, turning Foundation's error (which on Linux prints as its domain and
    /// code) into "`doing` `path`: the system's reason".
    static func reporting<T>(_ doing: String, _ path: String, _ operation: () throws -> T) throws -> T {
        do {
            return try operation()
        } catch {
            throw CommandFailure("\(doing) \(path): \(FileErrorReason.of(error))")
        }
    }
}
