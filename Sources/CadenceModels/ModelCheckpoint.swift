import CadenceNN
import Foundation

/// Reads model weights from PySlowFast checkpoints (`.pyth`, weights under `model_state`),
/// PyTorchVideo hub checkpoints (X3D, Slow, SlowFast and MViT, renamed to PySlowFast's keys) and
/// Cadence's safetensors files,
/// and loads them strictly into a model.
public enum ModelCheckpoint {
    /// The weights in `url` under PySlowFast names. DataParallel `module.` prefixes are removed.
    public static func read(_ url: URL) throws -> [String: ArrayData] {
        var weights = try WeightFile.read(url)
        weights = try WeightKeyMap([.stripPrefix("module.")]).apply(to: weights, source: url.path)
        if PyTorchVideoKeys.matches(weights.keys) {
            weights = try WeightKeyMap([.custom { PyTorchVideoKeys.pySlowFastName($0) }])
                .apply(to: weights, source: url.path)
        } else if PyTorchVideoMViTKeys.matches(weights.keys) {
            weights = try PyTorchVideoMViTKeys.convert(weights, source: url.path)
        }
        return weights
    }

    /// Output classes of the classifier in `weights` (`head.projection.weight` rows), if present.
    public static func classes(in weights: [String: ArrayData]) -> Int? {
        guard let w = weights["head.projection.weight"], w.shape.count == 2 else { return nil }
        return w.shape[0]
    }

    /// Loads `weights` into `model`, failing with every missing, unexpected or mis-shaped key.
    ///
    /// PyTorchVideo's X3D has no batch norm on res2's first shortcut (PySlowFast has one); when only
    /// that norm is missing it is filled with an exact identity (scale 1, shift 0, running variance
    /// `1 - eps` so `sqrt(var + eps)` is 1), which reproduces PyTorchVideo's output.
    public static func load(_ weights: [String: ArrayData], into model: any VideoModel, source: String) throws {
        var weights = weights
        let expected = model.expectedShapes()
        let shortcutNorm = "s2.pathway0_res0.branch1_bn"
        if model is X3D, weights["\(shortcutNorm).weight"] == nil, weights["s2.pathway0_res0.branch1.weight"] != nil,
           let shape = expected["\(shortcutNorm).weight"] {
            let channels = shape[0]
            weights["\(shortcutNorm).weight"] = ArrayData(shape: [channels], floats: Array(repeating: 1, count: channels))
            weights["\(shortcutNorm).bias"] = ArrayData(shape: [channels], floats: Array(repeating: 0, count: channels))
            weights["\(shortcutNorm).running_mean"] = ArrayData(shape: [channels], floats: Array(repeating: 0, count: channels))
            weights["\(shortcutNorm).running_var"] = ArrayData(shape: [channels],
                                                               floats: Array(repeating: 1 - 1e-5, count: channels))
        }
        try model.load(weights, strict: true, source: source)
    }

    /// Builds `preset` with the class count of the checkpoint at `url` and loads it.
    public static func model(_ preset: ModelPreset, weights url: URL) throws -> any VideoModel {
        let weights = try read(url)
        let model = try preset.build(classes: classes(in: weights))
        try load(weights, into: model, source: url.path)
        return model
    }
}
