import Dispatch
import Foundation

/// The one shared pool Cadence's kernels run on, sized to the machine's cores.
///
/// Work is split into `count` independent items and run on `WorkerPool`'s threads, which stay ready
/// between kernels; nested calls run inline, so kernels never run more threads than there are cores.
/// BLAS keeps its own threads: `Gemm` runs it single-threaded inside pool work and with `threadCount`
/// threads otherwise, so the two never oversubscribe.
public enum Parallel {
    nonisolated(unsafe) private static var configuredThreads: Int = {
        if let text = ProcessInfo.processInfo.environment["CADENCE_THREADS"], let n = Int(text), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Threads kernels may use; set once at start-up (`--threads`, or `CADENCE_THREADS`).
    public static var threadCount: Int {
        get { configuredThreads }
        set { configuredThreads = max(1, newValue) }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over `threadCount` threads.
    /// Items must not depend on each other. Runs inline when one thread is enough.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        let threads = min(threadCount, count)
        if threads <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        // One chunk per thread keeps per-item scheduling cost out of fine-grained loops.
        WorkerPool.shared.run(threads) { chunk in
            let start = count * chunk / threads
            let end = count * (chunk + 1) / threads
            for i in start..<end { body(i) }
        }
    }
}
