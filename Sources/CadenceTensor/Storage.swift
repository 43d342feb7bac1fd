/// Float32 memory shared by a tensor and all of its views.
///
/// The buffer is 64-byte aligned so that kernels may use aligned vector loads on the first element,
/// and it is freed when the last tensor that refers to it goes away.
public final class TensorStorage: @unchecked Sendable {
    /// First element of the buffer.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of Float elements the buffer holds.
    public let count: Int

    /// Allocates `count` uninitialised floats.
    public init(count: Int) {
        let capacity = max(count, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: capacity)
        self.count = count
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
