import Foundation

/// Reads model weights from any weight file Cadence knows, recognised by its content rather than
/// its extension: safetensors, a `torch.save` zip checkpoint (`.pth`, `.pyth`, `.pt`) or an `.npz`.
public enum WeightFile {
    /// The weights in `url` by PyTorch-style dotted name.
    ///
    /// - Parameter key: for PyTorch checkpoints, the sub-dict holding the model
    ///   (see `PyTorchCheckpoint.stateDict(key:)`; nil detects `model_state`, `state_dict` or `model`).
    ///   Safetensors and `.npz` files are flat, so a key is an error there.
    public static func read(_ url: URL, key: String? = nil) throws -> [String: ArrayData] {
        let file = try MappedFile(url)
        if ZipArchive.looksLikeZip(file) {
            let archive = try ZipArchive(file)
            if archive.entries.contains(where: { $0.name.hasSuffix(".npy") })
                && !archive.entries.contains(where: { $0.name.hasSuffix("data.pkl") }) {
                try refuseKey(key, file: file)
                return try NpzFile.read(url)
            }
            return try PyTorchCheckpoint.read(url).stateDict(key: key)
        }
        if file.count >= 9, file.data(8..<9).first == UInt8(ascii: "{") {
            try refuseKey(key, file: file)
            return try SafetensorsFile.decode(file).tensors
        }
        // Anything else is reported the way the PyTorch reader explains non-zip files
        // (the legacy torch format, Caffe2 pickles).
        return try PyTorchCheckpoint.read(url).stateDict(key: key)
    }

    private static func refuseKey(_ key: String?, file: MappedFile) throws {
        if let key {
            throw WeightFileError.unsupported(path: file.path, reason: "a flat weight file has no sub-dict \"\(key)\"")
        }
    }
}
