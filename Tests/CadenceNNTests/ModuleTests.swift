import CadenceTensor
import Foundation
import Testing
@testable import CadenceNN

/// A two-level tree shaped like a SlowFast stage, for naming tests.
private final class Branch: Module {
    let a: Conv3dLayer
    let aBn: BatchNorm3d
    init(generator: inout TensorRandom) throws {
        a = try Conv3dLayer(inputChannels: 2, outputChannels: 3, kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1),
                            bias: false, generator: &generator)
        aBn = BatchNorm3d(channels: 3)
        super.init()
        registerModule("a", a)
        registerModule("a_bn", aBn)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try aBn(a(x)).relu() }
}

private final class Stage: Module {
    let blocks: [Branch]
    init(generator: inout TensorRandom) throws {
        blocks = [try Branch(generator: &generator), try Branch(generator: &generator)]
        super.init()
        registerModules("pathway0_res", blocks)
    }
}

@Suite struct ModuleTests {
    private func model() throws -> (Module, Stage) {
        var generator = TensorRandom(seed: 1)
        let root = Module()
        let stage = try Stage(generator: &generator)
        root.registerModule("s2", stage)
        return (root, stage)
    }

    @Test func namesAreDottedPyTorchKeys() throws {
        let (root, _) = try model()
        #expect(root.namedParameters().map(\.name) == [
            "s2.pathway0_res.0.a.weight", "s2.pathway0_res.0.a_bn.weight", "s2.pathway0_res.0.a_bn.bias",
            "s2.pathway0_res.1.a.weight", "s2.pathway0_res.1.a_bn.weight", "s2.pathway0_res.1.a_bn.bias",
        ])
        #expect(root.namedBuffers().map(\.name).prefix(3) == [
            "s2.pathway0_res.0.a_bn.running_mean", "s2.pathway0_res.0.a_bn.running_var",
            "s2.pathway0_res.0.a_bn.num_batches_tracked",
        ])
        #expect(root.namedModules().map(\.name) == [
            "", "s2", "s2.pathway0_res", "s2.pathway0_res.0", "s2.pathway0_res.0.a", "s2.pathway0_res.0.a_bn",
            "s2.pathway0_res.1", "s2.pathway0_res.1.a", "s2.pathway0_res.1.a_bn",
        ])
        #expect(root.module(at: "s2.pathway0_res.1.a") is Conv3dLayer)
        #expect(root.parameters().allSatisfy { $0.requiresGrad })
        let tree = root.treeDescription()
        #expect(tree.contains("s2.pathway0_res.0.a: Conv3dLayer"))
        #expect(tree.contains("weight [3, 1, 3, 3, 2]"))
        #expect(tree.hasSuffix("\(2 * (3 * 9 * 2 + 6)) parameters"))
        #expect(root.parameterCount == 2 * (3 * 9 * 2 + 6))
    }

    @Test func trainAndEvalReachEveryModule() throws {
        let (root, stage) = try model()
        root.eval()
        #expect(root.namedModules().allSatisfy { !$0.module.isTraining })
        root.train()
        #expect(stage.blocks[1].aBn.isTraining)
        // A child registered into an evaluating tree follows the tree's mode.
        root.eval()
        let late = root.registerModule("head", Identity())
        #expect(!late.isTraining)
    }

    @Test func stateDictIsPyTorchLayoutAndRoundTripsThroughSafetensors() throws {
        let (root, stage) = try model()
        let state = root.stateDict()
        let conv = stage.blocks[0].a
        #expect(state["s2.pathway0_res.0.a.weight"]?.shape == [3, 2, 1, 3, 3])
        #expect(state["s2.pathway0_res.0.a_bn.num_batches_tracked"]?.type == .int64)
        // PyTorch [o][c][kt][kh][kw] is Cadence [o][kt][kh][kw][c].
        let ours = conv.weight.toArray(), theirs = state["s2.pathway0_res.0.a.weight"]?.floats() ?? []
        #expect(theirs[((1 * 2 + 1) * 9) + 4] == ours[(1 * 9 + 4) * 2 + 1])

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-module-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try SafetensorsFile.write(state, to: file)
        let (fresh, freshStage) = try model()
        try freshStage.blocks[0].a.weight.fill(0)
        try fresh.load(SafetensorsFile.readTensors(file), source: file.lastPathComponent)
        #expect(freshStage.blocks[0].a.weight.toArray() == ours)
        #expect(fresh.stateDict() == state)
    }

    @Test func strictLoadingListsEveryProblemAtOnce() throws {
        let (root, stage) = try model()
        var state = root.stateDict()
        state["s2.pathway0_res.0.a_bn.running_mean"] = nil
        state["s2.pathway0_res.1.a_bn.num_batches_tracked"] = nil
        state["s2.extra.weight"] = ArrayData(shape: [1], floats: [0])
        state["s2.pathway0_res.1.a.weight"] = ArrayData(shape: [3, 2, 3, 3], floats: [Float](repeating: 0, count: 54))
        let before = stage.blocks[1].aBn.weight.toArray()
        state["s2.pathway0_res.1.a_bn.weight"] = ArrayData(shape: [3], floats: [7, 7, 7])
        do {
            try root.load(state, source: "broken.pth")
            Issue.record("strict load accepted a broken state dict")
        } catch let error as WeightMismatchError {
            #expect(error.missing == ["s2.pathway0_res.0.a_bn.running_mean"])
            #expect(error.unexpected == ["s2.extra.weight"])
            #expect(error.mismatched.map(\.name) == ["s2.pathway0_res.1.a.weight"])
            #expect(error.description.contains("broken.pth"))
        }
        // Nothing was written by the failed load; a non-strict load takes what fits.
        #expect(stage.blocks[1].aBn.weight.toArray() == before)
        try root.load(state, strict: false)
        #expect(stage.blocks[1].aBn.weight.toArray() == [7, 7, 7])
    }

    @Test func sequentialChainsAndNamesByIndex() throws {
        var generator = TensorRandom(seed: 2)
        let linear = Linear(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        let net = Sequential(linear, ReLU())
        #expect(net.namedParameters().map(\.name) == ["0.weight", "0.bias"])
        let x = try Tensor(shape: [1, 3], values: [1, -2, 0.5])
        let expected = try linear(x).relu().toArray()
        #expect(try net(x).toArray() == expected)
        #expect(throws: NNError.self) { try Module()(x) }
    }
}
