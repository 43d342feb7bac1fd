import CadenceTensor
import CadenceVideo
import Foundation

/// Runs SpeedNet over a whole video (reference A4): for each factor of the grid, re-timed windows of
/// `config.frames` frames every `stride` source frames, scored in batches and aggregated into a
/// `SpeedinessCurve`.
public struct SpeedinessEstimator {
    /// The re-timing grid 1, 1.25, …, 4.
    public static let defaultFactors: [Double] = Array(Swift.stride(from: 1.0, through: 4.0, by: 0.25))

    /// The network, batch norms folded.
    public var model: FoldedSpeedNet
    /// Window length (`frames`), input size and normalisation; the model's own by default, and
    /// changeable since the network takes any length and size.
    public var config: SpeedNetConfig
    /// Re-timing factors, ascending.
    public var factors: [Double]
    /// Source frames between the starts of consecutive windows.
    public var stride: Int
    /// Windows per forward pass.
    public var batchSize: Int

    public init(model: SpeedNet, factors: [Double] = defaultFactors, stride: Int = 8, batchSize: Int = 4) throws {
        guard !factors.isEmpty, factors.allSatisfy({ $0 >= 1 }) else {
            throw ModelError("speediness", "factors must be at least 1, got \(factors)")
        }
        guard stride > 0, batchSize > 0 else {
            throw ModelError("speediness", "stride and batch size must be positive, got \(stride) and \(batchSize)")
        }
        model.eval()
        self.model = try model.folded()
        config = model.config
        self.factors = factors.sorted()
        self.stride = stride
        self.batchSize = batchSize
    }

    /// Decodes `path` at the model's input size (short side `config.inputSize`, aspect kept) and
    /// estimates its curve. The decoded frames are held in memory (about 50 kB each at 112x149). `progress(done, total)` is called after each batch of windows.
    public func estimate(path: String, progress: (Int, Int) -> Void = { _, _ in }) throws -> SpeedinessCurve {
        let reader = try VideoReader(path: path, resize: .shortSide(config.inputSize))
        var frames: [VideoFrame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        guard let fps = reader.info.averageFrameRate.value, fps > 0 else {
            throw ModelError(path, "no usable frame rate (\(reader.info.averageFrameRate))")
        }
        do {
            return try estimate(frames: frames, fps: fps, progress: progress)
        } catch let error as ModelError {
            throw ModelError(path, error.description)
        }
    }

    /// Estimates the curve of decoded frames (all of one size, at least 32x32).
    public func estimate(frames: [VideoFrame], fps: Double, progress: (Int, Int) -> Void = { _, _ in }) throws -> SpeedinessCurve {
        let plan = factors.flatMap { factor in
            SpeedinessSampling.windowPositions(videoFrames: frames.count, frames: config.frames, factor: factor, stride: stride)
                .map { (factor, SpeedinessSampling.retimedWindow(position: $0, frames: config.frames, factor: factor)) }
        }
        guard !plan.isEmpty else {
            throw ModelError("speediness", "\(frames.count) frames are fewer than one \(config.frames)-frame window")
        }
        var windows: [SpeedinessCurve.Window] = []
        for start in Swift.stride(from: 0, to: plan.count, by: batchSize) {
            let batch = plan[start..<min(start + batchSize, plan.count)]
            let logits = try model.forward(clip: clip(batch.map { $0.1.map { frames[$0] } })).toArray()
            for ((factor, indices), logit) in zip(batch, logits) {
                windows.append(.init(factor: factor, firstFrame: indices[0], lastFrame: indices[indices.count - 1],
                                     probability: 1 / (1 + Foundation.exp(-Double(logit)))))
            }
            progress(windows.count, plan.count)
        }
        return try SpeedinessCurve(windows: windows, frameCount: frames.count, fps: fps)
    }

    /// Normalised `[N, T, H, W, 3]` input of `windows` (each a list of frames of one size).
    func clip(_ windows: [[VideoFrame]]) throws -> Tensor {
        guard let first = windows.first?.first else { throw ModelError("speediness", "empty batch") }
        let (w, h) = (first.width, first.height)
        let t = windows[0].count
        let pixels = w * h * 3
        var values = [Float](repeating: 0, count: windows.count * t * pixels)
        let scale = 1 / (255 * config.std), shift = config.mean / config.std
        var offset = 0
        for window in windows {
            for frame in window {
                guard frame.width == w, frame.height == h, frame.rgb.count == pixels else {
                    throw ModelError("speediness", "frames of different sizes (\(frame.width)x\(frame.height), \(w)x\(h))")
                }
                for i in 0..<pixels { values[offset + i] = Float(frame.rgb[i]) * scale - shift }
                offset += pixels
            }
        }
        return try Tensor(shape: [windows.count, t, h, w, 3], values: values)
    }
}
