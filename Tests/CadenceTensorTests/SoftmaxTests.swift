import Foundation
import Testing
@testable import CadenceTensor

@Suite struct SoftmaxTests {
    func reference(_ t: Tensor, axis: Int, log: Bool) -> [Float] {
        Oracle.indices(t.shape).map { index in
            var total = 0.0, peak = -Double.infinity
            for j in 0..<t.shape[axis] {
                var other = index
                other[axis] = j
                peak = Swift.max(peak, Double(Oracle.at(t, other)))
            }
            for j in 0..<t.shape[axis] {
                var other = index
                other[axis] = j
                total += Foundation.exp(Double(Oracle.at(t, other)) - peak)
            }
            let shifted = Double(Oracle.at(t, index)) - peak
            return Float(log ? shifted - Foundation.log(total) : Foundation.exp(shifted) / total)
        }
    }

    @Test func matchesReferenceOnEveryAxis() throws {
        let t = Oracle.tensor([2, 3, 4], seed: 1, low: -5, high: 5)
        for axis in 0..<3 {
            Oracle.expectClose(try t.softmax(axis: axis), reference(t, axis: axis, log: false), shape: t.shape, atol: 1e-6)
            Oracle.expectClose(try t.logSoftmax(axis: axis), reference(t, axis: axis, log: true), shape: t.shape)
        }
    }

    @Test func hugeLogitsDoNotOverflow() throws {
        let t = try Tensor(shape: [1, 3], values: [1000, 999, -1000])
        let expected = reference(t, axis: 1, log: false)
        Oracle.expectClose(try t.softmax(axis: -1), expected, shape: [1, 3])
        #expect(try t.logSoftmax(axis: -1).toArray().allSatisfy { $0.isFinite })
    }

    @Test func gradients() throws {
        try Oracle.checkGradients([Oracle.tensor([2, 4, 3], seed: 2)]) { try $0[0].softmax(axis: 1) }
        try Oracle.checkGradients([Oracle.tensor([2, 4, 3], seed: 3)]) { try $0[0].logSoftmax(axis: -1) }
    }
}
