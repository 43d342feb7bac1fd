import CadenceTensor
import CadenceVideo

/// Where the trainer gets its decoded, normalised clips: the data layer's `ClipLoader`, or an
/// in-memory source in tests. One source serves one pass over a list of planned batches, in order,
/// replacing a video that cannot be decoded by another (the returned request names the replacement).
public protocol ClipSource: AnyObject {
    /// The next batch in plan order, or nil at the end.
    func next() throws -> ClipBatch?
    /// Videos skipped so far, with the reason.
    var skipped: [SkippedVideo] { get }
    /// Stops background work early.
    func cancel()
}

extension ClipLoader: ClipSource {}

/// Makes the source for one pass: video paths, the batches of requests indexing them, and the
/// per-channel normalisation.
public typealias ClipSourceFactory = (
    _ paths: [String], _ batches: [[ClipRequest]], _ mean: [Float], _ std: [Float]
) throws -> any ClipSource

/// Sources backed by `ClipLoader` with `threads` decoding threads.
public func clipLoaderFactory(threads: Int, prefetch: Int = 4) -> ClipSourceFactory {
    { paths, batches, mean, std in
        ClipLoader(paths: paths, batches: batches, mean: mean, std: std, threads: threads, prefetch: prefetch,
                   replaceBadVideos: true)
    }
}
