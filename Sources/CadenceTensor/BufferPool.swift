import Foundation

/// Recycles large float buffers between tensors (and kernel scratch) instead of returning them to
/// the system.
///
/// A training step allocates the same activation and gradient buffers every step. Buffers of
/// hundreds of KiB and more come from the system as fresh pages, which the OS must zero and map one
/// page fault at a time: in X3D training that was a quarter to a third of the CPU time. The pool keeps
/// released buffers by size class and hands them out again, already mapped.
///
/// Memory stays bounded: when a request finds no buffer of its class, the pool first frees cached
/// buffers of other classes (the longest-unused first) worth at least the request, so live plus
/// cached memory never exceeds the largest amount that was ever live at once.
/// `releaseCached()` returns everything cached to the system. Tensors use `BufferPool.shared`.
///
/// Pooled sizes are mapped and unmapped with `mmap`/`munmap` rather than taken from malloc: glibc
/// serves freed large blocks from per-thread arenas and raises its mmap threshold as they come back,
/// so memory the pool evicts stayed resident there, and a 2-thread SlowFast run grew to twice its
/// live size over a few forward passes.
public final class BufferPool: @unchecked Sendable {
    /// The pool every `TensorStorage` and kernel scratch buffer comes from.
    public static let shared = BufferPool()

    /// Buffers below this many bytes go straight to the allocator, which recycles them cheaply.
    static let minimumBytes = 128 * 1024

    private let lock = NSLock()
    /// Cached buffers per size class, most recently released last.
    private var free: [Int: [Entry]] = [:]
    private var cached = 0
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
        let reused = lock.withLock { () -> UnsafeMutableRawPointer? in
            if var list = free[size], let entry = list.popLast() {
                free[size] = list.isEmpty ? nil : list
                cached -= size
                return entry.pointer
            }
            // A miss: make room by freeing buffers nobody asked for lately.
            var freed = 0
            while freed < size, let key = oldestClass(), var list = free[key] {
                evicted.append((key, list.removeFirst()))
                free[key] = list.isEmpty ? nil : list
                cached -= key
                freed += key
            }
            return nil
        }
        evicted.forEach { Self.release($0.entry.pointer, size: $0.size) }
        return reused ?? Self.map(size)
    }

    /// Returns a buffer from `allocate(bytes:)` to the pool (or to the system when pooling is off).
    func deallocate(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let size = BufferPool.sizeClass(max(bytes, 1))
        let kept = size >= BufferPool.minimumBytes && lock.withLock { () -> Bool in
            guard enabled else { return false }
            clock += 1
            free[size, default: []].append(Entry(pointer: pointer, released: clock))
            cached += size
            return true
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
