/// Renames PyTorchVideo (`torch.hub` / `create_x3d`, `create_resnet`, `create_slowfast`) state-dict
/// keys to PySlowFast's (models.md §1.5, §2.4). The three layouts are told apart by their keys, so
/// no architecture is needed: `blocks.0.conv.conv_t` is X3D's stem, `multipathway_blocks` SlowFast.
enum PyTorchVideoKeys {
    /// Whether `keys` look like a PyTorchVideo convolutional `Net` (`blocks.N.res_blocks…`); MViT
    /// checkpoints of either library also use `blocks.N`, so the residual blocks decide.
    static func matches<S: Sequence>(_ keys: S) -> Bool where S.Element == String {
        keys.contains { $0.hasPrefix("blocks.") && $0.contains(".res_blocks.") }
    }

    /// The PySlowFast name of a PyTorchVideo key, or the key itself when it is not one (strict
    /// loading then reports it as unexpected).
    static func pySlowFastName(_ key: String) -> String {
        let parts = key.split(separator: ".").map(String.init)
        guard parts.count >= 3, parts[0] == "blocks", let block = Int(parts[1]) else { return key }
        let rest = Array(parts.dropFirst(2))
        let mapped: [String]?
        switch rest.first {
        case "proj":
            mapped = ["head", "projection"] + rest.dropFirst()
        case "pool":
            mapped = headName(rest)
        case "multipathway_fusion":
            mapped = fusionName(stage: block + 1, rest.dropFirst())
        case "multipathway_blocks":
            guard rest.count >= 3, let pathway = Int(rest[1]) else { return key }
            mapped = block == 0 ? stemName(pathway: pathway, rest.dropFirst(2))
                : resName(stage: block + 1, pathway: pathway, rest.dropFirst(2))
        default:
            mapped = block == 0 ? stemName(pathway: 0, rest[...]) : resName(stage: block + 1, pathway: 0, rest[...])
        }
        return mapped?.joined(separator: ".") ?? key
    }

    private static func stemName(pathway: Int, _ rest: ArraySlice<String>) -> [String]? {
        let prefix = ["s1", "pathway\(pathway)_stem"]
        let names: [String: String] = ["conv.conv_t": "conv_xy", "conv.conv_xy": "conv", "conv": "conv", "norm": "bn"]
        return rename(rest, names).map { prefix + $0 }
    }

    private static func fusionName(stage: Int, _ rest: ArraySlice<String>) -> [String]? {
        rename(rest, ["conv_fast_to_slow": "conv_f2s", "norm": "bn"]).map { ["s\(stage)_fuse"] + $0 }
    }

    private static func headName(_ rest: [String]) -> [String]? {
        rename(rest[...], ["pool.pre_conv": "conv_5", "pool.pre_norm": "conv_5_bn", "pool.post_conv": "lin_5",
                           "pool.post_norm": "lin_5_bn"]).map { ["head"] + $0 }
    }

    private static func resName(stage: Int, pathway: Int, _ rest: ArraySlice<String>) -> [String]? {
        guard rest.count >= 3, rest.first == "res_blocks", let index = Int(rest[rest.startIndex + 1]) else { return nil }
        let names: [String: String] = [
            "branch1_conv": "branch1", "branch1_norm": "branch1_bn",
            "branch2.conv_a": "branch2.a", "branch2.norm_a": "branch2.a_bn",
            "branch2.conv_b": "branch2.b", "branch2.norm_b": "branch2.b_bn", "branch2.norm_b.0": "branch2.b_bn",
            "branch2.norm_b.1.block.0": "branch2.se.fc1", "branch2.norm_b.1.block.2": "branch2.se.fc2",
            "branch2.conv_c": "branch2.c", "branch2.norm_c": "branch2.c_bn",
        ]
        return rename(rest.dropFirst(2), names).map { ["s\(stage)", "pathway\(pathway)_res\(index)"] + $0 }
    }

    /// Renames the longest module path of `rest` found in `names`, keeping the tensor name after it.
    private static func rename(_ rest: ArraySlice<String>, _ names: [String: String]) -> [String]? {
        for length in stride(from: rest.count - 1, through: 1, by: -1) {
            let module = rest.prefix(length).joined(separator: ".")
            if let name = names[module] { return [name] + rest.dropFirst(length) }
        }
        return nil
    }
}
