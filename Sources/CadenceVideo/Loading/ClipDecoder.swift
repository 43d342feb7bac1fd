import CadenceTensor

/// Turns one `ClipRequest` into normalised pixels: picks the frames and the crop, decodes the frames
/// scaled to the planned size, then crops, flips and normalises them into the batch buffer.
///
/// Random draws come from `TensorRandom(seed: request.seed)` in a fixed order (the start frame
/// first, then the short side, crop offsets and flip), so a clip depends on its request alone.
struct ClipDecoder {
    /// `(value / 255 - mean[c]) / std[c]` for every byte value of each channel (R, then G, then B):
    /// the same Float arithmetic as the test-time normalisation, looked up instead of recomputed.
    private let table: [Float]

    init(mean: [Float], std: [Float]) {
        table = (0..<3).flatMap { c in (0..<256).map { (Float($0) / 255 - mean[c]) / std[c] } }
    }

    /// What one clip takes from a video: frame indices and the crop in the resized frames.
    struct Plan: Equatable {
        var indices: [Int]
        var crop: CropPlan
    }

    /// The plan of `request` for a video of `frameCount` frames at `fps` whose upright size is `width x height`.
    /// Throws `ClipFailure` when the video is too short for a speediness clip.
    static func plan(_ request: ClipRequest, frameCount: Int, fps: Double, width: Int, height: Int) throws -> Plan {
        var generator = TensorRandom(seed: request.seed)
        let sampling = TemporalSampling(frames: request.frames, samplingRate: request.samplingRate)
        let indices: [Int]
        switch request.timing {
        case .random:
            indices = sampling.randomClip(videoFrames: frameCount, videoFPS: fps, using: &generator)
        case let .view(index, count):
            indices = sampling.testClip(view: index, of: count, videoFrames: frameCount, videoFPS: fps)
        case let .speedPair(spedUp):
            guard let pair = SpeedinessSampling.trainingPair(videoFrames: frameCount, frames: request.frames, using: &generator) else {
                throw ClipFailure(reason: "\(frameCount) frames are too few for a sped-up \(request.frames)-frame clip")
            }
            indices = spedUp ? pair.spedUp : pair.normal
        case let .retimed(index, count, factor):
            let span = SpeedinessSampling.windowSpan(frames: request.frames, factor: factor)
            guard span <= frameCount else {
                throw ClipFailure(reason: "\(frameCount) frames are too few for a \(request.frames)-frame window at \(factor)x")
            }
            // Window centres spread evenly: start `(frameCount - span) * (index + 1/2) / count`.
            let position = (frameCount - span) * (2 * index + 1) / (2 * count)
            indices = SpeedinessSampling.retimedWindow(position: position, frames: request.frames, factor: factor)
        }
        let crop: CropPlan
        switch request.framing {
        case let .training(jitter, side, flip):
            crop = SpatialSampling.training(width: width, height: height, jitter: jitter, crop: side, flip: flip, using: &generator)
        case let .testing(shortSide, side, index, count):
            crop = SpatialSampling.testing(width: width, height: height, shortSide: shortSide, crop: side, index: index, of: count)
        }
        return Plan(indices: indices, crop: crop)
    }

    /// The frame rate used for temporal sampling: the stream's average, or 30 when it is unknown.
    static func samplingFPS(_ info: VideoInfo) -> Double {
        if let rate = info.averageFrameRate.value, rate.isFinite, rate > 0 { return rate }
        return 30
    }

    /// Decodes `request` from `reader` into `output` (`frames * crop * crop * 3` floats).
    /// Throws `VideoError` or `ClipFailure` when the video cannot give the clip.
    func decode(_ request: ClipRequest, from reader: VideoReader, into output: UnsafeMutablePointer<Float>) throws {
        let frameCount = try reader.frameIndex().count
        let info = reader.info
        let plan = try Self.plan(request, frameCount: frameCount, fps: Self.samplingFPS(info),
                             width: info.displayWidth, height: info.displayHeight)
        let crop = plan.crop
        reader.resize = .exact(width: crop.resizedWidth, height: crop.resizedHeight)
        let frames = try reader.frames(at: plan.indices)
        guard frames.count == plan.indices.count else {
            throw ClipFailure(reason: "decoded \(frames.count) of the \(plan.indices.count) frames asked")
        }
        let side = crop.side
        let frameFloats = side * side * 3
        for (t, frame) in frames.enumerated() {
            guard frame.width == crop.resizedWidth, frame.height == crop.resizedHeight,
                  frame.rgb.count == frame.width * frame.height * 3,
                  crop.x + side <= frame.width, crop.y + side <= frame.height else {
                throw ClipFailure(reason: "frame \(frame.index) came out \(frame.width)x\(frame.height), "
                    + "not \(crop.resizedWidth)x\(crop.resizedHeight) with room for the \(side) crop")
            }
            normalize(frame, crop: crop, into: output + t * frameFloats)
        }
    }

    /// Crops, flips and normalises one frame; the hot loop of the loader.
    private func normalize(_ frame: VideoFrame, crop: CropPlan, into output: UnsafeMutablePointer<Float>) {
        let side = crop.side, rowBytes = frame.width * 3
        frame.rgb.withUnsafeBufferPointer { pixels in
            table.withUnsafeBufferPointer { lookup in
                guard let source = pixels.baseAddress, let red = lookup.baseAddress else { return }
                let green = red + 256, blue = red + 512
                for y in 0..<side {
                    var from = source + (crop.y + y) * rowBytes + crop.x * 3
                    let row = output + y * side * 3
                    if crop.flip {
                        var to = row + (side - 1) * 3
                        for _ in 0..<side {
                            to[0] = red[Int(from[0])]; to[1] = green[Int(from[1])]; to[2] = blue[Int(from[2])]
                            from += 3; to -= 3
                        }
                    } else {
                        var to = row
                        for _ in 0..<side {
                            to[0] = red[Int(from[0])]; to[1] = green[Int(from[1])]; to[2] = blue[Int(from[2])]
                            from += 3; to += 3
                        }
                    }
                }
            }
        }
    }
}

/// A clip that decoded without a `VideoError` but not as planned (too few frames, a wrong size).
struct ClipFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
