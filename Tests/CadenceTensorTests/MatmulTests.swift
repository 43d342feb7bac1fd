import Testing
@testable import CadenceTensor

@Suite struct MatmulTests {
    /// Reference product of the last two dimensions with broadcast batch dimensions.
    func reference(_ a: Tensor, _ b: Tensor) throws -> (shape: [Int], values: [Float]) {
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batch = try Shape.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), "test")
        let shape = batch + [m, n]
        let values = Oracle.indices(shape).map { index -> Float in
            let batchIndex = Array(index.dropLast(2))
            let ai = Oracle.broadcastIndex(batchIndex, to: Array(a.shape.dropLast(2)))
            let bi = Oracle.broadcastIndex(batchIndex, to: Array(b.shape.dropLast(2)))
            var total = 0.0
            for p in 0..<k {
                total += Double(Oracle.at(a, ai + [index[index.count - 2], p])) * Double(Oracle.at(b, bi + [p, index[index.count - 1]]))
            }
            return Float(total)
        }
        return (shape, values)
    }

    @Test func batchedWithBroadcastBatchDimensions() throws {
        let a = Oracle.tensor([2, 1, 3, 4], seed: 1), b = Oracle.tensor([3, 4, 5], seed: 2)
        let expected = try reference(a, b)
        Oracle.expectClose(try a.matmul(b), expected.values, shape: [2, 3, 3, 5])
    }

    @Test func transposedAndStridedOperands() throws {
        let a = try Oracle.tensor([2, 4, 3], seed: 3).transpose(1, 2)       // column-major view
        let b = try Oracle.tensor([2, 4, 10], seed: 4).slice(axis: 2, start: 1, step: 2)  // [2, 4, 5], column stride 2
        let expected = try reference(a, b)
        Oracle.expectClose(try a.matmul(b), expected.values, shape: [2, 3, 5])
        let expandedBatch = try Oracle.tensor([1, 3, 4], seed: 5).expand([6, 3, 4])
        Oracle.expectClose(try expandedBatch.matmul(b.slice(axis: 0, end: 1)), try reference(expandedBatch, b.slice(axis: 0, end: 1)).values, shape: [6, 3, 5])
    }

    /// One product with many rows is split into row blocks across the pool's workers, for plain and
    /// transposed (column-major) left operands.
    @Test func rowBlocksOfOneLargeProduct() throws {
        let plain = Oracle.tensor([1, 300, 7], seed: 6), b = Oracle.tensor([7, 5], seed: 7)
        Oracle.expectClose(try plain.matmul(b), try reference(plain, b).values, shape: [1, 300, 5])
        let transposed = try Oracle.tensor([1, 7, 300], seed: 8).transpose(1, 2)
        Oracle.expectClose(try transposed.matmul(b), try reference(transposed, b).values, shape: [1, 300, 5])
        // One row and many columns splits the columns, for plain and transposed right operands.
        let row = Oracle.tensor([1, 6], seed: 9)
        let wide = Oracle.tensor([6, 300], seed: 10), wideT = try Oracle.tensor([300, 6], seed: 11).transpose(0, 1)
        Oracle.expectClose(try row.matmul(wide), try reference(row, wide).values, shape: [1, 300])
        Oracle.expectClose(try row.matmul(wideT), try reference(row, wideT).values, shape: [1, 300])
    }

    @Test func vectorOperands() throws {
        let m = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), v = try Tensor(shape: [3], values: [1, 0, -1])
        #expect(try m.matmul(v).toArray() == [-2, -2])
        #expect(try m.matmul(v).shape == [2])
        #expect(try Tensor(shape: [2], values: [1, 1]).matmul(m).toArray() == [5, 7, 9])
        #expect(try v.matmul(v).shape == [])
        #expect(throws: TensorError.self) { try m.matmul(m) }
    }

    @Test func gradientsReachBothOperandsAndBroadcastBatches() throws {
        try Oracle.checkGradients([Oracle.tensor([2, 3, 4], seed: 6), Oracle.tensor([4, 2], seed: 7)]) { try $0[0].matmul($0[1]) }
        try Oracle.checkGradients([Oracle.tensor([3, 4], seed: 8), Oracle.tensor([2, 5, 3], seed: 9)]) {
            try $0[0].transpose(0, 1).matmul($0[1].transpose(1, 2))
        }
        try Oracle.checkGradients([Oracle.tensor([4], seed: 10), Oracle.tensor([4, 3], seed: 11)]) { try $0[0].matmul($0[1]) }
    }
}
