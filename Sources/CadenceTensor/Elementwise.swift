import Foundation

// MARK: - Binary operations with broadcasting

extension Tensor {
    /// Elementwise sum, broadcasting NumPy-style.
    public func add(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "add", +).recording("add", inputs: [a, b]) { g in
            [try g.sum(toShape: a.shape), try g.sum(toShape: b.shape)]
        }
    }

    /// Elementwise difference, broadcasting NumPy-style.
    public func sub(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "sub", -).recording("sub", inputs: [a, b]) { g in
            [try g.sum(toShape: a.shape), b.requiresGrad ? try g.neg().sum(toShape: b.shape) : nil]
        }
    }

    /// Elementwise product, broadcasting NumPy-style.
    public func mul(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "mul", *).recording("mul", inputs: [a, b]) { g in
            [a.requiresGrad ? try Tensor.map(g, b, "mul", *).sum(toShape: a.shape) : nil,
             b.requiresGrad ? try Tensor.map(g, a, "mul", *).sum(toShape: b.shape) : nil]
        }
    }

    /// Elementwise quotient, broadcasting NumPy-style.
    public func div(_ other: Tensor) throws -> Tensor {
        let (a, b) = (self, other)
        return try Tensor.map(a, b, "div", /).recording("div", inputs: [a, b]) { g in
            [a.requiresGrad ? try Tensor.map(g, b, "div", /).sum(toShape: a.shape) : nil,
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
            return [a.requiresGrad ? try Tensor.map(g, share, name, *).sum(toShape: a.shape) : nil,
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

// MARK: - Comparisons (masks of 0 and 1, not differentiable)

extension Tensor {
    private func compare(_ other: Tensor, _ name: String, _ test: (Float, Float) -> Bool) throws -> Tensor {
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

extension Tensor {
    /// Applies `f` elementwise; the backward multiplies the incoming gradient by
    /// `derivative(x, y)`, where `x` is the input element and `y = f(x)`.
    ///
    /// This is the shortest way to add a differentiable elementwise operation.
    @inline(__always)
    public func unary(
        _ name: String, _ f: (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float
    ) -> Tensor {
        let x = self
        let y = Tensor.map(x, f)
        let output = y.detach()
        return y.recording(name, inputs: [x]) { g in
            [try Tensor.map(g, x, output, name) { g, x, y in g * derivative(x, y) }]
        }
    }

    /// `-self`.
    public func neg() -> Tensor { unary("neg", { -$0 }, derivative: { _, _ in -1 }) }
    /// `e^self`.
    public func exp() -> Tensor { unary("exp", { Foundation.exp($0) }, derivative: { _, y in y }) }
    /// Natural logarithm.
    public func log() -> Tensor { unary("log", { Foundation.log($0) }, derivative: { x, _ in 1 / x }) }
    /// Square root.
    public func sqrt() -> Tensor { unary("sqrt", { $0.squareRoot() }, derivative: { _, y in 0.5 / y }) }
    /// `1 / sqrt(self)`.
    public func rsqrt() -> Tensor { unary("rsqrt", { 1 / $0.squareRoot() }, derivative: { _, y in -0.5 * y * y * y }) }
    /// Absolute value (gradient 0 at 0, as PyTorch).
    public func abs() -> Tensor {
        unary("abs", { Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) })
    }
    /// `self * self`.
    public func square() -> Tensor { unary("square", { $0 * $0 }, derivative: { x, _ in 2 * x }) }
    /// `self` raised to a constant power.
    public func pow(_ exponent: Float) -> Tensor {
        unary("pow", { Foundation.pow($0, exponent) },
              derivative: { x, _ in exponent == 0 ? 0 : exponent * Foundation.pow(x, exponent - 1) })
    }
    /// Limits every element to `[min, max]` (either bound optional); the gradient passes where the
    /// input lies inside the closed range, as PyTorch.
    public func clamp(min low: Float? = nil, max high: Float? = nil) -> Tensor {
        let lo = low ?? -.infinity, hi = high ?? .infinity
        return unary("clamp", { Swift.min(Swift.max($0, lo), hi) },
                     derivative: { x, _ in x >= lo && x <= hi ? 1 : 0 })
    }

    /// `self + value`.
    public func add(_ value: Float) -> Tensor { unary("add", { $0 + value }, derivative: { _, _ in 1 }) }
    /// `self - value`.
    public func sub(_ value: Float) -> Tensor { unary("sub", { $0 - value }, derivative: { _, _ in 1 }) }
    /// `self * value`.
    public func mul(_ value: Float) -> Tensor { unary("mul", { $0 * value }, derivative: { _, _ in value }) }
    /// `self / value`.
    public func div(_ value: Float) -> Tensor { unary("div", { $0 / value }, derivative: { _, _ in 1 / value }) }
    /// `value - self`.
    public func reverseSub(_ value: Float) -> Tensor { unary("rsub", { value - $0 }, derivative: { _, _ in -1 }) }
    /// `value / self`.
    public func reverseDiv(_ value: Float) -> Tensor {
        unary("rdiv", { value / $0 }, derivative: { x, _ in -value / (x * x) })
    }
    /// Elementwise `max(self, value)`; ties split the gradient as `maximum`.
    public func maximum(_ value: Float) -> Tensor {
        unary("maximum", { Swift.max($0, value) }, derivative: { x, _ in x > value ? 1 : (x == value ? 0.5 : 0) })
    }
    /// Elementwise `min(self, value)`; ties split the gradient as `minimum`.
    public func minimum(_ value: Float) -> Tensor {
        unary("minimum", { Swift.min($0, value) }, derivative: { x, _ in x < value ? 1 : (x == value ? 0.5 : 0) })
    }
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
