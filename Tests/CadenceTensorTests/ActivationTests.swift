import Foundation
import Testing
@testable import CadenceTensor

@Suite struct ActivationTests {
    let x = Oracle.tensor([4, 6], seed: 1, low: -4, high: 4)

    @Test func matchDoublePrecisionFormulas() {
        let v = x.toArray().map(Double.init)
        func sigmoid(_ z: Double) -> Double { 1 / (1 + Foundation.exp(-z)) }
        Oracle.expectClose(x.relu(), v.map { Float(Swift.max($0, 0)) }, shape: x.shape)
        Oracle.expectClose(x.sigmoid(), v.map { Float(sigmoid($0)) }, shape: x.shape)
        Oracle.expectClose(x.tanh(), v.map { Float(Foundation.tanh($0)) }, shape: x.shape)
        Oracle.expectClose(x.silu(), v.map { Float($0 * sigmoid($0)) }, shape: x.shape)
        Oracle.expectClose(x.gelu(), v.map { Float(0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot()))) }, shape: x.shape)
    }

    @Test func sigmoidSaturatesWithoutNaN() throws {
        let extreme = try Tensor(shape: [2], values: [-200, 200])
        #expect(extreme.sigmoid().toArray() == [0, 1])
        #expect(extreme.silu().toArray() == [0, 200])
    }

    @Test func gradients() throws {
        let away = try Tensor(shape: [2, 3], values: [-2.1, -0.7, 0.4, 1.3, 2.6, -0.2])
        try Oracle.checkGradients([away]) { $0[0].relu() }
        try Oracle.checkGradients([x]) { $0[0].sigmoid() }
        try Oracle.checkGradients([x]) { $0[0].tanh() }
        try Oracle.checkGradients([x]) { $0[0].silu() }
        try Oracle.checkGradients([x]) { $0[0].gelu() }
    }
}
