import ArgumentParser
import CadenceModels
import CadenceNN
import Foundation

/// `cadence convert IN OUT.safetensors`: checkpoints to safetensors under PySlowFast names.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a PySlowFast (.pyth) or PyTorchVideo checkpoint to safetensors with PySlowFast key names.",
        discussion: """
        Reads a torch.save checkpoint (the weights under "model_state", "state_dict" or "model", or a bare \
        state dict), a safetensors or an .npz file. PyTorchVideo names (blocks.N...) are renamed to \
        PySlowFast's and a "module." prefix is dropped. With --model the weights are loaded strictly into \
        that preset first (every missing, unexpected or mis-shaped key is an error; the class count comes \
        from the checkpoint's classifier) and the model's full state is written, which also fills the \
        batch norm PyTorchVideo's X3D lacks on res2's first shortcut with an exact identity. A safetensors \
        input keeps its metadata (a model from `cadence train` stays usable without --model). --half stores \
        the floating-point weights as float16, half the size, as the bundled models are shipped.
        """
    )

    @Argument(help: "Input checkpoint.")
    var input: String

    @Argument(help: "Output .safetensors file.")
    var output: String

    @Option(help: "Check the weights against this preset (see `cadence models`).")
    var model: String?

    @Flag(help: "Store floating-point weights as float16 (half the size, about three significant digits).")
    var half = false

    func run() throws {
        let source = URL(fileURLWithPath: input)
        var weights = try ModelCheckpoint.read(source)
        if let model {
            let preset = try ModelPreset.named(model)
            weights = try ModelCheckpoint.model(preset, weights: source).stateDict()
        }
        if half { weights = weights.mapValues { $0.halfPrecision() } }
        var metadata = source.pathExtension == "safetensors" ? try SafetensorsFile.read(source).metadata : [:]
        metadata["format"] = "pt"
        try SafetensorsFile.write(weights, metadata: metadata, to: URL(fileURLWithPath: output))
        print("wrote \(weights.count) tensors to \(output)")
    }
}
