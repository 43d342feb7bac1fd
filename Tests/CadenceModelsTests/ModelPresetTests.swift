import CadenceModels
import CadenceVideo
import Testing

@Suite struct ModelPresetTests {
    /// fvcore's counts on the PySlowFast models (models.md §5); X3D-XS at its train crop, the others
    /// at their test crops.
    @Test("GFLOPs per view match fvcore's counts within 0.5%")
    func gflops() throws {
        let reference: [String: (crop: Int, gflops: Double)] = [
            "x3d_xs": (160, 0.626), "x3d_s": (182, 2.82), "x3d_m": (256, 6.40), "x3d_l": (356, 25.5),
            "slowfast_r50_4x16": (256, 36.3), "slowfast_r50_8x8": (256, 66.1), "slow_r50_8x8": (256, 54.8),
            "mvit_b_16x4": (224, 70.8), "mvitv2_s_16x4": (224, 64.5),
        ]
        for preset in ModelPreset.all {
            let expected = try #require(reference[preset.name])
            let model = try preset.build()
            let ours = try preset.gigaFLOPs(of: model, crop: expected.crop)
            #expect(abs(ours - expected.gflops) / expected.gflops < 0.005, "\(preset.name): \(ours) vs \(expected.gflops)")
        }
    }

    @Test("Presets resolve by name and give PyTorch input shapes per pathway")
    func lookup() throws {
        let slowFast = try ModelPreset.named("SlowFast-R50-8x8")
        #expect(slowFast.packing == .slowFast(alpha: 4))
        #expect(slowFast.pyTorchInputShapes() == [[1, 3, 8, 256, 256], [1, 3, 32, 256, 256]])
        #expect(try ModelPreset.named("x3d_m").pyTorchInputShapes() == [[1, 3, 16, 256, 256]])
        #expect(throws: ModelError.self) { try ModelPreset.named("resnet9000") }
        let mvit = try ModelPreset.named("mvitv2_s_16x4")
        #expect(mvit.testViews == (5, 1) && mvit.offsetSampling)
        #expect(slowFast.testViews == (10, 3) && !slowFast.offsetSampling)
    }
}

@Suite struct KineticsClassNamesTests {
    @Test("The built-in Kinetics-400 names are the 400 classes in alphabetical label order")
    func kinetics400() {
        let names = KineticsClassNames.kinetics400
        #expect(names.count == 400)
        #expect(Set(names).count == 400)
        #expect(names == names.sorted())
        #expect(names.first == "abseiling" && names[1] == "air drumming" && names.last == "zumba")
    }
}
