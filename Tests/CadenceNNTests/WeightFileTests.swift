import Foundation
import Testing
@testable import CadenceNN

@Suite struct WeightFileTests {
    @Test func recognisesEachFormatByContent() throws {
        WeightFixtures.expectIdentical(try WeightFile.read(WeightFixtures.url("reference.safetensors")),
                                       try WeightFixtures.expected("reference"))
        #expect(try WeightFile.read(WeightFixtures.url("pyslowfast.pyth"))
                == PyTorchCheckpoint.readStateDict(WeightFixtures.url("pyslowfast.pyth"), key: "model_state"))
        #expect(try WeightFile.read(WeightFixtures.url("arrays.npz")).keys.sorted() == ["first", "second"])
        let url = WeightFixtures.url("reference.safetensors")
        #expect(throws: WeightFileError.unsupported(path: url.path, reason: "a flat weight file has no sub-dict \"model_state\"")) {
            try WeightFile.read(url, key: "model_state")
        }
    }

    @Test func explainsPlainPicklesSuchAsCaffe2Files() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString).pkl")
        try Data([0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E]).write(to: url)  // pickle.dumps({}, 2)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: WeightFileError.self) { try WeightFile.read(url) }
        #expect(error == .unsupported(path: url.path, reason: "a plain Python pickle (such as a Caffe2 .pkl), not a torch zip checkpoint; convert it to safetensors"))
    }
}
