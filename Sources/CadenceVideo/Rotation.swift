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

    /// Copies an RGB24 picture of `width`×`height` (rows `stride` bytes apart) into `output`,
    /// turned by this rotation; `output` receives a tightly packed picture.
    func apply(source: UnsafePointer<UInt8>, width: Int, height: Int, stride: Int,
               into output: UnsafeMutablePointer<UInt8>) {
        switch self {
        case .none:
            for y in 0..<height {
                (output + y * width * 3).update(from: source + y * stride, count: width * 3)
            }
        case .halfTurn:
            for y in 0..<height {
                let row = source + y * stride
                let out = output + (height - 1 - y) * width * 3
                for x in 0..<width {
                    let o = (width - 1 - x) * 3
                    out[o] = row[x * 3]
                    out[o + 1] = row[x * 3 + 1]
                    out[o + 2] = row[x * 3 + 2]
                }
            }
        case .clockwise90, .counterclockwise90:
            // The output is height wide and width tall. Clockwise: source (x, y) lands at column
            // height-1-y of row x; counterclockwise: at column y of row width-1-x.
            let outWidth = height
            let clockwise = self == .clockwise90
            for y in 0..<height {
                let row = source + y * stride
                let column = clockwise ? height - 1 - y : y
                for x in 0..<width {
                    let outRow = clockwise ? x : width - 1 - x
                    let o = (outRow * outWidth + column) * 3
                    output[o] = row[x * 3]
                    output[o + 1] = row[x * 3 + 1]
                    output[o + 2] = row[x * 3 + 2]
                }
            }
        }
    }
}
