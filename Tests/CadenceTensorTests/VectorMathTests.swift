import Foundation
import Testing
@testable import CadenceTensor

/// The sigmoid and Swish epilogues (FastMath, no libm call), the fused SE gate + Swish and the fused
/// residual add + ReLU.
@Suite struct VectorMathTests {
    @Test func sigmoidEpilogueMatchesLibmAcrossTheRange() {
        var x: [Float] = stride(from: -100, through: 100, by: 0.37).map { Float($0) }
        x += [0, -0, .infinity, -.infinity, 88.7, -87.3, 1e-8]
        let expected = x.map { 1 / (1 + Foundation.exp(-Double($0))) }
        x.withUnsafeMutableBufferPointer { Activation.sigmoid.apply($0.baseAddress!, count: $0.count) }
        for (value, reference) in zip(x, expected) { #expect(abs(Double(value) - reference) < 1e-7) }
    }

    @Test func siluEpilogueMatchesTheDefinition() {
        var values: [Float] = (0..<37).map { Float($0) * 0.71 - 12 }
        let expected = values.map { Double($0) / (1 + Foundation.exp(-Double($0))) }
        values.withUnsafeMutableBufferPointer { Activation.silu.apply($0.baseAddress!, count: $0.count) }
        for (value, reference) in zip(values, expected) {
            #expect(abs(Double(value) - reference) <= 1e-6 * max(1, abs(reference)))
        }
    }

    @Test func gatedSiLUEqualsScaleThenSwish() throws {
        var generator = TensorRandom(seed: 4)
        // 11 channels (gates repeat off the vector width) and 1,200 pixels a clip: several rows of
        // 372 pixels, the last one partial.
        let x = Tensor.randomNormal([2, 3, 20, 20, 11], std: 3, using: &generator)
        let gate = Tensor.randomUniform([2, 1, 1, 1, 11], using: &generator)
        let fused = try gatedSiLU(x, gate: gate).toArray()
        let reference = try (x * gate).silu().toArray()
        for (a, b) in zip(fused, reference) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b))) }
        // Where autograd records, it is the plain composite and gradients flow to both inputs.
        let xg = Tensor.randomNormal([1, 1, 2, 2, 9], using: &generator, requiresGrad: true)
        let g = Tensor.randomUniform([1, 1, 1, 1, 9], using: &generator, requiresGrad: true)
        try gatedSiLU(xg, gate: g).sum().backward()
        #expect(xg.grad != nil && g.grad != nil)
        #expect(throws: TensorError.self) { try gatedSiLU(x, gate: Tensor.zeros([2, 10])) }
    }

    @Test func residualReLUEqualsAddThenReLU() throws {
        var generator = TensorRandom(seed: 5)
        // More than one 16K-float chunk, so the pass is split over the pool; a transposed view as the
        // shortcut.
        let x = Tensor.randomNormal([2, 3, 40, 50, 11], using: &generator)
        let shortcut = try Tensor.randomNormal([2, 3, 50, 40, 11], using: &generator).permute([0, 1, 3, 2, 4])
        #expect(try residualReLU(x, shortcut).toArray() == (x + shortcut).relu().toArray())
        // Broadcasting and autograd take the plain composite; gradients reach both inputs.
        let bias = Tensor.randomNormal([11], using: &generator)
        #expect(try residualReLU(x, bias).toArray() == (x + bias).relu().toArray())
        let a = Tensor.randomNormal([1, 1, 2, 2, 9], using: &generator, requiresGrad: true)
        let b = Tensor.randomNormal([1, 1, 2, 2, 9], using: &generator, requiresGrad: true)
        try residualReLU(a, b).sum().backward()
        #expect(a.grad != nil && b.grad != nil)
    }
}

/// FastMath's scalar functions against the C library.
@Suite struct FastErfTests {
    @Test func erfIsWithinTheApproximationsBound() {
        for i in -600...600 {
            let x = Float(i) * 0.01
            #expect(abs(Double(FastMath.erf(x)) - Foundation.erf(Double(x))) < 3e-7, "erf(\(x))")
        }
        #expect(FastMath.erf(.infinity) == 1 && FastMath.erf(-.infinity) == -1)
    }

    @Test func expMatchesLibmAndTheNonPositiveVariantMatchesExp() {
        for i in -9000...8800 {
            let x = Float(i) * 0.01
            let exact = Foundation.exp(Double(x))
            // Results below the smallest normal float come back as 0 (documented).
            let tolerance = exact < Double(Float.leastNormalMagnitude) ? Double(Float.leastNormalMagnitude) : 3e-7 * exact
            #expect(abs(Double(FastMath.exp(x)) - exact) <= tolerance, "exp(\(x))")
            // Same value where e^x is a normal float, 0 below -88 (the sigmoid's saturated tail).
            guard x <= 0 else { continue }
            let fast = FastMath.expOfNonPositive(x)
            if exact >= Double(Float.leastNormalMagnitude) { #expect(fast == FastMath.exp(x), "\(x)") }
            if x <= -88 { #expect(fast == 0) }
            #expect(abs(Double(fast) - exact) <= tolerance)
        }
        #expect(FastMath.expOfNonPositive(-.infinity) == 0 && FastMath.exp(-.infinity) == 0)
        #expect(FastMath.exp(.infinity) == .infinity && FastMath.exp(100) == .infinity)
    }
}
