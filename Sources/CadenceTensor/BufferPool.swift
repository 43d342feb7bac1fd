import Foundation

/// Recycles large float buffers between tensors (and kernels' per-call buffers, `Scratch`) instead of
/// returning them to the system. A kernel worker's own working memory is `ThreadScratch`.
///
/// A training step allocates the same activation and gradient buffers every step. Buffers of
/// hundreds of KiB and more come from the system as fresh pages, which the OS must zero and map one
/// page fault at a time: in X3D training that was a quarter to a third of the CPU time. The pool keeps
/// released buffers by size class and hands them out again, already mapped.
///
/// A request whose class has nothing cached takes the smallest cached buffer up to twice its size, so
/// layers of slightly different sizes share memory.
///
/// Memory stays bounded: live plus cached memory never exceeds twice the largest amount that was ever
/// live at once. When a request finds no buffer of its class and a new one would break that bound,
/// the pool first frees cached buffers of other classes, the longest-unused first, until it holds.
/// The slack is there because a buffer serves only its own size class: a forward pass of X3D-M needs
/// about 1.8x its peak live memory in distinct classes, and a tighter bound made every pass unmap and
/// fault in the same pages again (4x the page faults, a third of the time in the kernel).
/// `releaseCached()` returns everything cached to the system. Tensors use `BufferPool.shared`.
///
/// Pooled sizes are mapped and unmapped with `mmap`/`munmap` rather than taken from malloc: glibc
/// serves freed large blocks from per-thread arenas and raises its mmap threshold as they come back,
/// so memory the pool evicts stayed resident there, and a 2-thread SlowFast run grew to twice its
/// live size over a few forward passes.
public final class BufferPool: @unchecked Sendable {
    /// The pool every `TensorStorage` and kernel `Scratch` buffer comes from.
    public static let shared = BufferPool()

    /// Buffers below this many bytes go straight to the allocator, which recycles them cheaply.
    static let minimumBytes = 128 * 1024

    private let lock = NSLock()
    /// Cached buffers per size class, most recently released last.
    private var free: [Int: [Entry]] = [:]
    private var cached = 0
    /// Pooled bytes handed out and not yet returned, and the most that ever were at once.
    private var live = 0
    private var peakLive = 0
    /// The size class of every pooled buffer handed out, by address.
    private var outstanding: [UnsafeMutableRawPointer: Int] = [:]
    private var clock: UInt64 = 0
    private var enabled = true

    private struct Entry {
        let pointer: UnsafeMutableRawPointer
        let released: UInt64
    }

    init() {}

    deinit { free.forEach { size, list in list.forEach { Self.release($0.pointer, size: size) } } }

    /// Whether released buffers are kept for reuse (default true). Turning it off frees what is cached.
    public var isEnabled: Bool {
        get { lock.withLock { enabled } }
        set {
            lock.withLock { enabled = newValue }
            if !newValue { releaseCached() }
        }
    }

    /// Bytes held in the pool now, not in use by any tensor.
    public var cachedBytes: Int { lock.withLock { cached } }

    /// Frees every cached buffer.
    public func releaseCached() {
        let all = lock.withLock { () -> [Int: [Entry]] in
            let entries = free
            free = [:]
            cached = 0
            return entries
        }
        all.forEach { size, list in list.forEach { Self.release($0.pointer, size: size) } }
    }

    /// The size a request of `bytes` is served with: requests up to 1/8 apart share a class, so a
    /// buffer is reused by tensors of nearly the same size.
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes >= minimumBytes else { return bytes }
        let top = Int.bitWidth - 1 - bytes.leadingZeroBitCount
        let step = 1 << (top - 3)
        return (bytes + step - 1) / step * step
    }

    /// A 64-byte aligned buffer of at least `bytes` bytes, uninitialised. Give it back with
    /// `deallocate(_:bytes:)` and the same `bytes`.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = BufferPool.sizeClass(max(bytes, 1))
        guard size >= BufferPool.minimumBytes else { return .allocate(byteCount: size, alignment: 64) }
        var evicted: [(size: Int, entry: Entry)] = []
        let (pointer, capacity) = lock.withLock { () -> (UnsafeMutableRawPointer?, Int) in
            // Its own class, else the smallest cached class up to twice the size.
            let fit = free[size] != nil ? size
                : free.keys.filter { $0 > size && $0 <= 2 * size }.min()
            let capacity = fit ?? size
            live += capacity
            peakLive = max(peakLive, live)
            if let fit, var list = free[fit], let entry = list.popLast() {
                free[fit] = list.isEmpty ? nil : list
                cached -= fit
                outstanding[entry.pointer] = fit
                return (entry.pointer, fit)
            }
            // A miss: make room by freeing buffers nobody asked for lately.
            while live + cached > 2 * peakLive, let key = oldestClass(), var list = free[key] {
                evicted.append((key, list.removeFirst()))
                free[key] = list.isEmpty ? nil : list
                cached -= key
            }
            return (nil, size)
        }
        evicted.forEach { Self.release($0.entry.pointer, size: $0.size) }
        if let pointer { return pointer }
        let mapped = Self.map(capacity)
        lock.withLock { outstanding[mapped] = capacity }
        return mapped
    }

    /// Returns a buffer from `allocate(bytes:)` to the pool (or to the system when pooling is off).
    func deallocate(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let requested = BufferPool.sizeClass(max(bytes, 1))
        guard requested >= BufferPool.minimumBytes else { return pointer.deallocate() }
        let (size, kept) = lock.withLock { () -> (Int, Bool) in
            // The buffer's own class, which may be larger than the request it served.
            let size = outstanding.removeValue(forKey: pointer) ?? requested
            live -= size
            guard enabled else { return (size, false) }
            clock += 1
            free[size, default: []].append(Entry(pointer: pointer, released: clock))
            cached += size
            return (size, true)
        }
        if !kept { Self.release(pointer, size: size) }
    }

    /// Fresh zeroed pages from the system for a pooled size class (page aligned, so 64-byte aligned).
    private static func map(_ size: Int) -> UnsafeMutableRawPointer {
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              pointer != MAP_FAILED else {
            // Out of address space or memory: fail as Swift's own allocator does.
            fatalError("BufferPool: cannot map \(size) bytes (errno \(errno))")
        }
        return pointer
    }

    /// Gives a buffer of size class `size` back to the system.
    private static func release(_ pointer: UnsafeMutableRawPointer, size: Int) {
        if size >= minimumBytes { munmap(pointer, size) } else { pointer.deallocate() }
    }

    /// The class whose first cached buffer was released longest ago; called with the lock held.
    private func oldestClass() -> Int? {
        var best: (key: Int, released: UInt64)?
        for (key, list) in free {
            guard let first = list.first else { continue }
            if let b = best, b.released <= first.released { continue }
            best = (key, first.released)
        }
        return best?.key
    }
}
