import Foundation
import Testing
@testable import CadenceNN

@Suite struct PickleMachineTests {
    static func run(_ bytes: [UInt8]) throws -> PickleValue {
        var machine = PickleMachine(path: "t.pkl", bytes: bytes) { _ in .none }
        return try machine.run()
    }

    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    static func shortString(_ text: String) -> [UInt8] {
        [0x8C, UInt8(text.utf8.count)] + Array(text.utf8)
    }

    @Test func buildsPlainDataOfProtocol4() throws {
        // {"a": [1, -2, 2**40, -1.5, None, True], "b": list memoized before it was filled}
        let bytes: [UInt8] = [0x80, 0x04, 0x95] + [UInt8](repeating: 0, count: 8)
            + [0x7D, 0x94] + Self.shortString("a") + [0x94, 0x5D, 0x94, 0x28, 0x4B, 0x01, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF]
            + [0x8A, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]
            + [0x47, 0xBF, 0xF8, 0, 0, 0, 0, 0, 0, 0x4E, 0x88, 0x65, 0x73]
            + Self.shortString("b") + [0x68, 0x02, 0x73, 0x2E]
        guard case let .dict(dict) = try Self.run(bytes) else {
            Issue.record("not a dict")
            return
        }
        #expect(dict.items.count == 2)
        guard case let .list(a) = dict.items[0].value, case let .list(b) = dict.items[1].value else {
            Issue.record("values are not lists")
            return
        }
        #expect(a === b)
        guard a.items.count == 6, case .int(1) = a.items[0], case .int(-2) = a.items[1], case .int(1 << 40) = a.items[2],
              case .float(-1.5) = a.items[3], case .none = a.items[4], case .bool(true) = a.items[5] else {
            Issue.record("wrong items \(a.items)")
            return
        }
    }

    @Test func refusesGlobalsOutsideTheAllowList() {
        for (module, name) in [("builtins", "eval"), ("os", "system"), ("torch", "load"), ("collections", "namedtuple")] {
            let bytes = [0x80, 0x02] + Self.global(module, name) + Self.shortString("1+1") + [0x85, 0x52, 0x2E]
            #expect(throws: WeightFileError.refused(path: "t.pkl", reason: "pickle refers to \(module).\(name), which Cadence does not load")) {
                try Self.run(bytes)
            }
        }
        let stackGlobal = [0x80, 0x04] + Self.shortString("subprocess") + Self.shortString("run") + [0x93, 0x2E]
        #expect(throws: WeightFileError.refused(path: "t.pkl", reason: "pickle refers to subprocess.run, which Cadence does not load")) {
            try Self.run(stackGlobal)
        }
    }

    @Test func refusesCallsOfAllowedNonFunctions() {
        let bytes = [0x80, 0x02] + Self.global("torch", "FloatStorage") + [0x29, 0x52, 0x2E]
        #expect(throws: WeightFileError.refused(path: "t.pkl", reason: "pickle calls torch.FloatStorage, which Cadence does not do")) {
            try Self.run(bytes)
        }
    }

    @Test func rejectsUnknownOpcodesAndTruncation() {
        #expect(throws: WeightFileError.unsupported(path: "t.pkl", reason: "pickle opcode 0x69 at byte 2 is not one Cadence reads")) {
            try Self.run([0x80, 0x02, 0x69])  // INST, which imports and calls
        }
        #expect(throws: WeightFileError.malformed(path: "t.pkl", reason: "pickle byte 3: ends without STOP")) {
            try Self.run([0x80, 0x02, 0x4E])
        }
        #expect(throws: WeightFileError.malformed(path: "t.pkl", reason: "pickle byte 2: ends inside an operand")) {
            try Self.run([0x80, 0x02, 0x58, 0x05, 0, 0, 0, 0x41])
        }
        #expect(throws: WeightFileError.malformed(path: "t.pkl", reason: "pickle byte 2: memo 7 read before it was written")) {
            try Self.run([0x80, 0x02, 0x68, 0x07, 0x2E])
        }
    }

    @Test func readsCfgNodeSettingsAsValues() throws {
        let checkpoint = try PyTorchCheckpoint.read(WeightFixtures.url("cfgnode.pyth"))
        #expect(checkpoint.values["cfg.MODEL.ARCH"] == .string("x3d"))
        #expect(checkpoint.values["cfg.MODEL.NUM_CLASSES"] == .int(400))
        #expect(checkpoint.values["cfg.TRAIN.BASE_LR"] == .float(0.05))
        WeightFixtures.expectIdentical(checkpoint.tensors, try WeightFixtures.expected("cfgnode"))
    }

    @Test func survivesSelfContainingAndDeeplyNestedContainers() throws {
        let cyclic = try PyTorchCheckpoint.read(WeightFixtures.url("cyclic.pth"))
        #expect(cyclic.values == ["a.0": .int(1)])
        let url = WeightFixtures.url("deep.pth")
        let error = #expect(throws: WeightFileError.self) { try PyTorchCheckpoint.read(url) }
        guard case let .malformed(path, reason)? = error else { return }
        #expect(path == url.path && reason == "pickle nests deeper than 200 levels at d.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.…")
    }

    @Test func takesApartHostileNestingWithoutRecursion() throws {
        // 100,000 lists, each appended into the one before: releasing that recursively would
        // overflow the stack, so the reader dismantles it iteratively.
        let depth = 100_000
        let bytes = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
        var machine = PickleMachine(path: "t.pkl", bytes: bytes) { _ in .none }
        let root = try machine.run()
        var flat = Flattened(budget: 1_000_000)
        #expect(throws: WeightFileError.malformed(path: "t.pkl", reason: "pickle nests deeper than 200 levels at 0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.…")) {
            try flat.add(root, key: "", path: "t.pkl")
        }
        machine.dismantle()
        guard case let .list(outer) = root else { return }
        #expect(outer.items.isEmpty)
    }

    @Test func stopsExponentialExpansionOfSharedTuples() throws {
        // t = None; 100 times: t = (t, t). Tiny, but it names 2^100 leaves.
        let bytes: [UInt8] = [0x80, 0x02, 0x4E] + Array([[UInt8]](repeating: [0x32, 0x86], count: 100).joined()) + [0x2E]
        var machine = PickleMachine(path: "t.pkl", bytes: bytes) { _ in .none }
        defer { machine.dismantle() }
        let root = try machine.run()
        var flat = Flattened(budget: 16 * bytes.count + 65_536)
        #expect(throws: WeightFileError.malformed(path: "t.pkl", reason: "pickle expands to too many values")) {
            try flat.add(root, key: "", path: "t.pkl")
        }
    }
}
