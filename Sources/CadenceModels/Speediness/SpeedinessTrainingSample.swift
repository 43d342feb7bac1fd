import CadenceTensor
import CadenceVideo

/// One self-supervised SpeedNet sample (reference A2): the same place in a video at normal speed
/// and sped up, with temporal jitter (`SpeedinessSampling.trainingPair`), scaled to a short side of
/// `side` and cropped to the same random `side x side` square (same flip) for both clips, so
/// appearance and encoding cannot tell them apart, only speed can.
public struct SpeedinessTrainingSample {
    /// `[2, T, side, side, 3]` normalised clips: index 0 normal, index 1 sped up.
    public var clips: Tensor
    /// The source frames each clip took and the skip factors drawn.
    public var pair: SpeedinessSampling.Pair

    /// The targets of one sample, in `clips` order: 0 (normal), 1 (sped up).
    public static let targets: [Float] = [0, 1]

    /// Draws a sample from the video at `path`, or nil when the video has too few frames for a
    /// sped-up clip of `config.frames` frames. `side` is the batch's input size (the reference
    /// draws it per batch from [64, 336]; every sample of a batch needs the same one).
    public static func draw(path: String, config: SpeedNetConfig, side: Int,
                            using generator: inout TensorRandom) throws -> SpeedinessTrainingSample? {
        guard side >= SpeedNet.minimumSide else {
            throw ModelError("speediness sample", "side \(side) is below \(SpeedNet.minimumSide)")
        }
        let probe = try VideoReader(path: path)
        let frameCount = try probe.frameIndex().count
        guard let pair = SpeedinessSampling.trainingPair(videoFrames: frameCount, frames: config.frames, using: &generator) else {
            return nil
        }
        let width = probe.info.displayWidth, height = probe.info.displayHeight
        let crop = SpatialSampling.training(width: width, height: height, jitter: side...side, crop: side, using: &generator)
        probe.resize = .exact(width: crop.resizedWidth, height: crop.resizedHeight)
        let wanted = Array(Set(pair.normal + pair.spedUp)).sorted()
        var decoded: [Int: VideoFrame] = [:]
        for frame in try probe.frames(at: wanted) { decoded[frame.index] = frame }
        var values = [Float](repeating: 0, count: 2 * config.frames * side * side * 3)
        let scale = 1 / (255 * config.std), shift = config.mean / config.std
        var offset = 0
        for index in pair.normal + pair.spedUp {
            guard let frame = decoded[index], frame.width == crop.resizedWidth, frame.height == crop.resizedHeight else {
                throw ModelError(path, "frame \(index) could not be decoded at \(crop.resizedWidth)x\(crop.resizedHeight)")
            }
            for y in 0..<side {
                for x in 0..<side {
                    let sourceX = crop.flip ? crop.x + side - 1 - x : crop.x + x
                    let source = ((crop.y + y) * frame.width + sourceX) * 3
                    for c in 0..<3 { values[offset + c] = Float(frame.rgb[source + c]) * scale - shift }
                    offset += 3
                }
            }
        }
        return SpeedinessTrainingSample(clips: try Tensor(shape: [2, config.frames, side, side, 3], values: values), pair: pair)
    }

    /// Stacks samples into one batch: clips `[2B, T, side, side, 3]` (each sample's normal and
    /// sped-up clips side by side, as the reference's same-batch training wants) and targets `[2B]`.
    public static func batch(_ samples: [SpeedinessTrainingSample]) throws -> (clips: Tensor, targets: Tensor) {
        guard !samples.isEmpty else { throw ModelError("speediness batch", "no samples") }
        let targets = Array(repeating: Self.targets, count: samples.count).flatMap { $0 }
        return (try Tensor.concat(samples.map(\.clips), axis: 0), try Tensor(shape: [targets.count], values: targets))
    }
}
