import CadenceTensor
import Testing
@testable import CadenceNN

/// Losses against PyTorch's values and gradients (scripts/fixtures/nn.py).
@Suite struct LossTests {
    private func targets() throws -> [Int] { try NNFixtures.tensor("ce_targets").toArray().map { Int($0) } }

    @Test(arguments: [("ce", Float(0)), ("ce_smooth", Float(0.1))])
    func crossEntropyMatchesPyTorch(_ stem: String, _ smoothing: Float) throws {
        let logits = try NNFixtures.tensor("ce_logits")
        logits.requiresGrad = true
        let loss = try crossEntropy(logits, targets: targets(), labelSmoothing: smoothing)
        NNFixtures.expectClose(try loss.reshape([1]), try NNFixtures.tensor(stem + "_loss"), "loss")
        try loss.backward()
        NNFixtures.expectClose(logits.grad, try NNFixtures.tensor(stem + "_grad"), "grad")
    }

    @Test func softTargetCrossEntropyMatchesPyTorch() throws {
        let logits = try NNFixtures.tensor("ce_logits")
        logits.requiresGrad = true
        let loss = try softTargetCrossEntropy(logits, targets: NNFixtures.tensor("soft_targets"))
        NNFixtures.expectClose(try loss.reshape([1]), try NNFixtures.tensor("soft_loss"), "loss")
        try loss.backward()
        NNFixtures.expectClose(logits.grad, try NNFixtures.tensor("soft_grad"), "grad")
    }

    @Test func binaryCrossEntropyWithLogitsIsStableAndMatchesPyTorch() throws {
        let logits = try NNFixtures.tensor("bce_logits")
        logits.requiresGrad = true
        let loss = try binaryCrossEntropyWithLogits(logits, targets: NNFixtures.tensor("bce_targets"))
        NNFixtures.expectClose(try loss.reshape([1]), try NNFixtures.tensor("bce_loss"), "loss")
        try loss.backward()
        NNFixtures.expectClose(logits.grad, try NNFixtures.tensor("bce_grad"), atol: 1e-7, "grad")
    }

    @Test func lossesRejectBadTargets() throws {
        let logits = Tensor.zeros([2, 3])
        #expect(throws: NNError.self) { try crossEntropy(logits, targets: [0, 3]) }
        #expect(throws: NNError.self) { try crossEntropy(logits, targets: [0]) }
        #expect(throws: NNError.self) { try softTargetCrossEntropy(logits, targets: Tensor.zeros([3, 2])) }
        #expect(throws: NNError.self) { try binaryCrossEntropyWithLogits(logits, targets: Tensor.zeros([3])) }
    }
}
