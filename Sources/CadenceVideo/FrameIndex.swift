import CFFmpeg

/// Every frame of a video stream in presentation order, found by reading packets without decoding:
/// what frame `i` means, where the keyframes are, and where to seek to reach a frame.
public struct FrameIndex: Sendable {
    /// Presentation timestamps (stream time base), ascending: entry `i` is frame `i`.
    let pts: [Int64]
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
    public var count: Int { pts.count }

    struct Packet {
        var pts: Int64
        var dts: Int64
        var duration: Int64
        var isKeyframe: Bool
    }

    init(packets: [Packet], timeBase: Rational, startPts: Int64) {
        let missing = cadence_av_nopts_value()
        let ordered = packets.enumerated().sorted { a, b in
            a.element.pts != b.element.pts ? a.element.pts < b.element.pts : a.offset < b.offset
        }.map(\.element)
        let unique = Set(packets.map(\.pts))
        timestampsAreReliable = !packets.contains { $0.pts == missing } && unique.count == packets.count
        // Without reliable timestamps, decode order is the only order there is.
        let frames = timestampsAreReliable ? ordered : packets
        pts = frames.map(\.pts)
        var seekTargets: [Int: Int64] = [:]
        var keyframes: [Int] = []
        for (i, packet) in frames.enumerated() where packet.isKeyframe {
            keyframes.append(i)
            // Seeking by the decode timestamp lands on this keyframe or an earlier one, whichever
            // timestamp the container's index uses.
            seekTargets[i] = packet.dts != missing ? min(packet.dts, packet.pts) : packet.pts
        }
        self.seekTargets = seekTargets
        self.keyframes = keyframes
        var indexOfPts: [Int64: Int] = [:]
        if timestampsAreReliable {
            for (i, p) in pts.enumerated() { indexOfPts[p] = i }
        }
        self.indexOfPts = indexOfPts
        let seconds = timeBase.value ?? 0
        let origin = startPts == missing ? (pts.first ?? 0) : startPts
        if timestampsAreReliable {
            timestamps = pts.map { Double($0 - origin) * seconds }
        } else {
            // Evenly spaced from the stream's timing when timestamps cannot be trusted.
            let step = packets.first.map { Double(max($0.duration, 1)) * seconds } ?? 0
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
