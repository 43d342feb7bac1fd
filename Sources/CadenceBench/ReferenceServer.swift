import Foundation

/// A reference implementation's timing process (`bench/ops_reference.py --serve`) kept running beside
/// the benchmark: each request names one row, and the process answers with a JSON line
/// `{"name", "min_ms", "ms", "format"}` after timing it. Asking row by row lets the two sides take turns
/// within seconds, so both meet the same load on a shared machine.
final class ReferenceServer {
    /// The reference process failed or answered something other than the protocol.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Timing {
        let best: Double
        let median: Double
        let format: String
    }

    private let command: String
    private let process = Process()
    private let requests = Pipe()
    private let answers = Pipe()
    private var pending = Data()

    /// Starts `command` through `/bin/sh` and waits for its `{"ready": true}` line, so that its start-up
    /// (importing PyTorch, making the tensors) is over before anything is timed.
    init(command: String) throws {
        self.command = command
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardInput = requests
        process.standardOutput = answers
        // A reference that dies must give an error here, not end this process on SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do {
            try process.run()
        } catch {
            throw Failure(description: "could not start the reference command `\(command)`: \(error)")
        }
        let first = try readLine()
        let object = try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
        guard object?["ready"] as? Bool == true else {
            throw Failure(description: "the reference command `\(command)` began with \(first), not {\"ready\": true}")
        }
    }

    /// The reference's timing of the row `name`, or nil when it has no such row.
    func time(_ name: String) throws -> Timing? {
        do {
            try requests.fileHandleForWriting.write(contentsOf: Data((name + "\n").utf8))
        } catch {
            throw Failure(description: "the reference command `\(command)` stopped taking requests: \(error)")
        }
        let line = try readLine()
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw Failure(description: "the reference command `\(command)` answered \(name) with: \(line)")
        }
        if object["error"] != nil { return nil }
        guard let best = object["min_ms"] as? Double, let median = object["ms"] as? Double else {
            throw Failure(
                description: "the reference command `\(command)` answered \(name) without min_ms and ms: \(line)")
        }
        return Timing(best: best, median: median, format: object["format"] as? String ?? "")
    }

    /// Closes the requests (the process ends at end of input) and waits for it.
    func finish() {
        try? requests.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending = Data(pending[(newline + 1)...])
                return line
            }
            let chunk = answers.fileHandleForReading.availableData
            if chunk.isEmpty {
                throw Failure(description: "the reference command `\(command)` ended without answering")
            }
            pending.append(chunk)
        }
    }
}
