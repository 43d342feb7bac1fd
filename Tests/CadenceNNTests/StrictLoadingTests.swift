import Foundation
import Testing
@testable import CadenceNN

@Suite struct StrictLoadingTests {
    /// The parameter shapes of the fixtures' small model (PyTorch layout).
    static let model: [String: [Int]] = [
        "conv.weight": [3, 2, 1, 3, 3], "bn.weight": [3], "bn.bias": [3], "bn.running_mean": [3], "bn.running_var": [3],
        "head.weight": [2, 3], "head.bias": [2],
    ]

    @Test func acceptsAMatchingCheckpointIgnoringBatchCounters() throws {
        let weights = try PyTorchCheckpoint.readStateDict(WeightFixtures.url("pyslowfast.pyth"))
        let loaded = try StrictLoading.check(expected: Self.model, loaded: weights, source: "pyslowfast.pyth")
        #expect(loaded.keys.sorted() == Self.model.keys.sorted())
        #expect(loaded["head.weight"] == weights["head.weight"])
    }

    @Test func listsEveryProblemByFullName() throws {
        var weights = try PyTorchCheckpoint.readStateDict(WeightFixtures.url("pyslowfast.pyth"))
        weights["bn.running_var"] = nil
        weights["head.bias"] = nil
        weights["s2.extra.weight"] = ArrayData(shape: [1], floats: [0])
        weights["head.weight"] = ArrayData(shape: [3], floats: [1, 2, 3])
        let error = #expect(throws: WeightMismatchError.self) {
            try StrictLoading.check(expected: Self.model, loaded: weights, source: "x3d.pyth")
        }
        #expect(error?.missing == ["bn.running_var", "head.bias"])
        #expect(error?.unexpected == ["s2.extra.weight"])
        #expect(error?.mismatched == [WeightShapeMismatch(name: "head.weight", expected: [2, 3], found: [3])])
        #expect(error?.description == """
            cannot load x3d.pyth: 2 missing, 1 unexpected, 1 mis-shaped weights
              missing:    bn.running_var
              missing:    head.bias
              unexpected: s2.extra.weight
              mis-shaped: head.weight expects [2, 3], file has [3]
            """)
    }

    @Test func ignoreListCoversAReplacedHead() throws {
        var weights = try PyTorchCheckpoint.readStateDict(WeightFixtures.url("pyslowfast.pyth"))
        weights["head.weight"] = ArrayData(shape: [400, 3], floats: Array(repeating: 0, count: 1200))
        #expect(throws: WeightMismatchError.self) {
            try StrictLoading.check(expected: Self.model, loaded: weights, source: "k400.pyth")
        }
        let loaded = try StrictLoading.check(expected: Self.model, loaded: weights,
                                             ignoring: [.numBatchesTracked, .prefix("head.")], source: "k400.pyth")
        #expect(loaded["head.weight"] == nil && loaded["head.bias"] != nil && loaded["conv.weight"] != nil)
    }

    @Test func keyMapRenamesAndDetectsCollisions() throws {
        let weights = try PyTorchCheckpoint.readStateDict(WeightFixtures.url("pyslowfast.pyth"))
        let prefixed = try WeightKeyMap([.replacePrefix("", with: "model.")]).apply(to: weights, source: "ptv.pyth")
        #expect(prefixed["model.conv.weight"] == weights["conv.weight"])
        let map = WeightKeyMap([.stripPrefix("model."), .drop(.numBatchesTracked), .replaceFirst("head.", with: "head.projection."),
                                .rename("conv.weight", to: "s1.pathway0_stem.conv.weight")])
        let renamed = try map.apply(to: prefixed, source: "ptv.pyth")
        #expect(renamed.keys.sorted() == ["bn.bias", "bn.running_mean", "bn.running_var", "bn.weight",
                                          "head.projection.bias", "head.projection.weight", "s1.pathway0_stem.conv.weight"])
        #expect(renamed["s1.pathway0_stem.conv.weight"] == weights["conv.weight"])

        let collapse = WeightKeyMap([.custom { $0.hasPrefix("bn.") ? "bn" : $0 }])
        #expect(throws: WeightFileError.malformed(path: "ptv.pyth", reason: "keys bn.bias and bn.num_batches_tracked both map to bn")) {
            try collapse.apply(to: weights, source: "ptv.pyth")
        }
    }
}
