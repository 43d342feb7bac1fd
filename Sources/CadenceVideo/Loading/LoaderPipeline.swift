import CadenceTensor
import Foundation

/// The state `ClipLoader`'s worker threads and its consumer share, guarded by one condition variable.
///
/// Work is handed out clip by clip, in batch order, so every worker helps with the batch the consumer
/// waits for. A batch is started only while fewer than `prefetch` batches are started and not yet
/// handed out, which bounds memory to `prefetch` batch buffers plus the one the consumer holds.
final class LoaderPipeline: @unchecked Sendable {
    private let paths: [String]
    private let batches: [[ClipRequest]]
    private let decoder: ClipDecoder
    private let replaceBadVideos: Bool
    private let prefetch: Int
    private let condition = NSCondition()

    /// One batch being decoded or waiting for the consumer.
    private final class Assembly {
        let storage: TensorStorage
        let shape: [Int]
        var requests: [ClipRequest]
        var remaining: Int
        var error: Error?

        init(requests: [ClipRequest], shape: [Int]) {
            self.requests = requests
            self.shape = shape
            storage = TensorStorage(count: shape.reduce(1, *))
            remaining = requests.count
        }
    }

    // Everything below is guarded by `condition`.
    /// The next clip to hand to a worker.
    private var cursorBatch = 0, cursorClip = 0
    /// Batches handed to the consumer (returned or thrown).
    private var consumed = 0
    private var assemblies: [Int: Assembly] = [:]
    private var cancelled = false
    private var runningWorkers = 0
    /// Bad videos by index, with the order they were met in for `skipped`.
    private var badReasons: [Int: String] = [:]
    private var badOrder: [SkippedVideo] = []
    /// The most batches started and not yet handed out at any moment (at most `prefetch`).
    private var mostAhead = 0

    init(paths: [String], batches: [[ClipRequest]], decoder: ClipDecoder, replaceBadVideos: Bool, prefetch: Int) {
        self.paths = paths
        self.batches = batches
        self.decoder = decoder
        self.replaceBadVideos = replaceBadVideos
        self.prefetch = max(1, prefetch)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    var skipped: [SkippedVideo] { locked { badOrder } }
    var mostBatchesAhead: Int { locked { mostAhead } }

    /// Runs `count` worker threads.
    func start(workers count: Int) {
        locked { runningWorkers = count }
        for number in 0..<count {
            let thread = Thread { [self] in work() }
            thread.name = "cadence.loader.\(number)"
            thread.start()
        }
    }

    /// Stops handing out work, wakes everyone, and waits for each worker to finish its current clip.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while runningWorkers > 0 { condition.wait() }
        assemblies.removeAll()
        condition.unlock()
    }

    /// The next batch in order, nil after the last one or once cancelled.
    func next() throws -> ClipBatch? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && consumed < batches.count {
            if let assembly = assemblies[consumed], assembly.remaining == 0 {
                assemblies[consumed] = nil
                consumed += 1
                condition.broadcast()  // a prefetch slot is free
                if let error = assembly.error { throw error }
                let strides = assembly.shape.indices.map { assembly.shape[($0 + 1)...].reduce(1, *) }
                let clips = Tensor(storage: assembly.storage, shape: assembly.shape, strides: strides)
                return ClipBatch(requests: assembly.requests, clips: clips)
            }
            condition.wait()
        }
        return nil
    }

    // MARK: Workers

    private func work() {
        var cache: (video: Int, reader: VideoReader)?
        condition.lock()
        while !cancelled && cursorBatch < batches.count {
            guard cursorBatch < consumed + prefetch else {
                condition.wait()
                continue
            }
            let batch = cursorBatch, clip = cursorClip
            if clip == 0 {
                assemblies[batch] = makeAssembly(batch)
                mostAhead = max(mostAhead, batch + 1 - consumed)
            }
            guard let assembly = assemblies[batch] else { break }
            if assembly.remaining == 0 || clip + 1 >= assembly.requests.count {
                cursorBatch += 1
                cursorClip = 0
            } else {
                cursorClip += 1
            }
            if assembly.remaining == 0 {
                condition.broadcast()  // an invalid batch is finished at once
                continue
            }
            let request = assembly.requests[clip]
            let clipFloats = assembly.shape[1...].reduce(1, *)
            let output = assembly.storage.pointer + clip * clipFloats
            condition.unlock()
            let result = load(request, into: output, cache: &cache)
            condition.lock()
            switch result {
            case let .success(video): assembly.requests[clip].video = video
            case let .failure(error): assembly.error = assembly.error ?? error
            }
            assembly.remaining -= 1
            if assembly.remaining == 0 { condition.broadcast() }
        }
        runningWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// A batch's buffer, or a finished batch carrying the error when its requests are malformed.
    private func makeAssembly(_ batch: Int) -> Assembly {
        let requests = batches[batch]
        guard let first = requests.first else {
            let empty = Assembly(requests: [], shape: [0])
            empty.error = LoaderError.invalidRequest(batch: batch, clip: 0, detail: "the batch has no clips")
            return empty
        }
        let shape = [requests.count, first.frames, first.crop, first.crop, 3]
        for (clip, request) in requests.enumerated() {
            var problem = request.problem(videoCount: paths.count)
            if problem == nil, request.frames != first.frames || request.crop != first.crop {
                problem = "its \(request.frames) frames of \(request.crop)² differ from the batch's first clip "
                    + "(\(first.frames) of \(first.crop)²)"
            }
            if let problem {
                let failed = Assembly(requests: requests, shape: [0])
                failed.remaining = 0
                failed.error = LoaderError.invalidRequest(batch: batch, clip: clip, detail: problem)
                return failed
            }
        }
        return Assembly(requests: requests, shape: shape)
    }

    /// Decodes `request`, replacing its video while it fails (when allowed); returns the video used.
    private func load(_ request: ClipRequest, into output: UnsafeMutablePointer<Float>,
                      cache: inout (video: Int, reader: VideoReader)?) -> Result<Int, Error> {
        var replacements = ReplacementOrder(count: paths.count, seed: request.seed)
        var video = request.video
        while true {
            if let reason = locked({ badReasons[video] }) {
                if !replaceBadVideos { return .failure(LoaderError.badVideo(path: paths[video], reason: reason)) }
            } else {
                var attempt = request
                attempt.video = video
                do {
                    let reader: VideoReader
                    if let cached = cache, cached.video == video {
                        reader = cached.reader
                    } else {
                        cache = nil
                        reader = try VideoReader(path: paths[video], threads: 1)
                        cache = (video, reader)
                    }
                    try decoder.decode(attempt, from: reader, into: output)
                    return .success(video)
                } catch {
                    cache = nil
                    let reason = (error as? VideoError)?.cause ?? String(describing: error)
                    let recorded = markBad(video, reason: reason)
                    if !replaceBadVideos { return .failure(LoaderError.badVideo(path: paths[video], reason: recorded)) }
                }
            }
            if locked({ cancelled }) { return .failure(CancellationError()) }
            guard let other = replacements.next(excluding: request.video) else {
                return .failure(LoaderError.allVideosBad(skipped))
            }
            video = other
        }
    }

    /// Records a bad video once; returns the reason kept for it.
    private func markBad(_ video: Int, reason: String) -> String {
        locked {
            if let known = badReasons[video] { return known }
            badReasons[video] = reason
            badOrder.append(SkippedVideo(path: paths[video], reason: reason))
            return reason
        }
    }
}

/// Replacement candidates for one request: a permutation of all videos drawn lazily from a generator
/// seeded by the request's seed (a Fisher-Yates shuffle that stores only the swapped positions), so
/// the same request always tries the same videos in the same order.
struct ReplacementOrder {
    private var generator: TensorRandom
    private let count: Int
    private var position = 0
    private var swapped: [Int: Int] = [:]

    init(count: Int, seed: UInt64) {
        self.count = count
        // A different stream from the clip's own draws, which use `seed` directly.
        generator = TensorRandom(seed: seed ^ 0x6C6F_6164_6572_2D72)
    }

    /// The next candidate other than `original`, or nil when every video has been offered.
    mutating func next(excluding original: Int) -> Int? {
        while position < count {
            let pick = Int.random(in: position..<count, using: &generator)
            let chosen = swapped[pick] ?? pick
            swapped[pick] = swapped[position] ?? position
            position += 1
            if chosen != original { return chosen }
        }
        return nil
    }
}
