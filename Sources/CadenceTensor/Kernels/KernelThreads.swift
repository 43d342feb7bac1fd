/// How kernels split work over the shared pool while keeping BLAS from oversubscribing the cores.
enum KernelThreads {
    /// Runs `body(range)` on up to `Parallel.threadCount` workers, each given one contiguous slice of
    /// `0..<count`, so a worker can allocate its scratch once. BLAS runs single-threaded meanwhile,
    /// since the pool already occupies every core.
    /// `body` receives its worker index (below `workers(count)`) and its slice.
    static func forEachSlice(_ count: Int, _ body: (_ worker: Int, _ slice: Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = workers(count)
        if workers == 1 {
            Gemm.setThreads(Parallel.threadCount)
            body(0, 0..<count)
            return
        }
        Gemm.setThreads(1)
        Parallel.forEach(workers) { worker in
            body(worker, (count * worker / workers)..<(count * (worker + 1) / workers))
        }
        Gemm.setThreads(Parallel.threadCount)
    }

    /// Workers `forEachSlice` would use for `count` items.
    static func workers(_ count: Int) -> Int { max(1, min(Parallel.threadCount, count)) }
}

/// A float buffer owned by one worker for the span of a kernel call.
struct Scratch {
    let pointer: UnsafeMutablePointer<Float>

    init(_ count: Int, zeroed: Bool = false) {
        pointer = .allocate(capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    func free() { pointer.deallocate() }
}
