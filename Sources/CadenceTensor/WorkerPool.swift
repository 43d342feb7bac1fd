import CKernelSupport
import Dispatch
import Foundation

/// The threads behind `Parallel.forEach`: one caller at a time hands them a job of `threads` chunks
/// and takes part itself. Every thread, the caller included, claims chunks until none is left, so a job
/// never waits for a worker that is slow to wake: the caller then runs the chunks itself.
///
/// A worker that finishes keeps spinning on the job state for `spinNanoseconds` before it sleeps, so
/// the next kernel, usually microseconds later, starts on every core at once. Woken from sleep, as
/// `DispatchQueue.concurrentPerform`'s threads are for every call, a worker joined 0.05-0.15 ms late,
/// and kernels of 0.2-0.5 ms at 2 threads took up to 1.7x as long (the 2-thread rows of `make bench`
/// split into a fast and a slow mode).
///
/// A call made while a job runs (from inside a chunk, or from another thread) does not wait for the
/// pool: nested calls run inline, since every core is already busy, and other threads' calls go to
/// `concurrentPerform`.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker spins before it sleeps: long enough to bridge the gaps between one
    /// inference's kernels, short enough to leave the core soon to BLAS's own threads and to other work.
    static let spinNanoseconds: UInt64 = 200_000

    /// Atomic words. `state` is the job's generation, chunk count and next unclaimed chunk as one
    /// (`generation << 32 | chunks << 16 | next`), so that claiming a chunk is one compare-and-swap that
    /// fails if the job changed; `remaining` counts the chunks not yet finished; `busy` says whether a
    /// job is under way.
    private let state = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private let remaining = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private let busy = UnsafeMutablePointer<Int>.allocate(capacity: 1)

    /// The current job's body: written before `state` changes, read by whoever claimed one of its
    /// chunks; the caller waits for all of them before it writes the next.
    private var job: UnsafeRawPointer?
    private var workerCount = 0
    /// Whether the last job had no more threads than the machine has cores: only then do its threads
    /// spin while they wait, since a spinning thread would otherwise take a core from a working one.
    private var spinning = true
    private let cores = ProcessInfo.processInfo.activeProcessorCount

    private let wake = NSCondition()
    private var sleepers = 0

    /// Marks the threads taking part in a job, whose own calls run inline.
    private var inJob = pthread_key_t()

    private final class Job {
        let body: (Int) -> Void
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }

    private init() {
        state.initialize(to: 0)
        remaining.initialize(to: 0)
        busy.initialize(to: 0)
        pthread_key_create(&inJob, nil)
    }

    /// Most threads a job runs on the pool; larger counts (far beyond any machine's cores) go to
    /// `concurrentPerform`, as do calls while a job runs.
    static let maximumThreads = 256

    /// Runs `body(chunk)` for `chunk` in `0..<threads`, on up to `threads` threads.
    func run(_ threads: Int, _ body: (Int) -> Void) {
        if threads <= 1 || pthread_getspecific(inJob) != nil {
            for chunk in 0..<max(0, threads) { body(chunk) }
            return
        }
        guard threads <= Self.maximumThreads, cadence_atomic_exchange_if(busy, 0, 1) != 0 else {
            DispatchQueue.concurrentPerform(iterations: threads, execute: body)
            return
        }
        defer { cadence_atomic_store(busy, 0) }
        while workerCount < threads - 1 { startWorker(after: cadence_atomic_load(state)) }
        pthread_setspecific(inJob, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(inJob, nil) }
        withoutActuallyEscaping(body) { body in
            let current = Job(body)
            withExtendedLifetime(current) {
                job = UnsafeRawPointer(Unmanaged.passUnretained(current).toOpaque())
                spinning = threads <= cores
                cadence_atomic_store(remaining, threads)
                let generation = (cadence_atomic_load(state) >> 32) + 1
                cadence_atomic_store(state, generation << 32 | threads << 16)
                wake.lock()
                if sleepers > 0 { wake.broadcast() }
                wake.unlock()
                runClaimedChunks()
                var spins = 0
                while cadence_atomic_load(remaining) != 0 {
                    cadence_spin_pause()
                    spins += 1
                    // More threads than cores, or a worker descheduled by another process (after some
                    // 50 µs of spinning): give up the core rather than spin.
                    if !spinning || spins >= 1 << 12 { sched_yield() }
                }
                job = nil
            }
        }
    }

    /// Claims and runs chunks of the current job until none is left; returns the state seen then.
    @discardableResult
    private func runClaimedChunks() -> Int {
        while true {
            let seen = cadence_atomic_load(state)
            let next = seen & 0xFFFF, chunks = (seen >> 16) & 0xFFFF
            guard next < chunks else { return seen }
            guard cadence_atomic_exchange_if(state, seen, seen + 1) != 0 else { continue }
            // The job cannot change before this chunk is finished, so `job` is the claimed chunk's.
            if let pointer = job {
                Unmanaged<Job>.fromOpaque(pointer)._withUnsafeGuaranteedRef { $0.body(next) }
            }
            cadence_atomic_add(remaining, -1)
        }
    }

    private func startWorker(after seen: Int) {
        let thread = Thread { [self] in work(after: seen) }
        thread.stackSize = 8 << 20
        thread.start()
        workerCount += 1
    }

    /// A worker's life: wait for the state to move on from `seen` (a new job), and claim its chunks.
    private func work(after seen: Int) {
        pthread_setspecific(inJob, UnsafeRawPointer(bitPattern: 1))
        var seen = seen
        while true {
            waitForJob(after: seen)
            seen = runClaimedChunks()
        }
    }

    private func waitForJob(after seen: Int) {
        let deadline = DispatchTime.now().uptimeNanoseconds + (spinning ? Self.spinNanoseconds : 0)
        var spins = 0
        while cadence_atomic_load(state) == seen {
            cadence_spin_pause()
            spins += 1
            if spins % 256 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
                wake.lock()
                sleepers += 1
                while cadence_atomic_load(state) == seen { wake.wait() }
                sleepers -= 1
                wake.unlock()
                return
            }
        }
    }
}
