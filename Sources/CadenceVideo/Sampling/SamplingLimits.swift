/// The largest values the sampling options take. They are far past any real video or model, and
/// small enough that the arithmetic on them (frames × sampling rate, width × height × 3, seconds ×
/// frame rate) stays inside `Int`: a value in the billions trapped on overflow before. Commands
/// refuse larger values, naming the option.
public enum SamplingLimits {
    /// Pixels on one side of a crop, a resize or a short side (H.264's largest pictures are 8192 wide).
    public static let side = 16_384
    /// Frames in one clip or window.
    public static let frames = 4_096
    /// Clips per video, for test views, validation views and extraction: 10,000 clips of a 10-minute
    /// video at 30 fps already start under two frames apart, and a count in the billions would
    /// exhaust memory before the first clip ran.
    public static let clips = 10_000
    /// Source frames between two sampled frames.
    public static let samplingRate = 4_096
    /// Seconds, for clip spacings and table rows.
    public static let seconds = 1_000_000.0
    /// Re-timing factors (speed-ups) of speediness windows.
    public static let factor = 1_000.0
}
