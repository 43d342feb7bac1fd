import ArgumentParser
import CadenceNN
import Foundation

@main
struct Cadence: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cadence",
        abstract: "Video understanding: decode, classify, train, extract features, measure speediness.",
        discussion: """
        Exit codes: 0 success, 1 some inputs failed (each is reported with its reason), 2 usage error.
        """,
        subcommands: [InfoCommand.self, DecodeCommand.self, ModelsCommand.self, ConvertCommand.self, ForwardCommand.self,
                      ClassifyCommand.self, ExtractCommand.self, TrainCommand.self, SpeedCommand.self]
    )

    /// Runs the command; usage errors exit with 2 rather than ArgumentParser's 64 (EX_USAGE).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage)
            }
            // A file error no command caught would print as Foundation's domain and code.
            let described = error as NSError
            if described.domain == NSCocoaErrorDomain, let path = described.userInfo[NSFilePathErrorKey] as? String {
                exit(withError: CommandFailure("\(path): \(FileErrorReason.of(error))"))
            }
            exit(withError: error)
        }
    }
}

/// The process exit statuses of every `cadence` command.
enum ExitStatus {
    static let someInputsFailed: Int32 = 1
    static let usage: Int32 = 2
}

/// Prints one line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("cadence: \(message)\n".utf8))
}
