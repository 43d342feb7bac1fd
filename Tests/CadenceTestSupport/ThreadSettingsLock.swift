import CadenceTensor
import Foundation

/// Runs a test body on a fixed number of threads (`Parallel.threadCount` and BLAS), restoring the
/// previous counts after, while holding one lock. Tests run concurrently in one process and these
/// settings are process-wide: a test that restored its saved count while another was mid-run changed
/// how that run split its sums, so a bit-for-bit comparison failed now and then.
public enum ThreadSettingsLock {
    private static let lock = NSLock()

    public static func on<R>(threads: Int, _ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        let saved = Parallel.threadCount
        Parallel.threadCount = threads
        Gemm.setThreads(threads)
        defer {
            Parallel.threadCount = saved
            Gemm.setThreads(saved)
        }
        return try body()
    }
}
