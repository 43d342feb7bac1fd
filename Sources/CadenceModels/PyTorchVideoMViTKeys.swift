import CadenceNN

/// Converts a PyTorchVideo MViT state dict (`create_multiscale_vision_transformers`) to PySlowFast's
/// names (models.md §3.6): `patch_embed.patch_model` → `patch_embed.proj`,
/// `cls_positional_encoding.*` → top-level embeddings, `norm_embed` → `norm`, `head.proj` →
/// `head.projection`, separate `attn.q/k/v` stacked into `attn.qkv`, and the `_attention_pool_*`
/// aliases of the pooling layers dropped.
enum PyTorchVideoMViTKeys {
    static func matches<S: Sequence>(_ keys: S) -> Bool where S.Element == String {
        keys.contains { $0.hasPrefix("cls_positional_encoding.") || $0.hasPrefix("patch_embed.patch_model.") }
    }

    static func convert(_ weights: [String: ArrayData], source: String) throws -> [String: ArrayData] {
        var result: [String: ArrayData] = [:]
        var separate: [String: [String: ArrayData]] = [:]
        for (key, array) in weights where !key.contains("._attention_pool_") {
            var name = key
            for (old, new) in [("patch_embed.patch_model.", "patch_embed.proj."), ("cls_positional_encoding.", ""),
                               ("norm_embed.", "norm."), ("head.proj.", "head.projection.")] where name.hasPrefix(old) {
                name = new + name.dropFirst(old.count)
            }
            // `blocks.3.attn.q.weight`: collect q, k, v to stack them.
            let parts = name.split(separator: ".").map(String.init)
            if parts.count == 5, parts[0] == "blocks", parts[2] == "attn", ["q", "k", "v"].contains(parts[3]) {
                separate["blocks.\(parts[1]).attn.qkv.\(parts[4])", default: [:]][parts[3]] = array
                continue
            }
            result[name] = array
        }
        for (name, parts) in separate {
            guard let q = parts["q"], let k = parts["k"], let v = parts["v"], q.shape == k.shape, k.shape == v.shape,
                  let rows = q.shape.first else {
                throw WeightFileError.malformed(path: source, reason: "\(name): attention q, k and v are incomplete or differ in shape")
            }
            result[name] = ArrayData(shape: [3 * rows] + q.shape.dropFirst(), floats: q.floats() + k.floats() + v.floats())
        }
        return result
    }
}
