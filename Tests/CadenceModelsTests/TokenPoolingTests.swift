import CadenceModels
import CadenceTensor
import Testing

@Suite struct TokenPoolingTests {
    /// Deterministic, distinct values so that a wrong window or frame shows up as a mismatch.
    static func maps(t: Int, h: Int, w: Int, c: Int) throws -> ([Float], Tensor) {
        var values = [Float](repeating: 0, count: t * h * w * c)
        var state: UInt32 = 12345
        for i in values.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            values[i] = Float(state >> 8) / Float(1 << 24) - 0.5
        }
        return (values, try Tensor(shape: [t, h, w, c], values: values))
    }

    /// SF-LLaVA's pooling written the way its code does it: slow tokens max- (or avg-) pooled in adjacent
    /// pairs along the flattened row-major token axis of frames floor(linspace(0, T, 11))[:-1]; fast tokens
    /// adaptively pooled to 4x4 over every frame.
    static func reference(_ x: [Float], t: Int, h: Int, w: Int, c: Int, slowMode: TokenPoolingMode,
                          fastMode: TokenPoolingMode) -> [Float] {
        func at(_ f: Int, _ n: Int, _ k: Int) -> Float { x[(f * h * w + n) * c + k] }
        var out: [Float] = []
        var slow: [Int] = []
        for i in 0..<10 { slow.append(Int((Double(i) * Double(t) / 10).rounded(.down))) }
        for f in slow {
            for pair in 0..<(h * w / 2) {
                for k in 0..<c {
                    let a = at(f, 2 * pair, k), b = at(f, 2 * pair + 1, k)
                    out.append(slowMode == .max ? max(a, b) : (a + b) / 2)
                }
            }
        }
        for f in 0..<t {
            for gi in 0..<4 {
                for gj in 0..<4 {
                    let r0 = Int((Double(gi * h) / 4).rounded(.down)), r1 = Int((Double((gi + 1) * h) / 4).rounded(.up))
                    let c0 = Int((Double(gj * w) / 4).rounded(.down)), c1 = Int((Double((gj + 1) * w) / 4).rounded(.up))
                    for k in 0..<c {
                        var acc: Float = fastMode == .max ? -.infinity : 0
                        for r in r0..<r1 {
                            for col in c0..<c1 {
                                let v = at(f, r * w + col, k)
                                acc = fastMode == .max ? max(acc, v) : acc + v
                            }
                        }
                        out.append(fastMode == .max ? acc : acc / Float((r1 - r0) * (c1 - c0)))
                    }
                }
            }
        }
        return out
    }

    @Test("SF-LLaVA settings on 50 frames of 24x24 maps: 3,680 tokens equal to an independent reference",
          arguments: [TokenPoolingMode.max, .avg])
    func sfLLaVA(mode: TokenPoolingMode) throws {
        let (t, h, w, c) = (50, 24, 24, 3)
        let (values, features) = try Self.maps(t: t, h: h, w: w, c: c)
        let pooling = SlowFastTokenPooling(slowMode: mode, fastMode: mode)
        let result = try pooling.pool(features)
        #expect(result.tokens.shape == [3680, c])
        #expect(result.slowCount == 10 * 24 * 12)
        let expected = Self.reference(values, t: t, h: h, w: w, c: c, slowMode: mode, fastMode: mode)
        let got = result.tokens.toArray()
        #expect(got.count == expected.count)
        let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-6)
        // Indices: slow frames 0, 5, ..., 45 on the 24x12 grid, then every frame on the 4x4 grid.
        #expect(result.indices[0] == [0, 0, 0])
        #expect(result.indices[287] == [0, 23, 11])
        #expect(result.indices[288] == [5, 0, 0])
        #expect(result.indices[2879] == [45, 23, 11])
        #expect(result.indices[2880] == [0, 0, 0])
        #expect(result.indices[3679] == [49, 3, 3])
        #expect(Set(result.indices[..<2880].map { $0[0] }) == Set(stride(from: 0, to: 50, by: 5)))
    }

    @Test("Frame choice follows floor(linspace(0, T, N + 1))[:-1]")
    func frameChoice() {
        #expect(SlowFastTokenPooling.framesChosen(count: 10, from: 50) == [0, 5, 10, 15, 20, 25, 30, 35, 40, 45])
        #expect(SlowFastTokenPooling.framesChosen(count: 3, from: 7) == [0, 2, 4])
        #expect(SlowFastTokenPooling.framesChosen(count: 4, from: 3) == [0, 1, 2])
        #expect(SlowFastTokenPooling().description == "slowfast slow=10 pool=1x2 max fast=all grid=4x4 avg")
    }

    @Test("Fewer fast frames and non-divisible grids: adaptive bins, counts and bad settings refused")
    func otherSettings() throws {
        let (_, features) = try Self.maps(t: 7, h: 5, w: 6, c: 2)
        let pooling = SlowFastTokenPooling(slowFrames: 2, slowPool: (2, 2), fastFrames: 3, fastGrid: (2, 4))
        let result = try pooling.pool(features)
        #expect(result.tokens.shape == [2 * 2 * 3 + 3 * 2 * 4, 2])
        #expect(result.indices.map { $0[0] } == [Int](repeating: 0, count: 6) + [Int](repeating: 3, count: 6)
            + [Int](repeating: 0, count: 8) + [Int](repeating: 2, count: 8) + [Int](repeating: 4, count: 8))
        #expect(throws: ModelError.self) { try SlowFastTokenPooling(fastGrid: (8, 8)).pool(features) }
        #expect(throws: ModelError.self) { try SlowFastTokenPooling().pool(Tensor.zeros([4, 4, 4])) }
    }
}
