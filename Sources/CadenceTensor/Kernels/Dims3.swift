/// Three extents along time, height and width (a kernel size, stride, padding or dilation).
public struct Dims3: Sendable, Hashable, CustomStringConvertible {
    public var t: Int
    public var h: Int
    public var w: Int

    public init(_ t: Int, _ h: Int, _ w: Int) {
        self.t = t
        self.h = h
        self.w = w
    }

    /// The same extent on all three axes.
    public init(all value: Int) { self.init(value, value, value) }

    /// `t * h * w`.
    public var volume: Int { t * h * w }

    public var description: String { "(\(t), \(h), \(w))" }

    /// Output extent of a sliding window along one axis, PyTorch's floor rule.
    @inlinable
    static func outputExtent(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        let span = dilation * (kernel - 1) + 1
        let padded = input + 2 * padding
        return padded < span ? 0 : (padded - span) / stride + 1
    }

    /// Checks sizes and returns the output extents of a window sliding over `input`.
    static func slide(
        kernelName: String, input: Dims3, kernel: Dims3, stride: Dims3, padding: Dims3, dilation: Dims3
    ) throws -> Dims3 {
        for (field, v) in [("input T", input.t), ("input H", input.h), ("input W", input.w),
                           ("kernel T", kernel.t), ("kernel H", kernel.h), ("kernel W", kernel.w),
                           ("stride T", stride.t), ("stride H", stride.h), ("stride W", stride.w),
                           ("dilation T", dilation.t), ("dilation H", dilation.h), ("dilation W", dilation.w)]
        where v <= 0 {
            throw KernelError.nonPositive(kernel: kernelName, field: field, value: v)
        }
        for v in [padding.t, padding.h, padding.w] where v < 0 {
            throw KernelError.negativePadding(kernel: kernelName, value: v)
        }
        var out = Dims3(0, 0, 0)
        for (axis, i, k, s, p, d) in [("T", input.t, kernel.t, stride.t, padding.t, dilation.t),
                                      ("H", input.h, kernel.h, stride.h, padding.h, dilation.h),
                                      ("W", input.w, kernel.w, stride.w, padding.w, dilation.w)] {
            let o = outputExtent(input: i, kernel: k, stride: s, padding: p, dilation: d)
            if o <= 0 {
                throw KernelError.emptyOutput(kernel: kernelName, axis: axis, input: i + 2 * p, window: d * (k - 1) + 1)
            }
            switch axis {
            case "T": out.t = o
            case "H": out.h = o
            default: out.w = o
            }
        }
        return out
    }
}
