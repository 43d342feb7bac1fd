import Testing
@testable import CadenceTensor

@Suite struct InterpolationTests {
    /// Source taps of output position `j` when resizing `input` samples to `output`, per PyTorch.
    func taps(_ j: Int, input: Int, output: Int, alignCorners: Bool) -> [(Int, Double)] {
        let source: Double
        if alignCorners {
            source = output > 1 ? Double(j) * Double(input - 1) / Double(output - 1) : 0
        } else {
            source = Swift.max((Double(j) + 0.5) * Double(input) / Double(output) - 0.5, 0)
        }
        let i0 = Swift.min(Int(source.rounded(.down)), input - 1)
        let lambda = source - Double(i0)
        return [(i0, 1 - lambda), (Swift.min(i0 + 1, input - 1), lambda)]
    }

    @Test func linearMatchesReference() throws {
        let x = Oracle.tensor([2, 5, 3], seed: 1)
        for alignCorners in [false, true] {
            for size in [1, 3, 5, 9] {
                let expected = Oracle.indices([2, size, 3]).map { index -> Float in
                    Float(taps(index[1], input: 5, output: size, alignCorners: alignCorners).reduce(0.0) {
                        $0 + $1.1 * Double(Oracle.at(x, [index[0], $1.0, index[2]]))
                    })
                }
                Oracle.expectClose(try x.interpolateLinear(axis: 1, size: size, alignCorners: alignCorners), expected, shape: [2, size, 3])
            }
        }
        #expect(throws: TensorError.self) { try x.interpolateLinear(axis: 1, size: 0, alignCorners: false) }
    }

    @Test func trilinearMatchesEightTapReference() throws {
        let x = Oracle.tensor([1, 2, 3, 4, 2], seed: 2)  // channels-last N, T, H, W, C
        for alignCorners in [false, true] {
            let size = [5, 2, 7]
            let y = try x.interpolateTrilinear(size: size, axes: [1, 2, 3], alignCorners: alignCorners)
            let expected = Oracle.indices([1] + size + [2]).map { index -> Float in
                var total = 0.0
                for (t, wt) in taps(index[1], input: 2, output: 5, alignCorners: alignCorners) {
                    for (h, wh) in taps(index[2], input: 3, output: 2, alignCorners: alignCorners) {
                        for (w, ww) in taps(index[3], input: 4, output: 7, alignCorners: alignCorners) {
                            total += wt * wh * ww * Double(Oracle.at(x, [0, t, h, w, index[4]]))
                        }
                    }
                }
                return Float(total)
            }
            Oracle.expectClose(y, expected, shape: [1, 5, 2, 7, 2])
        }
    }

    @Test func gradients() throws {
        for alignCorners in [false, true] {
            try Oracle.checkGradients([Oracle.tensor([2, 4, 3], seed: 3)]) {
                try $0[0].interpolateLinear(axis: 1, size: 7, alignCorners: alignCorners)
            }
            try Oracle.checkGradients([Oracle.tensor([1, 2, 3, 2, 2], seed: 4)]) {
                try $0[0].interpolateTrilinear(size: [3, 2, 4], alignCorners: alignCorners)
            }
        }
    }
}
