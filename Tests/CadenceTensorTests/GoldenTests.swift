import Foundation
import Testing
@testable import CadenceTensor

/// Outputs and gradients compared with PyTorch, from fixtures written by
/// `scripts/fixtures/tensor_ops.py`. Tolerance: 1e-5 absolute + 1e-5 relative (float32 rounding
/// of differently ordered sums).
@Suite struct GoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func load(_ name: String) throws -> Tensor {
        try NpyReader.read(Self.directory.appendingPathComponent("\(name).npy"))
    }

    /// Runs `op` on the case's inputs, then backward with its `gout`, and compares with PyTorch.
    func check(_ name: String, inputs count: Int, tolerance: Float = 1e-5, _ op: ([Tensor]) throws -> Tensor) throws {
        let inputs = try (0..<count).map { try load("\(name)_in\($0)") }
        for x in inputs { x.requiresGrad = true }
        let out = try op(inputs)
        let expected = try load("\(name)_out")
        Oracle.expectClose(out, expected.toArray(), shape: expected.shape, atol: tolerance, rtol: tolerance)
        try out.backward(try load("\(name)_gout"))
        for (i, x) in inputs.enumerated() {
            let grad = try load("\(name)_grad\(i)")
            Oracle.expectClose(x.grad ?? Tensor(.nan), grad.toArray(), shape: grad.shape, atol: tolerance, rtol: tolerance)
        }
    }

    @Test func broadcastingArithmetic() throws {
        try check("add", inputs: 2) { try $0[0] + $0[1] }
        try check("mul", inputs: 2) { try $0[0] * $0[1] }
    }

    @Test func reductions() throws {
        try check("sum", inputs: 1) { try $0[0].sum(axes: [0, 2], keepDims: true) }
        try check("mean", inputs: 1) { try $0[0].mean(axis: 1) }
        try check("amax", inputs: 1) { try $0[0].max(axis: 2) }
        try check("var", inputs: 1) { try $0[0].variance(axes: [1]) }
        #expect(try load("argmax_in0").argmax(axis: 1).toArray() == load("argmax_out").toArray())
    }

    @Test func batchedMatmul() throws {
        try check("matmul", inputs: 2) { try $0[0].matmul($0[1]) }
    }

    @Test func softmaxAndGelu() throws {
        try check("softmax", inputs: 1) { try $0[0].softmax(axis: 1) }
        try check("log_softmax", inputs: 1) { try $0[0].logSoftmax(axis: -1) }
        try check("gelu", inputs: 1) { $0[0].gelu() }
    }

    @Test func interpolation() throws {
        for (tag, align) in [("noac", false), ("ac", true)] {
            for size in [3, 8] {
                try check("linear_\(tag)_\(size)", inputs: 1) { try $0[0].interpolateLinear(axis: -1, size: size, alignCorners: align) }
            }
            try check("trilinear_\(tag)", inputs: 1) { try $0[0].interpolateTrilinear(size: [4, 5, 3], alignCorners: align) }
        }
    }

    @Test func gatherAndConcat() throws {
        let indices = try load("index_select_indices")
        try check("index_select", inputs: 1) { try $0[0].indexSelect(axis: 1, indices: indices) }
        try check("concat", inputs: 2) { try Tensor.concat([$0[0], $0[1], $0[0]], axis: 1) }
    }
}
