import CadenceTensor
import CadenceVideo

/// Turns the training and validation video lists into batches of `ClipRequest`s. Every choice is a
/// function of the run seed, the epoch and the clip's position in it, so a resumed run plans the
/// same batches as an uninterrupted one.
public struct BatchPlanner: Sendable {
    public let shapes: ClipShapePlan
    public let trainCount: Int

    public init(shapes: ClipShapePlan, trainCount: Int) {
        self.shapes = shapes
        self.trainCount = trainCount
    }

    /// The training batches of `epoch`: the videos in an order shuffled by (seed, epoch), cut into
    /// batches of each iteration's size (the last may be smaller, but not a single clip).
    public func trainingBatches(epoch: Int) -> [[ClipRequest]] {
        let c = shapes.configuration
        var generator = TensorRandom(seed: TrainingSeed.derive(c.seed, .shuffle, epoch))
        let order = Array(0..<trainCount).shuffled(using: &generator)
        var batches: [[ClipRequest]] = []
        var position = 0
        while position < order.count {
            let shape = shapes.iteration(epoch: epoch, iteration: batches.count)
            let end = min(order.count, position + shape.batchSize)
            batches.append((position..<end).map { p in
                var rateGenerator = TensorRandom(seed: TrainingSeed.derive(c.seed, .samplingRate, epoch, p))
                let rate = shape.samplingRates.count == 1
                    ? shape.samplingRates.lowerBound : Int.random(in: shape.samplingRates, using: &rateGenerator)
                return ClipRequest(video: order[p], frames: shape.frames, samplingRate: rate, timing: .random,
                                   framing: .training(jitter: shape.jitter, crop: shape.crop, flip: c.flip),
                                   seed: TrainingSeed.derive(c.seed, .clip, epoch, p))
            })
            position = end
        }
        // A last batch of one clip joins the one before: batch norm needs two clips at the smallest grids.
        if batches.count > 1, let last = batches.last, last.count == 1 {
            batches.removeLast()
            batches[batches.count - 1] += last
        }
        return batches
    }

    /// The validation batches: every video's `T x S` uniform test views at the test crop, in video
    /// order, `batchSize` views per batch.
    public static func validationBatches(videos: Int, configuration c: TrainingConfiguration) -> [[ClipRequest]] {
        var requests: [ClipRequest] = []
        for video in 0..<videos {
            for t in 0..<c.validationTemporalViews {
                for s in 0..<c.validationSpatialViews {
                    requests.append(ClipRequest(
                        video: video, frames: c.frames, samplingRate: c.samplingRate,
                        timing: .view(index: t, count: c.validationTemporalViews),
                        framing: .testing(shortSide: c.testCrop, crop: c.testCrop, index: s, count: c.validationSpatialViews),
                        seed: 0))
                }
            }
        }
        return stride(from: 0, to: requests.count, by: c.batchSize).map {
            Array(requests[$0..<min(requests.count, $0 + c.batchSize)])
        }
    }
}
