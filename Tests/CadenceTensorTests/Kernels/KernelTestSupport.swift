import CadenceTensor
import Testing

/// Deterministic test data: SplitMix64 floats uniform in [-1, 1).
struct SeededRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / 8_388_608.0 - 1
    }

    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
}

/// Largest `|a - b| / (1 + |b|)` over two equally long arrays (infinity if lengths differ).
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for i in a.indices {
        let e = abs(a[i] - b[i]) / (1 + abs(b[i]))
        if e.isNaN { return .infinity }
        worst = max(worst, e)
    }
    return worst
}

/// Runs `body` with a zeroed output buffer of `count` floats and returns it.
func makeOutput(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> [Float] {
    var out = [Float](repeating: 0, count: count)
    try out.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    return out
}

/// Central finite difference of `loss` with respect to `values[index]`.
func finiteDifference(_ values: [Float], at index: Int, step: Float = 1e-2, loss: ([Float]) -> Double) -> Double {
    var plus = values, minus = values
    plus[index] += step
    minus[index] -= step
    return (loss(plus) - loss(minus)) / (2 * Double(step))
}

/// `Σ a[i] * b[i]` in double: the scalar loss whose gradient with respect to `a` is `b`.
func dot(_ a: [Float], _ b: [Float]) -> Double {
    var s = 0.0
    for i in a.indices { s += Double(a[i]) * Double(b[i]) }
    return s
}

/// A few well-spread indices into an array of `count` elements, for finite-difference spot checks.
func probeIndices(_ count: Int, probes: Int = 12) -> [Int] {
    Array(Set((0..<probes).map { ($0 * 7919 + 13) % count })).sorted()
}

/// A conv forward kernel's signature: `(input, weights, bias, activation, output)`.
typealias ForwardKernel = (
    [Float], [Float], UnsafePointer<Float>?, Activation, UnsafeMutablePointer<Float>
) -> Void

/// Expects `forward` to match the float64 reference on random data: with bias, without and with ReLU,
/// and without bias.
func expectForwardMatchesReference(
    _ g: Conv3dGeometry, seed: UInt64, tolerance: Float = 1e-5, _ forward: ForwardKernel
) {
    var rng = SeededRandom(seed: seed)
    let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(g.outputChannels)
    for activation in [Activation.identity, .relu] {
        let y = makeOutput(g.outputCount) { out in
            bias.withUnsafeBufferPointer { forward(x, w, $0.baseAddress, activation, out) }
        }
        var expected = Reference.convForward(g, x, w, bias)
        expected.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
        #expect(maxRelativeError(y, expected) < tolerance, "\(activation)")
    }
    let unbiased = makeOutput(g.outputCount) { forward(x, w, nil, .identity, $0) }
    #expect(maxRelativeError(unbiased, Reference.convForward(g, x, w, nil)) < tolerance)
}
