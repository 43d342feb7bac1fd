extension ClipRequest {
    /// Why no video could satisfy this request, or nil when it is well-formed for `videoCount` videos.
    func problem(videoCount: Int) -> String? {
        if !(0..<videoCount).contains(video) { return "video \(video) is not among the \(videoCount) videos" }
        if frames < 1 { return "a clip needs at least one frame, not \(frames)" }
        if samplingRate < 1 { return "sampling rate \(samplingRate) is below 1" }
        if case let .view(index, count) = timing, count < 1 || index < 0 || index >= count {
            return "temporal view \(index) is not among \(count) views"
        }
        if case let .retimed(index, count, factor) = timing {
            if count < 1 || index < 0 || index >= count { return "re-timed window \(index) is not among \(count) windows" }
            if !(factor >= 1) { return "re-timing factor \(factor) is below 1" }
        }
        switch framing {
        case let .training(jitter, crop, _):
            if crop < 1 { return "crop \(crop) is below 1" }
            if jitter.lowerBound < crop { return "short side jitter \(jitter) goes below the \(crop) crop" }
        case let .testing(shortSide, crop, index, count):
            if crop < 1 { return "crop \(crop) is below 1" }
            if shortSide < crop { return "short side \(shortSide) is below the \(crop) crop" }
            if count != 1 && count != 3 { return "spatial crops must be 1 or 3, not \(count)" }
            if !(0..<count).contains(index) { return "spatial crop \(index) is not among \(count) crops" }
        }
        return nil
    }
}
