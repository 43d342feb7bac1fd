import Testing
@testable import CadenceTensor

@Suite struct PoolTests {
    static let shapes: [(kernel: Dims3, stride: Dims3, padding: Dims3)] = [
        (Dims3(1, 3, 3), Dims3(1, 2, 2), Dims3(0, 1, 1)),
        (Dims3(2, 2, 2), Dims3(2, 2, 2), Dims3(0, 0, 0)),
        (Dims3(3, 2, 3), Dims3(1, 1, 2), Dims3(1, 1, 1)),
    ]

    func geometry(_ i: Int, batch: Int = 2, dilation: Dims3 = Dims3(all: 1)) throws -> Pool3dGeometry {
        let s = Self.shapes[i]
        return try Pool3dGeometry(batch: batch, input: Dims3(4, 5, 6), channels: 3, kernel: s.kernel,
                                  stride: s.stride, padding: s.padding, dilation: dilation)
    }

    @Test(arguments: 0..<3)
    func maxPoolMatchesReferenceAndGradientsFlowToTheMaximum(_ i: Int) throws {
        for dilation in [Dims3(all: 1), Dims3(1, 2, 1)] {
            guard let g = try? geometry(i, dilation: dilation) else { continue }
            var rng = SeededRandom(seed: UInt64(i))
            let x = rng.array(g.inputCount), dy = rng.array(g.outputCount)
            var indices = [Int32](repeating: 0, count: g.outputCount)
            let y = makeOutput(g.outputCount) { out in
                indices.withUnsafeMutableBufferPointer {
                    MaxPool3d.forward(g, input: x, output: out, indices: $0.baseAddress!)
                }
            }
            #expect(y == Reference.maxPool(g, x))
            let dx = makeOutput(g.inputCount) { MaxPool3d.backward(g, gradOutput: dy, indices: indices, gradInput: $0) }
            func loss(_ x: [Float]) -> Double {
                var idx = [Int32](repeating: 0, count: g.outputCount)
                return dot(makeOutput(g.outputCount) { out in
                    idx.withUnsafeMutableBufferPointer { MaxPool3d.forward(g, input: x, output: out, indices: $0.baseAddress!) }
                }, dy)
            }
            for p in probeIndices(g.inputCount, probes: 20) {
                #expect(abs(finiteDifference(x, at: p, step: 1e-4, loss: loss) - Double(dx[p])) < 1e-2)
            }
        }
    }

    @Test(arguments: 0..<3)
    func avgPoolMatchesReferenceAndFiniteDifferences(_ i: Int) throws {
        let g = try geometry(i)
        var rng = SeededRandom(seed: UInt64(10 + i))
        let x = rng.array(g.inputCount), dy = rng.array(g.outputCount)
        for includePad in [true, false] {
            let y = try makeOutput(g.outputCount) {
                try AvgPool3d.forward(g, input: x, output: $0, countIncludePad: includePad)
            }
            #expect(maxRelativeError(y, Reference.avgPool(g, x, countIncludePad: includePad)) < 1e-6)
            let dx = try makeOutput(g.inputCount) {
                try AvgPool3d.backward(g, gradOutput: dy, gradInput: $0, countIncludePad: includePad)
            }
            for p in probeIndices(g.inputCount) {
                let fd = finiteDifference(x, at: p) { x in
                    dot(Reference.avgPool(g, x, countIncludePad: includePad), dy)
                }
                #expect(abs(fd - Double(dx[p])) < 1e-3)
            }
        }
    }

    @Test func avgPoolRejectsDilation() throws {
        let g = try geometry(1, dilation: Dims3(2, 1, 1))
        let x = [Float](repeating: 0, count: g.inputCount)
        #expect(throws: KernelError.self) {
            _ = try makeOutput(g.outputCount) { try AvgPool3d.forward(g, input: x, output: $0) }
        }
    }

    @Test func poolRejectsPaddingBeyondHalfTheKernel() {
        #expect(throws: KernelError.self) {
            try Pool3dGeometry(batch: 1, input: Dims3(4, 4, 4), channels: 1, kernel: Dims3(all: 2), padding: Dims3(all: 2))
        }
    }

    @Test(arguments: [Dims3(1, 1, 1), Dims3(2, 2, 3), Dims3(3, 4, 4), Dims3(4, 3, 6)])
    func adaptiveAvgPoolMatchesReferenceAndFiniteDifferences(_ out: Dims3) throws {
        let g = try AdaptiveAvgPool3d.Geometry(batch: 2, input: Dims3(4, 5, 6), channels: 3, output: out)
        var rng = SeededRandom(seed: 21)
        let x = rng.array(g.inputCount), dy = rng.array(g.outputCount)
        let y = makeOutput(g.outputCount) { AdaptiveAvgPool3d.forward(g, input: x, output: $0) }
        #expect(maxRelativeError(y, Reference.adaptiveAvgPool(g, x)) < 1e-6)
        let dx = makeOutput(g.inputCount) { AdaptiveAvgPool3d.backward(g, gradOutput: dy, gradInput: $0) }
        for p in probeIndices(g.inputCount) {
            let fd = finiteDifference(x, at: p) { dot(Reference.adaptiveAvgPool(g, $0), dy) }
            #expect(abs(fd - Double(dx[p])) < 1e-3)
        }
    }
}
