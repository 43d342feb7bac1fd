import Foundation
import Testing
@testable import CadenceNN

@Suite struct PyTorchCheckpointTests {
    @Test func stateDictLoadsWithIdenticalValues() throws {
        let weights = try PyTorchCheckpoint.readStateDict(WeightFixtures.url("state_dict.pth"))
        WeightFixtures.expectIdentical(weights, try WeightFixtures.expected("state_dict"))
    }

    @Test func stridedAndSharedTensorsAreViewsOfTheirStorage() throws {
        let weights = try PyTorchCheckpoint.readStateDict(WeightFixtures.url("state_dict.pth"))
        let full = try #require(weights["extra.shared_full"]).floats()
        #expect(try #require(weights["extra.shared_row"]).floats() == Array(full[4..<8]))
        #expect(try #require(weights["extra.shared_col"]).floats() == [full[2], full[6], full[10]])
        #expect(try #require(weights["extra.expanded"]).floats() == [1.5, -2, 1.5, -2, 1.5, -2])
        #expect(weights["extra.empty"]?.shape == [0, 3])
        let batches = try #require(weights["bn.num_batches_tracked"])
        #expect(batches.type == .int64 && batches.shape == [] && batches.floats() == [2])
    }

    @Test func pySlowFastCheckpointExposesModelStateAndSettings() throws {
        let checkpoint = try PyTorchCheckpoint.read(WeightFixtures.url("pyslowfast.pyth"))
        #expect(checkpoint.topLevelKeys == ["epoch", "model_state", "optimizer_state", "cfg"])
        #expect(checkpoint.values["epoch"] == .int(3))
        guard case let .string(cfg)? = checkpoint.values["cfg"] else {
            Issue.record("cfg is not a string")
            return
        }
        #expect(cfg.hasPrefix("MODEL:\n  ARCH: x3d\n"))
        #expect(checkpoint.values["optimizer_state.param_groups.0.lr"] == .float(0.1))
        #expect(checkpoint.values["optimizer_state.param_groups.0.nesterov"] == .bool(true))
        #expect(checkpoint.values["optimizer_state.param_groups.0.params.2"] == .int(2))
        WeightFixtures.expectIdentical(checkpoint.tensors, try WeightFixtures.expected("pyslowfast"))

        let modelState = try checkpoint.stateDict()
        #expect(try checkpoint.stateDict(key: "model_state") == modelState)
        #expect(modelState.keys.sorted() == ["bn.bias", "bn.num_batches_tracked", "bn.running_mean", "bn.running_var",
                                             "bn.weight", "conv.weight", "head.bias", "head.weight"])
        #expect(modelState["conv.weight"] == checkpoint.tensors["model_state.conv.weight"])
    }

    @Test func missingSubDictIsNamedWithTheKeysThereAre() throws {
        let checkpoint = try PyTorchCheckpoint.read(WeightFixtures.url("pyslowfast.pyth"))
        #expect(throws: WeightFileError.missingKey(path: checkpoint.path, key: "state_dict",
                                                   available: ["epoch", "model_state", "optimizer_state", "cfg"])) {
            try checkpoint.stateDict(key: "state_dict")
        }
    }

    @Test func picklesThatCallFunctionsAreRefusedUnrun() throws {
        let url = WeightFixtures.url("malicious.pth")
        let error = #expect(throws: WeightFileError.self) { try PyTorchCheckpoint.read(url) }
        #expect(error == .refused(path: url.path, reason: "pickle refers to posix.system, which Cadence does not load"))
        #expect(error?.description == "cannot read \(url.path): pickle refers to posix.system, which Cadence does not load")
    }

    @Test func legacyAndCompressedFilesAreUnsupported() throws {
        let legacy = #expect(throws: WeightFileError.self) { try PyTorchCheckpoint.read(WeightFixtures.url("legacy.pth")) }
        #expect(legacy?.description.contains("legacy torch.save format") == true)
        let deflated = #expect(throws: WeightFileError.self) { try PyTorchCheckpoint.read(WeightFixtures.url("deflated.pth")) }
        #expect(deflated?.description.contains("is compressed (method 8)") == true)
        let url = WeightFixtures.url("reference.safetensors")
        let safetensors = #expect(throws: WeightFileError.self) { try PyTorchCheckpoint.read(url) }
        #expect(safetensors?.description == "cannot read \(url.path): damaged or not a weight file: not a zip archive, so not a torch.save file")
    }
}
