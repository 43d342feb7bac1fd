import CadenceTensor

/// One batch of decoded clips, ready for a model.
public struct ClipBatch {
    /// The requests as asked, except that `video` names the replacement when a bad video was swapped
    /// for another (so labels must be looked up through these, not the original requests).
    public let requests: [ClipRequest]
    /// `[N, T, crop, crop, 3]`, channels-last, each value `(pixel / 255 - mean) / std`.
    public let clips: Tensor

    public init(requests: [ClipRequest], clips: Tensor) {
        self.requests = requests
        self.clips = clips
    }
}
