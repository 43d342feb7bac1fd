/// Evenly spaced Float32 values from `start` to `end` inclusive, computed exactly as PyTorch's CPU
/// `torch.linspace` does for float32 (the first half counts up from `start`, the second half down
/// from `end`), so indices truncated from it match PySlowFast's frame indices bit for bit.
func torchLinspace(_ start: Double, _ end: Double, count: Int) -> [Float] {
    guard count > 1 else { return count == 1 ? [Float(start)] : [] }
    let first = Float(start), last = Float(end)
    let step = (last - first) / Float(count - 1)
    let halfway = count / 2
    return (0..<count).map { i in
        i < halfway ? first + step * Float(i) : last - step * Float(count - i - 1)
    }
}

/// `torch.linspace(start, end, count).clamp(0, upper).long()`: truncation toward zero after clamping.
func truncatedIndices(_ start: Double, _ end: Double, count: Int, upper: Int) -> [Int] {
    torchLinspace(start, end, count: count).map { value in
        Int(min(max(value, 0), Float(upper)))
    }
}
