import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation
import Testing

@Suite struct CheckpointTests {
    @Test("A PyTorchVideo X3D checkpoint loads under PySlowFast names and reproduces PyTorchVideo's output")
    func pyTorchVideoX3D() throws {
        let entry = try ModelFixtures.entry("x3d_ptv_tiny")
        let weights = try ModelCheckpoint.read(ModelFixtures.url(entry.weights))
        #expect(weights.keys.contains("s1.pathway0_stem.conv_xy.weight"))
        #expect(weights.keys.contains("s2.pathway0_res0.branch2.se.fc1.bias"))
        #expect(weights.keys.contains("head.lin_5.weight"))
        #expect(ModelCheckpoint.classes(in: weights) == 10)
        let model = try X3D(try ModelFixtures.x3dConfig(entry))
        try ModelCheckpoint.load(weights, into: model, source: entry.weights)
        model.eval()
        let input = try ModelFixtures.channelsLast(try #require(entry.inputs.first).file)
        let output = try Tensor.withNoGrad { try model.forward([input]) }
        let layer = try #require(entry.layers.first { $0.layer == "output" })
        let error = ModelFixtures.relativeError(output, try ModelFixtures.expected(layer))
        #expect(error <= layer.tolerance)
        print("x3d_ptv_tiny max relative error \(error)")
    }

    @Test("PyTorchVideo SlowFast and Slow names map to PySlowFast's")
    func pyTorchVideoResNetNames() throws {
        let config = try ModelFixtures.resNetConfig(try ModelFixtures.entry("slowfast_8x8_small"))
        let model = try ResNet(config)
        // Write the model's own weights under PyTorchVideo names and read them back.
        var renamed: [String: ArrayData] = [:]
        for (key, array) in model.stateDict() { renamed[Self.pyTorchVideoName(slowFast: key)] = array }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-ptv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("slowfast.safetensors")
        try SafetensorsFile.write(renamed, to: url)
        let weights = try ModelCheckpoint.read(url)
        #expect(Set(weights.keys) == Set(model.stateDict().keys))
        try ModelCheckpoint.load(weights, into: try ResNet(config), source: url.path)
    }

    /// PyTorchVideo's `create_slowfast` name of a PySlowFast key (models.md §2.4), written out
    /// independently of the library's mapping.
    static func pyTorchVideoName(slowFast key: String) -> String {
        var parts = key.split(separator: ".").map(String.init)
        let renames = ["a": "conv_a", "a_bn": "norm_a", "b": "conv_b", "b_bn": "norm_b", "c": "conv_c", "c_bn": "norm_c",
                       "branch1": "branch1_conv", "branch1_bn": "branch1_norm"]
        if parts[0] == "head" { return (["blocks", "6", "proj"] + parts.dropFirst(2)).joined(separator: ".") }
        if parts[0].hasSuffix("_fuse"), let stage = Int(parts[0].dropFirst().prefix(1)) {
            let module = parts[1] == "conv_f2s" ? "conv_fast_to_slow" : "norm"
            return (["blocks", "\(stage - 1)", "multipathway_fusion", module] + parts.dropFirst(2)).joined(separator: ".")
        }
        let stage = Int(parts[0].dropFirst()) ?? 0
        let pathway = parts[1].dropFirst("pathway".count).prefix(1)
        if stage == 1 {
            let module = parts[2] == "bn" ? "norm" : "conv"
            return (["blocks", "0", "multipathway_blocks", String(pathway), module] + parts.dropFirst(3))
                .joined(separator: ".")
        }
        let index = parts[1].components(separatedBy: "_res")[1]
        parts = Array(parts.dropFirst(2))
        if parts[0] == "branch2" { parts[1] = renames[parts[1]] ?? parts[1] } else { parts[0] = renames[parts[0]] ?? parts[0] }
        return (["blocks", "\(stage - 1)", "multipathway_blocks", String(pathway), "res_blocks", index] + parts)
            .joined(separator: ".")
    }

    @Test("The classifier can be replaced for a different class count")
    func replaceClassifier() throws {
        let entry = try ModelFixtures.entry("x3d_l_small")
        let model = try X3D(try ModelFixtures.x3dConfig(entry))
        try model.load(try WeightFile.read(ModelFixtures.url(entry.weights)))
        var generator = TensorRandom(seed: 1)
        model.replaceClassifier(classes: 3, generator: &generator)
        #expect(model.stateDict()["head.projection.weight"]?.shape == [3, 64])
        model.eval()
        let input = try ModelFixtures.channelsLast(try #require(entry.inputs.first).file)
        let output = try Tensor.withNoGrad { try model.forward([input]) }
        #expect(output.shape == [1, 3])
        let sum = output.toArray().reduce(0, +)
        #expect(abs(sum - 1) < 1e-5)
    }

    @Test("PySlowFast MViT checkpoints keep their names; PyTorchVideo MViT names and split q/k/v are converted")
    func mvitNames() throws {
        let entry = try ModelFixtures.entry("mvitv2_s_small")
        let url = ModelFixtures.url(entry.weights)
        let original = try WeightFile.read(url)
        #expect(try ModelCheckpoint.read(url) == original)

        var ptv: [String: ArrayData] = [:]
        for (key, array) in original {
            var name = key
            for (old, new) in [("patch_embed.proj.", "patch_embed.patch_model."), ("norm.", "norm_embed."),
                               ("head.projection.", "head.proj.")] where name.hasPrefix(old) {
                name = new + name.dropFirst(old.count)
            }
            if ["cls_token", "pos_embed_spatial", "pos_embed_temporal", "pos_embed_class"].contains(name) {
                name = "cls_positional_encoding." + name
            }
            if name.contains(".attn.qkv.") {
                let rows = array.shape[0] / 3, width = array.count / array.shape[0]
                let values = array.floats()
                for (i, part) in ["q", "k", "v"].enumerated() {
                    let slice = Array(values[(i * rows * width)..<((i + 1) * rows * width)])
                    ptv[name.replacingOccurrences(of: ".qkv.", with: ".\(part).")] =
                        ArrayData(shape: [rows] + array.shape.dropFirst(), floats: slice)
                }
                continue
            }
            if name.contains(".attn.pool_k.") {
                ptv[name.replacingOccurrences(of: ".pool_k.", with: "._attention_pool_k.pool.")] = array
            }
            ptv[name] = array
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-ptv-mvit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("mvit.safetensors")
        try SafetensorsFile.write(ptv, to: file)
        let converted = try ModelCheckpoint.read(file)
        #expect(Set(converted.keys) == Set(original.keys))
        for (key, array) in original where array.type == .float32 {
            #expect(converted[key]?.floats() == array.floats(), "\(key)")
        }
    }
}
