import Foundation

/// How kernels split work over the shared pool while keeping BLAS from oversubscribing the cores.
enum KernelThreads {
    /// Runs `body(slice)` over contiguous slices covering `0..<count`, on up to `Parallel.threadCount`
    /// workers. Workers take slices of about a quarter of their share from a shared counter, so a
    /// worker slowed by another process on its core does less of the work instead of holding up the
    /// rest. A worker's working memory is `ThreadScratch`. BLAS runs single-threaded meanwhile, since
    /// the pool already occupies every core.
    static func forEachSlice(_ count: Int, _ body: (_ slice: Range<Int>) -> Void) {
        distribute(count, fixedOrder: false) { _, slice in body(slice) }
    }

    /// `forEachSlice` with a fixed assignment, and the worker's index (below `workers(count)`) for its
    /// partial results: worker `w` takes slices `w`, `w + workers`, … in order.
    /// For kernels that add into per-worker partial sums: with dynamic hand-out the partials, and so
    /// the rounding of their total, would change from run to run; fixed, a run repeats bit for bit at
    /// the same thread count (a resumed training run ends with an uninterrupted run's weights).
    static func forEachSliceInFixedOrder(_ count: Int, _ body: (_ worker: Int, _ slice: Range<Int>) -> Void) {
        distribute(count, fixedOrder: true, body)
    }

    private static func distribute(_ count: Int, fixedOrder: Bool, _ body: (_ worker: Int, _ slice: Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = workers(count)
        if workers == 1 {
            Gemm.setThreads(Parallel.threadCount)
            body(0, 0..<count)
            return
        }
        let chunk = max(1, count / (4 * workers))
        Gemm.setThreads(1)
        if fixedOrder {
            let slices = (count + chunk - 1) / chunk
            Parallel.forEach(workers) { worker in
                for k in stride(from: worker, to: slices, by: workers) {
                    body(worker, (k * chunk)..<min(count, (k + 1) * chunk))
                }
            }
        } else {
            let counter = SliceCounter()
            Parallel.forEach(workers) { worker in
                while let slice = counter.take(chunk, of: count) { body(worker, slice) }
            }
        }
        Gemm.setThreads(Parallel.threadCount)
    }

    /// Workers `forEachSlice` and `forEachSliceInFixedOrder` use for `count` items.
    static func workers(_ count: Int) -> Int { max(1, min(Parallel.threadCount, count)) }
}

/// Hands out consecutive slices of `0..<count` to whichever worker asks next.
final class SliceCounter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    func take(_ size: Int, of count: Int) -> Range<Int>? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        let start = next
        next = min(count, start + size)
        return start..<next
    }
}

/// A float buffer for the span of a kernel call (from `BufferPool`, so large scratch is not mapped
/// afresh on every call): data the caller prepares or reads back, such as packed weights or per-worker
/// partial sums. A worker's own working memory is `ThreadScratch`.
struct Scratch {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// One buffer per worker, for partial results the caller combines after the slices.
    static func perWorker(_ workers: Int, _ count: Int, zeroed: Bool = false) -> [Scratch] {
        (0..<workers).map { _ in Scratch(count, zeroed: zeroed) }
    }

    init(_ count: Int, zeroed: Bool = false) {
        self.count = max(count, 1)
        pointer = BufferPool.shared.allocate(bytes: self.count * MemoryLayout<Float>.stride)
            .bindMemory(to: Float.self, capacity: self.count)
        if zeroed { pointer.initialize(repeating: 0, count: self.count) }
    }

    func free() { BufferPool.shared.deallocate(UnsafeMutableRawPointer(pointer), bytes: count * MemoryLayout<Float>.stride) }
}
