/// Swish and the logistic function over arrays, for activation epilogues: plain loops over the
/// inlined `FastMath` versions, which the compiler vectorises, instead of a libm `expf` call per
/// element (Swish through `expf` was an eighth of X3D-M's inference time). Hand-written `SIMD8` code
/// did worse here: the standard library's lane masks compiled to per-lane inserts.
@usableFromInline
enum VectorMath {
    /// `x * sigmoid(x)` over `count` floats in place.
    @usableFromInline
    static func siluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { let v = x[i]; x[i] = v * FastMath.sigmoid(v) }
    }

    /// `sigmoid(x)` over `count` floats in place.
    @usableFromInline
    static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = FastMath.sigmoid(x[i]) }
    }

    /// `silu(x * gate)` over `count` floats.
    static func gatedSiLU(_ x: UnsafePointer<Float>, gate: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                          count: Int) {
        for i in 0..<count { let v = x[i] * gate[i]; y[i] = v * FastMath.sigmoid(v) }
    }
}
