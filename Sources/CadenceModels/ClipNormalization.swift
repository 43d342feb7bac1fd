import CadenceTensor
import CadenceVideo

extension ModelPreset {
    /// The model input of one clip: `[1, T, side, side, 3]` of `(pixel / 255 - mean) / std` inside
    /// `crop` of each RGB frame (PySlowFast's test-time normalisation and crop); `path` names the video in errors.
    public func normalizedClip(_ frames: [VideoFrame], crop: CropPlan, of path: String) throws -> Tensor {
        let side = crop.side
        var values = [Float](repeating: 0, count: frames.count * side * side * 3)
        for (t, frame) in frames.enumerated() {
            // The crop was placed for the first frame; a video whose picture size changes midway
            // (concatenated captures) would otherwise read outside its later frames.
            if let first = frames.first, (frame.width, frame.height) != (first.width, first.height) {
                throw ModelError(path, "the picture size changes within a clip (\(first.width)x\(first.height) at frame "
                    + "\(first.index), \(frame.width)x\(frame.height) at frame \(frame.index)); re-encode the video at one size")
            }
            guard frame.width >= crop.x + side, frame.height >= crop.y + side else {
                throw ModelError(path, "\(name) input: frame of \(frame.width)x\(frame.height) is smaller than the \(side) crop")
            }
            for y in 0..<side {
                for x in 0..<side {
                    let source = ((crop.y + y) * frame.width + crop.x + x) * 3
                    let target = ((t * side + y) * side + x) * 3
                    for c in 0..<3 { values[target + c] = (Float(frame.rgb[source + c]) / 255 - mean[c]) / std[c] }
                }
            }
        }
        return try Tensor(shape: [1, frames.count, side, side, 3], values: values)
    }
}
