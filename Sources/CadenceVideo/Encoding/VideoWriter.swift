import CFFmpeg
import Foundation

/// Encodes RGB24 frames into a video file (H.264 in MP4 for `.mp4`; the container follows the
/// extension) through libavcodec, libavformat and libswscale.
///
/// ```swift
/// let writer = try VideoWriter(path: "out.mp4", width: 320, height: 240, fps: Rational(30, 1))
/// for frame in frames { try writer.write(rgb: frame.rgb) }
/// try writer.finish()          // nothing exists at `path` until this returns
/// ```
///
/// The encoder is libx264 (CRF `quality`) when FFmpeg has it, else FFmpeg's MPEG-4 Part 2 encoder.
/// Pixels are 4:2:0 when both sides are even; an odd side cannot be 4:2:0 subsampled, so libx264
/// then writes 4:4:4 and keeps the exact size (the MPEG-4 fallback refuses odd sizes). The file is
/// written under a temporary name in the same folder and renamed by `finish()`, so a failed or
/// killed run never leaves a partial video at `path`.
public final class VideoWriter {
    public let path: String
    public let width: Int
    public let height: Int
    public let fps: Rational
    /// The encoder in use: `libx264` or `mpeg4`.
    public let encoderName: String
    /// Frames written so far.
    public private(set) var frameCount = 0

    private let temporaryPath: String
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private let stream: UnsafeMutablePointer<AVStream>
    private var rgbFrame: UnsafeMutablePointer<AVFrame>?
    private var yuvFrame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private var finished = false

    /// Opens `path` for writing `width`x`height` frames at `fps`.
    /// - Parameter quality: libx264's CRF (lower is better; 18 is visually lossless for most content).
    public init(path: String, width: Int, height: Int, fps: Rational, quality: Int = 18) throws {
        self.path = path
        self.width = width
        self.height = height
        self.fps = fps
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        func failure(_ reason: String) -> VideoWriterError { VideoWriterError(path: path, reason: reason) }
        guard width > 0, height > 0, width <= 16384, height <= 16384 else { throw failure("invalid size \(width)x\(height)") }
        guard fps.numerator > 0, fps.denominator > 0 else { throw failure("invalid frame rate \(fps)") }

        var format: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_alloc_output_context2(&format, nil, nil, path) >= 0, let format else {
            throw failure("no container format for the extension of \(url.lastPathComponent)")
        }
        self.format = format
        let x264 = avcodec_find_encoder_by_name("libx264")
        guard let codec = x264 ?? avcodec_find_encoder(AV_CODEC_ID_MPEG4) else {
            avformat_free_context(format)
            throw failure("FFmpeg has neither the libx264 nor the mpeg4 encoder")
        }
        encoderName = String(cString: codec.pointee.name)
        let oddSize = width % 2 == 1 || height % 2 == 1
        if oddSize && x264 == nil {
            avformat_free_context(format)
            throw failure("the mpeg4 encoder needs even sides, got \(width)x\(height)")
        }
        guard let stream = avformat_new_stream(format, nil), let encoder = avcodec_alloc_context3(codec) else {
            avformat_free_context(format)
            throw failure("out of memory")
        }
        self.stream = stream
        self.encoder = encoder
        let pixelFormat = oddSize ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P
        encoder.pointee.width = Int32(width)
        encoder.pointee.height = Int32(height)
        encoder.pointee.pix_fmt = pixelFormat
        encoder.pointee.time_base = AVRational(num: Int32(fps.denominator), den: Int32(fps.numerator))
        encoder.pointee.framerate = AVRational(num: Int32(fps.numerator), den: Int32(fps.denominator))
        encoder.pointee.gop_size = 2 * Int32((fps.value ?? 30).rounded())
        if x264 != nil {
            av_opt_set(encoder.pointee.priv_data, "crf", "\(quality)", 0)
            av_opt_set(encoder.pointee.priv_data, "preset", "fast", 0)
        } else {
            // A fixed quantiser: quality near libx264's CRF 18 for this older codec.
            encoder.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
            encoder.pointee.global_quality = Int32(FF_QP2LAMBDA * 3)
        }
        if format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            encoder.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
        }
        do {
            try Self.check(avcodec_open2(encoder, codec, nil), "cannot open the \(encoderName) encoder", path)
            try Self.check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder), "encoder parameters", path)
            stream.pointee.time_base = encoder.pointee.time_base
            stream.pointee.avg_frame_rate = encoder.pointee.framerate
            if format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
                try Self.check(avio_open(&format.pointee.pb, temporaryPath, AVIO_FLAG_WRITE),
                               "cannot create a file in \(url.deletingLastPathComponent().path)", path)
            }
            try Self.check(avformat_write_header(format, nil), "cannot write the header", path)
            rgbFrame = try Self.frame(width: width, height: height, format: AV_PIX_FMT_RGB24, path: path)
            yuvFrame = try Self.frame(width: width, height: height, format: pixelFormat, path: path)
            packet = av_packet_alloc()
            scaler = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
                                    pixelFormat, Int32(SWS_BICUBIC), nil, nil, nil)
            guard packet != nil, scaler != nil else { throw failure("out of memory") }
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    /// Appends one frame: `width * height * 3` bytes of RGB24, row-major, top row first.
    public func write(rgb: [UInt8]) throws {
        guard !finished else { throw VideoWriterError(path: path, reason: "already finished") }
        guard rgb.count == width * height * 3 else {
            throw VideoWriterError(path: path, reason: "frame of \(rgb.count) bytes for \(width)x\(height) RGB")
        }
        guard let rgbFrame, let yuvFrame, let scaler else { throw VideoWriterError(path: path, reason: "writer is closed") }
        try Self.check(av_frame_make_writable(rgbFrame), "frame buffer", path)
        try Self.check(av_frame_make_writable(yuvFrame), "frame buffer", path)
        guard let rows = rgbFrame.pointee.data.0 else { throw VideoWriterError(path: path, reason: "frame buffer") }
        let stride = Int(rgbFrame.pointee.linesize.0), rowBytes = width * 3
        rgb.withUnsafeBytes { source in
            for y in 0..<height {
                (rows + y * stride).update(from: source.baseAddress!.assumingMemoryBound(to: UInt8.self) + y * rowBytes,
                                           count: rowBytes)
            }
        }
        try Self.check(sws_scale_frame(scaler, yuvFrame, rgbFrame), "colour conversion", path)
        yuvFrame.pointee.pts = Int64(frameCount)
        try send(yuvFrame)
        frameCount += 1
    }

    /// Appends a decoded frame of the writer's size.
    public func write(_ frame: VideoFrame) throws {
        guard frame.width == width, frame.height == height else {
            throw VideoWriterError(path: path, reason: "frame of \(frame.width)x\(frame.height) for a \(width)x\(height) video")
        }
        try write(rgb: frame.rgb)
    }

    /// Flushes the encoder, completes the file and moves it to `path`.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        do {
            try send(nil)
            guard let format else { throw VideoWriterError(path: path, reason: "writer is closed") }
            try Self.check(av_write_trailer(format), "cannot write the trailer", path)
            if format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 { avio_closep(&format.pointee.pb) }
            guard rename(temporaryPath, path) == 0 else {
                throw VideoWriterError(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            release()
            throw error
        }
        release()
    }

    /// Sends a frame (nil: end of stream) and writes every packet the encoder returns.
    private func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        guard let encoder, let format, let packet else { throw VideoWriterError(path: path, reason: "writer is closed") }
        try Self.check(avcodec_send_frame(encoder, frame), "encoding failed", path)
        while true {
            let received = avcodec_receive_packet(encoder, packet)
            if received == cadence_averror_eagain() || received == cadence_averror_eof() { return }
            try Self.check(received, "encoding failed", path)
            av_packet_rescale_ts(packet, encoder.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_interleaved_write_frame(format, packet)
            av_packet_unref(packet)
            try Self.check(written, "cannot write a packet", path)
        }
    }

    /// Frees everything and removes the temporary file unless it was renamed into place.
    private func release() {
        if let format {
            if format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0, format.pointee.pb != nil {
                avio_closep(&format.pointee.pb)
            }
            avformat_free_context(format)
            self.format = nil
        }
        avcodec_free_context(&encoder)
        av_frame_free(&rgbFrame)
        av_frame_free(&yuvFrame)
        av_packet_free(&packet)
        if let scaler { sws_freeContext(scaler) }
        scaler = nil
        if FileManager.default.fileExists(atPath: temporaryPath) { try? FileManager.default.removeItem(atPath: temporaryPath) }
    }

    private static func frame(width: Int, height: Int, format: AVPixelFormat, path: String) throws -> UnsafeMutablePointer<AVFrame> {
        guard let frame = av_frame_alloc() else { throw VideoWriterError(path: path, reason: "out of memory") }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = format.rawValue
        var owned: UnsafeMutablePointer<AVFrame>? = frame
        guard av_frame_get_buffer(frame, 0) >= 0 else {
            av_frame_free(&owned)
            throw VideoWriterError(path: path, reason: "out of memory for a \(width)x\(height) frame")
        }
        return frame
    }

    private static func check(_ code: Int32, _ what: String, _ path: String) throws {
        guard code >= 0 else { throw VideoWriterError(path: path, reason: "\(what) (\(ffmpegErrorText(code)))") }
    }
}
