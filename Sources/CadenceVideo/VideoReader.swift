import CFFmpeg

/// Decodes one video file to upright RGB24 frames.
///
/// ```swift
/// let reader = try VideoReader(path: "clips/h264.mp4", resize: .shortSide(256))
/// print(reader.info.codec, reader.info.frameCount)
/// let clip = try reader.frames(at: [0, 8, 16, 24])      // random access by frame index
/// try reader.rewind()
/// while let frame = try reader.nextFrame() { ... }      // streaming, constant memory
/// ```
///
/// Frame `i` is the `i`-th picture in presentation order, whatever the codec's B-frames or the
/// container's variable frame rate. Corrupt packets do not stop decoding: they are skipped and
/// counted in `damage`. A reader is not thread-safe; use one per thread.
public final class VideoReader {
    /// The file being read, as given.
    public let path: String
    /// What probing found; `frameCount` becomes exact once the frames are indexed.
    public private(set) var info: VideoInfo
    /// The size frames are scaled to (nil: the stored size), applied to frames decoded from now on.
    public var resize: Resize?
    /// Threads for FFmpeg's frame/slice decoding and for swscale's slices (0: one per core).
    public let threads: Int

    private let session: DecodingSession
    private let converter: FrameConverter
    private var cachedIndex: FrameIndex?
    /// Frames decoded since the last rewind; nil after a seek, when counting no longer gives the index.
    private var decodedSinceStart: Int? = 0
    /// Index of the frame decoded last, when known.
    private var lastIndex: Int?
    /// Timestamp that frame times count from.
    private let originPts: Int64
    private let secondsPerTick: Double

    /// Opens and probes a video; throws `VideoError` when the file is not a decodable video.
    /// - Parameters:
    ///   - threads: threads for FFmpeg's frame/slice decoding and swscale; 0 lets FFmpeg choose.
    ///   - resize: the output size of frames; nil keeps the stored size (rotation is always applied).
    public init(path: String, threads: Int = 0, resize: Resize? = nil) throws {
        self.path = path
        self.threads = threads
        self.resize = resize
        session = try DecodingSession(path: path, threads: threads)
        converter = FrameConverter(threads: threads)
        let stream = session.stream.pointee
        let missing = cadence_av_nopts_value()
        originPts = stream.start_time != missing ? stream.start_time : 0
        let timeBase = Rational(stream.time_base)
        secondsPerTick = timeBase.value ?? 0
        info = Self.describe(session: session, path: path)
        if let resize, FrameConverter.outputSize(width: info.width, height: info.height,
                                                 rotation: info.rotation, resize: resize) == nil {
            throw VideoError.invalidRequest(path: path, detail: "impossible output size \(resize)")
        }
    }

    /// Probes `path` without decoding any frame.
    public static func probe(_ path: String) throws -> VideoInfo {
        try VideoReader(path: path).info
    }

    private static func describe(session: DecodingSession, path: String) -> VideoInfo {
        let format = session.format.pointee
        let stream = session.stream.pointee
        let missing = cadence_av_nopts_value()
        let parameters = stream.codecpar.pointee
        let timeBase = Rational(stream.time_base)
        let tick = timeBase.value ?? 0
        var duration = 0.0
        if stream.duration != missing, stream.duration > 0 {
            duration = Double(stream.duration) * tick
        } else if format.duration != missing, format.duration > 0 {
            duration = Double(format.duration) / Double(AV_TIME_BASE)
        }
        let averageRate = Rational(stream.avg_frame_rate)
        let realRate = Rational(stream.r_frame_rate)
        let frameCount: FrameCount
        if stream.nb_frames > 0 {
            frameCount = .estimated(Int(stream.nb_frames))
        } else {
            let rate = averageRate.value ?? realRate.value ?? 0
            frameCount = .estimated(Int((duration * rate).rounded()))
        }
        var matrixSize = 0
        let matrix = av_stream_get_side_data(session.stream, AV_PKT_DATA_DISPLAYMATRIX, &matrixSize)
        let rotation = matrixSize >= 36
            ? Rotation(displayMatrix: UnsafeRawPointer(matrix)?.assumingMemoryBound(to: Int32.self)) : .none
        let hasAudio = (0..<Int(format.nb_streams)).contains { i in
            format.streams[i]?.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO
        }
        let pixelFormat = av_get_pix_fmt_name(AVPixelFormat(rawValue: parameters.format)).map { String(cString: $0) } ?? ""
        return VideoInfo(
            path: path,
            container: String(cString: format.iformat.pointee.name),
            codec: String(cString: avcodec_get_name(parameters.codec_id)),
            pixelFormat: pixelFormat,
            width: Int(parameters.width),
            height: Int(parameters.height),
            rotation: rotation,
            averageFrameRate: averageRate,
            realFrameRate: realRate,
            duration: duration,
            startTime: stream.start_time != missing ? Double(stream.start_time) * tick : 0,
            frameCount: frameCount,
            timeBase: timeBase,
            hasAudio: hasAudio
        )
    }

    /// Damage met so far (corrupt packets and frames, read errors).
    public var damage: DecodeDamage { session.damage }

    /// Frames the decoder has produced so far, including those decoded only to reach a requested one.
    var framesDecoded: Int { session.framesDecoded }

    // MARK: Index

    /// Every frame's timestamp and the keyframes, from one pass over the packets (no decoding).
    /// Built on first use and kept; makes `info.frameCount` exact. Building it rewinds the stream.
    public func frameIndex() throws -> FrameIndex {
        if let cachedIndex { return cachedIndex }
        let packets = session.scanPackets()
        decodedSinceStart = 0
        lastIndex = nil
        guard !packets.isEmpty else {
            throw VideoError.noFrames(path: path, detail: session.lastFFmpegMessage ?? "the video stream has no packets")
        }
        let index = FrameIndex(packets: packets, timeBase: info.timeBase, startPts: originPts)
        cachedIndex = index
        info.frameCount = .exact(index.count)
        return index
    }

    // MARK: Streaming

    /// The next frame in presentation order, or nil after the last one.
    public func nextFrame() throws -> VideoFrame? {
        guard session.decodeNext() else {
            if decodedSinceStart == 0 {
                throw VideoError.noFrames(path: path, detail: session.lastFFmpegMessage ?? "the stream ended before any frame")
            }
            return nil
        }
        let index: Int
        if let counted = decodedSinceStart {
            index = counted
            decodedSinceStart = counted + 1
        } else if let known = cachedIndex?.indexOfPts[session.framePts] {
            index = known
        } else {
            index = (lastIndex ?? -1) + 1
        }
        lastIndex = index
        return try currentFrame(index: index)
    }

    /// Goes back to the first frame, so that `nextFrame()` streams the video again.
    public func rewind() throws {
        guard session.rewind() else {
            throw VideoError.decodeFailed(path: path, detail: "cannot seek back to the start")
        }
        decodedSinceStart = 0
        lastIndex = nil
    }

    // MARK: Random access

    /// The frames at `indices` (positions in presentation order), in the order asked, repeats allowed.
    /// Decodes forward between nearby requests and seeks to a keyframe when that is shorter.
    public func frames(at indices: [Int]) throws -> [VideoFrame] {
        let index = try frameIndex()
        if let bad = indices.first(where: { !(0..<index.count).contains($0) }) {
            throw VideoError.frameOutOfRange(path: path, index: bad, frameCount: index.count)
        }
        var decoded: [Int: VideoFrame] = [:]
        if index.timestampsAreReliable {
            session.wantedPts = Set(indices.map { index.pts[$0] })
        }
        defer {
            if session.wantedPts != nil {
                session.wantedPts = nil
                // Frames were skipped, so counting no longer tells the index; timestamps still do.
                decodedSinceStart = nil
            }
        }
        for target in Set(indices).sorted() {
            decoded[target] = try frame(target, in: index)
        }
        return indices.compactMap { decoded[$0] }
    }

    /// The frame at `index` in presentation order.
    public func frame(at index: Int) throws -> VideoFrame {
        let all = try frames(at: [index])
        guard let frame = all.first else {
            throw VideoError.frameOutOfRange(path: path, index: index, frameCount: info.frameCount.value)
        }
        return frame
    }

    /// The frame on screen at `seconds` from the start: the last one whose presentation time is not after it.
    public func frame(atTime seconds: Double) throws -> VideoFrame {
        let index = try frameIndex()
        guard let position = index.frame(at: seconds) else {
            throw VideoError.timeOutOfRange(path: path, seconds: seconds, duration: index.endTime)
        }
        return try frame(at: position)
    }

    private func frame(_ target: Int, in index: FrameIndex) throws -> VideoFrame {
        guard index.timestampsAreReliable else { return try countForward(to: target) }
        let keyframe = index.keyframe(atOrBefore: target)
        let needsSeek: Bool
        if let last = lastIndex {
            needsSeek = target <= last || keyframe > last
        } else {
            needsSeek = decodedSinceStart != 0 || keyframe > 0
        }
        if needsSeek { try seek(toKeyframe: keyframe, in: index) }
        if let frame = try decodeForward(to: target, in: index) { return frame }
        // The seek landed past the frame or the frame never came out: retry from the very start.
        try rewind()
        if let frame = try decodeForward(to: target, in: index) { return frame }
        throw VideoError.decodeFailed(path: path, detail: "frame \(target) could not be decoded"
            + (session.lastFFmpegMessage.map { " (\($0))" } ?? ""))
    }

    private func seek(toKeyframe keyframe: Int, in index: FrameIndex) throws {
        if keyframe > 0, let timestamp = index.seekTargets[keyframe], session.seek(to: timestamp) {
            decodedSinceStart = nil
            lastIndex = nil
            return
        }
        try rewind()
    }

    /// Decodes until frame `target` comes out; nil when a later frame or the end comes first.
    private func decodeForward(to target: Int, in index: FrameIndex) throws -> VideoFrame? {
        let targetPts = index.pts[target]
        while session.decodeNext() {
            let pts = session.framePts
            if let counted = decodedSinceStart { decodedSinceStart = counted + 1 }
            guard let position = index.indexOfPts[pts] else { continue }
            lastIndex = position
            if pts == targetPts { return try currentFrame(index: target) }
            if position > target { return nil }
        }
        return nil
    }

    /// Random access when timestamps cannot identify frames: count decoded frames from the start.
    private func countForward(to target: Int) throws -> VideoFrame {
        if decodedSinceStart == nil || (decodedSinceStart ?? 0) > target { try rewind() }
        while session.decodeNext() {
            let position = decodedSinceStart ?? 0
            decodedSinceStart = position + 1
            lastIndex = position
            if position == target { return try currentFrame(index: target) }
        }
        throw VideoError.decodeFailed(path: path, detail: "the stream ended before frame \(target)")
    }

    /// Converts the session's current frame.
    private func currentFrame(index: Int) throws -> VideoFrame {
        guard let picture = converter.convert(session.frame, rotation: info.rotation, resize: resize) else {
            if let resize, FrameConverter.outputSize(width: info.width, height: info.height,
                                                     rotation: info.rotation, resize: resize) == nil {
                throw VideoError.invalidRequest(path: path, detail: "impossible output size \(resize)")
            }
            let frame = session.frame.pointee
            let format = av_get_pix_fmt_name(AVPixelFormat(rawValue: frame.format)).map { String(cString: $0) } ?? "unknown"
            // The size matters as much as the format: the scaler also refuses outputs too large for it.
            let output = FrameConverter.outputSize(width: info.width, height: info.height, rotation: info.rotation,
                                                   resize: resize).map { "\($0.width)x\($0.height)" } ?? "?"
            throw VideoError.decodeFailed(
                path: path, detail: "cannot convert a \(frame.width)x\(frame.height) \(format) picture to \(output) RGB")
        }
        let timestamp = Double(session.framePts - originPts) * secondsPerTick
        return VideoFrame(index: index, timestamp: timestamp, width: picture.width, height: picture.height, rgb: picture.rgb)
    }
}
