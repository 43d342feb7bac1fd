import Foundation

/// A value built by `PickleMachine`: plain Python data plus the few torch objects a checkpoint holds.
///
/// Lists and dicts are reference boxes because pickles memoize a container before filling it and
/// may refer to it again later; a copy would miss the items added after the memo.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to an allow-listed global; nothing is imported or called.
    case global(AllowedGlobal)
    /// A tensor storage named by a persistent id, not yet viewed as a tensor.
    case storage(TensorStorage)
    case tensor(ArrayData)

    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case let .global(global): return global.name
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

final class PickleList {
    var items: [PickleValue] = []
}

final class PickleDict {
    private(set) var items: [(key: PickleValue, value: PickleValue)] = []
    /// Positions of string and int keys, so setting stays O(1) in state dicts of thousands of keys.
    private var positions: [AnyHashable: Int] = [:]

    /// Sets `key`, replacing an earlier equal string or int key as a Python dict would.
    func set(_ key: PickleValue, _ value: PickleValue) {
        let hashable: AnyHashable?
        switch key {
        case let .string(text): hashable = AnyHashable(text)
        case let .int(number): hashable = AnyHashable(number)
        default: hashable = nil
        }
        if let hashable, let index = positions[hashable] {
            items[index].value = value
            return
        }
        if let hashable { positions[hashable] = items.count }
        items.append((key, value))
    }
}

/// The globals a checkpoint pickle may name. Each is data, or a constructor Cadence re-implements
/// itself; everything else is refused before anything is built.
enum AllowedGlobal {
    /// `collections.OrderedDict` and config classes that are plain dicts of settings.
    case dictType(String)
    case rebuildTensor
    case rebuildParameter
    case rebuildFromType
    /// `torch.Size`, a tuple of extents.
    case size
    /// A torch storage class such as `torch.FloatStorage`; nil type for ones Cadence cannot hold.
    case storageType(String, ElementType?)
    /// An inert name such as `torch.float32` or `torch.Tensor`, kept only as a value.
    case inert(String)

    var name: String {
        switch self {
        case let .dictType(name), let .storageType(name, _), let .inert(name): return name
        case .rebuildTensor: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildFromType: return "torch._tensor._rebuild_from_type_v2"
        case .size: return "torch.Size"
        }
    }

    static func named(module: String, name: String) -> AllowedGlobal? {
        let full = "\(module).\(name)"
        switch full {
        case "collections.OrderedDict", "yacs.config.CfgNode", "fvcore.common.config.CfgNode": return .dictType(full)
        case "torch._utils._rebuild_tensor_v2": return .rebuildTensor
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state": return .rebuildParameter
        case "torch._tensor._rebuild_from_type_v2": return .rebuildFromType
        case "torch.Size": return .size
        case "torch.Tensor", "torch.nn.parameter.Parameter": return .inert(full)
        default: break
        }
        guard module == "torch" else { return nil }
        if let type = storageTypes[name] { return .storageType(full, type) }
        if unsupportedStorageTypes.contains(name) { return .storageType(full, nil) }
        if dtypeNames.contains(name) { return .inert(full) }
        return nil
    }

    static let storageTypes: [String: ElementType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
    ]
    static let unsupportedStorageTypes: Set<String> = [
        "ShortStorage", "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage", "QInt32Storage",
    ]
    static let dtypeNames: Set<String> = [
        "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32", "int",
        "int16", "short", "int8", "uint8", "bool",
    ]
}
