import Foundation

/// A pickle interpreter that executes nothing.
///
/// It understands the opcodes `torch.save` emits (protocols 2–5) and builds only plain data,
/// dicts, lists and tensors. A global outside `AllowedGlobal` stops it with an error before any
/// object is built, and every call (REDUCE, NEWOBJ) is re-implemented here for allowed globals
/// only, so a hostile file can neither run code nor import modules.
struct PickleMachine {
    /// Names the file in errors, for example `model.pth`.
    let path: String
    let bytes: [UInt8]
    /// Resolves a BINPERSID id (torch's storage tuples) to a value.
    let persistentLoad: (PickleValue) throws -> PickleValue

    private var position = 0
    /// Where the opcode being run starts; errors point there.
    private var opcodeStart = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(path: String, bytes: [UInt8], persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.path = path
        self.bytes = bytes
        self.persistentLoad = persistentLoad
    }

    /// Runs the pickle to its STOP and returns the object it built.
    mutating func run() throws -> PickleValue {
        while true {
            opcodeStart = position
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try read(8)  // FRAME: framing hint only
            case 0x2E:  // STOP
                let result = try pop()
                stack.append(result)  // kept so that `dismantle` reaches it
                return result
            case 0x28: marks.append(stack.count)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: stack.append(try top())  // DUP

            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4B: stack.append(.int(Int(try byte())))  // BININT1
            case 0x4D: stack.append(.int(Int(try unsigned(2))))  // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
            case 0x8A: stack.append(try long(length: Int(try byte())))  // LONG1
            case 0x8B: stack.append(try long(length: try length(4)))  // LONG4
            case 0x47:  // BINFLOAT, big-endian
                let raw = try read(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                stack.append(.float(Double(bitPattern: raw)))

            case 0x8C: stack.append(.string(try text(length: Int(try byte()))))  // SHORT_BINUNICODE
            case 0x58: stack.append(.string(try text(length: try length(4))))  // BINUNICODE
            case 0x8D: stack.append(.string(try text(length: try length(8))))  // BINUNICODE8
            case 0x43: stack.append(.bytes(Data(try read(Int(try byte())))))  // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Data(try read(try length(4)))))  // BINBYTES
            case 0x8E: stack.append(.bytes(Data(try read(try length(8)))))  // BINBYTES8

            case 0x71: memo[Int(try byte())] = try top()  // BINPUT
            case 0x72: memo[try length(4)] = try top()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()  // MEMOIZE
            case 0x68: stack.append(try recall(Int(try byte())))  // BINGET
            case 0x6A: stack.append(try recall(try length(4)))  // LONG_BINGET

            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                guard stack.count >= count + (marks.last ?? 0) else { throw malformed("stack underflow") }
                let items = Array(stack.suffix(count))
                stack.removeLast(count)
                stack.append(.tuple(items))

            case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
            case 0x6C:  // LIST
                let list = PickleList()
                list.items = try popMark()
                stack.append(.list(list))
            case 0x61:  // APPEND
                let item = try pop()
                try list().items.append(item)
            case 0x65:  // APPENDS
                let items = try popMark()
                try list().items.append(contentsOf: items)

            case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case 0x64:  // DICT
                let dict = PickleDict()
                try setItems(try popMark(), in: dict)
                stack.append(.dict(dict))
            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                try dict().set(key, value)
            case 0x75:  // SETITEMS
                let items = try popMark()
                try setItems(items, in: try dict())

            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line()
                let name = try line()
                stack.append(.global(try allowed(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case let .string(moduleText) = module, case let .string(nameText) = name else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                stack.append(.global(try allowed(module: moduleText, name: nameText)))

            case 0x51:  // BINPERSID
                stack.append(try persistentLoad(try pop()))
            case 0x52:  // REDUCE
                let arguments = try pop()
                let callable = try pop()
                guard let items = arguments.tupleItems else { throw malformed("REDUCE arguments are not a tuple") }
                stack.append(try call(callable, items))
            case 0x81:  // NEWOBJ
                let arguments = try pop()
                let type = try pop()
                guard case let .global(.dictType) = type, case .tuple = arguments else {
                    throw refused("creates a \(type.kind) object")
                }
                stack.append(.dict(PickleDict()))
            case 0x62:  // BUILD
                let state = try pop()
                let object = try top()
                // Dicts' state is their attribute dict (an OrderedDict's `_metadata`), which holds no
                // weights; tensors' state is hooks and flags. Neither changes a value Cadence reads.
                switch object {
                case .dict, .tensor: break
                default: throw refused("sets the state of a \(object.kind) (with a \(state.kind))")
                }
            default:
                throw WeightFileError.unsupported(
                    path: path, reason: "pickle opcode 0x\(String(opcode, radix: 16)) at byte \(opcodeStart) is not one Cadence reads")
            }
        }
    }

    /// Takes apart everything built, iteratively; call it when done with the result, so that even
    /// a hostile nesting is released without deep recursion.
    func dismantle() {
        PickleValue.dismantle(stack + Array(memo.values))
    }

    // MARK: Calls of allowed globals

    private func call(_ callable: PickleValue, _ arguments: [PickleValue]) throws -> PickleValue {
        guard case let .global(global) = callable else { throw refused("calls a \(callable.kind)") }
        switch global {
        case .dictType:
            // OrderedDict() or OrderedDict([(key, value), ...]).
            let dict = PickleDict()
            if case let .list(pairs)? = arguments.first {
                for pair in pairs.items {
                    guard let kv = pair.tupleItems, kv.count == 2 else { throw malformed("bad dict item") }
                    dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case .rebuildTensor:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard arguments.count >= 4, case let .storage(storage) = arguments[0], case let .int(offset) = arguments[1],
                  let shape = integers(arguments[2]), let strides = integers(arguments[3]) else {
                throw malformed("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, …)")
            }
            return .tensor(try storage.view(start: offset, shape: shape, strides: strides))
        case .rebuildParameter:
            // (data, requires_grad, backward_hooks[, state]): a Parameter's weights are its data.
            guard case .tensor? = arguments.first else { throw malformed("_rebuild_parameter of a non-tensor") }
            return arguments[0]
        case .rebuildFromType:
            // (func, new_type, args, state): a tensor subclass; rebuild the plain tensor with `func`.
            guard arguments.count >= 3, let inner = arguments[2].tupleItems else {
                throw malformed("_rebuild_from_type_v2 arguments are not (func, type, args, state)")
            }
            return try call(arguments[0], inner)
        case .size:
            guard let extents = arguments.first?.tupleItems else { throw malformed("torch.Size of a non-tuple") }
            return .tuple(extents)
        case .storageType, .inert:
            throw refused("calls \(global.name)")
        }
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard let items = value.tupleItems else { return nil }
        var result: [Int] = []
        for item in items {
            guard case let .int(n) = item else { return nil }
            result.append(n)
        }
        return result
    }

    private func allowed(module: String, name: String) throws -> AllowedGlobal {
        guard let global = AllowedGlobal.named(module: module, name: name) else {
            throw WeightFileError.refused(path: path, reason: "pickle refers to \(module).\(name), which Cadence does not load")
        }
        return global
    }

    // MARK: Stack and memo

    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else { throw malformed("stack underflow") }
        return value
    }

    private func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else { throw malformed("stack underflow") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw malformed("memo \(index) read before it was written") }
        return value
    }

    private func list() throws -> PickleList {
        guard case let .list(list) = try top() else { throw malformed("APPEND to a non-list") }
        return list
    }

    private func dict() throws -> PickleDict {
        guard case let .dict(dict) = try top() else { throw malformed("SETITEM on a non-dict") }
        return dict
    }

    private func setItems(_ items: [PickleValue], in dict: PickleDict) throws {
        guard items.count % 2 == 0 else { throw malformed("odd number of dict items") }
        for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
    }

    // MARK: Reading operands

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw malformed("ends without STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func read(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else { throw malformed("ends inside an operand") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    private mutating func unsigned(_ count: Int) throws -> UInt64 {
        try read(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private mutating func length(_ count: Int) throws -> Int {
        let value = try unsigned(count)
        guard value <= UInt64(bytes.count) else { throw malformed("length \(value) is longer than the pickle") }
        return Int(value)
    }

    private mutating func long(length: Int) throws -> PickleValue {
        let digits = try read(length)
        guard length <= 8 else {
            throw WeightFileError.unsupported(path: path, reason: "pickle integer of \(length) bytes at byte \(position)")
        }
        guard let last = digits.last else { return .int(0) }
        // Little-endian two's complement: sign-extend from the top byte.
        var value = UInt64(last & 0x80 != 0 ? UInt64.max : 0)
        for byte in digits.reversed() { value = value << 8 | UInt64(byte) }
        return .int(Int(Int64(bitPattern: value)))
    }

    private mutating func text(length: Int) throws -> String {
        let raw = try read(length)
        guard let string = String(bytes: raw, encoding: .utf8) else { throw malformed("string is not UTF-8") }
        return string
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw malformed("GLOBAL name has no newline") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private func malformed(_ reason: String) -> WeightFileError {
        .malformed(path: path, reason: "pickle byte \(opcodeStart): \(reason)")
    }

    private func refused(_ what: String) -> WeightFileError {
        .refused(path: path, reason: "pickle \(what), which Cadence does not do")
    }
}
