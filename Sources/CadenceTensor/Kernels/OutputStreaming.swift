/// When kernels write their output past the caches, with non-temporal stores from a small buffer.
///
/// Ordinary stores first read every output line from memory and then evict the data a kernel keeps in
/// L2 (its input rows). Streamed lines go straight to memory, so only outputs too large for the L2 of
/// the core that wrote them, where the next layer would find them, are worth streaming.
enum OutputStreaming {
    /// Outputs of at least this many bytes are streamed.
    static let minimumBytes = 1 << 20

    /// Whether an output of `floats` floats is streamed.
    static func applies(toFloats floats: Int) -> Bool { floats * MemoryLayout<Float>.size >= minimumBytes }
}
