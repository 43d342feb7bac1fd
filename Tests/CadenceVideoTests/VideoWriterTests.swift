import Foundation
import Testing
@testable import CadenceVideo

/// Encoding with `VideoWriter`, checked by decoding the result with `VideoReader`.
@Suite struct VideoWriterTests {
    private func scratch(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cadence-writer-\(UUID().uuidString)-\(name)")
    }

    /// Smooth moving gradients: what a video codec keeps well.
    private func frame(_ t: Int, width: Int, height: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                rgb[i] = UInt8((x * 200 / width + t * 4) % 256)
                rgb[i + 1] = UInt8(40 + y * 160 / height)
                rgb[i + 2] = UInt8(128 + Int(60 * sin(Double(x + y + 3 * t) / 20)))
            }
        }
        return rgb
    }

    private func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        let mse = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / Double(a.count)
        return 10 * log10(255 * 255 / max(mse, 1e-12))
    }

    @Test(arguments: [(64, 48), (33, 25)])
    func writtenFramesDecodeBackCloseToTheOriginals(width: Int, height: Int) throws {
        let url = scratch("out.mp4")
        defer { try? FileManager.default.removeItem(at: url) }
        let writer = try VideoWriter(path: url.path, width: width, height: height, fps: Rational(25, 1))
        let frames = (0..<12).map { frame($0, width: width, height: height) }
        for rgb in frames { try writer.write(rgb: rgb) }
        #expect(!FileManager.default.fileExists(atPath: url.path), "nothing at the path before finish()")
        try writer.finish()
        #expect(writer.frameCount == 12)

        let reader = try VideoReader(path: url.path)
        #expect(reader.info.width == width && reader.info.height == height)
        #expect(reader.info.averageFrameRate.value == 25)
        var decoded: [VideoFrame] = []
        while let f = try reader.nextFrame() { decoded.append(f) }
        #expect(decoded.count == 12)
        for (original, back) in zip(frames, decoded) { #expect(psnr(original, back.rgb) > 30) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(url.lastPathComponent)") }
        #expect(leftovers.isEmpty)
    }

    @Test func badRequestsNameTheFile() throws {
        let folder = scratch("missing-folder")
        let error = #expect(throws: VideoWriterError.self) {
            try VideoWriter(path: folder.appendingPathComponent("x.mp4").path, width: 16, height: 16, fps: Rational(30, 1))
        }
        #expect(error?.description.contains("x.mp4") == true)
        let url = scratch("ok.mp4")
        let writer = try VideoWriter(path: url.path, width: 16, height: 16, fps: Rational(30, 1))
        #expect(throws: VideoWriterError.self) { try writer.write(rgb: [0, 0, 0]) }
        #expect(throws: VideoWriterError.self) { try VideoWriter(path: url.path, width: 0, height: 16, fps: Rational(30, 1)) }
    }

    @Test func aFailedWriterLeavesNoFile() throws {
        let url = scratch("abandoned.mp4")
        do {
            let writer = try VideoWriter(path: url.path, width: 16, height: 16, fps: Rational(30, 1))
            try writer.write(rgb: [UInt8](repeating: 9, count: 16 * 16 * 3))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.contains("abandoned.mp4") }
        #expect(leftovers.isEmpty)
    }
}
