import CFFmpeg

/// The quarter turn (clockwise) that makes a decoded picture upright, as phones record portrait video:
/// landscape pixels plus a display matrix in the stream.
public enum Rotation: Int, Equatable, Sendable, CaseIterable {
    case none = 0
    case clockwise90 = 90
    case halfTurn = 180
    case counterclockwise90 = 270

    /// Reads the stream's display matrix the way the `ffmpeg` CLI's autorotation does: the matrix
    /// stores a counterclockwise angle; angles that are not quarter turns are ignored.
    init(displayMatrix: UnsafePointer<Int32>?) {
        guard let matrix = displayMatrix else {
            self = .none
            return
        }
        let counterclockwise = av_display_rotation_get(matrix)
        guard counterclockwise.isFinite else {
            self = .none
            return
        }
        var clockwise = -counterclockwise.rounded()
        clockwise -= 360 * (clockwise / 360 + 0.9 / 360).rounded(.down)
        switch clockwise {
        case 89...91: self = .clockwise90
        case 179...181: self = .halfTurn
        case 269...271: self = .counterclockwise90
        default: self = .none
        }
    }

    /// Whether the turn exchanges width and height.
    public var swapsAxes: Bool { self == .clockwise90 || self == .counterclockwise90 }

    /// Copies a picture of `width`×`height` pixels of `pixelSize` bytes (rows `sourceStride` bytes apart)
    /// into `output` (rows `outputStride` bytes apart), turned by this rotation.
    func apply(source: UnsafePointer<UInt8>, width: Int, height: Int, sourceStride: Int, pixelSize: Int,
               into output: UnsafeMutablePointer<UInt8>, outputStride: Int) {
        switch self {
        case .none:
            for y in 0..<height {
                (output + y * outputStride).update(from: source + y * sourceStride, count: width * pixelSize)
            }
        case .halfTurn:
            for y in 0..<height {
                let row = source + y * sourceStride
                let out = output + (height - 1 - y) * outputStride
                for x in 0..<width {
                    (out + (width - 1 - x) * pixelSize).update(from: row + x * pixelSize, count: pixelSize)
                }
            }
        case .clockwise90, .counterclockwise90:
            // The output is `height` wide and `width` tall. Clockwise, source (x, y) lands in row x at
            // column height-1-y; counterclockwise, in row width-1-x at column y.
            let clockwise = self == .clockwise90
            for y in 0..<height {
                let row = source + y * sourceStride
                let column = (clockwise ? height - 1 - y : y) * pixelSize
                if pixelSize == 1 {
                    for x in 0..<width {
                        output[(clockwise ? x : width - 1 - x) * outputStride + column] = row[x]
                    }
                } else {
                    for x in 0..<width {
                        let out = output + (clockwise ? x : width - 1 - x) * outputStride + column
                        out.update(from: row + x * pixelSize, count: pixelSize)
                    }
                }
            }
        }
    }
}
