/// A command's failure on one input, as the message to print (it names the file): exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }

    init(_ message: String) { self.message = message }
}
