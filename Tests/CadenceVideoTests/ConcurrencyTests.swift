import CadenceVideo
import Dispatch
import Foundation
import Testing

/// Readers on different threads share nothing but FFmpeg's log hook (the training loader runs several).
@Suite struct ConcurrencyTests {
    @Test("readers on several threads decode the same frames as one thread alone")
    func parallelReaders() throws {
        let names = ["h264.mp4", "hevc.mkv", "vp9.webm", "vfr.mp4", "bad/corrupt.mp4", "real/bunny.mp4"]
        let indices = [0, 2, 17, 9]
        let serial = try names.map { try VideoReader(path: Clips.path($0), resize: .shortSide(48)).frames(at: indices) }
        let results = ResultBox(count: names.count)
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            results.set(i, Result { try VideoReader(path: Clips.path(names[i]), threads: 2, resize: .shortSide(48)).frames(at: indices) })
        }
        for (i, name) in names.enumerated() {
            let parallel = try results.get(i).get()
            #expect(parallel == serial[i], "\(name) decoded differently on a concurrent thread")
        }
    }
}

private final class ResultBox: @unchecked Sendable {
    private var results: [Result<[VideoFrame], Error>?]
    private let lock = NSLock()

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ result: Result<[VideoFrame], Error>) {
        lock.lock()
        results[i] = result
        lock.unlock()
    }

    func get(_ i: Int) throws -> Result<[VideoFrame], Error> {
        lock.lock()
        defer { lock.unlock() }
        return try #require(results[i])
    }
}
