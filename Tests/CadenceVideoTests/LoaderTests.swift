import CadenceTensor
import Foundation
import Testing
@testable import CadenceVideo

/// The prefetching clip loader: determinism, exact pixels, bad files, cancellation, memory bound.
@Suite struct LoaderTests {
    static let mean: [Float] = [0.45, 0.40, 0.35]
    static let std: [Float] = [0.225, 0.25, 0.2]
    static let good = ["h264.mp4", "vp9.webm", "mpeg4.avi"].map(Clips.path)

    static func training(_ video: Int, seed: UInt64, frames: Int = 4) -> ClipRequest {
        ClipRequest(video: video, frames: frames, samplingRate: 2, timing: .random,
                    framing: .training(jitter: 36...48, crop: 32, flip: true), seed: seed)
    }

    static func plan(_ count: Int, clips: Int, videos: Int, seed: UInt64 = 0) -> [[ClipRequest]] {
        (0..<count).map { b in
            (0..<clips).map { c in training((b + c) % videos, seed: seed &+ UInt64(b * 100 + c)) }
        }
    }

    static func drain(_ loader: ClipLoader) throws -> [ClipBatch] {
        var batches: [ClipBatch] = []
        while let batch = try loader.next() { batches.append(batch) }
        return batches
    }

    /// `(pixel / 255 - mean) / std` of the `crop` square of each frame, mirrored when the plan flips.
    static func expected(_ frames: [VideoFrame], _ crop: CropPlan) -> [Float] {
        var values: [Float] = []
        for frame in frames {
            for y in 0..<crop.side {
                for x in 0..<crop.side {
                    let column = crop.flip ? crop.side - 1 - x : x
                    let source = ((crop.y + y) * frame.width + crop.x + column) * 3
                    for c in 0..<3 { values.append((Float(frame.rgb[source + c]) / 255 - mean[c]) / std[c]) }
                }
            }
        }
        return values
    }

    /// How many values differ (all of them when the lengths differ); keeps failure messages short.
    static func differences(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : max(a.count, b.count)
    }

    static func differences(_ a: [ClipBatch], _ b: [ClipBatch]) -> Int {
        a.count == b.count ? zip(a, b).map { differences($0.clips.toArray(), $1.clips.toArray()) }.reduce(0, +) : -1
    }

    @Test func sameRequestsGiveSameClipsWhateverTheThreads() throws {
        let batches = Self.plan(3, clips: 3, videos: 3)
        func run(threads: Int) throws -> [ClipBatch] {
            try Self.drain(ClipLoader(paths: Self.good, batches: batches, mean: Self.mean, std: Self.std, threads: threads))
        }
        let one = try run(threads: 1), two = try run(threads: 2), again = try run(threads: 2)
        #expect(one.count == 3)
        // Batches come back in order, with the requests as asked (no file was bad).
        #expect(one.map(\.requests) == batches)
        #expect(one.first?.clips.shape == [3, 4, 32, 32, 3])
        #expect(Self.differences(one, two) == 0)
        #expect(Self.differences(two, again) == 0)
        #expect(two.map(\.requests) == batches)
        // Different seeds give different clips (the draws are not ignored).
        #expect(Self.differences(one[0].clips.toArray(), one[1].clips.toArray()) > 0)
    }

    @Test func trainingClipsEqualAHandComputedCropFlipAndNormalisation() throws {
        // portrait.mp4 is stored sideways: the plan must use the upright size.
        for name in ["h264.mp4", "portrait.mp4"] {
            let path = Clips.path(name)
            let probe = try VideoReader(path: path)
            let frameCount = try probe.frameIndex().count
            let fps = probe.info.averageFrameRate.value ?? 30
            // One seed whose clip is flipped and one whose clip is not.
            var chosen: [Bool: (UInt64, [Int], CropPlan)] = [:]
            for seed in UInt64(0)..<64 where chosen.count < 2 {
                var generator = TensorRandom(seed: seed)
                let indices = TemporalSampling(frames: 4, samplingRate: 2)
                    .randomClip(videoFrames: frameCount, videoFPS: fps, using: &generator)
                let crop = SpatialSampling.training(width: probe.info.displayWidth, height: probe.info.displayHeight,
                                                    jitter: 36...48, crop: 32, flip: true, using: &generator)
                if chosen[crop.flip] == nil { chosen[crop.flip] = (seed, indices, crop) }
            }
            #expect(chosen.count == 2)
            for (seed, indices, crop) in chosen.values {
                let reader = try VideoReader(path: path, resize: .exact(width: crop.resizedWidth, height: crop.resizedHeight))
                let want = Self.expected(try reader.frames(at: indices), crop)
                let loader = ClipLoader(paths: [path], batches: [[Self.training(0, seed: seed)]],
                                        mean: Self.mean, std: Self.std)
                let batch = try #require(try loader.next())
                #expect(Self.differences(batch.clips.toArray(), want) == 0, "\(name) seed \(seed) flip \(crop.flip)")
            }
        }
    }

    @Test func testingClipsTakeTheUniformViewAndCrop() throws {
        let path = Clips.path("h264.mp4")  // 320x240, 48 frames at 24 fps
        let request = ClipRequest(video: 0, frames: 4, samplingRate: 2, timing: .view(index: 1, count: 2),
                                  framing: .testing(shortSide: 48, crop: 40, index: 2, count: 3), seed: 5)
        // 4 x 2 frames at 30 fps span 6.4 frames at 24 fps; delta 41.6; view 1 of 2 starts at 20.8:
        // linspace(20.8, 26.2, 4) truncates to 20, 22, 24, 26. Short side 48 makes 64x48; the right
        // crop starts at x = 64 - 40 = 24 and the centre row at y = ceil((48 - 40) / 2) = 4.
        let crop = CropPlan(resizedWidth: 64, resizedHeight: 48, x: 24, y: 4, side: 40, flip: false)
        let reader = try VideoReader(path: path, resize: .shortSide(48))
        let want = Self.expected(try reader.frames(at: [20, 22, 24, 26]), crop)
        let loader = ClipLoader(paths: [path], batches: [[request, request]], mean: Self.mean, std: Self.std)
        let batch = try #require(try loader.next())
        #expect(batch.clips.shape == [2, 4, 40, 40, 3])
        #expect(Self.differences(batch.clips.toArray(), want + want) == 0)
        #expect(try loader.next() == nil)
    }

    @Test func aBadFileIsReportedOnceAndReplaced() throws {
        let empty = Clips.path("bad/empty.mp4")
        let paths = [Self.good[0], empty, Self.good[1]]
        let batches = [(0..<4).map { Self.training(1, seed: UInt64($0)) }, [Self.training(1, seed: 9), Self.training(0, seed: 10)]]
        func run(threads: Int) throws -> (batches: [ClipBatch], skipped: [SkippedVideo]) {
            let loader = ClipLoader(paths: paths, batches: batches, mean: Self.mean, std: Self.std, threads: threads)
            return (try Self.drain(loader), loader.skipped)
        }
        let first = try run(threads: 2), second = try run(threads: 1)
        #expect(first.batches.map { $0.clips.shape[0] } == [4, 2])
        #expect(first.skipped.count == 1)
        #expect(first.skipped.first?.path == empty)
        #expect(first.skipped.first?.reason.contains("empty") == true)
        let used = first.batches.flatMap { $0.requests.map(\.video) }
        #expect(!used.contains(1))
        #expect(used.last == 0)  // a good video is kept
        // The same request gets the same replacement, and the same pixels.
        #expect(second.batches.flatMap { $0.requests.map(\.video) } == used)
        #expect(Self.differences(second.batches, first.batches) == 0)
        #expect(second.skipped == first.skipped)
    }

    @Test func withoutReplacementABadFileFailsItsBatchByName() throws {
        let truncated = Clips.path("bad/truncated.mp4")
        let loader = ClipLoader(paths: [Self.good[0], truncated], batches: [[Self.training(1, seed: 1)], [Self.training(0, seed: 2)]],
                                mean: Self.mean, std: Self.std, replaceBadVideos: false)
        #expect {
            _ = try loader.next()
        } throws: { error in
            guard case let .badVideo(path, _) = error as? LoaderError else { return false }
            return path == truncated && "\(error)".contains(truncated)
        }
        // The next batch still comes.
        #expect(try loader.next()?.requests == [Self.training(0, seed: 2)])
        #expect(loader.skipped.map(\.path) == [truncated])
    }

    @Test func everyVideoBadIsAnErrorListingThem() throws {
        let bad = ["bad/empty.mp4", "bad/text.mp4", "bad/audio-only.m4a"].map(Clips.path)
        let loader = ClipLoader(paths: bad, batches: [[Self.training(0, seed: 3)]], mean: Self.mean, std: Self.std)
        #expect {
            _ = try loader.next()
        } throws: { error in
            guard case let .allVideosBad(videos) = error as? LoaderError else { return false }
            return Set(videos.map(\.path)) == Set(bad)
        }
    }

    @Test func malformedRequestsAndNormalisationAreTypedErrors() throws {
        let tooBig = ClipRequest(video: 0, frames: 2, samplingRate: 1, timing: .random,
                                 framing: .training(jitter: 32...40, crop: 36, flip: false), seed: 0)
        let loader = ClipLoader(paths: Self.good, batches: [[tooBig], [Self.training(0, seed: 0)]], mean: Self.mean, std: Self.std)
        #expect(throws: LoaderError.self) { _ = try loader.next() }
        #expect(try loader.next() != nil)
        let noViews = ClipRequest(video: 0, frames: 2, samplingRate: 1, timing: .view(index: 0, count: 0),
                                  framing: .testing(shortSide: 40, crop: 32, index: 0, count: 1), seed: 0)
        let outside = ClipRequest(video: 3, frames: 2, samplingRate: 1, timing: .random,
                                  framing: .testing(shortSide: 40, crop: 32, index: 0, count: 1), seed: 0)
        let mixed = [Self.training(0, seed: 0), Self.training(1, seed: 1, frames: 3)]
        let checked = ClipLoader(paths: Self.good, batches: [[noViews], [outside], mixed, []], mean: Self.mean, std: Self.std)
        for clip in [0, 0, 1, 0] {
            #expect {
                _ = try checked.next()
            } throws: { error in
                guard case let .invalidRequest(_, position, _) = error as? LoaderError else { return false }
                return position == clip
            }
        }
        #expect(try checked.next() == nil)
        let unnormalised = ClipLoader(paths: Self.good, batches: [[Self.training(0, seed: 0)]], mean: [0.5], std: [0, 1, 1])
        #expect(throws: LoaderError.invalidNormalization(mean: [0.5], std: [0, 1, 1])) { _ = try unnormalised.next() }
    }

    @Test func cancelStopsPromptlyAndEndsTheStream() throws {
        let loader = ClipLoader(paths: Self.good, batches: Self.plan(200, clips: 2, videos: 3), mean: Self.mean, std: Self.std,
                                threads: 2, prefetch: 3)
        #expect(try loader.next() != nil)
        let started = Date()
        loader.cancel()
        // Workers finish at most the clip they are on: far less than the 200 batches left.
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try loader.next() == nil)
        loader.cancel()  // twice is harmless
    }

    @Test func workersStayWithinThePrefetchBound() throws {
        let loader = ClipLoader(paths: Self.good, batches: Self.plan(8, clips: 1, videos: 3, seed: 40), mean: Self.mean, std: Self.std,
                                threads: 2, prefetch: 2)
        // Give the workers time to fill the queue while nothing is consumed.
        let deadline = Date().addingTimeInterval(20)
        while loader.mostBatchesAhead < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(loader.mostBatchesAhead == 2)
        #expect(try Self.drain(loader).count == 8)
        #expect(loader.mostBatchesAhead == 2)
    }

    @Test func everyBadInputIsSkippedWithItsReasonOrDecoded() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Clips.path("bad")).sorted()
        let paths = [Self.good[0]] + names.map { Clips.path("bad/\($0)") }
        // Two clips per bad input, so each is met twice but reported once.
        let requests = (1..<paths.count).flatMap { [Self.training($0, seed: UInt64($0)), Self.training($0, seed: UInt64($0 + 50))] }
        let loader = ClipLoader(paths: paths, batches: [requests], mean: Self.mean, std: Self.std)
        let batch = try #require(try loader.next())
        #expect(batch.clips.shape[0] == requests.count)
        // Concealed damage and a file cut short still give clips; the rest cannot.
        let decodable: Set<String> = ["corrupt.mp4", "truncated-tail.mkv"]
        let expected = names.filter { !decodable.contains($0) }.map { Clips.path("bad/\($0)") }
        #expect(loader.skipped.map(\.path).sorted() == expected)
        #expect(loader.skipped.allSatisfy { !$0.reason.isEmpty && !$0.reason.contains($0.path) })
        let skippedPaths = Set(loader.skipped.map(\.path))
        #expect(batch.requests.allSatisfy { !skippedPaths.contains(paths[$0.video]) })
    }
}
