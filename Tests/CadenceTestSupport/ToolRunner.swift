import Foundation

/// Raw output of a command-line tool run by a test.
public struct ToolOutput {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

/// Runs an executable and collects its output. stdout is read while it runs and stderr on another
/// thread, so neither pipe fills up and blocks the tool.
/// - Parameter directory: the working directory (nil: the test process's).
public func runTool(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> ToolOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let errors = ErrorCollector(err.fileHandleForReading)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolOutput(status: process.terminationStatus, stdout: outData, stderr: errors.text())
}

/// Reads a pipe to its end on its own thread.
private final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
