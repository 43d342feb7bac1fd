import CadenceVideo

import CadenceTensor

/// Where the trainer gets its decoded, normalised clips: the data layer's `ClipLoader`, or an
/// in-memory source in tests. One source serves one pass over a list of planned batches.
public protocol ClipSource: AnyObject {
    /// The next batch in plan order, or nil at the end. A video that failed to decode may have been
    /// replaced: take labels from the returned requests.
    func next() throws -> ClipBatch?
    /// Videos skipped so far, with the reason.
    var skipped: [SkippedVideo] { get }
    /// Stops background work early.
    func cancel()
}

/// Makes the source for one pass: video paths, the batches of requests indexing them, the
/// normalisation, and whether a bad video is replaced by another (training) or left out (validation).
public typealias ClipSourceFactory = (
    _ paths: [String], _ batches: [[ClipRequest]], _ mean: [Float], _ std: [Float], _ replaceBadVideos: Bool
) throws -> any ClipSource
