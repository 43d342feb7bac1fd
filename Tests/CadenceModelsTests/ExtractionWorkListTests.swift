import CadenceModels
import CadenceVideo
import Foundation
import Testing

@Suite struct ExtractionWorkListTests {
    /// A scratch folder with `files` (relative paths) created empty.
    private func folder(_ files: [String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-worklist-\(UUID().uuidString)")
        for file in files {
            let url = root.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        }
        return root
    }

    @Test("Folders are searched recursively for video extensions; names are relative paths, sorted")
    func folders() throws {
        let root = try folder(["b/x.mp4", "a.MKV", "notes.txt", "b/c/y.webm", "z.png"])
        defer { try? FileManager.default.removeItem(at: root) }
        let items = try ExtractionWorkList.items(from: [root.path])
        #expect(items.map(\.name) == ["a.MKV", "b/c/y.webm", "b/x.mp4"])
        #expect(items.map(\.path) == ["a.MKV", "b/c/y.webm", "b/x.mp4"].map { root.appendingPathComponent($0).path })
    }

    @Test("CSV lines are 'path label', relative to the CSV's folder; colliding names get suffixes")
    func csvAndCollisions() throws {
        let root = try folder(["one/v.mp4", "two/v.mp4"])
        defer { try? FileManager.default.removeItem(at: root) }
        let csv = root.appendingPathComponent("list.csv")
        try "one/v.mp4 3\n\ntwo/v.mp4 7\n".write(to: csv, atomically: true, encoding: .utf8)
        let fromCSV = try ExtractionWorkList.items(from: [csv.path])
        #expect(fromCSV.map(\.name) == ["one/v.mp4", "two/v.mp4"])
        #expect(fromCSV[0].path == root.appendingPathComponent("one/v.mp4").path)
        // Given as files, both are "v.mp4": the second in sorted order becomes "v.mp4-2".
        let files = try ExtractionWorkList.items(from: [root.appendingPathComponent("two/v.mp4").path,
                                                        root.appendingPathComponent("one/v.mp4").path])
        #expect(files.map(\.name) == ["v.mp4", "v.mp4-2"])
        #expect(files[0].path.hasSuffix("one/v.mp4"))
        #expect(throws: ModelError.self) { try ExtractionWorkList.items(from: [root.appendingPathComponent("missing").path]) }
    }

    @Test("Shards i/n partition the list: disjoint, complete, deterministic")
    func shards() throws {
        let items = (0..<11).map { ExtractionItem(path: "/v\($0).mp4", name: "v\($0)") }
        var union: [String] = []
        for i in 0..<3 {
            let part = try ExtractionWorkList.shard(items, index: i, of: 3)
            #expect(part == (try ExtractionWorkList.shard(items, index: i, of: 3)))
            union += part.map(\.name)
        }
        #expect(union.count == items.count)
        #expect(Set(union) == Set(items.map(\.name)))
        #expect(try ExtractionWorkList.shard(items, index: 1, of: 3).map(\.name) == ["v1", "v4", "v7", "v10"])
        #expect(try ExtractionWorkList.parseShard("2/4") == (2, 4))
        for bad in ["4/4", "-1/2", "1", "a/b", "0/0"] {
            #expect(throws: ModelError.self) { try ExtractionWorkList.parseShard(bad) }
        }
    }
}

@Suite struct ExtractionManifestTests {
    private let settings = ExtractionSettings(model: "x3d_xs", weightsSHA256: "ab", layer: "s5", clips: 2, crop: 182,
                                              trainCrop: 160, format: "npy", tokens: nil)

    @Test("A video is complete only when recorded done for the same path and every file exists")
    func completeness() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let item = ExtractionItem(path: "/videos/a.mp4", name: "a.mp4")
        var manifest = ExtractionManifest(settings: settings)
        #expect(!manifest.isComplete(item, in: root))
        manifest.videos["a.mp4"] = .init(path: item.path, status: .done, files: ["a.mp4.npy", "a.mp4.timestamps.npy"])
        try Data().write(to: root.appendingPathComponent("a.mp4.npy"))
        #expect(!manifest.isComplete(item, in: root))
        try Data().write(to: root.appendingPathComponent("a.mp4.timestamps.npy"))
        #expect(manifest.isComplete(item, in: root))
        #expect(!manifest.isComplete(ExtractionItem(path: "/other/a.mp4", name: "a.mp4"), in: root))
        manifest.videos["a.mp4"]?.status = .failed
        #expect(!manifest.isComplete(item, in: root))

        let url = root.appendingPathComponent(ExtractionManifest.fileName(shard: nil))
        try manifest.write(to: url)
        #expect(try ExtractionManifest.read(url) == manifest)
        #expect(try ExtractionManifest.read(root.appendingPathComponent("none.json")) == nil)
        #expect(ExtractionManifest.fileName(shard: (1, 4)) == "manifest.shard-1-of-4.json")
    }

    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256() {
        var empty = SHA256()
        #expect(empty.hexDigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update(Data("abc".utf8))
        #expect(abc.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        let text = Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        long.update(text.prefix(10))
        long.update(text.dropFirst(10))
        #expect(long.hexDigest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

@Suite struct ExtractionClipsTests {
    @Test("Uniform clips are PySlowFast's test views; --every starts a clip every N seconds inside the video")
    func plans() throws {
        let preset = try ModelPreset.named("x3d_xs")
        let uniform = try ExtractionClips(preset: preset, spacing: .uniform(count: 2)).plan(videoFrames: 48, fps: 24)
        let sampling = TemporalSampling(frames: 4, samplingRate: 12)
        #expect(uniform == (0..<2).map { sampling.testClip(view: $0, of: 2, videoFrames: 48, videoFPS: 24) })
        let every = try ExtractionClips(preset: preset, spacing: .every(seconds: 0.5)).plan(videoFrames: 48, fps: 24)
        // Starts at frames 0, 12, 24, 36 of a 2 s video; clips near the end repeat the last frame.
        #expect(every.map(\.first) == [0, 12, 24, 36])
        #expect(every.allSatisfy { $0.count == 4 && $0.allSatisfy { (0..<48).contains($0) } })
        #expect(try ExtractionClips(preset: preset, spacing: .every(seconds: 10)).plan(videoFrames: 48, fps: 24).count == 1)
        #expect(throws: ModelError.self) { try ExtractionClips(preset: preset, spacing: .every(seconds: 0)) }
        #expect(throws: ModelError.self) { try ExtractionClips(preset: preset, spacing: .uniform(count: 0)) }
    }

    @Test("More clips than SamplingLimits.clips, or clips closer than a frame, are refused before any is planned")
    func absurdCounts() throws {
        let preset = try ModelPreset.named("x3d_xs")
        _ = try ExtractionClips(preset: preset, spacing: .uniform(count: SamplingLimits.clips))
        #expect(throws: ModelError.self) {
            try ExtractionClips(preset: preset, spacing: .uniform(count: SamplingLimits.clips + 1))
        }
        #expect(throws: ModelError.self) { try ExtractionClips(preset: preset, spacing: .uniform(count: 99_999_999_999)) }
        // clips/h264.mp4 is 24 fps: 1/24 s apart is one frame, a nanosecond would be 2 billion clips.
        let video = TestViewsTests.clips.appendingPathComponent("h264.mp4").path
        let spaced = try ExtractionClips(preset: preset, spacing: .every(seconds: 1e-9))
        let error = try #require(throws: ModelError.self) { try spaced.forEachClip(of: video) { _, _ in } }
        #expect("\(error)".contains("less than a frame apart at 24 fps"))
        var clips = 0
        try ExtractionClips(preset: preset, spacing: .every(seconds: 1.0 / 24)).forEachClip(of: video) { _, _ in clips += 1 }
        #expect(clips == 48)
    }
}
