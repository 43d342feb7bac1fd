/// Float32 memory shared by a tensor and all of its views.
///
/// The buffer is 64-byte aligned so that kernels may use aligned vector loads on the first element,
/// and it goes back to `BufferPool` when the last tensor that refers to it goes away.
public final class TensorStorage: @unchecked Sendable {
    /// First element of the buffer.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of Float elements the buffer holds.
    public let count: Int

    /// Allocates `count` uninitialised floats.
    public init(count: Int) {
        let raw = BufferPool.shared.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { BufferPool.shared.deallocate(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride) }
}
