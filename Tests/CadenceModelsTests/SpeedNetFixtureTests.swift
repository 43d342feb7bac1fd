import CadenceNN
import CadenceTensor
import Foundation
import Testing
@testable import CadenceModels

/// SpeedNet against PyTorch (scripts/fixtures/speednet.py): the reference X3D backbone with the
/// max-over-space, mean-over-time head, loaded from a weights file in Cadence's SpeedNet format.
@Suite struct SpeedNetFixtureTests {
    private static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/speednet")

    @Test func logitsMatchPyTorch() throws {
        let model = try SpeedNetWeights.read(Self.folder.appendingPathComponent("speednet.safetensors"))
        model.eval()
        #expect(model.config.frames == 5 && model.config.inputSize == 40)
        let input = try NpyFile.read(Self.folder.appendingPathComponent("input.npy"))
        let clip = try Tensor(shape: input.shape, values: input.floats()).permute([0, 2, 3, 4, 1]).contiguous()
        let expected = try NpyFile.read(Self.folder.appendingPathComponent("logits.npy")).floats()
        let scale = max(expected.map(abs).max() ?? 1, 1e-3)
        for logits in [try model(clip).toArray(), try model.folded().forward(clip: clip).toArray()] {
            #expect(logits.count == 2)
            for (a, b) in zip(logits, expected) { #expect(abs(a - b) / scale < 1e-4, "\(logits) vs \(expected)") }
        }
    }
}
