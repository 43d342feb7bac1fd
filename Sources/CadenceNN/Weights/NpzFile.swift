import Foundation

/// NumPy's `.npz` archives as `numpy.savez` writes them: a zip of `<name>.npy` entries.
///
/// Only stored entries are read; `numpy.savez_compressed` files are refused with an error that
/// says so.
public enum NpzFile {
    /// The arrays of an `.npz` file by name (the entry name without `.npy`).
    public static func read(_ url: URL) throws -> [String: ArrayData] {
        let file = try MappedFile(url)
        let path = file.path
        guard ZipArchive.looksLikeZip(file) else {
            throw WeightFileError.malformed(path: path, reason: "not a zip archive, so not an .npz file")
        }
        let archive = try ZipArchive(file)
        var arrays: [String: ArrayData] = [:]
        for entry in archive.entries where entry.name.hasSuffix(".npy") {
            let data = try archive.data(of: entry)
            arrays[String(entry.name.dropLast(4))] = try NpyFile.decode(data, path: "\(path)/\(entry.name)")
        }
        return arrays
    }
}
