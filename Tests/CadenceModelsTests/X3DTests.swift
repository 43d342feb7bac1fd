import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation
import Testing

@Suite struct X3DTests {
    @Test("X3D fixtures match PySlowFast layer by layer, eager and folded", arguments: ["x3d_xs", "x3d_l_small"])
    func parity(name: String) throws {
        let entry = try ModelFixtures.entry(name)
        let model = try X3D(try ModelFixtures.x3dConfig(entry))
        #expect(model.parameterCount == entry.num_params)
        #expect(model.stateDict().count == entry.num_keys)
        try model.load(try WeightFile.read(ModelFixtures.url(entry.weights)), source: entry.weights)
        model.eval()
        let eager = try ModelFixtures.checkLayers(entry, pathwayOrder: ["pathway0"]) { inputs, observer in
            try Tensor.withNoGrad { try model.forward(inputs, observer: observer) }
        }
        let folded = try model.folded()
        let fused = try ModelFixtures.checkLayers(entry, pathwayOrder: ["pathway0"]) { inputs, observer in
            try folded.forward(inputs, observer: observer)
        }
        print("\(name) max relative error: eager \(eager.values.max() ?? 0), folded \(fused.values.max() ?? 0)")
    }

    @Test("Full-size X3D parameter counts match PySlowFast's")
    func parameterCounts() throws {
        for config in [X3DConfig.xs, .s, .m] {
            #expect(try X3D(config).parameterCount == 3_794_322)
        }
        let large = try X3D(.l)
        #expect(large.parameterCount == 6_153_432)
        #expect(large.config.stages.map(\.blocks) == [5, 10, 25, 15])
    }

    @Test("X3D-XS widths follow PySlowFast's rounding")
    func widths() {
        let stages = X3DConfig.xs.stages
        #expect(X3DConfig.xs.stemWidth == 24)
        #expect(stages.map(\.outputChannels) == [24, 48, 96, 192])
        #expect(stages.map(\.innerChannels) == [54, 108, 216, 432])
        #expect(stages.map(\.squeezeChannels) == [8, 8, 16, 32])
        #expect(stages.map(\.blocks) == [3, 5, 11, 7])
    }
}
