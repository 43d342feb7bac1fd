import CFFmpeg
import Foundation

/// The FFmpeg objects behind one open video: demuxer, decoder and the reusable packet and frame.
/// It yields decoded frames in presentation order and counts damage; it knows nothing of RGB.
final class DecodingSession {
    let path: String
    let format: UnsafeMutablePointer<AVFormatContext>
    let codec: UnsafeMutablePointer<AVCodecContext>
    let stream: UnsafeMutablePointer<AVStream>
    let streamIndex: Int32
    private let packet: UnsafeMutablePointer<AVPacket>
    /// The frame the last successful `decodeNext()` filled; reused for every frame.
    let frame: UnsafeMutablePointer<AVFrame>
    private var counted = DecodeDamage()
    /// Identifies this session's decoder in FFmpeg's log: the main codec context's address, which
    /// its frame-thread copies carry in `opaque`.
    private var logToken: UnsafeMutableRawPointer { UnsafeMutableRawPointer(codec) }
    /// Frames decoded so far, whether returned or skipped past (shows how much work seeking saved).
    private(set) var framesDecoded = 0
    /// True once the demuxer is exhausted and the decoder was told to drain.
    private var draining = false
    /// Presentation timestamps of the frames a caller wants; other frames that no later frame refers to
    /// are not decoded at all. nil decodes everything (streaming).
    var wantedPts: Set<Int64>? {
        didSet { if wantedPts == nil { codec.pointee.skip_frame = AVDISCARD_DEFAULT } }
    }

    /// Opens `path` and its best video stream, or throws the reason it is not a decodable video.
    init(path: String, threads: Int) throws {
        _ = FFmpegLog.install
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VideoError.fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw VideoError.unreadable(path: path, detail: "it is a directory") }
        // The attributes are the link's own for a symbolic link, so it is followed first.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = try? FileManager.default.attributesOfItem(atPath: target)
        // Devices, pipes and sockets report no size: reading /dev/zero or a pipe with no writer
        // would never end, so only regular files are opened.
        if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
            throw VideoError.unreadable(path: path, detail: "not a regular file (a device, pipe or socket)")
        }
        if attributes?[.size] as? Int == 0 { throw VideoError.emptyFile(path: path) }

        guard let allocated = avformat_alloc_context() else {
            throw VideoError.decodeFailed(path: path, detail: "out of memory")
        }
        var format: UnsafeMutablePointer<AVFormatContext>? = allocated
        let opened = avformat_open_input(&format, path, nil, nil)
        guard opened >= 0, let openFormat = format else {
            // avformat_open_input frees the context when it fails; its address still names its log lines.
            let detail = FFmpegLog.lastMessage(from: [UnsafeMutableRawPointer(allocated)]) ?? ffmpegErrorText(opened)
            if opened == cadence_averror_invaliddata() {
                throw VideoError.unrecognizedFormat(path: path, detail: detail)
            }
            throw VideoError.unreadable(path: path, detail: detail)
        }
        var keepFormat = false
        defer { if !keepFormat { var f: UnsafeMutablePointer<AVFormatContext>? = openFormat; avformat_close_input(&f) } }

        let found = avformat_find_stream_info(openFormat, nil)
        guard found >= 0 else {
            let detail = FFmpegLog.lastMessage(from: [UnsafeMutableRawPointer(openFormat)]) ?? ffmpegErrorText(found)
            throw VideoError.unreadable(path: path, detail: detail)
        }
        let formatName = String(cString: openFormat.pointee.iformat.pointee.name)
        // Image demuxers (image2, png_pipe, jpeg_pipe, ...) read single pictures.
        if formatName == "image2" || formatName.hasSuffix("_pipe") {
            throw VideoError.stillImage(path: path, format: formatName)
        }
        guard let (index, stream) = Self.videoStream(in: openFormat) else {
            throw VideoError.noVideoStream(path: path)
        }
        guard let parameters = stream.pointee.codecpar else { throw VideoError.noVideoStream(path: path) }
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw VideoError.unsupportedCodec(path: path, codec: String(cString: avcodec_get_name(parameters.pointee.codec_id)))
        }
        var codec = avcodec_alloc_context3(decoder)
        var packet = av_packet_alloc()
        var frame = av_frame_alloc()
        var keepCodec = false
        defer {
            if !keepCodec {
                avcodec_free_context(&codec)
                av_packet_free(&packet)
                av_frame_free(&frame)
            }
        }
        guard let openCodec = codec, let packet, let frame else {
            throw VideoError.decodeFailed(path: path, detail: "out of memory")
        }
        guard avcodec_parameters_to_context(openCodec, parameters) >= 0 else {
            throw VideoError.decodeFailed(path: path, detail: "bad codec parameters")
        }
        openCodec.pointee.thread_count = Int32(clamping: max(0, threads))
        openCodec.pointee.pkt_timebase = stream.pointee.time_base
        openCodec.pointee.opaque = UnsafeMutableRawPointer(openCodec)
        let codecOpened = avcodec_open2(openCodec, decoder, nil)
        guard codecOpened >= 0 else {
            let detail = FFmpegLog.lastMessage(from: [UnsafeMutableRawPointer(openCodec)]) ?? ffmpegErrorText(codecOpened)
            throw VideoError.unsupportedCodec(path: path, codec: "\(String(cString: decoder.pointee.name)): \(detail)")
        }
        keepFormat = true
        keepCodec = true
        self.format = openFormat
        self.codec = openCodec
        self.stream = stream
        self.streamIndex = index
        self.packet = packet
        self.frame = frame
    }

    deinit {
        FFmpegLog.forget(owner: logToken)
        var codec: UnsafeMutablePointer<AVCodecContext>? = codec
        avcodec_free_context(&codec)
        var format: UnsafeMutablePointer<AVFormatContext>? = format
        avformat_close_input(&format)
        var packet: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packet)
        var frame: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&frame)
    }

    /// The video stream FFmpeg ranks best, skipping cover art (an attached picture is not a video).
    private static func videoStream(in format: UnsafeMutablePointer<AVFormatContext>) -> (Int32, UnsafeMutablePointer<AVStream>)? {
        let best = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        var candidates: [Int32] = best >= 0 ? [best] : []
        candidates += (0..<Int32(format.pointee.nb_streams)).filter { $0 != best }
        for i in candidates {
            guard let stream = format.pointee.streams[Int(i)],
                  stream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO,
                  stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0 else { continue }
            return (i, stream)
        }
        return nil
    }

    /// FFmpeg's latest complaint about this file, if any.
    var lastFFmpegMessage: String? {
        FFmpegLog.lastMessage(from: [UnsafeMutableRawPointer(format), UnsafeMutableRawPointer(codec)])
    }

    /// Decodes until the next frame in presentation order is in `frame`; false at the end of the stream.
    /// Corrupt packets and frames are counted in `damage` and skipped.
    func decodeNext() -> Bool {
        // A decoder that keeps failing without consuming input must not spin forever.
        var failures = 0
        while true {
            let received = avcodec_receive_frame(codec, frame)
            if received >= 0 {
                framesDecoded += 1
                if frame.pointee.decode_error_flags != 0 || frame.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
                    noteDamage(\.corruptFrames)
                }
                return true
            }
            if received == cadence_averror_eof() { return false }
            if received != cadence_averror_eagain() {
                // A decoder that reports errors on output rather than input; the next call continues.
                noteDamage(\.corruptPackets)
                failures += 1
                if draining || failures > 1000 { return false }
                continue
            }
            if draining { return false }
            feedPacket()
        }
    }

    /// Sends the next packet of the video stream to the decoder, or starts draining at the end.
    private func feedPacket() {
        while true {
            let read = av_read_frame(format, packet)
            if read < 0 {
                if read != cadence_averror_eof() { noteDamage(\.readErrors) }
                draining = true
                avcodec_send_packet(codec, nil)
                return
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            if let wantedPts {
                // Skipping non-reference frames changes no other frame's pixels: nothing predicts from them.
                codec.pointee.skip_frame = wantedPts.contains(packet.pointee.pts) ? AVDISCARD_DEFAULT : AVDISCARD_NONREF
            }
            let sent = avcodec_send_packet(codec, packet)
            if sent < 0 && sent != cadence_averror_eagain() {
                noteDamage(\.corruptPackets)
                continue
            }
            return
        }
    }

    private func noteDamage(_ counter: WritableKeyPath<DecodeDamage, Int>) {
        counted[keyPath: counter] += 1
        counted.lastMessage = lastFFmpegMessage ?? counted.lastMessage
    }

    /// Damage so far: what decoding counted plus the errors the decoder logged.
    var damage: DecodeDamage {
        var damage = counted
        if let logged = FFmpegLog.decoderErrors(owner: logToken) {
            damage.decoderErrors = logged.count
            damage.lastMessage = logged.last
        }
        return damage
    }

    /// Moves the demuxer to the keyframe at or before `timestamp` (stream time base) and empties the decoder.
    /// Returns false when the container cannot seek.
    func seek(to timestamp: Int64) -> Bool {
        let moved = av_seek_frame(format, streamIndex, timestamp, AVSEEK_FLAG_BACKWARD)
        avcodec_flush_buffers(codec)
        draining = false
        return moved >= 0
    }

    /// Starts over from the first packet; byte seeking is the fallback for containers without an index.
    /// Containers whose timestamps may jump (MPEG-TS and -PS: concatenated or broadcast captures) go
    /// back to byte 0 first, since the start time can recur later in the file and a seek to it may
    /// land there: a two-part TS whose parts both start at 1.48 s was rewound into its second half.
    func rewind() -> Bool {
        let discontinuous = format.pointee.iformat.pointee.flags & AVFMT_TS_DISCONT != 0
        let start = stream.pointee.start_time != cadence_av_nopts_value() ? stream.pointee.start_time : Int64.min
        let toStart = discontinuous
            ? avformat_seek_file(format, -1, Int64.min, 0, 0, AVSEEK_FLAG_BYTE) >= 0
                || av_seek_frame(format, streamIndex, start, AVSEEK_FLAG_BACKWARD) >= 0
            : av_seek_frame(format, streamIndex, start, AVSEEK_FLAG_BACKWARD) >= 0
                || avformat_seek_file(format, -1, Int64.min, 0, 0, AVSEEK_FLAG_BYTE) >= 0
        if !toStart { return false }
        avcodec_flush_buffers(codec)
        draining = false
        return true
    }

    /// Reads every packet of the video stream from the start without decoding, then rewinds.
    func scanPackets() -> [FrameIndex.Packet] {
        var packets: [FrameIndex.Packet] = []
        _ = rewind()
        while true {
            let read = av_read_frame(format, packet)
            if read < 0 {
                if read != cadence_averror_eof() { noteDamage(\.readErrors) }
                break
            }
            defer { av_packet_unref(packet) }
            let p = packet.pointee
            // Packets the container marks for discarding (edit lists) never become frames.
            guard p.stream_index == streamIndex, p.flags & AV_PKT_FLAG_DISCARD == 0 else { continue }
            packets.append(.init(pts: p.pts, dts: p.dts, duration: p.duration,
                                 isKeyframe: p.flags & AV_PKT_FLAG_KEY != 0))
        }
        _ = rewind()
        return packets
    }

    /// The frame's presentation timestamp, or FFmpeg's best guess when the container gave none.
    var framePts: Int64 {
        let pts = frame.pointee.pts
        return pts != cadence_av_nopts_value() ? pts : frame.pointee.best_effort_timestamp
    }
}
