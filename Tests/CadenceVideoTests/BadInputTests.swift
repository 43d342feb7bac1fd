import CadenceVideo
import Foundation
import Testing

/// Every kind of bad input gives a typed error naming the file, or for damaged streams, frames plus a
/// damage report; none crashes or hangs the process (reaching the later expectations proves it survived).
@Suite struct BadInputTests {
    private func openError(_ path: String) -> VideoError? {
        do {
            let reader = try VideoReader(path: path)
            while try reader.nextFrame() != nil {}
            return nil
        } catch let error as VideoError {
            return error
        } catch {
            Issue.record("not a VideoError: \(error)")
            return nil
        }
    }

    @Test func missingFile() {
        let path = Clips.path("bad/does-not-exist.mp4")
        #expect(openError(path) == .fileNotFound(path: path))
        #expect(openError(path)?.description == "cannot decode \(path): no such file")
    }

    @Test func emptyFile() {
        #expect(openError(Clips.path("bad/empty.mp4")) == .emptyFile(path: Clips.path("bad/empty.mp4")))
    }

    @Test func randomBytes() throws {
        let error = try #require(openError(Clips.path("bad/random.mp4")))
        guard case .unrecognizedFormat = error else { throw ToolFailure(message: "got \(error)") }
        #expect(error.path == Clips.path("bad/random.mp4"))
    }

    @Test func textNamedMP4() throws {
        let error = try #require(openError(Clips.path("bad/text.mp4")))
        guard case .unrecognizedFormat = error else { throw ToolFailure(message: "got \(error)") }
    }

    @Test func truncatedBeforeTheIndex() throws {
        let error = try #require(openError(Clips.path("bad/truncated.mp4")))
        guard case .unrecognizedFormat(_, let detail) = error else { throw ToolFailure(message: "got \(error)") }
        // FFmpeg's own explanation is kept.
        #expect(detail.contains("moov"))
    }

    @Test("a file cut off mid-stream decodes the frames it has")
    func truncatedTail() throws {
        let reader = try VideoReader(path: Clips.path("bad/truncated-tail.mkv"))
        var count = 0
        while try reader.nextFrame() != nil { count += 1 }
        let facts = try #require(Clips.badFacts.first { $0.file == "bad/truncated-tail.mkv" })
        #expect(count == facts.frames_decoded)
        #expect(count < 48)
        #expect(try reader.frameIndex().count == count)
    }

    @Test func audioOnly() {
        #expect(openError(Clips.path("bad/audio-only.m4a")) == .noVideoStream(path: Clips.path("bad/audio-only.m4a")))
        #expect(openError(Clips.path("bad/audio-only.m4a"))?.description.hasSuffix(": no video stream") == true)
    }

    @Test func stillImage() throws {
        let error = try #require(openError(Clips.path("bad/still.png")))
        guard case .stillImage = error else { throw ToolFailure(message: "got \(error)") }
        #expect(error.description.contains("a still image"))
        #expect(error.description.contains("not a video"))
    }

    @Test func unsupportedCodec() throws {
        let error = try #require(openError(Clips.path("bad/unsupported.avi")))
        guard case .unsupportedCodec = error else { throw ToolFailure(message: "got \(error)") }
    }

    @Test("corrupt packets: decoding continues and the damage is counted")
    func corruptPackets() throws {
        let reader = try VideoReader(path: Clips.path("bad/corrupt.mp4"))
        var count = 0
        while try reader.nextFrame() != nil { count += 1 }
        let facts = try #require(Clips.badFacts.first { $0.file == "bad/corrupt.mp4" })
        #expect(count == facts.frames_decoded)
        #expect(!reader.damage.isEmpty)
        #expect(reader.damage.decoderErrors > 0)
        // Random access over the damaged region works too.
        #expect(try reader.frames(at: [0, 20, 47]).count == 3)
    }

    @Test("a directory is not a video")
    func directory() throws {
        let error = try #require(openError(Clips.path("bad")))
        guard case .unreadable = error else { throw ToolFailure(message: "got \(error)") }
    }

    @Test("devices and pipes are refused at once (reading them would never end); a symbolic link is followed")
    func specialFiles() throws {
        #expect(openError("/dev/zero") == .unreadable(path: "/dev/zero", detail: "not a regular file (a device, pipe or socket)"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-special-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A pipe with no writer: opening it to read would block for ever.
        let pipe = folder.appendingPathComponent("pipe.mp4").path
        #expect(mkfifo(pipe, 0o600) == 0)
        #expect(openError(pipe) == .unreadable(path: pipe, detail: "not a regular file (a device, pipe or socket)"))
        let link = folder.appendingPathComponent("link.mp4").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Clips.path("h264.mp4"))
        #expect(openError(link) == nil)
    }
}
