import CadenceTensor
import CadenceVideo

/// PySlowFast's multi-view test protocol for one video: `temporal` uniformly spaced clips
/// (`TemporalSampling.testClip`, with the preset's offset sampling) × `spatial` square crops (`SpatialSampling.testing`: 1 centre, 3
/// left/centre/right) at the preset's test size, normalised and packed into pathways.
///
/// Frames are scaled by the decoder (swscale, bicubic) rather than by PyTorch's bilinear interpolate,
/// so pixels differ slightly from PySlowFast's loader.
public struct TestViews {
    public let preset: ModelPreset
    public let temporal: Int
    public let spatial: Int

    public init(preset: ModelPreset, temporal: Int, spatial: Int) throws {
        guard temporal > 0, temporal <= SamplingLimits.clips, [1, 3].contains(spatial) else {
            throw ModelError("test views", "need 1 to \(SamplingLimits.clips) temporal views and 1 or 3 spatial crops, "
                + "got \(temporal)x\(spatial)")
        }
        self.preset = preset
        self.temporal = temporal
        self.spatial = spatial
    }

    /// Calls `body` with each view's model inputs (channels-last, one per pathway), clip by clip.
    public func forEachView(of path: String, _ body: ([Tensor]) throws -> Void) throws {
        let side = preset.testCrop
        let reader = try VideoReader(path: path, resize: .shortSide(side))
        let frameCount = try reader.frameIndex().count
        let fps = reader.info.averageFrameRate.value ?? 30
        let sampling = TemporalSampling(frames: preset.frames, samplingRate: preset.samplingRate)
        let pathways = preset.packing.pathwayIndices(frames: preset.frames)
        for view in 0..<temporal {
            let indices = sampling.testClip(view: view, of: temporal, videoFrames: frameCount, videoFPS: fps,
                                           offsetSampling: preset.offsetSampling)
            let frames = try reader.frames(at: indices)
            guard let first = frames.first, frames.count == indices.count else {
                throw ModelError(path, "could not decode the frames of test view \(view)")
            }
            for crop in 0..<spatial {
                let plan = SpatialSampling.testing(width: first.width, height: first.height, shortSide: side, crop: side,
                                                   index: crop, of: spatial)
                let clip = try preset.normalizedClip(frames, crop: plan, of: path)
                try body(try pathways.map { try clip.indexSelect(axis: 1, indices: $0) })
            }
        }
    }
}
