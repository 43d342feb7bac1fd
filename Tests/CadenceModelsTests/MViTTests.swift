import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation
import Testing

@Suite struct MViTTests {
    @Test("MViT v1 and v2 fixtures match PySlowFast block by block", arguments: ["mvit_v1_small", "mvitv2_s_small"])
    func parity(name: String) throws {
        let entry = try ModelFixtures.entry(name)
        let config = try ModelFixtures.mvitConfig(entry)
        let derived = try #require(entry.derived?.blocks)
        #expect(config.patchDims == entry.derived?.patch_dims)
        #expect(config.blocks.map {
            ModelFixtures.DerivedBlock(dim: $0.dim, dim_out: $0.dimOut, heads: $0.heads, kernel_q: $0.kernelQ,
                                       stride_q: $0.strideQ, kernel_kv: $0.kernelKV, stride_kv: $0.strideKV,
                                       input_size: $0.inputSize)
        } == derived)
        let model = try MViT(config)
        #expect(model.parameterCount == entry.num_params)
        #expect(model.stateDict().count == entry.num_keys)
        try model.load(try WeightFile.read(ModelFixtures.url(entry.weights)), source: entry.weights)
        model.eval()
        let errors = try ModelFixtures.checkLayers(entry, pathwayOrder: ["pathway0"]) { inputs, observer in
            try Tensor.withNoGrad { try model.forward(inputs, observer: observer) }
        }
        print("\(name) max relative error \(errors.values.max() ?? 0)")
    }

    @Test("Full-size MViT-B 16x4 and MViTv2-S parameter counts match PySlowFast's")
    func parameterCounts() throws {
        #expect(try MViT(.b16x4).parameterCount == 36_610_672)
        #expect(try MViT(.v2s16x4).parameterCount == 34_537_744)
    }
}
