import CFFmpeg

/// Every frame of a video stream in presentation order, found by reading packets without decoding:
/// what frame `i` means, where the keyframes are, and where to seek to reach a frame.
public struct FrameIndex: Sendable {
    /// Presentation timestamps (stream time base), ascending: entry `i` is frame `i`
    /// (empty when timestamps are not reliable).
    let pts: [Int64]
    private let frameCount: Int
    /// Timestamps to seek to for each keyframe, by frame index.
    let seekTargets: [Int: Int64]
    /// Frame index of each presentation timestamp.
    let indexOfPts: [Int64: Int]
    /// Whether frames can be identified by timestamp; false when the container gives none or repeats them,
    /// in which case frames are counted from the start instead.
    let timestampsAreReliable: Bool
    /// Frame indices of keyframes, ascending.
    public let keyframes: [Int]
    /// Presentation time of each frame in seconds from the stream start.
    public let timestamps: [Double]
    /// Where the stream ends in seconds (the last frame's time plus its duration).
    public let endTime: Double

    /// Number of frames.
    public var count: Int { frameCount }

    struct Packet {
        var pts: Int64
        var dts: Int64
        var duration: Int64
        var isKeyframe: Bool
    }

    init(packets: [Packet], timeBase: Rational, startPts: Int64) {
        let missing = cadence_av_nopts_value()
        // Frames are identified by presentation timestamp; without one on every packet (AVI with
        // B-frames, raw streams) or with repeats, decode order is the only order there is.
        let reliable = !packets.contains { $0.pts == missing } && Set(packets.map(\.pts)).count == packets.count
        timestampsAreReliable = reliable
        let frames = reliable
            ? packets.enumerated().sorted { a, b in
                a.element.pts != b.element.pts ? a.element.pts < b.element.pts : a.offset < b.offset
            }.map(\.element)
            : packets
        let times = frames.map { reliable ? $0.pts : $0.dts }
        pts = reliable ? times : []
        var seekTargets: [Int: Int64] = [:]
        var keyframes: [Int] = []
        for (i, packet) in frames.enumerated() where packet.isKeyframe {
            keyframes.append(i)
            // Seeking backward to a keyframe's presentation time lands on it whether the container
            // indexes decode or presentation times (keyframes are searched at or before the time).
            seekTargets[i] = packet.pts != missing ? packet.pts : packet.dts
        }
        self.seekTargets = seekTargets
        self.keyframes = keyframes
        var indexOfPts: [Int64: Int] = [:]
        for (i, p) in pts.enumerated() { indexOfPts[p] = i }
        self.indexOfPts = indexOfPts
        frameCount = frames.count
        let seconds = timeBase.value ?? 0
        let origin = startPts != missing ? startPts : (times.first { $0 != missing } ?? 0)
        if !times.contains(missing) {
            timestamps = times.map { Double($0 - origin) * seconds }
        } else {
            let step = frames.first.map { Double(max($0.duration, 1)) * seconds } ?? 0
            timestamps = (0..<frames.count).map { Double($0) * step }
        }
        let lastDuration = frames.last.map { Double(max($0.duration, 0)) * seconds } ?? 0
        endTime = (timestamps.last ?? 0) + lastDuration
    }

    /// The keyframe at or before frame `index` in presentation order (0 when none precedes it).
    func keyframe(atOrBefore index: Int) -> Int {
        var low = 0, high = keyframes.count - 1, found = 0
        while low <= high {
            let mid = (low + high) / 2
            if keyframes[mid] <= index {
                found = keyframes[mid]
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found
    }

    /// The frame shown at `seconds`: the last frame whose presentation time is at or before it.
    public func frame(at seconds: Double) -> Int? {
        guard let last = timestamps.last, seconds >= 0, seconds < endTime || seconds <= last else { return nil }
        var low = 0, high = timestamps.count - 1, found = 0
        while low <= high {
            let mid = (low + high) / 2
            if timestamps[mid] <= seconds {
                found = mid
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found
    }
}
