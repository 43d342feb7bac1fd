import Foundation
import Testing
@testable import CadenceTensor

@Suite struct AutogradTests {
    @Test func gradientsAccumulateUntilZeroed() throws {
        let w = try Tensor(shape: [2], values: [1, 2])
        w.requiresGrad = true
        try (w * 3).sum().backward()
        try (w * 3).sum().backward()
        #expect(w.grad?.toArray() == [6, 6])
        w.zeroGrad()
        try w.square().sum().backward()
        #expect(w.grad?.toArray() == [2, 4])
    }

    @Test func reusedTensorsAndDiamondsSumTheirPaths() throws {
        let x = try Tensor(shape: [3], values: [1, -2, 3])
        x.requiresGrad = true
        let y = x.exp()
        let loss = try (y * x + y.mul(2)).sum()  // d/dx = e^x (x + 1) + 2 e^x
        try loss.backward()
        let expected = x.toArray().map { Float(Foundation.exp(Double($0)) * (Double($0) + 3)) }
        Oracle.expectClose(x.grad ?? Tensor(0), expected, shape: [3])
    }

    @Test func detachAndNoGradStopRecording() throws {
        let x = Tensor.ones([2], requiresGrad: true)
        let cut = x.detach() * 5
        #expect(!cut.requiresGrad)
        #expect(cut.isLeaf)
        let inside = try Tensor.withNoGrad { try (x * x).sum() }
        #expect(!Tensor.isGradEnabled || !inside.requiresGrad)
        #expect(inside.isLeaf && !inside.requiresGrad)
        #expect(Tensor.isGradEnabled)
        let outside = try (x * x).sum()
        #expect(outside.requiresGrad)
        #expect(outside.gradOperation == "sum")
        #expect(throws: TensorError.self) { try inside.backward() }
    }

    @Test func backwardNeedsScalarOrExplicitGradient() throws {
        let x = Tensor.ones([2, 2], requiresGrad: true)
        let y = x * 2
        #expect(throws: TensorError.self) { try y.backward() }
        try y.backward(Tensor.full([2, 2], 0.5))
        #expect(x.grad?.toArray() == [1, 1, 1, 1])
        #expect(throws: TensorError.self) { try y.backward(Tensor.ones([4])) }
    }

    @Test func onlyLeavesKeepGradients() throws {
        let x = Tensor.ones([2], requiresGrad: true)
        let constant = Tensor.ones([2])
        let hidden = x * 2
        try (hidden * constant).sum().backward()
        #expect(hidden.grad == nil)
        #expect(constant.grad == nil)
        #expect(x.grad?.toArray() == [2, 2])
    }

    @Test func deepGraphsBackpropagateAndFreeOnSmallStacks() throws {
        // 20k chained operations on a thread with a 256 KiB stack: recursion proportional to the
        // depth in backward or in freeing the graph would crash here.
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var gradient: [Float] = []
        let thread = Thread {
            let x = Tensor.ones([1], requiresGrad: true)
            var y = x
            for _ in 0..<20_000 { y = y * 1 }
            try? y.sum().backward()
            y = Tensor(0)
            gradient = x.grad?.toArray() ?? []
            finished.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        finished.wait()
        #expect(gradient == [1])
    }

    @Test func customOperationThroughRecording() throws {
        // The extension point other files use: forward by hand, then `recording` with a backward.
        func cube(_ x: Tensor) -> Tensor {
            let y = Tensor(shape: x.shape) { out in
                let v = x.toArray()
                for i in v.indices { out[i] = v[i] * v[i] * v[i] }
            }
            return y.recording("cube", inputs: [x]) { g in [try g * x.square().mul(3)] }
        }
        try Oracle.checkGradients([Oracle.tensor([3], seed: 1)]) { cube($0[0]) }
    }
}
