/// What the two Winograd conv kernels share (`WinogradConv3d` for spatial 3x3 convs,
/// `TemporalWinogradConv3d` for temporal 3-tap ones): with unit stride and padding 1 the data
/// gradient is the same conv with each filter reversed and input and output channels swapped, so one
/// `convolve` serves both passes.
protocol WinogradConvolution {
    static func handles(_ g: Conv3dGeometry) -> Bool

    /// The conv of `g` (`adjoint` false) or its data gradient (`adjoint` true: `input` is the output
    /// gradient and `output` the input gradient, overwritten).
    static func convolve(
        _ g: Conv3dGeometry, _ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, adjoint: Bool,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>)
}

extension WinogradConvolution {
    /// Narrower convs (SlowFast's fast pathway) make products too thin for BLAS to gain.
    static var minimumChannels: Int { 32 }

    /// `output = act(conv(input, weights) + bias)`; see `Conv3d.forward`.
    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        convolve(g, input, weights, adjoint: false, bias: bias, activation: activation, output: output)
    }

    /// Every filter of `weights` (`[O, taps, C]` with the taps in kernel order) transformed into
    /// `positions` values, as `[positions][O][C]`; `reversed` reads each filter's taps last to first
    /// (the filters turned for the data gradient). `transform(tap, store)` maps one vector of input
    /// channels of one filter: `tap(k)` loads tap `k`, `store(p, v)` writes position `p`.
    static func transformedFilters(
        _ weights: UnsafePointer<Float>, outputChannels o: Int, inputChannels c: Int, taps: Int, positions: Int,
        reversed: Bool, _ transform: (_ tap: (Int) -> FloatVector, _ store: (Int, FloatVector) -> Void) -> Void
    ) -> Scratch {
        let u = Scratch(positions * o * c)
        let plane = o * c
        let starts = ChannelVectors(channels: c).starts
        for oc in 0..<o {
            let filter = weights + oc * taps * c
            for ic in starts {
                let out = u.pointer + oc * c + ic
                transform({ loadVector(filter + (reversed ? taps - 1 - $0 : $0) * c + ic) },
                          { storeVector($1, out + $0 * plane) })
            }
        }
        return u
    }

    /// `gradInput` from `gradOutput` (overwritten).
    static func backwardData(
        _ g: Conv3dGeometry, gradOutput: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>
    ) {
        convolve(g, gradOutput, weights, adjoint: true, bias: nil, activation: .identity, output: gradInput)
    }
}

/// Winograd's minimal filtering F(2, 3) in one dimension, on vectors of channels: 4 inputs and 3
/// taps give 2 outputs through 4 products. Applied along rows and columns it is F(2x2, 3x3).
enum WinogradF23 {
    /// One dimension of the filter transform: `G [a, b, d]` with `G` rows (1,0,0), (½,½,½), (½,-½,½), (0,0,1).
    @inline(__always)
    static func filterTransform(_ a: FloatVector, _ b: FloatVector, _ d: FloatVector)
        -> (FloatVector, FloatVector, FloatVector, FloatVector) {
        (a, 0.5 * (a + b + d), 0.5 * (a - b + d), d)
    }

    /// One dimension of the patch transform: `Bᵀ [a, b, c, d]` = (a - c, b + c, c - b, b - d).
    @inline(__always)
    static func patchTransform(_ a: FloatVector, _ b: FloatVector, _ c: FloatVector, _ d: FloatVector)
        -> (FloatVector, FloatVector, FloatVector, FloatVector) {
        (a - c, b + c, c - b, b - d)
    }

    /// One dimension of the output transform: `Aᵀ [a, b, c, d]` = (a + b + c, b - c - d).
    @inline(__always)
    static func outputTransform(_ a: FloatVector, _ b: FloatVector, _ c: FloatVector, _ d: FloatVector)
        -> (FloatVector, FloatVector) {
        (a + b + c, b - c - d)
    }
}
