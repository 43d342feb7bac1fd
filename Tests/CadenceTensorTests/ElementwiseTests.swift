import Foundation
import Testing
@testable import CadenceTensor

@Suite struct ElementwiseTests {
    /// Reference for a broadcasting binary op: loops over the output's logical indices.
    func reference(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) throws -> (shape: [Int], values: [Float]) {
        let shape = try Shape.broadcast(a.shape, b.shape, "test")
        let values = Oracle.indices(shape).map {
            f(Oracle.at(a, Oracle.broadcastIndex($0, to: a.shape)), Oracle.at(b, Oracle.broadcastIndex($0, to: b.shape)))
        }
        return (shape, values)
    }

    let a = Oracle.tensor([2, 1, 3], seed: 1)
    let b = Oracle.tensor([4, 1], seed: 2, low: 0.5, high: 2)

    @Test func broadcastingBinaryOpsMatchReference() throws {
        let cases: [(String, (Tensor, Tensor) throws -> Tensor, (Float, Float) -> Float)] = [
            ("add", { try $0 + $1 }, +), ("sub", { try $0 - $1 }, -),
            ("mul", { try $0 * $1 }, *), ("div", { try $0 / $1 }, /),
            ("maximum", { try $0.maximum($1) }, { Swift.max($0, $1) }),
            ("minimum", { try $0.minimum($1) }, { Swift.min($0, $1) }),
        ]
        for (name, op, f) in cases {
            let expected = try reference(a, b, f)
            let actual = try op(a, b)
            #expect(actual.shape == expected.shape, "\(name)")
            #expect(actual.toArray() == expected.values, "\(name)")
        }
    }

    @Test func stridedAndLongOperandsMatchReference() throws {
        // A transposed view against a long broadcast row exercises the strided and parallel paths.
        let big = try Oracle.tensor([70, 600], seed: 3).transpose(0, 1)  // [600, 70], strided
        let row = Oracle.tensor([70], seed: 4)
        let expected = try reference(big, row, *)
        #expect(try (big * row).toArray() == expected.values)
        let dense = Oracle.tensor([40000], seed: 5)
        Oracle.expectClose(dense.exp(), dense.toArray().map { Float(Foundation.exp(Double($0))) }, shape: [40000], atol: 0, rtol: 3e-7)
    }

    @Test func incompatibleShapesThrow() {
        #expect(throws: TensorError.self) { try Oracle.tensor([2, 3], seed: 1) + Oracle.tensor([4], seed: 2) }
    }

    @Test func unaryOpsMatchFoundation() {
        let p = Oracle.tensor([3, 5], seed: 6, low: 0.1, high: 3)
        let v = p.toArray()
        #expect(p.log().toArray() == v.map { Foundation.log($0) })
        #expect(p.sqrt().toArray() == v.map { $0.squareRoot() })
        #expect(p.rsqrt().toArray() == v.map { 1 / $0.squareRoot() })
        #expect(p.pow(1.5).toArray() == v.map { Foundation.pow($0, 1.5) })
        let s = Oracle.tensor([3, 5], seed: 7)
        let w = s.toArray()
        #expect(s.neg().toArray() == w.map { -$0 })
        #expect(s.abs().toArray() == w.map { Swift.abs($0) })
        #expect(s.clamp(min: -0.5, max: 1).toArray() == w.map { Swift.min(Swift.max($0, -0.5), 1) })
        #expect((2 - s).toArray() == w.map { 2 - $0 })
        #expect((3 / p).toArray() == v.map { 3 / $0 })
        #expect((s * 2 + 1).toArray() == w.map { $0 * 2 + 1 })
    }

    @Test func expIsAccurateAcrossTheFloatRange() throws {
        let grid = stride(from: Float(-90), through: 90, by: 0.0137).map { $0 }
        let x = try Tensor(shape: [grid.count], values: grid)
        let expected = grid.map { Float(Foundation.exp(Double($0))) }
        let actual = x.exp().toArray()
        for (i, value) in actual.enumerated() where expected[i] >= Float.leastNormalMagnitude && expected[i].isFinite {
            #expect(Swift.abs(value - expected[i]) <= 3e-7 * expected[i], "exp(\(grid[i])) = \(value), expected \(expected[i])")
        }
        let specials = try Tensor(shape: [5], values: [-.infinity, .infinity, 0, -200, 200]).exp().toArray()
        #expect(specials == [0, .infinity, 1, 0, .infinity])
        #expect(try Tensor(shape: [1], values: [.nan]).exp().toArray()[0].isNaN)
    }

    @Test func comparisonsAndWhere() throws {
        let x = try Tensor(shape: [4], values: [1, 2, 3, 4]), y = try Tensor(shape: [4], values: [2, 2, 2, 2])
        #expect(try x.less(y).toArray() == [1, 0, 0, 0])
        #expect(try x.lessEqual(y).toArray() == [1, 1, 0, 0])
        #expect(try x.greater(y).toArray() == [0, 0, 1, 1])
        #expect(try x.greaterEqual(y).toArray() == [0, 1, 1, 1])
        #expect(try x.equal(y).toArray() == [0, 1, 0, 0])
        #expect(try x.notEqual(y).toArray() == [1, 0, 1, 1])
        #expect(x.greater(2.5).toArray() == [0, 0, 1, 1])
        #expect(try Tensor.where(x.greater(2), x, y.neg()).toArray() == [-2, -2, 3, 4])
        #expect(try Tensor.where(x.greater(2), x, 0).toArray() == [0, 0, 3, 4])
    }

    @Test func maximumSplitsGradientOnTies() throws {
        let x = try Tensor(shape: [3], values: [1, 2, 3]), y = try Tensor(shape: [3], values: [2, 2, 2])
        x.requiresGrad = true
        y.requiresGrad = true
        try x.maximum(y).sum().backward()
        #expect(x.grad?.toArray() == [0, 0.5, 1])
        #expect(y.grad?.toArray() == [1, 0.5, 0])
    }

    @Test func binaryGradientsWithBroadcasting() throws {
        for op: (Tensor, Tensor) throws -> Tensor in [{ try $0 + $1 }, { try $0 - $1 }, { try $0 * $1 }, { try $0 / $1 }] {
            try Oracle.checkGradients([Oracle.tensor([2, 1, 3], seed: 8), Oracle.tensor([4, 1], seed: 9, low: 0.5, high: 2)]) {
                try op($0[0], $0[1])
            }
        }
        // Distinct values keep maximum/minimum away from their kinks.
        let u = try Tensor(shape: [2, 3], values: [0.1, -1, 2, 0.7, 1.5, -0.3])
        let v = try Tensor(shape: [3], values: [0.5, 0.2, -0.9])
        try Oracle.checkGradients([u, v]) { try $0[0].maximum($0[1]) }
        try Oracle.checkGradients([u, v]) { try $0[0].minimum($0[1]) }
        let mask = try Tensor(shape: [2, 1], values: [1, 0])
        try Oracle.checkGradients([u, v]) { try Tensor.where(mask, $0[0], $0[1]) }
    }

    @Test func unaryGradients() throws {
        let positive = Oracle.tensor([2, 3], seed: 10, low: 0.5, high: 2)
        let anywhere = try Tensor(shape: [2, 3], values: [0.3, -1.2, 1.7, -0.4, 0.9, -2.1])
        try Oracle.checkGradients([anywhere]) { $0[0].neg() }
        try Oracle.checkGradients([anywhere]) { $0[0].exp() }
        try Oracle.checkGradients([positive]) { $0[0].log() }
        try Oracle.checkGradients([positive]) { $0[0].sqrt() }
        try Oracle.checkGradients([positive]) { $0[0].rsqrt() }
        try Oracle.checkGradients([positive]) { $0[0].pow(2.5) }
        try Oracle.checkGradients([anywhere]) { $0[0].abs() }
        try Oracle.checkGradients([anywhere]) { $0[0].square() }
        try Oracle.checkGradients([anywhere]) { $0[0].clamp(min: -1, max: 1) }
        try Oracle.checkGradients([positive]) { (3 - $0[0] * 2 + 1) / 4 }
        try Oracle.checkGradients([positive]) { 2 / $0[0] }
        try Oracle.checkGradients([anywhere]) { $0[0].maximum(0.1).minimum(1) }
    }
}
