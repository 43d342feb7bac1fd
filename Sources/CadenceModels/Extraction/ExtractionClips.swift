import CadenceTensor
import CadenceVideo

/// How clips are placed along a video for extraction.
public enum ClipSpacing: Sendable, Equatable {
    /// `count` uniformly spaced clips, PySlowFast's test views (`TemporalSampling.testClip`).
    case uniform(count: Int)
    /// One clip starting every `seconds` from the start, as many as start inside the video.
    case every(seconds: Double)
}

/// The clips `cadence extract` feeds a model for one video: the preset's frames per clip at the chosen
/// spacing, scaled to the preset's test size on the short side, centre-cropped, normalised and packed
/// into pathways. Frames are decoded clip by clip, so memory stays flat however long the video is.
public struct ExtractionClips {
    public let preset: ModelPreset
    public let spacing: ClipSpacing

    public init(preset: ModelPreset, spacing: ClipSpacing) throws {
        switch spacing {
        case let .uniform(count) where count < 1 || count > SamplingLimits.clips:
            throw ModelError("extraction clips", "need 1 to \(SamplingLimits.clips) clips per video, got \(count)")
        case let .every(seconds) where !(seconds > 0 && seconds.isFinite):
            throw ModelError("extraction clips", "clip spacing must be a positive number of seconds, got \(seconds)")
        default: break
        }
        self.preset = preset
        self.spacing = spacing
    }

    /// Source frame indices of every clip, for a video of `videoFrames` frames at `fps`.
    public func plan(videoFrames: Int, fps: Double) -> [[Int]] {
        let sampling = TemporalSampling(frames: preset.frames, samplingRate: preset.samplingRate)
        switch spacing {
        case let .uniform(count):
            return (0..<count).map {
                sampling.testClip(view: $0, of: count, videoFrames: videoFrames, videoFPS: fps,
                                  offsetSampling: preset.offsetSampling)
            }
        case let .every(seconds):
            let size = sampling.clipSize(videoFPS: fps)
            var clips: [[Int]] = []
            var k = 0
            repeat {
                clips.append(sampling.indices(start: Double(k) * seconds * fps, clipSize: size, videoFrames: videoFrames))
                k += 1
            } while Double(k) * seconds * fps < Double(videoFrames)
            return clips
        }
    }

    /// Calls `body` with each clip's source frames and model inputs (channels-last, one per pathway);
    /// returns the video's frame rate.
    @discardableResult
    public func forEachClip(of path: String, _ body: (_ frames: [Int], _ inputs: [Tensor]) throws -> Void) throws -> Double {
        let side = preset.testCrop
        let reader = try VideoReader(path: path, resize: .shortSide(side))
        let frameCount = try reader.frameIndex().count
        let fps = reader.info.averageFrameRate.value ?? 30
        let pathways = preset.packing.pathwayIndices(frames: preset.frames)
        // Clips closer than a frame repeat the same frames, and a spacing of nanoseconds would plan
        // billions of them.
        if case let .every(seconds) = spacing, seconds * fps < 1 {
            throw ModelError(path, "clips every \(seconds) s would start less than a frame apart at "
                + "\(String(format: "%.3g", fps)) fps; space them at least \(String(format: "%.3g", 1 / fps)) s apart")
        }
        for indices in plan(videoFrames: frameCount, fps: fps) {
            let frames = try reader.frames(at: indices)
            guard let first = frames.first, frames.count == indices.count else {
                throw ModelError(path, "could not decode the frames \(indices)")
            }
            let crop = SpatialSampling.testing(width: first.width, height: first.height, shortSide: side, crop: side,
                                               index: 0, of: 1)
            let clip = try preset.normalizedClip(frames, crop: crop, of: path)
            try body(indices, try pathways.map { try clip.indexSelect(axis: 1, indices: $0) })
        }
        return fps
    }
}
