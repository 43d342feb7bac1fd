import CFFmpeg

/// Turns decoded pictures (any pixel format) into upright RGB24 of the requested size with swscale.
///
/// Pixels match the `ffmpeg` CLI: the same swscale flags, colour matrix and range, and rotation applied
/// to the YCbCr planes before scaling, as the CLI's autorotation filters do (turning after scaling would
/// move chroma siting and differ at sharp colour edges). The scaler, the turned planes and the aligned
/// output buffer are kept between frames, so streaming allocates only the returned pixels.
final class FrameConverter {
    private var scaler: OpaquePointer?
    private var scalerKey: [Int32] = []
    private var scaled: UnsafeMutablePointer<AVFrame>?
    private var turned: UnsafeMutablePointer<AVFrame>?
    /// swscale slice threads (0: one per core).
    private let threads: Int

    init(threads: Int) {
        self.threads = threads
    }

    deinit {
        sws_freeContext(scaler)
        av_frame_free(&scaled)
        av_frame_free(&turned)
    }

    /// Bicubic: the flags the `ffmpeg` CLI gives swscale (its default `-sws_flags`).
    static let flags = SWS_BICUBIC

    /// The upright output size for a decoded picture, or nil when `resize` asks for an impossible size.
    static func outputSize(width: Int, height: Int, rotation: Rotation, resize: Resize?) -> (width: Int, height: Int)? {
        let upright = rotation.swapsAxes ? (width: height, height: width) : (width: width, height: height)
        guard let resize else { return upright }
        return resize.outputSize(width: upright.width, height: upright.height)
    }

    /// Converts `frame` to RGB24, turned and scaled; nil when swscale cannot handle its pixel format.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, rotation: Rotation, resize: Resize?)
        -> (width: Int, height: Int, rgb: [UInt8])? {
        guard frame.pointee.width > 0, frame.pointee.height > 0,
              let output = Self.outputSize(width: Int(frame.pointee.width), height: Int(frame.pointee.height),
                                           rotation: rotation, resize: resize) else {
            return nil
        }
        var source = frame
        var rgbRotation = rotation
        if rotation != .none, let planes = turnPlanes(of: frame, by: rotation) {
            source = planes
            rgbRotation = .none
        }
        // Any turn not done on the planes is done on the RGB, so scale to the size before that turn.
        let scaledWidth = rgbRotation.swapsAxes ? output.height : output.width
        let scaledHeight = rgbRotation.swapsAxes ? output.width : output.height
        let picture = source.pointee
        guard let scaler = scaler(from: picture, width: scaledWidth, height: scaledHeight),
              let target = scaledFrame(width: scaledWidth, height: scaledHeight) else { return nil }
        matchColorspace(of: picture, scaler: scaler)
        guard sws_scale_frame(scaler, target, source) >= 0, let rows = target.pointee.data.0 else { return nil }
        let stride = Int(target.pointee.linesize.0)
        let rgb = [UInt8](unsafeUninitializedCapacity: output.width * output.height * 3) { pixels, count in
            if let base = pixels.baseAddress {
                rgbRotation.apply(source: rows, width: scaledWidth, height: scaledHeight, sourceStride: stride,
                                  pixelSize: 3, into: base, outputStride: output.width * 3)
            }
            count = output.width * output.height * 3
        }
        return (output.width, output.height, rgb)
    }

    /// The frame's planes turned by `rotation`, for planar formats whose chroma is subsampled equally in
    /// both directions (so a turned picture has the same format) and whose samples all have one size
    /// (8-bit, or 10/12/16-bit in two bytes); nil for other formats.
    private func turnPlanes(of frame: UnsafeMutablePointer<AVFrame>, by rotation: Rotation) -> UnsafeMutablePointer<AVFrame>? {
        let format = AVPixelFormat(rawValue: frame.pointee.format)
        guard let descriptor = av_pix_fmt_desc_get(format)?.pointee,
              descriptor.flags & UInt64(AV_PIX_FMT_FLAG_PLANAR) != 0,
              descriptor.flags & UInt64(AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM) == 0,
              descriptor.log2_chroma_w == descriptor.log2_chroma_h else { return nil }
        let components = Int(descriptor.nb_components)
        let sampleSizes = withUnsafeBytes(of: descriptor.comp) { raw in
            Set((0..<components).map {
                Int(raw.load(fromByteOffset: $0 * MemoryLayout<AVComponentDescriptor>.stride, as: AVComponentDescriptor.self).step)
            })
        }
        guard sampleSizes.count == 1, let sampleSize = sampleSizes.first, sampleSize == 1 || sampleSize == 2 else { return nil }

        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        let turnedWidth = rotation.swapsAxes ? height : width
        let turnedHeight = rotation.swapsAxes ? width : height
        if turned == nil { turned = av_frame_alloc() }
        guard let target = turned else { return nil }
        if target.pointee.width != turnedWidth || target.pointee.height != turnedHeight || target.pointee.format != frame.pointee.format
            || target.pointee.data.0 == nil {
            av_frame_unref(target)
            target.pointee.width = Int32(turnedWidth)
            target.pointee.height = Int32(turnedHeight)
            target.pointee.format = frame.pointee.format
            guard av_frame_get_buffer(target, 0) >= 0 else { return nil }
        }
        target.pointee.colorspace = frame.pointee.colorspace
        target.pointee.color_range = frame.pointee.color_range

        let planeCount = Int(av_pix_fmt_count_planes(format))
        var sourcePlanes = frame.pointee.data, sourceStrides = frame.pointee.linesize
        var targetPlanes = target.pointee.data, targetStrides = target.pointee.linesize
        let shift = Int(descriptor.log2_chroma_w)
        for plane in 0..<planeCount {
            // Planes 1 and 2 are chroma; the alpha plane, like luma, is full size.
            let isChroma = plane == 1 || plane == 2
            let planeWidth = isChroma ? (width + (1 << shift) - 1) >> shift : width
            let planeHeight = isChroma ? (height + (1 << shift) - 1) >> shift : height
            let from = withUnsafeBytes(of: &sourcePlanes) { $0.load(fromByteOffset: plane * 8, as: UnsafeMutablePointer<UInt8>?.self) }
            let to = withUnsafeBytes(of: &targetPlanes) { $0.load(fromByteOffset: plane * 8, as: UnsafeMutablePointer<UInt8>?.self) }
            let fromStride = withUnsafeBytes(of: &sourceStrides) { $0.load(fromByteOffset: plane * 4, as: Int32.self) }
            let toStride = withUnsafeBytes(of: &targetStrides) { $0.load(fromByteOffset: plane * 4, as: Int32.self) }
            guard let from, let to, fromStride > 0 else { return nil }
            rotation.apply(source: from, width: planeWidth, height: planeHeight, sourceStride: Int(fromStride),
                           pixelSize: sampleSize, into: to, outputStride: Int(toStride))
        }
        return target
    }

    /// Uses the frame's own YCbCr matrix and range, as the CLI's scale filter does ("auto" matrix).
    private func matchColorspace(of frame: AVFrame, scaler: OpaquePointer) {
        var inverseTable: UnsafeMutablePointer<Int32>?
        var table: UnsafeMutablePointer<Int32>?
        var sourceFull: Int32 = 0, destinationFull: Int32 = 0
        var brightness: Int32 = 0, contrast: Int32 = 0, saturation: Int32 = 0
        guard sws_getColorspaceDetails(scaler, &inverseTable, &sourceFull, &table, &destinationFull,
                                       &brightness, &contrast, &saturation) >= 0 else { return }
        var colorspace = frame.colorspace.rawValue
        if colorspace < 1 || colorspace > 10 || colorspace == 8 { colorspace = AVCOL_SPC_BT470BG.rawValue }
        let coefficients = sws_getCoefficients(Int32(colorspace))
        if frame.color_range != AVCOL_RANGE_UNSPECIFIED {
            sourceFull = frame.color_range == AVCOL_RANGE_JPEG ? 1 : 0
        }
        sws_setColorspaceDetails(scaler, coefficients, sourceFull, coefficients, destinationFull,
                                 brightness, contrast, saturation)
    }

    /// The scaler for this source and output size, made anew only when either changes.
    private func scaler(from picture: AVFrame, width: Int, height: Int) -> OpaquePointer? {
        let key = [picture.width, picture.height, picture.format, Int32(width), Int32(height)]
        if key == scalerKey, let scaler { return scaler }
        sws_freeContext(scaler)
        scalerKey = []
        scaler = sws_alloc_context()
        guard let context = scaler else { return nil }
        let options: [(String, Int64)] = [
            ("srcw", Int64(picture.width)), ("srch", Int64(picture.height)), ("src_format", Int64(picture.format)),
            ("dstw", Int64(width)), ("dsth", Int64(height)), ("dst_format", Int64(AV_PIX_FMT_RGB24.rawValue)),
            ("sws_flags", Int64(Self.flags)), ("threads", Int64(threads)),
        ]
        for (name, value) in options where av_opt_set_int(UnsafeMutableRawPointer(context), name, value, 0) < 0 {
            return nil
        }
        guard sws_init_context(context, nil, nil) >= 0 else {
            sws_freeContext(context)
            scaler = nil
            return nil
        }
        scalerKey = key
        return context
    }

    /// The reusable RGB24 frame swscale writes into.
    private func scaledFrame(width: Int, height: Int) -> UnsafeMutablePointer<AVFrame>? {
        if scaled == nil { scaled = av_frame_alloc() }
        guard let frame = scaled else { return nil }
        if frame.pointee.width != Int32(width) || frame.pointee.height != Int32(height) || frame.pointee.buf.0 == nil {
            av_frame_unref(frame)
            frame.pointee.width = Int32(width)
            frame.pointee.height = Int32(height)
            frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
            guard av_frame_get_buffer(frame, 0) >= 0 else { return nil }
        }
        return frame
    }
}
