import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation
import Testing

@Suite struct ResNetTests {
    @Test("Slow and SlowFast fixtures match PySlowFast layer by layer, eager and folded",
          arguments: ["slowfast_8x8_small", "slowfast_4x16_small", "slow_8x8_small"])
    func parity(name: String) throws {
        let entry = try ModelFixtures.entry(name)
        let config = try ModelFixtures.resNetConfig(entry)
        let model = try ResNet(config)
        #expect(model.parameterCount == entry.num_params)
        #expect(model.stateDict().count == entry.num_keys)
        try model.load(try WeightFile.read(ModelFixtures.url(entry.weights)), source: entry.weights)
        model.eval()
        let order = config.alpha == nil ? ["pathway0"] : ["slow", "fast"]
        let eager = try ModelFixtures.checkLayers(entry, pathwayOrder: order) { inputs, observer in
            try Tensor.withNoGrad { try model.forward(inputs, observer: observer) }
        }
        let folded = try model.folded()
        let fused = try ModelFixtures.checkLayers(entry, pathwayOrder: order) { inputs, observer in
            try folded.forward(inputs, observer: observer)
        }
        print("\(name) max relative error: eager \(eager.values.max() ?? 0), folded \(fused.values.max() ?? 0)")
    }

    @Test("Full-size SlowFast R50 and Slow R50 parameter counts match PySlowFast's")
    func parameterCounts() throws {
        #expect(try ResNet(.slowFast8x8).parameterCount == 34_566_488)
        #expect(try ResNet(.slowFast4x16).parameterCount == 34_480_216)
        #expect(try ResNet(.slow8x8).parameterCount == 32_454_096)
    }
}
