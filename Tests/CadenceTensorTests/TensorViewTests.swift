import Testing
@testable import CadenceTensor

@Suite struct TensorViewTests {
    let x = Oracle.tensor([2, 3, 4], seed: 1)

    @Test func reshapeOfDenseTensorSharesMemory() throws {
        let y = try x.reshape([6, -1])
        #expect(y.shape == [6, 4])
        #expect(y.storage === x.storage)
        #expect(y.toArray() == x.toArray())
    }

    @Test func reshapeOfTransposedTensorCopiesInLogicalOrder() throws {
        let t = try x.transpose(0, 2)  // [4, 3, 2]
        let y = try t.reshape([4, 6])
        #expect(y.storage !== x.storage)
        for index in Oracle.indices([4, 3, 2]) {
            #expect(Oracle.at(y, [index[0], index[1] * 2 + index[2]]) == Oracle.at(x, [index[2], index[1], index[0]]))
        }
    }

    @Test func reshapeSplittingAStridedDimensionStaysAView() throws {
        let wide = Oracle.tensor([4, 6], seed: 2)
        let cut = try wide.slice(axis: 1, start: 0, end: 4)  // [4, 4] with row stride 6
        let y = try cut.reshape([2, 2, 4])
        #expect(y.storage === wide.storage)
        for index in Oracle.indices([2, 2, 4]) {
            #expect(Oracle.at(y, index) == Oracle.at(wide, [index[0] * 2 + index[1], index[2]]))
        }
    }

    @Test func reshapeRejectsWrongCount() {
        #expect(throws: TensorError.self) { try x.reshape([5, 5]) }
        #expect(throws: TensorError.self) { try x.reshape([-1, -1]) }
    }

    @Test func permuteMatchesIndexMapping() throws {
        let y = try x.permute([2, 0, 1])
        #expect(y.shape == [4, 2, 3])
        #expect(y.storage === x.storage)
        for index in Oracle.indices(y.shape) {
            #expect(Oracle.at(y, index) == Oracle.at(x, [index[1], index[2], index[0]]))
        }
        #expect(y.contiguous().toArray() == Oracle.indices(y.shape).map { Oracle.at(y, $0) })
        #expect(throws: TensorError.self) { try x.permute([0, 0, 1]) }
    }

    @Test func contiguousCopyOfChannelMovingPermute() throws {
        // Moving the innermost dimension outward takes the tiled copy path.
        let t = Oracle.tensor([3, 20, 17], seed: 10)
        let y = try t.permute([2, 0, 1]).contiguous()
        #expect(y.isContiguous)
        #expect(y.toArray() == Oracle.indices([17, 3, 20]).map { Oracle.at(t, [$0[1], $0[2], $0[0]]) })
        let z = try t.slice(axis: 1, start: 1, step: 2).transpose(1, 2).contiguous()
        #expect(z.toArray() == Oracle.indices([3, 17, 10]).map { Oracle.at(t, [$0[0], 1 + 2 * $0[2], $0[1]]) })
    }

    @Test func sliceWithStepAndNegativeStart() throws {
        let y = try x.slice(axis: 2, start: -3, step: 2)  // columns 1, 3
        #expect(y.shape == [2, 3, 2])
        for index in Oracle.indices(y.shape) {
            #expect(Oracle.at(y, index) == Oracle.at(x, [index[0], index[1], 1 + 2 * index[2]]))
        }
        #expect(try x.narrow(axis: 1, start: 1, length: 2).shape == [2, 2, 4])
        #expect(throws: TensorError.self) { try x.narrow(axis: 1, start: 2, length: 2) }
    }

    @Test func expandRepeatsWithoutCopy() throws {
        let column = Oracle.tensor([3, 1], seed: 3)
        let y = try column.expand([2, 3, 4])
        #expect(y.storage === column.storage)
        for index in Oracle.indices(y.shape) {
            #expect(Oracle.at(y, index) == Oracle.at(column, [index[1], 0]))
        }
        #expect(throws: TensorError.self) { try column.expand([2, 4]) }
    }

    @Test func squeezeUnsqueezeFlatten() throws {
        #expect(try x.unsqueeze(1).shape == [2, 1, 3, 4])
        #expect(try x.unsqueeze(-1).shape == [2, 3, 4, 1])
        #expect(try x.unsqueeze(1).squeeze(1).shape == [2, 3, 4])
        #expect(try x.flatten(from: 1).shape == [2, 12])
        #expect(throws: TensorError.self) { try x.squeeze(0) }
    }

    @Test func indexSelectGathersWithRepeats() throws {
        let y = try x.indexSelect(axis: 1, indices: [2, 0, 2])
        #expect(y.shape == [2, 3, 4])
        for index in Oracle.indices(y.shape) {
            #expect(Oracle.at(y, index) == Oracle.at(x, [index[0], [2, 0, 2][index[1]], index[2]]))
        }
        #expect(throws: TensorError.self) { try x.indexSelect(axis: 1, indices: [3]) }
    }

    @Test func concatSplitChunkRoundTrip() throws {
        let a = Oracle.tensor([2, 1, 4], seed: 4), b = Oracle.tensor([2, 2, 4], seed: 5)
        let joined = try Tensor.concat([a, b], axis: 1)
        #expect(joined.shape == [2, 3, 4])
        for index in Oracle.indices(joined.shape) {
            let expected = index[1] < 1 ? Oracle.at(a, index) : Oracle.at(b, [index[0], index[1] - 1, index[2]])
            #expect(Oracle.at(joined, index) == expected)
        }
        let parts = try joined.split(sizes: [1, 2], axis: 1)
        #expect(parts[0].toArray() == a.toArray())
        #expect(parts[1].toArray() == b.toArray())
        #expect(try x.chunk(3, axis: 2).map(\.shape) == [[2, 3, 2], [2, 3, 2]])
        #expect(try x.chunk(2, axis: 1).map(\.shape) == [[2, 2, 4], [2, 1, 4]])
        #expect(throws: TensorError.self) { try Tensor.concat([a, Oracle.tensor([3, 1, 4], seed: 6)], axis: 1) }
        let stacked = try Tensor.stack([a, a], axis: 0)
        #expect(stacked.shape == [2, 2, 1, 4])
    }

    @Test func viewGradients() throws {
        let a = Oracle.tensor([2, 3, 4], seed: 7)
        try Oracle.checkGradients([a]) { try $0[0].reshape([4, 6]).transpose(0, 1) }
        try Oracle.checkGradients([a]) { try $0[0].permute([1, 2, 0]).contiguous() }
        try Oracle.checkGradients([a]) { try $0[0].slice(axis: 2, start: 1, step: 2).slice(axis: 1, start: 1) }
        try Oracle.checkGradients([Oracle.tensor([3, 1], seed: 8)]) { try $0[0].expand([2, 3, 5]) }
        try Oracle.checkGradients([a]) { try $0[0].indexSelect(axis: 2, indices: [3, 0, 3, 3]) }
        try Oracle.checkGradients([a, Oracle.tensor([2, 3, 1], seed: 9)]) { try Tensor.concat([$0[0], $0[1], $0[0]], axis: 2) }
        try Oracle.checkGradients([a]) { try $0[0].chunk(2, axis: 2)[1].clone() }
    }
}

@Suite struct InPlaceTests {
    @Test func updatesWriteThroughViews() throws {
        let t = Tensor.zeros([2, 3])
        try t.slice(axis: 1, start: 1).assign(Tensor.ones([2, 2]))
        #expect(t.toArray() == [0, 1, 1, 0, 1, 1])
        try t.addInPlace(try Tensor(shape: [3], values: [1, 2, 3]), scale: 2)
        #expect(t.toArray() == [2, 5, 7, 2, 5, 7])
        try t.transpose(0, 1).scaleInPlace(0.5)
        #expect(t.toArray() == [1, 2.5, 3.5, 1, 2.5, 3.5])
        try t.narrow(axis: 0, start: 1, length: 1).fill(-1)
        #expect(t.toArray() == [1, 2.5, 3.5, -1, -1, -1])
    }

    @Test func broadcastViewsAndMismatchedShapesAreRefused() throws {
        let row = Tensor.zeros([1, 3])
        #expect(throws: TensorError.self) { try row.expand([2, 3]).fill(1) }
        #expect(throws: TensorError.self) { try row.addInPlace(Tensor.ones([2, 3])) }
        #expect(row.toArray() == [0, 0, 0])
    }
}
