/// Decodes batches of clips on background threads, ahead of the consumer, and skips bad files.
///
/// ```swift
/// let loader = ClipLoader(paths: dataset.train.map(\.path), batches: plan, mean: [0.45, 0.45, 0.45],
///                         std: [0.225, 0.225, 0.225], threads: 2, prefetch: 4)
/// while let batch = try loader.next() {
///     let labels = batch.requests.map { dataset.train[$0.video].label }
///     ...
/// }
/// for bad in loader.skipped { print("skipped \(bad.path): \(bad.reason)") }
/// ```
///
/// Each clip depends only on its request (its seed drives every random choice), so results are the
/// same with any number of threads. A file that fails to open or decode is listed in `skipped` once
/// and, when `replaceBadVideos`, the clip is taken from another video picked by the request's seed.
/// Each worker decodes with one FFmpeg thread: the loader's parallelism is across clips.
public final class ClipLoader {
    private let pipeline: LoaderPipeline
    private let configurationError: LoaderError?

    /// Decodes `batches` (each a list of `ClipRequest` whose `video` indexes `paths`) on `threads`
    /// background threads, keeping at most `prefetch` batches decoded or in progress ahead of the
    /// consumer; `next()` returns them in order. Every clip of a batch must have the same frame count
    /// and crop. `mean` and `std` are per RGB channel, applied as `(pixel / 255 - mean) / std`.
    public init(paths: [String], batches: [[ClipRequest]], mean: [Float], std: [Float], threads: Int = 2, prefetch: Int = 4,
                replaceBadVideos: Bool = true) {
        let valid = mean.count == 3 && std.count == 3 && mean.allSatisfy(\.isFinite)
            && std.allSatisfy { $0.isFinite && $0 != 0 }
        configurationError = valid ? nil : .invalidNormalization(mean: mean, std: std)
        pipeline = LoaderPipeline(paths: paths, batches: batches,
                                  decoder: ClipDecoder(mean: valid ? mean : [0, 0, 0], std: valid ? std : [1, 1, 1]),
                                  replaceBadVideos: replaceBadVideos, prefetch: prefetch)
        if valid { pipeline.start(workers: max(1, threads)) }
    }

    deinit { pipeline.cancel() }

    /// The next batch, in the order given; nil after the last batch or after `cancel()`. Blocks while
    /// the batch is being decoded. Throws `LoaderError` for a batch that cannot be delivered (a bad
    /// video with replacement off, every video bad, a malformed request); the following call goes on
    /// with the next batch.
    public func next() throws -> ClipBatch? {
        if let configurationError { throw configurationError }
        return try pipeline.next()
    }

    /// Every bad file met so far, once each, in the order they were found, with the reason.
    public var skipped: [SkippedVideo] { pipeline.skipped }

    /// Stops the workers after the clip each is decoding and waits for them; `next()` then returns nil.
    public func cancel() { pipeline.cancel() }

    /// The most batches that were decoded or in progress ahead of the consumer at any moment.
    var mostBatchesAhead: Int { pipeline.mostBatchesAhead }
}
