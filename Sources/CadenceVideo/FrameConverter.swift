import CFFmpeg

/// Turns decoded pictures (any pixel format) into upright RGB24 of the requested size with swscale.
/// The scaler and its aligned output buffer are kept between frames, so streaming allocates only the
/// returned pixels.
final class FrameConverter {
    private var scaler: OpaquePointer?
    private var buffer: UnsafeMutableRawPointer?
    private var bufferSize = 0
    private static let alignment = 64

    deinit {
        sws_freeContext(scaler)
        buffer?.deallocate()
    }

    /// Bicubic, the flags the `ffmpeg` CLI gives swscale, so pixels match the CLI's output.
    static let flags = SWS_BICUBIC

    /// The upright output size for a decoded picture, or nil when `resize` asks for an impossible size.
    static func outputSize(width: Int, height: Int, rotation: Rotation, resize: Resize?) -> (width: Int, height: Int)? {
        let upright = rotation.swapsAxes ? (width: height, height: width) : (width: width, height: height)
        guard let resize else { return upright }
        return resize.outputSize(width: upright.width, height: upright.height)
    }

    /// Converts `frame` to RGB24, scaled and turned; nil when swscale cannot handle its pixel format.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, rotation: Rotation, resize: Resize?)
        -> (width: Int, height: Int, rgb: [UInt8])? {
        let source = frame.pointee
        let width = Int(source.width), height = Int(source.height)
        guard width > 0, height > 0,
              let output = Self.outputSize(width: width, height: height, rotation: rotation, resize: resize) else {
            return nil
        }
        // Scale first, in the stored orientation, then turn the RGB.
        let scaledWidth = rotation.swapsAxes ? output.height : output.width
        let scaledHeight = rotation.swapsAxes ? output.width : output.height
        let sourceFormat = AVPixelFormat(rawValue: source.format)
        scaler = sws_getCachedContext(scaler, source.width, source.height, sourceFormat,
                                      Int32(scaledWidth), Int32(scaledHeight), AV_PIX_FMT_RGB24,
                                      Self.flags, nil, nil, nil)
        guard let scaler else { return nil }
        matchColorspace(of: source, scaler: scaler)

        let stride = (scaledWidth * 3 + Self.alignment - 1) / Self.alignment * Self.alignment
        // swscale's vector code may write a little past the last row.
        reserve(stride * scaledHeight + Self.alignment)
        guard let buffer else { return nil }
        let rows = buffer.assumingMemoryBound(to: UInt8.self)
        var destination: [UnsafeMutablePointer<UInt8>?] = [rows, nil, nil, nil]
        var destinationStride: [Int32] = [Int32(stride), 0, 0, 0]
        var planes = source.data
        var strides = source.linesize
        let scaled = withUnsafeBytes(of: &planes) { planeBytes in
            withUnsafeBytes(of: &strides) { strideBytes in
                sws_scale(scaler,
                          planeBytes.baseAddress?.assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                          strideBytes.baseAddress?.assumingMemoryBound(to: Int32.self),
                          0, source.height, &destination, &destinationStride)
            }
        }
        guard scaled > 0 else { return nil }
        let rgb = [UInt8](unsafeUninitializedCapacity: output.width * output.height * 3) { pixels, count in
            if let base = pixels.baseAddress {
                rotation.apply(source: rows, width: scaledWidth, height: scaledHeight, stride: stride, into: base)
            }
            count = output.width * output.height * 3
        }
        return (output.width, output.height, rgb)
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

    private func reserve(_ size: Int) {
        guard size > bufferSize else { return }
        buffer?.deallocate()
        buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.alignment)
        bufferSize = size
    }
}
