import Foundation

// MARK: - Binary operations with broadcasting

extension Tensor {
    /// Elementwise sum, broadcasting NumPy-style.
    public func add(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "add", Add()).recording("add", inputs: [a, b]) { g in
            [try g.sum(toShape: a.shape), try g.sum(toShape: b.shape)]
        }
    }

    /// Elementwise difference, broadcasting NumPy-style.
    public func sub(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "sub", Subtract()).recording("sub", inputs: [a, b]) { g in
            [try g.sum(toShape: a.shape), b.requiresGrad ? try g.neg().sum(toShape: b.shape) : nil]
        }
    }

    /// Elementwise product, broadcasting NumPy-style.
    public func mul(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "mul", Multiply()).recording("mul", inputs: [a, b]) { g in
            [a.requiresGrad ? try Tensor.map(g, b, "mul", Multiply()).sum(toShape: a.shape) : nil,
             b.requiresGrad ? try Tensor.map(g, a, "mul", Multiply()).sum(toShape: b.shape) : nil]
        }
    }

    /// Elementwise quotient, broadcasting NumPy-style.
    public func div(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "div", Divide()).recording("div", inputs: [a, b]) { g in
            [a.requiresGrad ? try Tensor.map(g, b, "div", Divide()).sum(toShape: a.shape) : nil,
             b.requiresGrad ? try Tensor.map(g, a, b, "div") { g, a, b in -g * a / (b * b) }.sum(toShape: b.shape) : nil]
        }
    }

    /// Elementwise maximum; where both are equal the gradient is split evenly, as PyTorch does.
    public func maximum(_ other: Tensor) throws -> Tensor {
        try extremum(other, "maximum", pickSelf: { $0 > $1 })
    }

    /// Elementwise minimum; where both are equal the gradient is split evenly, as PyTorch does.
    public func minimum(_ other: Tensor) throws -> Tensor {
        try extremum(other, "minimum", pickSelf: { $0 < $1 })
    }

    private func extremum(_ other: Tensor, _ name: String, pickSelf: @escaping (Float, Float) -> Bool) throws -> Tensor {
        let (a, b) = (self, other)
        let out = try Tensor.map(a, b, name) { x, y in x.isNaN || pickSelf(x, y) ? x : (y.isNaN || x != y ? y : x) }
        return out.recording(name, inputs: [a, b]) { g in
            // Share of the gradient that goes to `a`: 1, 0, or 1/2 on ties.
            let share = try Tensor.map(a, b, name) { x, y in pickSelf(x, y) ? 1 : (x == y ? 0.5 : 0) }
            return [a.requiresGrad ? try Tensor.map(g, share, name, Multiply()).sum(toShape: a.shape) : nil,
                    b.requiresGrad ? try Tensor.map(g, share, name) { g, s in g * (1 - s) }.sum(toShape: b.shape) : nil]
        }
    }

    /// `condition ? a : b` elementwise (a non-zero condition counts as true), all three broadcast.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = try Tensor.map(condition, a, b, "where") { c, x, y in c != 0 ? x : y }
        return out.recording("where", inputs: [a, b]) { g in
            [a.requiresGrad ? try Tensor.map(condition, g, "where") { c, g in c != 0 ? g : 0 }.sum(toShape: a.shape) : nil,
             b.requiresGrad ? try Tensor.map(condition, g, "where") { c, g in c != 0 ? 0 : g }.sum(toShape: b.shape) : nil]
        }
    }

    /// `a` if the condition holds, else the scalar `b`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Float) throws -> Tensor {
        try Tensor.where(condition, a, Tensor(b))
    }
}

struct Add: BinaryFunction { func callAsFunction(_ x: Float, _ y: Float) -> Float { x + y } }
struct Subtract: BinaryFunction { func callAsFunction(_ x: Float, _ y: Float) -> Float { x - y } }
struct Multiply: BinaryFunction { func callAsFunction(_ x: Float, _ y: Float) -> Float { x * y } }
struct Divide: BinaryFunction { func callAsFunction(_ x: Float, _ y: Float) -> Float { x / y } }

// MARK: - Comparisons (masks of 0 and 1, not differentiable)

extension Tensor {
    private func compare(_ other: Tensor, _ name: String, _ test: @escaping (Float, Float) -> Bool) throws -> Tensor {
        try Tensor.map(self, other, name) { test($0, $1) ? 1 : 0 }
    }

    /// 1 where `self == other`, else 0.
    public func equal(_ other: Tensor) throws -> Tensor { try compare(other, "equal", ==) }
    /// 1 where `self != other`, else 0.
    public func notEqual(_ other: Tensor) throws -> Tensor { try compare(other, "notEqual", !=) }
    /// 1 where `self < other`, else 0.
    public func less(_ other: Tensor) throws -> Tensor { try compare(other, "less", <) }
    /// 1 where `self <= other`, else 0.
    public func lessEqual(_ other: Tensor) throws -> Tensor { try compare(other, "lessEqual", <=) }
    /// 1 where `self > other`, else 0.
    public func greater(_ other: Tensor) throws -> Tensor { try compare(other, "greater", >) }
    /// 1 where `self >= other`, else 0.
    public func greaterEqual(_ other: Tensor) throws -> Tensor { try compare(other, "greaterEqual", >=) }

    /// 1 where `self == value`, else 0.
    public func equal(_ value: Float) -> Tensor { Tensor.map(self) { $0 == value ? 1 : 0 } }
    /// 1 where `self != value`, else 0.
    public func notEqual(_ value: Float) -> Tensor { Tensor.map(self) { $0 != value ? 1 : 0 } }
    /// 1 where `self < value`, else 0.
    public func less(_ value: Float) -> Tensor { Tensor.map(self) { $0 < value ? 1 : 0 } }
    /// 1 where `self <= value`, else 0.
    public func lessEqual(_ value: Float) -> Tensor { Tensor.map(self) { $0 <= value ? 1 : 0 } }
    /// 1 where `self > value`, else 0.
    public func greater(_ value: Float) -> Tensor { Tensor.map(self) { $0 > value ? 1 : 0 } }
    /// 1 where `self >= value`, else 0.
    public func greaterEqual(_ value: Float) -> Tensor { Tensor.map(self) { $0 >= value ? 1 : 0 } }
}

// MARK: - Unary operations

/// A differentiable elementwise function: its value, and its derivative given the input `x` and the
/// output `y = f(x)` (whichever is cheaper to use). Ops written as such a struct run in vectorised
/// loops forward and backward.
protocol ElementwiseFunction: UnaryFunction {
    func derivative(_ x: Float, _ y: Float) -> Float
    /// Whether `derivative` uses `y`; when not, the backward pass reads one tensor fewer.
    var derivativeReadsOutput: Bool { get }
}

extension ElementwiseFunction {
    var derivativeReadsOutput: Bool { true }
}

/// The backward of an `ElementwiseFunction` whose derivative needs only the input.
private struct InputChainRule<F: ElementwiseFunction>: BinaryFunction {
    let f: F
    func callAsFunction(_ g: Float, _ x: Float) -> Float { g * f.derivative(x, 0) }
}

/// The backward of an `ElementwiseFunction`: `gradOutput * f'(x)`.
private struct ChainRule<F: ElementwiseFunction>: TernaryFunction {
    let f: F
    func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g * f.derivative(x, y) }
}

/// An elementwise function given as two closures.
private struct ClosureFunction: ElementwiseFunction {
    let value: (Float) -> Float
    let slope: (Float, Float) -> Float
    func callAsFunction(_ x: Float) -> Float { value(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { slope(x, y) }
}

extension Tensor {
    /// Applies `f` elementwise, recording `f`'s derivative for the backward pass.
    func unary<F: ElementwiseFunction>(_ name: String, _ f: F) -> Tensor {
        let x = self
        let y = Tensor.map(x, f)
        guard f.derivativeReadsOutput else {
            return y.recording(name, inputs: [x]) { g in [try Tensor.map(g, x, name, InputChainRule(f: f))] }
        }
        let output = y.detach()
        return y.recording(name, inputs: [x]) { g in [try Tensor.map(g, x, output, name, ChainRule(f: f))] }
    }

    /// Applies `f` elementwise; the backward multiplies the incoming gradient by
    /// `derivative(x, y)`, where `x` is the input element and `y = f(x)`.
    ///
    /// The shortest way to add a differentiable elementwise operation from another module (closures
    /// cost a call per element; the built-in operations use vectorised structs instead).
    public func unary(
        _ name: String, _ f: @escaping (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float
    ) -> Tensor {
        unary(name, ClosureFunction(value: f, slope: derivative))
    }

    /// `-self`.
    public func neg() -> Tensor { unary("neg", Negate()) }
    /// `e^self`.
    public func exp() -> Tensor { unary("exp", Exp()) }
    /// Natural logarithm.
    public func log() -> Tensor { unary("log", Log()) }
    /// Square root.
    public func sqrt() -> Tensor { unary("sqrt", SquareRoot()) }
    /// `1 / sqrt(self)`.
    public func rsqrt() -> Tensor { unary("rsqrt", ReciprocalSquareRoot()) }
    /// Absolute value (gradient 0 at 0, as PyTorch).
    public func abs() -> Tensor { unary("abs", Absolute()) }
    /// `self * self`.
    public func square() -> Tensor { unary("square", Square()) }
    /// `self` raised to a constant power.
    public func pow(_ exponent: Float) -> Tensor { unary("pow", Power(exponent: exponent)) }
    /// Limits every element to `[min, max]` (either bound optional); the gradient passes where the
    /// input lies inside the closed range, as PyTorch.
    public func clamp(min low: Float? = nil, max high: Float? = nil) -> Tensor {
        unary("clamp", Clamp(low: low ?? -.infinity, high: high ?? .infinity))
    }

    /// `self + value`.
    public func add(_ value: Float) -> Tensor { unary("add", AddScalar(value: value)) }
    /// `self - value`.
    public func sub(_ value: Float) -> Tensor { unary("sub", AddScalar(value: -value)) }
    /// `self * value`.
    public func mul(_ value: Float) -> Tensor { unary("mul", MultiplyScalar(value: value)) }
    /// `self / value`.
    public func div(_ value: Float) -> Tensor { unary("div", DivideByScalar(value: value)) }
    /// `value - self`.
    public func reverseSub(_ value: Float) -> Tensor { unary("rsub", SubtractFromScalar(value: value)) }
    /// `value / self`.
    public func reverseDiv(_ value: Float) -> Tensor { unary("rdiv", DivideScalar(value: value)) }
    /// Elementwise `max(self, value)`; ties split the gradient as `maximum`.
    public func maximum(_ value: Float) -> Tensor { unary("maximum", ScalarExtremum(value: value, larger: true)) }
    /// Elementwise `min(self, value)`; ties split the gradient as `minimum`.
    public func minimum(_ value: Float) -> Tensor { unary("minimum", ScalarExtremum(value: value, larger: false)) }
}

private struct Negate: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { -x }
    func derivative(_ x: Float, _ y: Float) -> Float { -1 }
}
private struct Exp: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { FastMath.exp(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { y }
}
private struct Log: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { Foundation.log(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { 1 / x }
}
private struct SquareRoot: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { x.squareRoot() }
    func derivative(_ x: Float, _ y: Float) -> Float { 0.5 / y }
}
private struct ReciprocalSquareRoot: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { 1 / x.squareRoot() }
    func derivative(_ x: Float, _ y: Float) -> Float { -0.5 * y * y * y }
}
private struct Absolute: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { Swift.abs(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}
private struct Square: ElementwiseFunction {
    func callAsFunction(_ x: Float) -> Float { x * x }
    func derivative(_ x: Float, _ y: Float) -> Float { 2 * x }
}
private struct Power: ElementwiseFunction {
    let exponent: Float
    func callAsFunction(_ x: Float) -> Float { Foundation.pow(x, exponent) }
    func derivative(_ x: Float, _ y: Float) -> Float { exponent == 0 ? 0 : exponent * Foundation.pow(x, exponent - 1) }
}
private struct Clamp: ElementwiseFunction {
    let low: Float, high: Float
    func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, low), high) }
    func derivative(_ x: Float, _ y: Float) -> Float { x >= low && x <= high ? 1 : 0 }
}
private struct AddScalar: ElementwiseFunction {
    let value: Float
    func callAsFunction(_ x: Float) -> Float { x + value }
    func derivative(_ x: Float, _ y: Float) -> Float { 1 }
}
private struct MultiplyScalar: ElementwiseFunction {
    let value: Float
    func callAsFunction(_ x: Float) -> Float { x * value }
    func derivative(_ x: Float, _ y: Float) -> Float { value }
}
private struct DivideByScalar: ElementwiseFunction {
    let value: Float
    func callAsFunction(_ x: Float) -> Float { x / value }
    func derivative(_ x: Float, _ y: Float) -> Float { 1 / value }
}
private struct SubtractFromScalar: ElementwiseFunction {
    let value: Float
    func callAsFunction(_ x: Float) -> Float { value - x }
    func derivative(_ x: Float, _ y: Float) -> Float { -1 }
}
private struct DivideScalar: ElementwiseFunction {
    let value: Float
    func callAsFunction(_ x: Float) -> Float { value / x }
    func derivative(_ x: Float, _ y: Float) -> Float { -value / (x * x) }
}
private struct ScalarExtremum: ElementwiseFunction {
    let value: Float
    let larger: Bool
    func callAsFunction(_ x: Float) -> Float { larger ? Swift.max(x, value) : Swift.min(x, value) }
    func derivative(_ x: Float, _ y: Float) -> Float { x == value ? 0.5 : ((x > value) == larger ? 1 : 0) }
}

// MARK: - Operators

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.add(b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.sub(b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.mul(b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.div(b) }
    public static func + (a: Tensor, b: Float) -> Tensor { a.add(b) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.sub(b) }
    public static func * (a: Tensor, b: Float) -> Tensor { a.mul(b) }
    public static func / (a: Tensor, b: Float) -> Tensor { a.div(b) }
    public static func + (a: Float, b: Tensor) -> Tensor { b.add(a) }
    public static func - (a: Float, b: Tensor) -> Tensor { b.reverseSub(a) }
    public static func * (a: Float, b: Tensor) -> Tensor { b.mul(a) }
    public static func / (a: Float, b: Tensor) -> Tensor { b.reverseDiv(a) }
    public static prefix func - (a: Tensor) -> Tensor { a.neg() }
}
