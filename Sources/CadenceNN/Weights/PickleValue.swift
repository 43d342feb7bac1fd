import Foundation

/// A value built by `PickleMachine`: plain Python data plus the few torch objects a checkpoint holds.
///
/// Containers are reference boxes: pickles memoize a list or dict before filling it and may refer
/// to it again later (a copy would miss the items added after the memo), and identity lets
/// `dismantle` take apart hostile nesting without recursion.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    case tuple(PickleTuple)
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

extension PickleValue {
    /// The items when this is a tuple.
    var tupleItems: [PickleValue]? {
        if case let .tuple(tuple) = self { return tuple.items }
        return nil
    }

    static func tuple(_ items: [PickleValue]) -> PickleValue { .tuple(PickleTuple(items)) }

    /// Empties every container reachable from `roots`, iteratively. Releasing a deeply nested
    /// structure recurses once per level and can overflow the stack; emptied containers release
    /// nothing nested. Each container is taken apart once, so shared ones cost no extra work.
    static func dismantle(_ roots: [PickleValue]) {
        var pending = roots
        var seen: Set<ObjectIdentifier> = []
        while let value = pending.popLast() {
            switch value {
            case let .tuple(tuple) where seen.insert(ObjectIdentifier(tuple)).inserted:
                pending += tuple.items
                tuple.items = []
            case let .list(list) where seen.insert(ObjectIdentifier(list)).inserted:
                pending += list.items
                list.items = []
            case let .dict(dict) where seen.insert(ObjectIdentifier(dict)).inserted:
                for (key, item) in dict.items { pending += [key, item] }
                dict.removeAll()
            default:
                break
            }
        }
    }
}

/// A tuple; a class only so that `PickleValue.dismantle` can empty it in place.
final class PickleTuple {
    var items: [PickleValue]

    init(_ items: [PickleValue]) {
        self.items = items
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

    func removeAll() {
        items = []
        positions = [:]
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
