import Foundation

/// Kernel scratch that belongs to the calling thread and stays with it from one kernel call to the
/// next: im2col columns, packed input rows, transformed tiles, row buffers.
///
/// Why per thread: a worker writes its scratch, so the lines sit modified in its core's caches. Taken
/// from `BufferPool` on every call and handed out by worker index, a buffer went to whichever thread
/// ran that worker, and the pool's last-in-first-out order swapped the buffers of a 2-thread run from
/// one call to the next. Every line a worker then wrote first had to come out of the other core's
/// caches. Where the two cores share an L3 that costs little; in this host's placements where they
/// apparently do not, `dw3 C54 16x56x56` at 2 threads took 1.06 ms instead of 0.66 (its input copy, which
/// writes the packed rows, twice as long). A thread's own buffer stays in its own caches.
///
/// Rules: a kernel takes its slots inside its worker body, or on the caller for work it does alone
/// (pool threads may read what it wrote there, taking no slots themselves), and calls nothing that
/// takes slots while it uses them. A slot's buffer grows to the largest request it has seen; kernels
/// bound their requests (a block, a band or a tile budget), so a thread usually holds at most about
/// 9 MiB (the Winograd kernels' two 4 MiB blocks). The buffers are freed when their thread exits, so
/// the pool's threads and the main thread keep theirs for the life of the process.
enum ThreadScratch {
    /// Slots a kernel may take: 0 up to `slots - 1`.
    static let slots = 3

    /// The calling thread's buffer `slot`: at least `count` floats, 64-byte aligned. Its contents are
    /// what its last use left, unless this request made it grow.
    static func floats(_ count: Int, slot: Int) -> UnsafeMutablePointer<Float> {
        // A check that stays in this module's unchecked build.
        guard slot >= 0 && slot < slots else { fatalError("ThreadScratch: no slot \(slot)") }
        return Buffers.current.floats(max(count, 1), slot: slot)
    }

    private final class Buffers {
        private var pointers = [UnsafeMutableRawPointer?](repeating: nil, count: ThreadScratch.slots)
        private var capacities = [Int](repeating: 0, count: ThreadScratch.slots)

        /// The thread-specific key; its destructor frees an exiting thread's buffers.
        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            let status = pthread_key_create(&key) { raw in
                // Optional on glibc, not on Darwin.
                let raw: UnsafeMutableRawPointer? = raw
                if let raw { Unmanaged<Buffers>.fromOpaque(raw).release() }
            }
            guard status == 0 else { fatalError("ThreadScratch: pthread_key_create failed (\(status))") }
            return key
        }()

        static var current: Buffers {
            if let raw = pthread_getspecific(key) { return Unmanaged<Buffers>.fromOpaque(raw).takeUnretainedValue() }
            let buffers = Buffers()
            pthread_setspecific(key, Unmanaged.passRetained(buffers).toOpaque())
            return buffers
        }

        func floats(_ count: Int, slot: Int) -> UnsafeMutablePointer<Float> {
            let bytes = count * MemoryLayout<Float>.stride
            if let pointer = pointers[slot], capacities[slot] >= bytes {
                return pointer.bindMemory(to: Float.self, capacity: count)
            }
            pointers[slot]?.deallocate()
            // Rounded up as the pool's size classes are (1/8 steps from 128 KiB), so slowly growing
            // requests rarely reallocate. From the allocator rather than mapped as the pool's are:
            // page-aligned slots ran `dw3 C54` 3-5% slower at 2 threads (best runs, 12 alternating
            // processes; likely the slots' rows aliasing in the L1), and slots rarely grow, so
            // glibc's own handling of large blocks costs little here.
            let capacity = BufferPool.sizeClass(bytes)
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
            pointers[slot] = pointer
            capacities[slot] = capacity
            return pointer.bindMemory(to: Float.self, capacity: count)
        }

        deinit { pointers.forEach { $0?.deallocate() } }
    }
}
