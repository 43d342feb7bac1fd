import CadenceTensor
import Foundation
import Testing
@testable import CadenceNN

/// The attention module against a plain loop implementation of the same definition.
@Suite struct PooledMultiHeadAttentionTests {
    /// Keeps every other token of `[B, heads, N, d]` (a stand-in for a strided conv pool).
    private static func everyOther(_ tokens: Tensor, _ thw: Dims3) throws -> (Tensor, Dims3) {
        (try tokens.slice(axis: 2, start: 0, step: 2), Dims3(thw.t, thw.h, (thw.w + 1) / 2))
    }

    private func plainAttention(
        _ x: [Float], tokens n: Int, dim: Int, heads: Int, qkv: Linear, proj: Linear, poolQ: Bool, residual: Bool
    ) -> [Float] {
        let w = qkv.weight.toArray(), b = qkv.bias?.toArray() ?? []
        let out3 = 3 * dim, hd = dim / heads
        var projected = [Float](repeating: 0, count: n * out3)
        for t in 0..<n { for o in 0..<out3 {
            var s = b[o]
            for i in 0..<dim { s += x[t * dim + i] * w[o * dim + i] }
            projected[t * out3 + o] = s
        } }
        func value(_ which: Int, _ head: Int, _ token: Int, _ j: Int) -> Float {
            projected[token * out3 + which * dim + head * hd + j]
        }
        let queries = poolQ ? Array(stride(from: 0, to: n, by: 2)) : Array(0..<n)
        var merged = [Float](repeating: 0, count: queries.count * dim)
        for h in 0..<heads {
            for (qi, q) in queries.enumerated() {
                var scores = (0..<n).map { k -> Float in
                    var s: Float = 0
                    for j in 0..<hd { s += value(0, h, q, j) * value(1, h, k, j) }
                    return s / Float(hd).squareRoot()
                }
                let top = scores.max() ?? 0
                scores = scores.map { Foundation.exp($0 - top) }
                let total = scores.reduce(0, +)
                for j in 0..<hd {
                    var s: Float = 0
                    for k in 0..<n { s += scores[k] / total * value(2, h, k, j) }
                    if residual { s += value(0, h, q, j) }
                    merged[qi * dim + h * hd + j] = s
                }
            }
        }
        let pw = proj.weight.toArray(), pb = proj.bias?.toArray() ?? []
        var y = [Float](repeating: 0, count: queries.count * dim)
        for t in 0..<queries.count { for o in 0..<dim {
            var s = pb[o]
            for i in 0..<dim { s += merged[t * dim + i] * pw[o * dim + i] }
            y[t * dim + o] = s
        } }
        return y
    }

    @Test(arguments: [(false, false), (true, false), (true, true)])
    func matchesPlainAttention(_ poolQ: Bool, _ residual: Bool) throws {
        var generator = TensorRandom(seed: 7)
        let attention = try PooledMultiHeadAttention(dim: 4, heads: 2, residualPooling: residual, generator: &generator)
        if poolQ { attention.poolQ = Self.everyOther }
        let x = Tensor.randomNormal([1, 6, 4], using: &generator)
        let (y, thw) = try attention.forward(x, thw: Dims3(1, 2, 3))
        let expected = plainAttention(x.toArray(), tokens: 6, dim: 4, heads: 2, qkv: attention.qkv,
                                      proj: attention.proj, poolQ: poolQ, residual: residual)
        #expect(y.shape == [1, poolQ ? 3 : 6, 4])
        #expect(thw == (poolQ ? Dims3(1, 2, 2) : Dims3(1, 2, 3)))
        let values = y.toArray()
        #expect(zip(values, expected).allSatisfy { Swift.abs($0 - $1) < 1e-4 }, "\(values) vs \(expected)")
        #expect(attention.namedParameters().map(\.name) == ["qkv.weight", "qkv.bias", "proj.weight", "proj.bias"])
    }

    @Test func gradientsReachTheProjections() throws {
        var generator = TensorRandom(seed: 8)
        let attention = try PooledMultiHeadAttention(dim: 4, heads: 2, generator: &generator)
        let x = Tensor.randomNormal([2, 3, 4], using: &generator)
        try attention(x).sum().backward()
        #expect(attention.parameters().allSatisfy { $0.grad != nil })
        #expect(throws: NNError.self) { try PooledMultiHeadAttention(dim: 4, heads: 3, generator: &generator) }
    }
}
