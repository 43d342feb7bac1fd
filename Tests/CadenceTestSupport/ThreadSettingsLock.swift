import Foundation

/// Held by the tests that set Cadence's process-wide thread counts (`Parallel.threadCount`,
/// `Gemm.setThreads`) for their whole run. Tests run concurrently in one process, and a test that
/// restored its saved count while another was mid-run changed how that run split its sums, so a
/// bit-for-bit comparison failed now and then.
public enum ThreadSettingsLock {
    private static let lock = NSLock()

    public static func holding<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
