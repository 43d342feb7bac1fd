import Foundation

/// Errors reading or writing weight files (safetensors, `.npz`, PyTorch checkpoints); each names the file.
public enum WeightFileError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read at all.
    case unreadable(path: String, reason: String)
    /// The file is damaged or is not the format it claims to be.
    case malformed(path: String, reason: String)
    /// The file is valid but uses something Cadence does not read (a dtype, compression, an old format).
    case unsupported(path: String, reason: String)
    /// The file asks for code to run (a pickle global outside the allow-list); nothing was executed.
    case refused(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// A key asked for is not in the file.
    case missingKey(path: String, key: String, available: [String])

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .malformed(path, reason): return "cannot read \(path): damaged or not a weight file: \(reason)"
        case let .unsupported(path, reason): return "cannot read \(path): unsupported: \(reason)"
        case let .refused(path, reason): return "cannot read \(path): \(reason)"
        case let .unwritable(path, reason): return "cannot write \(path): \(reason)"
        case let .missingKey(path, key, available):
            let shown = available.prefix(12).joined(separator: ", ") + (available.count > 12 ? ", …" : "")
            return "cannot read \(path): it has no \"\(key)\" (top-level keys: \(shown))"
        }
    }
}
