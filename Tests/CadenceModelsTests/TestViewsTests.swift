import CadenceModels
import CadenceTensor
import CadenceVideo
import Foundation
import Testing

@Suite struct TestViewsTests {
    static let clips = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("clips")

    @Test("SlowFast test views: T x S clips packed slow then fast at the test crop, normalised")
    func slowFastViews() throws {
        let views = try TestViews(preset: try ModelPreset.named("slowfast_r50_4x16"), temporal: 1, spatial: 3)
        var shapes: [[[Int]]] = []
        try views.forEachView(of: Self.clips.appendingPathComponent("h264.mp4").path) { shapes.append($0.map(\.shape)) }
        #expect(shapes == Array(repeating: [[1, 4, 256, 256, 3], [1, 32, 256, 256, 3]], count: 3))
        var range: (Float, Float) = (.infinity, -.infinity)
        let small = try TestViews(preset: try ModelPreset.named("x3d_xs"), temporal: 2, spatial: 1)
        try small.forEachView(of: Self.clips.appendingPathComponent("h264.mp4").path) { inputs in
            let values = inputs[0].toArray()
            range = (min(range.0, values.min() ?? 0), max(range.1, values.max() ?? 0))
        }
        // (0/255 - 0.45)/0.225 = -2 and (1 - 0.45)/0.225 ≈ 2.44 bound every normalised pixel.
        #expect(range.0 >= -2.0001 && range.1 <= 2.4445)
        #expect(range.1 > range.0)
    }

    @Test("Views other than 1 or 3 crops are refused")
    func badCrops() throws {
        #expect(throws: ModelError.self) { try TestViews(preset: try ModelPreset.named("x3d_xs"), temporal: 1, spatial: 2) }
    }

    @Test("More temporal views than SamplingLimits.clips are refused")
    func tooManyViews() throws {
        let preset = try ModelPreset.named("x3d_xs")
        _ = try TestViews(preset: preset, temporal: SamplingLimits.clips, spatial: 3)
        #expect(throws: ModelError.self) { try TestViews(preset: preset, temporal: SamplingLimits.clips + 1, spatial: 1) }
    }
}
