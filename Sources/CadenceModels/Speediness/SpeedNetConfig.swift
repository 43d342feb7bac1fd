/// Everything needed to rebuild a SpeedNet and feed it: the X3D backbone's shape, the window length
/// and the input size it was trained at, and the pixel normalisation. Stored as JSON in the weights
/// file's metadata (see `SpeedNetWeights`).
public struct SpeedNetConfig: Codable, Sendable, Equatable {
    /// X3D's `DIM_C1` (stem width before the width factor).
    public var dimC1: Int = 12
    public var widthFactor: Double = 2.0
    public var depthFactor: Double = 2.2
    public var bottleneckFactor: Double = 2.25
    /// X3D's `SCALE_RES2`.
    public var scaleRes2: Bool = false
    /// Frames per window (T) the model was trained on and inference slides.
    public var frames: Int = 16
    /// Short side frames are resized to before they enter the network.
    public var inputSize: Int = 112
    /// Pixel normalisation `(pixel / 255 - mean) / std`, the same for every channel (X3D's).
    public var mean: Float = 0.45
    public var std: Float = 0.225

    public init() {}

    /// The X3D-XS backbone, 16-frame windows at short side 112.
    public static let xs = SpeedNetConfig()

    /// The X3D configuration whose stem and stages form the backbone (its head fields are unused).
    public var backbone: X3DConfig {
        var config = X3DConfig(frames: frames, trainCrop: inputSize, depthFactor: depthFactor)
        config.dimC1 = dimC1
        config.widthFactor = widthFactor
        config.bottleneckFactor = bottleneckFactor
        config.scaleRes2 = scaleRes2
        return config
    }

    /// Checks the values a weights file or a caller could get wrong.
    public func validate() throws {
        guard dimC1 > 0, widthFactor > 0, depthFactor > 0, bottleneckFactor > 0 else {
            throw ModelError("SpeedNet", "backbone widths and factors must be positive: \(self)")
        }
        guard frames > 0, inputSize >= SpeedNet.minimumSide, std > 0 else {
            throw ModelError("SpeedNet", "needs frames > 0, input size >= \(SpeedNet.minimumSide) and std > 0: \(self)")
        }
    }
}
