import CadenceTestSupport
import CadenceNN
import Foundation
import Testing

/// End-to-end tests of `cadence extract` with the X3D-XS fixture weights.
@Suite struct ExtractCommandTests {
    private let model = ["--model", "x3d_xs", "--train-crop", "64", "--weights",
                         ModelCommandTests.fixture("x3d_xs.safetensors")]

    private func cadence(_ arguments: [String]) throws -> ToolOutput {
        try runTool(try #require(CLITests.executable, "build the cadence product first"), arguments)
    }

    private func scratch(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cadence-extract-\(UUID().uuidString)-\(name)")
    }

    private func int64s(_ array: ArrayData) -> [Int] {
        array.bytes.withUnsafeBytes { raw in (0..<array.count).map { Int(raw.load(fromByteOffset: $0 * 8, as: Int64.self)) } }
    }

    private func manifest(_ folder: URL, _ name: String = "manifest.json") throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func videos(_ manifest: [String: Any]) throws -> [String: [String: Any]] {
        try #require(manifest["videos"] as? [String: [String: Any]])
    }

    /// The test clip `cadence forward` takes: the chosen frames decoded at short side 182, centre crop
    /// (offset rounded up, as PySlowFast), normalised with mean 0.45 and std 0.225, laid out [1, 3, T, H, W].
    private func preprocessedClip(frames: [Int], to file: URL) throws {
        let decoded = scratch("frames.npy")
        defer { try? FileManager.default.removeItem(at: decoded) }
        let decode = try cadence(["decode", CLITests.clip("h264.mp4"), "--frames", frames.map(String.init).joined(separator: ","),
                                  "--short-side", "182", "-o", decoded.path])
        #expect(decode.status == 0, "\(decode.stderr)")
        let rgb = try NpyFile.read(decoded)
        let (t, h, w) = (rgb.shape[0], rgb.shape[1], rgb.shape[2])
        let side = 182, y0 = (h - side + 1) / 2, x0 = (w - side + 1) / 2
        let bytes = [UInt8](rgb.bytes)
        var values = [Float](repeating: 0, count: 3 * t * side * side)
        for c in 0..<3 {
            for f in 0..<t {
                for y in 0..<side {
                    for x in 0..<side {
                        let pixel = Float(bytes[((f * h + y0 + y) * w + x0 + x) * 3 + c])
                        values[((c * t + f) * side + y) * side + x] = (pixel / 255 - 0.45) / 0.225
                    }
                }
            }
        }
        try NpyFile.write(ArrayData(shape: [1, 3, t, side, side], floats: values), to: file)
    }

    @Test("extract writes the same s5 maps and head embeddings as cadence forward on the same preprocessed clips")
    func matchesForward() throws {
        let out = scratch("out"), clip = scratch("clip.npy"), reference = scratch("ref.npy")
        defer { for url in [out, clip, reference] { try? FileManager.default.removeItem(at: url) } }
        for layer in ["s5", "head_features"] {
            let run = try cadence(["extract", CLITests.clip("h264.mp4"), "--out", out.appendingPathComponent(layer).path,
                                   "--clips", "2", "--layer", layer] + model)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let s5 = try NpyFile.read(out.appendingPathComponent("s5/h264.mp4.npy"))
        let embedding = try NpyFile.read(out.appendingPathComponent("head_features/h264.mp4.npy"))
        let frames = try NpyFile.read(out.appendingPathComponent("s5/h264.mp4.frames.npy"))
        let times = try NpyFile.read(out.appendingPathComponent("s5/h264.mp4.timestamps.npy"))
        #expect(frames.shape == [2, 4])
        #expect(times.shape == [2, 2] && times.type == .float64)
        let clipFrames = int64s(frames)
        let seconds = times.bytes.withUnsafeBytes { raw in (0..<4).map { raw.load(fromByteOffset: $0 * 8, as: Double.self) } }
        // h264.mp4 is 24 fps: a clip runs from its first frame's start to its last frame's end.
        #expect(abs(seconds[0] - Double(clipFrames[0]) / 24) < 1e-9)
        #expect(abs(seconds[1] - Double(clipFrames[3] + 1) / 24) < 1e-9)
        #expect(s5.shape.count == 5 && s5.shape[0] == 2)
        let (t, h, w, c) = (s5.shape[1], s5.shape[2], s5.shape[3], s5.shape[4])
        let ours = s5.floats(), pooled = embedding.floats()
        let width = pooled.count / 2
        #expect(embedding.shape == [2, width])
        for k in 0..<2 {
            try preprocessedClip(frames: Array(clipFrames[(4 * k)..<(4 * k + 4)]), to: clip)
            // s5 from forward is N,C,T,H,W; extract writes channels last.
            let run = try cadence(["forward", "--input", clip.path, "--output", reference.path, "--features", "s5"] + model)
            #expect(run.status == 0, "\(run.stderr)")
            let expected = try NpyFile.read(reference)
            #expect(expected.shape == [1, c, t, h, w])
            let e = expected.floats()
            var worst: Float = 0, scale: Float = 0
            for ci in 0..<c {
                for ti in 0..<t {
                    for yi in 0..<h {
                        for xi in 0..<w {
                            let a = ours[(((k * t + ti) * h + yi) * w + xi) * c + ci], b = e[((ci * t + ti) * h + yi) * w + xi]
                            worst = max(worst, abs(a - b))
                            scale = max(scale, abs(b))
                        }
                    }
                }
            }
            #expect(worst <= 1e-4 * max(scale, 1))
            // head_features from forward is the conv head's N,T,H,W,C map; extract averages it to [C].
            let head = try cadence(["forward", "--input", clip.path, "--output", reference.path, "--features", "head_features"] + model)
            #expect(head.status == 0, "\(head.stderr)")
            let map = try NpyFile.read(reference)
            let channels = try #require(map.shape.last)
            #expect(channels == width)
            let values = map.floats(), positions = values.count / channels
            var mean = [Float](repeating: 0, count: channels)
            for (i, v) in values.enumerated() { mean[i % channels] += v / Float(positions) }
            let diff = zip(mean, pooled[(k * width)..<((k + 1) * width)]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff <= 1e-4 * max(mean.map(abs).max() ?? 1, 1))
        }
    }

    @Test("a run killed after its first output, then rerun, leaves files identical to an uninterrupted run")
    func killAndResume() throws {
        let clean = scratch("clean"), killed = scratch("killed")
        defer { for url in [clean, killed] { try? FileManager.default.removeItem(at: url) } }
        let inputs = ["h264.mp4", "portrait.mp4", "mpeg4.avi", "vp9.webm"].map(CLITests.clip)
        let whole = try cadence(["extract"] + inputs + ["--out", clean.path] + model)
        #expect(whole.status == 0, "\(whole.stderr)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(CLITests.executable))
        process.arguments = ["extract"] + inputs + ["--out", killed.path] + model
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        func firstOutput() -> Bool {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: killed.path)) ?? []
            return names.contains { $0.hasSuffix(".mp4.npy") || $0.hasSuffix(".avi.npy") || $0.hasSuffix(".webm.npy") }
        }
        while !firstOutput(), process.isRunning, Date() < deadline { usleep(5_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run finished before it could be killed")

        let rerun = try cadence(["extract"] + inputs + ["--out", killed.path] + model)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: clean.path).sorted()
        #expect(files.count == 4 * 3 + 1)
        for name in files {
            let a = try Data(contentsOf: clean.appendingPathComponent(name))
            let b = try Data(contentsOf: killed.appendingPathComponent(name))
            #expect(a == b, "\(name) differs after the resumed run")
        }
    }

    @Test("bad videos are failed in the manifest with reasons and exit 1; shards partition the work")
    func badInputsAndShards() throws {
        let out = scratch("shards")
        defer { try? FileManager.default.removeItem(at: out) }
        let inputs = ["bad/audio-only.m4a", "bad/empty.mp4", "h264.mp4"].map(CLITests.clip)
        var seen: [String: String] = [:]
        for shard in 0..<2 {
            let run = try cadence(["extract"] + inputs + ["--out", out.path, "--shard", "\(shard)/2", "--format", "safetensors"] + model)
            let entries = try videos(try manifest(out, "manifest.shard-\(shard)-of-2.json"))
            for (name, entry) in entries {
                #expect(seen[name] == nil, "\(name) is in two shards")
                seen[name] = entry["status"] as? String
                if entry["status"] as? String == "failed" {
                    #expect(((entry["reason"] as? String) ?? "").isEmpty == false)
                } else {
                    #expect(entry["files"] as? [String] == [name + ".safetensors"])
                    let tensors = try SafetensorsFile.readTensors(out.appendingPathComponent(name + ".safetensors"))
                    #expect(tensors["features"]?.shape == [1, 2048])
                    #expect(tensors["timestamps"]?.shape == [1, 2])
                }
            }
            #expect(run.status == (entries.values.contains { $0["status"] as? String == "failed" } ? 1 : 0))
        }
        #expect(seen == ["audio-only.m4a": "failed", "empty.mp4": "failed", "h264.mp4": "done"])
    }

    @Test("an output folder that is a file, or clips closer than a frame, fail naming the path and the reason")
    func unusableOutputAndSpacing() throws {
        let file = scratch("not-a-folder")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try cadence(["extract", CLITests.clip("h264.mp4"), "--out", file.path] + model)
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot create the output folder \(file.path): file exists"), "\(run.stderr)")
        let out = scratch("dense")
        defer { try? FileManager.default.removeItem(at: out) }
        let dense = try cadence(["extract", CLITests.clip("h264.mp4"), "--out", out.path, "--every", "0.001"] + model)
        #expect(dense.status == 1)
        #expect(dense.stderr.contains("less than a frame apart at 24 fps"), "\(dense.stderr)")
    }

    @Test("slowfast tokens per clip with their indices; other settings into the same folder are refused")
    func tokensAndSettings() throws {
        let out = scratch("tokens")
        defer { try? FileManager.default.removeItem(at: out) }
        let common = ["extract", CLITests.clip("h264.mp4"), "--out", out.path, "--layer", "s5", "--tokens", "slowfast",
                      "--slow-frames", "2", "--slow-pool", "1x2", "--fast-grid", "2x2"] + model
        let run = try cadence(common)
        #expect(run.status == 0, "\(run.stderr)")
        let tokens = try NpyFile.read(out.appendingPathComponent("h264.mp4.npy"))
        let index = try NpyFile.read(out.appendingPathComponent("h264.mp4.token_index.npy"))
        // s5 of X3D-XS on 4 frames at 182: 4 x 6 x 6 maps -> 2 x 6 x 3 slow + 4 x 2 x 2 fast tokens.
        #expect(tokens.shape.prefix(2) == [1, 52])
        #expect(index.shape == [52, 3])
        #expect(Array(int64s(index).prefix(3)) == [0, 0, 0])
        #expect(Array(int64s(index).suffix(3)) == [3, 1, 1])
        let again = try cadence(common.map { $0 == "2x2" ? "3x3" : $0 })
        #expect(again.status == 2)
        #expect(again.stderr.contains("other settings"))
    }
}
