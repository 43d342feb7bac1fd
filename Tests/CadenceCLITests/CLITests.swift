import CadenceTestSupport
import CadenceNN
import Foundation
import Testing

/// End-to-end tests of the built `cadence` executable on the sample clips.
@Suite struct CLITests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func clip(_ name: String) -> String {
        repository.appendingPathComponent("clips").appendingPathComponent(name).path
    }

    /// The `cadence` binary built beside this test bundle (`swift build --build-tests` builds every product).
    static let executable: String? = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            repository.appendingPathComponent(".build/debug"),
        ].map { $0.appendingPathComponent("cadence").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    private func cadence(_ arguments: String...) throws -> ToolOutput {
        let path = try #require(Self.executable, "build the cadence product first (swift build --build-tests)")
        return try runTool(path, arguments)
    }

    private func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cadence-cli-\(UUID().uuidString)-\(name)").path
    }

    @Test("info --json prints one parseable object per video")
    func infoJSON() throws {
        let result = try cadence("info", "--json", Self.clip("h264.mp4"), Self.clip("portrait.mp4"))
        #expect(result.status == 0)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects[0]["codec"] as? String == "h264")
        #expect(objects[0]["frames"] as? Int == 48)
        #expect(objects[0]["frames_exact"] as? Bool == true)
        #expect(objects[0]["width"] as? Int == 320)
        #expect(objects[1]["rotation"] as? Int == 90)
        #expect(objects[1]["display_height"] as? Int == 240)
        #expect(result.stderr.isEmpty)
    }

    @Test("info shows a table and reports a bad file with exit code 1 while the good ones still print")
    func infoWithBadFile() throws {
        let result = try cadence("info", Self.clip("h264.mp4"), Self.clip("bad/audio-only.m4a"), Self.clip("vp9.webm"))
        #expect(result.status == 1)
        let table = String(decoding: result.stdout, as: UTF8.self)
        #expect(table.hasPrefix("FILE"))
        #expect(table.contains("h264.mp4"))
        #expect(table.contains("vp9.webm"))
        #expect(!table.contains("audio-only"))
        #expect(result.stderr.contains("cannot decode \(Self.clip("bad/audio-only.m4a")): no video stream"))
    }

    @Test("info --json gives a bad file an error object")
    func infoJSONError() throws {
        let result = try cadence("info", "--json", Self.clip("bad/still.png"))
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect((object["error"] as? String)?.contains("still image") == true)
    }

    @Test("decode --frames writes uint8 [T,H,W,3] equal to ffmpeg's frames")
    func decodeFrameList() throws {
        let out = temporaryFile("frames.npy")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try cadence("decode", Self.clip("h264.mp4"), "--frames", "0,5,10", "--out", out)
        #expect(result.status == 0)
        let array = try NpyFile.read(URL(fileURLWithPath: out))
        #expect(array.type == .uint8)
        #expect(array.shape == [3, 240, 320, 3])
        let reference = try runTool("/usr/bin/env", ["ffmpeg", "-v", "error", "-i", Self.clip("h264.mp4"), "-f", "rawvideo",
                                                       "-pix_fmt", "rgb24", "-"]).stdout
        let frameBytes = 240 * 320 * 3
        var expected = Data()
        for i in [0, 5, 10] { expected.append(reference.subdata(in: i * frameBytes..<(i + 1) * frameBytes)) }
        #expect(array.bytes == expected)
    }

    @Test("decode --uniform with --short-side and --all with --size give the right shapes")
    func decodeShapes() throws {
        let out = temporaryFile("uniform.npy")
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try cadence("decode", Self.clip("h264.mp4"), "--uniform", "4", "--short-side", "64", "--out", out).status == 0)
        #expect(try NpyFile.read(URL(fileURLWithPath: out)).shape == [4, 64, 85, 3])
        #expect(try cadence("decode", Self.clip("portrait.mp4"), "--all", "--size", "32x48", "--threads", "2", "--out", out).status == 0)
        #expect(try NpyFile.read(URL(fileURLWithPath: out)).shape == [45, 48, 32, 3])
    }

    @Test("decode reports corrupt packets as a warning without FFmpeg's own log")
    func decodeCorrupt() throws {
        let out = temporaryFile("corrupt.npy")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try cadence("decode", Self.clip("bad/corrupt.mp4"), "--all", "--short-side", "32", "--out", out)
        #expect(result.status == 0)
        #expect(try NpyFile.read(URL(fileURLWithPath: out)).shape.first == 48)
        #expect(result.stderr.contains("warning"))
        #expect(!result.stderr.contains("@ 0x"), "FFmpeg's log lines must stay silent: \(result.stderr)")
    }

    @Test("decode --all on a header that claims two billion frames decodes the frames there are")
    func decodeAllWithInflatedFrameCount() throws {
        // clips/h264.mp4 with its time-to-sample table's one entry claiming 0x7ffffff0 frames instead
        // of 48: FFmpeg's estimate of the count follows it, and reserving room for that many frames
        // aborted the process.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.clip("h264.mp4"))))
        let tag = Array("stts".utf8)
        let at = try #require((0...(bytes.count - 16)).first { Array(bytes[$0..<$0 + 4]) == tag })
        #expect(Array(bytes[at + 8..<at + 16]) == [0, 0, 0, 1, 0, 0, 0, 48], "one entry of 48 frames")
        bytes.replaceSubrange(at + 12..<at + 16, with: [0x7f, 0xff, 0xff, 0xf0])
        let damaged = temporaryFile("inflated-count.mp4"), out = temporaryFile("inflated-count.npy")
        defer {
            try? FileManager.default.removeItem(atPath: damaged)
            try? FileManager.default.removeItem(atPath: out)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let result = try cadence("decode", damaged, "--all", "--out", out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try NpyFile.read(URL(fileURLWithPath: out)).shape == [48, 240, 320, 3])
    }

    @Test("decode refuses, before decoding, an array larger than a third of the machine's memory")
    func decodeTooLargeForMemory() throws {
        let out = temporaryFile("huge.npy")
        // 99,999,999,999 frames of 320x240 (23,000 TB); the list of indices alone was 800 GB.
        let result = try cadence("decode", Self.clip("h264.mp4"), "--uniform", "99999999999", "--out", out)
        #expect(result.status == 1)
        #expect(result.stderr.contains("h264.mp4: 99999999999 frames at 320x240 take"), "\(result.stderr)")
        #expect(result.stderr.contains("more than a third of this machine's"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("a video whose picture size changes midway: decode and classify fail naming the file and the sizes")
    func pictureSizeChanges() throws {
        // 48 frames at 320x240, then 24 at 321x239.
        let video = try joinedTransportStream([Self.clip("h264.mp4"), Self.clip("odd-321x239.mp4")])
        let out = temporaryFile("sizes.npy")
        defer { try? FileManager.default.removeItem(atPath: (video as NSString).deletingLastPathComponent) }
        let decoded = try cadence("decode", video, "--uniform", "8", "--out", out)
        #expect(decoded.status == 1)
        #expect(decoded.stderr.contains("\(video): the picture size changes (320x240 at frame 0, 321x239 at frame"),
                "\(decoded.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "no array whose header promises more than it holds")
        let all = try cadence("decode", video, "--all", "--out", out)
        #expect(all.status == 1)
        #expect(all.stderr.contains("the picture size changes (320x240 at frame 0, 321x239 at frame 48); use --size"),
                "\(all.stderr)")
        let resized = try cadence("decode", video, "--frames", "0,60", "--size", "64x48", "--out", out)
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(resized.status == 0, "\(resized.stderr)")
        #expect(try NpyFile.read(URL(fileURLWithPath: out)).shape == [2, 48, 64, 3])
        let classified = try cadence("classify", video, "--views", "4x1")
        #expect(classified.status == 1)
        #expect(classified.stderr.contains("\(video): the picture size changes within a clip"), "\(classified.stderr)")
    }

    @Test("decode failures exit with 1 and name the file")
    func decodeFailures() throws {
        let out = temporaryFile("fail.npy")
        let missing = try cadence("decode", Self.clip("bad/empty.mp4"), "--all", "--out", out)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("bad/empty.mp4"))
        let outOfRange = try cadence("decode", Self.clip("three-frames.mp4"), "--frames", "0,3", "--out", out)
        #expect(outOfRange.status == 1)
        #expect(outOfRange.stderr.contains("out of range"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("usage errors exit with 2", arguments: [
        ["decode", "clips/h264.mp4", "--out", "x.npy"],
        ["decode", "clips/h264.mp4", "--all", "--frames", "1", "--out", "x.npy"],
        ["decode", "clips/h264.mp4", "--all", "--size", "12", "--out", "x.npy"],
        ["decode", "clips/h264.mp4", "--frames", "1,-2", "--out", "x.npy"],
        ["decode", "clips/h264.mp4", "--all"],
        ["info", "--no-such-flag", "clips/h264.mp4"],
        ["info"],
        ["frobnicate"],
    ])
    func usageErrors(arguments: [String]) throws {
        let path = try #require(Self.executable)
        let result = try runTool(path, arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("Usage") || result.stderr.contains("Error"))
    }

    /// Each trapped on arithmetic overflow (exit 132) before the options had upper bounds.
    @Test("sizes, frame counts and factors past SamplingLimits are usage errors naming the option", arguments: [
        (["decode", "clips/h264.mp4", "--frames", "0", "--size", "9999999999x9999999999", "--out", "x.npy"], "--size"),
        (["decode", "clips/h264.mp4", "--frames", "0", "--short-side", "9223372036854775807", "--out", "x.npy"],
         "--short-side"),
        (["speed", "clips/h264.mp4", "--window", "9223372036854775807"], "--window"),
        (["speed", "clips/h264.mp4", "--segment", "1e300"], "--segment"),
        (["speed", "clips/h264.mp4", "--factors", "1,1e300"], "--factors"),
        (["classify", "clips/h264.mp4", "--train-crop", "9223372036854775807"], "--train-crop"),
        (["train", "clips/actions", "--run", "never", "--sampling-rate", "9223372036854775807"], "--sampling-rate"),
        (["train", "clips/actions", "--run", "never", "--epochs", "9223372036854775807"], "--epochs"),
        (["train", "clips/actions", "--run", "never", "--crop", "9223372036854775807"], "--crop"),
        (["train", "clips/actions", "--run", "never", "--task", "speediness", "--pairs-per-video", "9223372036854775807"],
         "--pairs-per-video"),
    ])
    func optionsPastTheLimits(arguments: [String], option: String) throws {
        let path = try #require(Self.executable)
        let result = try runTool(path, arguments, in: Self.repository)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(option), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: Self.repository.appendingPathComponent("never").path))
    }

    @Test("--help explains the selection options and the memory cost")
    func help() throws {
        let result = try cadence("decode", "--help")
        #expect(result.status == 0)
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.contains("--uniform"))
        #expect(text.contains("T x H x W x 3 bytes"))
    }
}

/// Runs an executable from the repository root, where the tests' relative clip paths resolve.
func runTool(_ executable: String, _ arguments: [String]) throws -> ToolOutput {
    try CadenceTestSupport.runTool(executable, arguments, in: CLITests.repository)
}
