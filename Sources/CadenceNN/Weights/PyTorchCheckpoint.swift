import Foundation

/// A PyTorch `.pth`/`.pyth` file written by `torch.save` (the zip format of torch ≥ 1.6), read
/// without executing anything.
///
/// The pickle in `<prefix>/data.pkl` is interpreted by `PickleMachine`, which only knows plain data,
/// dicts and torch's tensor constructors; each tensor's bytes come from `<prefix>/data/<key>` in the
/// memory-mapped file. Nested containers are flattened with dotted keys, the way PyTorch names
/// parameters: a PySlowFast checkpoint yields `model_state.s1.pathway0_stem.conv.weight`,
/// `optimizer_state.state.0.momentum_buffer`, `epoch` and `cfg`.
public struct PyTorchCheckpoint: Sendable {
    /// The file read, for errors.
    public let path: String
    /// Every tensor in the file by dotted key.
    public let tensors: [String: ArrayData]
    /// Every number, string, bool and None in the file by dotted key (list items by index).
    public let values: [String: CheckpointValue]
    /// The keys of the top-level dict, in file order (empty when the top level is not a dict).
    public let topLevelKeys: [String]

    /// The sub-dicts `stateDict()` looks for, in order, when the top level is not itself a state dict.
    public static let stateDictKeys = ["model_state", "state_dict", "model"]

    /// Reads a torch zip checkpoint.
    public static func read(_ url: URL) throws -> PyTorchCheckpoint {
        let file = try MappedFile(url)
        let path = file.path
        guard ZipArchive.looksLikeZip(file) else { throw notZip(file, path: path) }
        let archive = try ZipArchive(file)
        guard let pickle = archive.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            if archive.entries.contains(where: { $0.name.hasSuffix("constants.pkl") }) {
                throw WeightFileError.unsupported(path: path, reason: "a TorchScript archive (torch.jit.save); save the state_dict with torch.save")
            }
            throw WeightFileError.malformed(path: path, reason: "a zip archive without data.pkl, so not a torch.save file")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if archive.entries.contains(where: { $0.name == prefix + "code/" || $0.name.hasPrefix(prefix + "code/") }) {
            throw WeightFileError.unsupported(path: path, reason: "a TorchScript archive (torch.jit.save); save the state_dict with torch.save")
        }
        if let order = archive.entry(named: prefix + "byteorder"),
           String(decoding: try archive.data(of: order), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) != "little" {
            throw WeightFileError.unsupported(path: path, reason: "big-endian tensor data")
        }
        let storages = StorageLoader(archive: archive, prefix: prefix, path: path)
        let pickleBytes = [UInt8](try archive.data(of: pickle))
        var machine = PickleMachine(path: path, bytes: pickleBytes, persistentLoad: storages.load)
        defer { machine.dismantle() }
        let root = try machine.run()

        // Shared containers repeat under each name, so a tiny hostile pickle could expand
        // exponentially; honest checkpoints hold far fewer values than this.
        var flat = Flattened(budget: 16 * pickleBytes.count + 65_536)
        try flat.add(root, key: "", path: path)
        var topLevelKeys: [String] = []
        if case let .dict(dict) = root { topLevelKeys = dict.items.compactMap { Flattened.keyText($0.key) } }
        return PyTorchCheckpoint(path: path, tensors: flat.tensors, values: flat.values, topLevelKeys: topLevelKeys)
    }

    /// Reads a checkpoint and returns its model weights; see `stateDict(key:)`.
    public static func readStateDict(_ url: URL, key: String? = nil) throws -> [String: ArrayData] {
        try read(url).stateDict(key: key)
    }

    /// The tensors under top-level `key` (such as PySlowFast's `model_state`) with `key.` removed
    /// from their names. Without a key: the whole file when its top level holds tensors (a plain
    /// `torch.save(model.state_dict())`), else the first of `stateDictKeys` present.
    public func stateDict(key: String? = nil) throws -> [String: ArrayData] {
        if let key {
            guard topLevelKeys.contains(key) else { throw WeightFileError.missingKey(path: path, key: key, available: topLevelKeys) }
            return tensors(under: key)
        }
        if topLevelKeys.isEmpty || topLevelKeys.contains(where: { tensors[$0] != nil }) { return tensors }
        guard let found = Self.stateDictKeys.first(where: { topLevelKeys.contains($0) && !tensors(under: $0).isEmpty }) else {
            throw WeightFileError.missingKey(path: path, key: Self.stateDictKeys.joined(separator: "\" or \""),
                                             available: topLevelKeys)
        }
        return tensors(under: found)
    }

    private func tensors(under key: String) -> [String: ArrayData] {
        let prefix = key + "."
        var selected: [String: ArrayData] = [:]
        for (name, array) in tensors where name.hasPrefix(prefix) {
            selected[String(name.dropFirst(prefix.count))] = array
        }
        return selected
    }

    /// Explains what a non-zip file is, since the old torch format and Caffe2 `.pkl` files are
    /// both plain pickles that Cadence chooses not to read.
    private static func notZip(_ file: MappedFile, path: String) -> WeightFileError {
        let head = [UInt8](file.data(0..<min(file.count, 14)))
        let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        if head == legacyMagic {
            return .unsupported(path: path, reason: "the legacy torch.save format (torch < 1.6); re-save it with a newer torch or convert it to safetensors")
        }
        if head.first == 0x80 {
            return .unsupported(path: path, reason: "a plain Python pickle (such as a Caffe2 .pkl), not a torch zip checkpoint; convert it to safetensors")
        }
        return .malformed(path: path, reason: "not a zip archive, so not a torch.save file")
    }
}

/// Resolves torch's persistent ids `('storage', StorageType, key, location, numel)` to storages.
private struct StorageLoader {
    let archive: ZipArchive
    let prefix: String
    let path: String

    func load(_ id: PickleValue) throws -> PickleValue {
        guard let fields = id.tupleItems, fields.count >= 5, case .string("storage") = fields[0],
              case let .global(.storageType(typeName, elementType)) = fields[1], case let .string(key) = fields[2],
              case let .int(count) = fields[4], count >= 0 else {
            throw WeightFileError.malformed(path: path, reason: "a persistent id that is not a torch storage")
        }
        guard let type = elementType else {
            throw WeightFileError.unsupported(path: path, reason: "storage \(key) is a \(typeName)")
        }
        let entryName = prefix + "data/" + key
        guard let entry = archive.entry(named: entryName) else {
            throw WeightFileError.malformed(path: path, reason: "storage \(entryName) is missing")
        }
        let range = try archive.dataRange(of: entry)
        guard range.count / type.size >= count else {
            throw WeightFileError.malformed(path: path, reason: "storage \(entryName) has \(range.count) bytes, not \(count) \(type) elements")
        }
        return .storage(TensorStorage(file: archive.file, offset: range.lowerBound, count: count, type: type, key: entryName))
    }
}

/// The leaves of a pickled object under dotted keys.
struct Flattened {
    var tensors: [String: ArrayData] = [:]
    var values: [String: CheckpointValue] = [:]
    /// Containers on the path being walked: a pickle can put a list inside itself.
    private var visiting: Set<ObjectIdentifier> = []
    /// Checkpoints nest a few levels; a hostile pickle could nest deep enough to exhaust the stack.
    static let maxDepth = 200
    /// How many more values may be visited.
    private var budget: Int

    init(budget: Int) {
        self.budget = budget
    }

    static func keyText(_ key: PickleValue) -> String? {
        switch key {
        case let .string(text): return text
        case let .int(number): return String(number)
        default: return nil
        }
    }

    mutating func add(_ value: PickleValue, key: String, path: String, depth: Int = 0) throws {
        guard depth <= Self.maxDepth else {
            throw WeightFileError.malformed(path: path, reason: "pickle nests deeper than \(Self.maxDepth) levels at \(key.prefix(40))…")
        }
        budget -= 1
        guard budget >= 0 else { throw WeightFileError.malformed(path: path, reason: "pickle expands to too many values") }
        func child(_ name: String) -> String { key.isEmpty ? name : key + "." + name }
        switch value {
        case let .tensor(array): tensors[key] = array
        case .none: values[key] = CheckpointValue.none
        case let .bool(flag): values[key] = .bool(flag)
        case let .int(number): values[key] = .int(number)
        case let .float(number): values[key] = .float(number)
        case let .string(text): values[key] = .string(text)
        case let .dict(dict):
            guard visiting.insert(ObjectIdentifier(dict)).inserted else { return }
            defer { visiting.remove(ObjectIdentifier(dict)) }
            for (name, item) in dict.items {
                // Keys that are neither strings nor ints (tuples, say) cannot be named; skip them.
                if let name = Self.keyText(name) { try add(item, key: child(name), path: path, depth: depth + 1) }
            }
        case let .list(list):
            guard visiting.insert(ObjectIdentifier(list)).inserted else { return }
            defer { visiting.remove(ObjectIdentifier(list)) }
            for (index, item) in list.items.enumerated() { try add(item, key: child(String(index)), path: path, depth: depth + 1) }
        case let .tuple(tuple):
            guard visiting.insert(ObjectIdentifier(tuple)).inserted else { return }
            defer { visiting.remove(ObjectIdentifier(tuple)) }
            for (index, item) in tuple.items.enumerated() { try add(item, key: child(String(index)), path: path, depth: depth + 1) }
        case .bytes, .global, .storage:
            break  // neither weights nor settings
        }
    }
}
