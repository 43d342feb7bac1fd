import CadenceVideo
import Foundation

extension SpeedupPlan {
    /// Writes the re-timed video: output frame k is source frame `sourceFrames[k]` of `source`, at
    /// the source's size and frame rate (see `VideoWriter` for the codec and odd sizes). The source
    /// is decoded once, front to back. `progress(done, total)` counts output frames.
    public func render(source: String, to output: String, progress: (Int, Int) -> Void = { _, _ in }) throws {
        let reader = try VideoReader(path: source)
        let fps = reader.info.averageFrameRate
        guard fps.numerator > 0, fps.denominator > 0 else {
            throw ModelError(source, "no usable frame rate (\(fps)) to render with")
        }
        var writer: VideoWriter?
        var next = 0
        while next < sourceFrames.count, let frame = try reader.nextFrame() {
            while next < sourceFrames.count, sourceFrames[next] <= frame.index {
                if writer == nil {
                    writer = try VideoWriter(path: output, width: frame.width, height: frame.height, fps: fps)
                }
                try writer?.write(frame)
                next += 1
                if next % 32 == 0 || next == sourceFrames.count { progress(next, sourceFrames.count) }
            }
        }
        guard let writer, next == sourceFrames.count else {
            throw ModelError(source, "has fewer frames than the plan's \(sourceFrameCount); rendered \(next) of \(sourceFrames.count)")
        }
        try writer.finish()
    }
}
