import Foundation
import Testing
@testable import CadenceTensor

@Suite struct ReductionTests {
    let x = Oracle.tensor([3, 4, 5], seed: 1)

    /// Reference reduction: groups the elements by their index outside `axes`, in Double.
    func reference(_ t: Tensor, axes: [Int], _ combine: ([Double]) -> Double) -> [Float] {
        let kept = (0..<t.rank).filter { !axes.contains($0) }
        var groups: [[Int]: [Double]] = [:]
        var order: [[Int]] = []
        for index in Oracle.indices(t.shape) {
            let key = kept.map { index[$0] }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(Double(Oracle.at(t, index)))
        }
        return order.map { Float(combine(groups[$0] ?? [])) }
    }

    @Test func sumMeanMaxMinOverAxes() throws {
        for axes in [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]] {
            let keptShape = (0..<3).map { axes.contains($0) ? 1 : x.shape[$0] }
            let droppedShape = (0..<3).filter { !axes.contains($0) }.map { x.shape[$0] }
            Oracle.expectClose(try x.sum(axes: axes), reference(x, axes: axes) { $0.reduce(0, +) }, shape: droppedShape)
            Oracle.expectClose(try x.sum(axes: axes, keepDims: true), reference(x, axes: axes) { $0.reduce(0, +) }, shape: keptShape)
            Oracle.expectClose(try x.mean(axes: axes), reference(x, axes: axes) { $0.reduce(0, +) / Double($0.count) }, shape: droppedShape)
            Oracle.expectClose(try x.max(axes: axes), reference(x, axes: axes) { $0.max() ?? .nan }, shape: droppedShape)
            Oracle.expectClose(try x.min(axes: axes, keepDims: true), reference(x, axes: axes) { $0.min() ?? .nan }, shape: keptShape)
        }
        Oracle.expectClose(try x.sum(), [x.toArray().reduce(0, +)], shape: [], atol: 1e-4)
        #expect(throws: TensorError.self) { try x.sum(axis: 3) }
        #expect(throws: TensorError.self) { try x.sum(axes: [1, -2]) }
    }

    @Test func varianceAndStandardDeviation() throws {
        func variance(_ v: [Double], correction: Int) -> Double {
            let m = v.reduce(0, +) / Double(v.count)
            return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - correction)
        }
        Oracle.expectClose(try x.variance(axes: [1]), reference(x, axes: [1]) { variance($0, correction: 1) }, shape: [3, 5])
        Oracle.expectClose(try x.variance(axes: [0, 2], correction: 0), reference(x, axes: [0, 2]) { variance($0, correction: 0) }, shape: [4])
        Oracle.expectClose(try x.standardDeviation(axes: [2]), reference(x, axes: [2]) { variance($0, correction: 1).squareRoot() }, shape: [3, 4])
    }

    @Test func argmaxPicksFirstOfTies() throws {
        let t = try Tensor(shape: [2, 4], values: [1, 5, 5, 0, 7, 2, 7, 9])
        #expect(try t.argmaxIndices(axis: 1) == [1, 3])
        #expect(try t.argmaxIndices(axis: 0) == [1, 0, 1, 1])
        #expect(try t.argmaxIndices() == [7])
        let asTensor = try t.argmax(axis: 1, keepDims: true)
        #expect(asTensor.shape == [2, 1])
        #expect(asTensor.toArray() == [1, 3])
        let expected = reference(x, axes: [1]) { v in Double(v.indices.max { v[$0] < v[$1] || (v[$0] == v[$1] && $0 > $1) } ?? -1) }
        #expect(try x.argmaxIndices(axis: 1).map(Float.init) == expected)
    }

    @Test func largeSumsAreAccurate() throws {
        // 200k ones and a reduction over a non-innermost axis: the parallel and permuted paths.
        let ones = Tensor.ones([400, 500])
        #expect(try ones.sum().item() == 200_000)
        #expect(try ones.sum(axis: 0).toArray() == [Float](repeating: 400, count: 500))
    }

    @Test func logSumExpIsStable() throws {
        let t = try Tensor(shape: [2, 3], values: [1000, 1000, 1000, -1, 0, 1])
        let expected: [Float] = [1000 + Foundation.log(3), Float(Foundation.log(Foundation.exp(-1.0) + 1 + Foundation.exp(1.0)))]
        Oracle.expectClose(try t.logSumExp(axes: [1]), expected, shape: [2])
    }

    @Test func reductionGradients() throws {
        let t = Oracle.tensor([3, 4, 2], seed: 2)
        try Oracle.checkGradients([t]) { try $0[0].sum(axes: [0, 2]) }
        try Oracle.checkGradients([t]) { try $0[0].mean(axis: 1, keepDims: true) }
        try Oracle.checkGradients([t]) { try $0[0].max(axis: 1) }
        try Oracle.checkGradients([t]) { try $0[0].min(axes: [0, 1]) }
        try Oracle.checkGradients([t]) { try $0[0].variance(axes: [1]) }
        try Oracle.checkGradients([t]) { try $0[0].logSumExp(axes: [2]) }
    }

    @Test func maxSharesGradientBetweenTies() throws {
        let t = try Tensor(shape: [4], values: [3, 1, 3, 2])
        t.requiresGrad = true
        try t.max().backward()
        #expect(t.grad?.toArray() == [0.5, 0, 0.5, 0])
    }
}
