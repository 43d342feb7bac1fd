import Testing
@testable import CadenceTensor

/// Plain reference machinery for the tests: index loops over logical shapes, closeness checks and
/// finite-difference gradient checks.
enum Oracle {
    /// Every multi-index of `shape`, in row-major order.
    static func indices(_ shape: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for size in shape {
            result = result.flatMap { prefix in (0..<size).map { prefix + [$0] } }
        }
        return result
    }

    /// The index of a broadcast operand of `shape` that feeds output index `index`.
    static func broadcastIndex(_ index: [Int], to shape: [Int]) -> [Int] {
        let lead = index.count - shape.count
        return shape.indices.map { shape[$0] == 1 ? 0 : index[$0 + lead] }
    }

    /// Reads an element through the tensor's own shape/strides metadata.
    static func at(_ t: Tensor, _ index: [Int]) -> Float {
        (try? t.value(at: index)) ?? .nan
    }

    /// Deterministic values in roughly [-2, 2].
    static func tensor(_ shape: [Int], seed: UInt64, low: Float = -2, high: Float = 2, requiresGrad: Bool = false) -> Tensor {
        var rng = TensorRandom(seed: seed)
        return Tensor.randomUniform(shape, low: low, high: high, using: &rng, requiresGrad: requiresGrad)
    }

    /// Expects `actual` to have `shape` and values within `atol + rtol * |expected|`.
    static func expectClose(
        _ actual: Tensor, _ expected: [Float], shape: [Int], atol: Float = 1e-5, rtol: Float = 1e-5,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.shape == shape, "shape", sourceLocation: sourceLocation)
        let values = actual.toArray()
        guard values.count == expected.count else {
            Issue.record("\(values.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
            return
        }
        var worst = 0, worstExcess: Float = 0
        for i in values.indices {
            let excess = Swift.abs(values[i] - expected[i]) - (atol + rtol * Swift.abs(expected[i]))
            if !(excess <= worstExcess) { worstExcess = excess.isNaN ? .infinity : excess; worst = i }
        }
        #expect(worstExcess <= 0, "element \(worst): \(values[worst]) vs \(expected[worst])", sourceLocation: sourceLocation)
    }

    /// Checks the gradients `backward` gives for `f` at `inputs` against central finite differences
    /// of the projection `sum(f(x) * w)` with fixed random weights `w`, computed in Double.
    static func checkGradients(
        _ inputs: [Tensor], epsilon: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 2e-3,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ f: ([Tensor]) throws -> Tensor
    ) throws {
        for x in inputs {
            x.requiresGrad = true
            x.zeroGrad()
        }
        let output = try f(inputs)
        let weights = tensor(output.shape, seed: 99, low: -1, high: 1)
        try (output * weights).sum().backward()
        let w = weights.toArray()
        func projection() throws -> Double {
            let y = try Tensor.withNoGrad { try f(inputs) }.toArray()
            return zip(y, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for (n, x) in inputs.enumerated() {
            guard let analytic = x.grad?.toArray() else {
                Issue.record("input \(n) got no gradient", sourceLocation: sourceLocation)
                continue
            }
            #expect(x.grad?.shape == x.shape, sourceLocation: sourceLocation)
            for i in 0..<x.count {
                let original = try x.withUnsafeMutableBufferPointer { $0[i] }
                try x.withUnsafeMutableBufferPointer { $0[i] = original + epsilon }
                let up = try projection()
                try x.withUnsafeMutableBufferPointer { $0[i] = original - epsilon }
                let down = try projection()
                try x.withUnsafeMutableBufferPointer { $0[i] = original }
                let numeric = (up - down) / (2 * Double(epsilon))
                let error = Swift.abs(numeric - Double(analytic[i]))
                #expect(error <= atol + rtol * Swift.abs(numeric),
                        "input \(n) element \(i): analytic \(analytic[i]) vs numeric \(numeric)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}
