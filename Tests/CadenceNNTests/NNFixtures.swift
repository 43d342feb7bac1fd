import CadenceTensor
import Foundation
import Testing
@testable import CadenceNN

/// The files `scripts/fixtures/nn.py` writes (PyTorch 1.13 reference values), and closeness checks.
enum NNFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nn")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// The `.npy` fixture `name` as a tensor.
    static func tensor(_ name: String) throws -> Tensor {
        let array = try NpyFile.read(url(name + ".npy"))
        return try Tensor(shape: array.shape, values: array.floats())
    }

    /// Expects equal shapes and values within `atol + rtol * |expected|`.
    static func expectClose(
        _ actual: Tensor?, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4,
        _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let actual else {
            Issue.record("\(what): no tensor", sourceLocation: sourceLocation)
            return
        }
        #expect(actual.shape == expected.shape, "\(what) shape", sourceLocation: sourceLocation)
        let a = actual.toArray(), e = expected.toArray()
        guard a.count == e.count else { return }
        var worst: Float = 0, at = 0
        for i in a.indices {
            let excess = Swift.abs(a[i] - e[i]) - (atol + rtol * Swift.abs(e[i]))
            if !(excess <= worst) { worst = excess.isNaN ? .infinity : excess; at = i }
        }
        #expect(worst <= 0, "\(what) element \(at): \(a[at]) vs \(e[at])", sourceLocation: sourceLocation)
    }
}
