import Foundation
import Testing
@testable import CadenceTensor

@Suite struct ActivationKernelTests {
    static let definitions: [(Activation, (Double) -> Double)] = [
        (.relu, { max($0, 0) }),
        (.silu, { $0 / (1 + Foundation.exp(-$0)) }),
        (.sigmoid, { 1 / (1 + Foundation.exp(-$0)) }),
        (.gelu, { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }),
    ]

    @Test(arguments: 0..<4)
    func forwardAndBackwardMatchDefinitions(_ i: Int) {
        let (activation, f) = Self.definitions[i]
        var rng = SeededRandom(seed: 9)
        // Stay away from ReLU's kink, where a finite difference straddles two slopes.
        let x = rng.array(64).map { $0 * 4 }.map { abs($0) < 0.05 ? $0 + 0.1 : $0 }
        let dy = rng.array(64)
        var y = x
        y.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
        for j in x.indices { #expect(abs(Double(y[j]) - f(Double(x[j]))) < 1e-5) }
        let saved = activation.backwardNeedsInput ? x : y
        let dx = makeOutput(x.count) { activation.backward(saved: saved, gradOutput: dy, gradInput: $0, count: x.count) }
        for j in x.indices {
            let h = 1e-4, xj = Double(x[j])
            let slope = (f(xj + h) - f(xj - h)) / (2 * h)
            #expect(abs(Double(dx[j]) - slope * Double(dy[j])) < 1e-4)
        }
    }

    @Test func parallelApplyMatchesSerialApply() {
        var rng = SeededRandom(seed: 12)
        let x = rng.array(40_000).map { $0 * 5 }
        for activation in [Activation.relu, .silu, .sigmoid, .gelu] {
            var serial = x, parallel = x
            serial.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
            parallel.withUnsafeMutableBufferPointer { activation.applyParallel($0.baseAddress!, count: $0.count) }
            #expect(serial == parallel)
        }
    }

    @Test func dropoutMaskKeepsExpectedFractionAndScales() {
        let n = 20_000, p: Float = 0.3
        let mask = makeOutput(n) { DropoutMask.fill($0, count: n, probability: p, seed: 42) }
        let dropped = mask.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / Double(n) - 0.3) < 0.02)
        #expect(mask.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
        let again = makeOutput(n) { DropoutMask.fill($0, count: n, probability: p, seed: 42) }
        #expect(again == mask)
        var x = [Float](repeating: 2, count: n)
        DropoutMask.apply(mask, to: &x, count: n)
        #expect(x[0] == 2 * mask[0])
    }
}
