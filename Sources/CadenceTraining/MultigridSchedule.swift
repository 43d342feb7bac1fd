import Foundation

/// The multigrid training schedule of Wu et al. (CVPR 2020), computed as PySlowFast's
/// `MultigridSchedule.get_long_cycle_schedule` and `init_multigrid` do, without their two defects:
/// a long cycle without a short cycle works, and so does a short cycle alone.
///
/// Each long-cycle shape trades clip length and crop for batch size at constant `B*T*H*W`; the
/// learning rate scales linearly with the batch multiplier. The last LR stage of the baseline becomes
/// a fine-tuning phase at the full shape, and all epochs are rescaled so that the run takes
/// `maxEpoch * epochFactor` epochs.
public struct MultigridSchedule: Sendable, Equatable {
    /// One clip shape: a batch multiplier over the base batch, frames and crop side.
    public struct Shape: Sendable, Equatable, CustomStringConvertible {
        public var batchMultiplier: Int
        public var frames: Int
        public var crop: Int
        public var description: String { "[\(batchMultiplier), \(frames), \(crop)]" }
    }

    /// A run of epochs at one long-cycle shape, ending (exclusive) at `endEpoch`.
    public struct Stage: Sendable, Equatable {
        /// Index of the baseline LR stage this belongs to (the learning rate is `gamma^lrStage`).
        public var lrStage: Int
        public var shape: Shape
        public var endEpoch: Int
        /// The short-cycle shapes cycled through batch by batch (just `[shape]` without a short cycle).
        public var shortCycle: [Shape]
    }

    public var stages: [Stage]
    /// Epoch boundaries of `stepsWithRelativeRates`, starting at 0 (PySlowFast's rewritten `SOLVER.STEPS`).
    public var lrSteps: [Int]
    /// Relative learning rates for those steps: `gamma^stage * batchMultiplier`.
    public var relativeRates: [Double]
    /// Total epochs of the multigrid run.
    public var maxEpoch: Int
    /// Baseline iterations divided by multigrid iterations (long cycle only; 1 otherwise).
    public var iterationSaving: Double

    /// - Parameters:
    ///   - frames, crop: the baseline clip shape (`NUM_FRAMES`, `TRAIN_CROP_SIZE`).
    ///   - steps: the baseline's LR stage boundaries, starting at 0 (`SOLVER.STEPS`).
    ///   - maxEpoch: the baseline's epochs.
    public init(
        frames: Int, crop: Int, steps: [Int], maxEpoch: Int, gamma: Double = 0.1,
        longCycle: Bool, shortCycle: Bool, epochFactor: Double = 1.5,
        longCycleFactors: [(time: Double, space: Double)] = [(0.25, 0.5.squareRoot()), (0.5, 0.5.squareRoot()), (0.5, 1), (1, 1)],
        shortCycleFactors: [Double] = [0.5, 0.5.squareRoot()]
    ) {
        // Python's round() rounds halves to even; the reference schedule depends on it (358.5 -> 358).
        let defaultSize = Double(frames * crop * crop)
        func shape(_ t: Int, _ s: Double) -> Shape {
            Shape(batchMultiplier: Int((defaultSize / (Double(t) * s * s)).rounded(.toNearestOrEven)), frames: t, crop: Int(s.rounded(.toNearestOrEven)))
        }
        // A long-cycle step's shapes: the short-cycle crops (at the default size) then its base shape.
        func cycleShapes(frames t: Int, crop s: Int) -> [Shape] {
            let shorts = shortCycle ? shortCycleFactors.map { shape(t, Double(crop) * $0) } : []
            return shorts + [shape(t, Double(s))]
        }

        guard longCycle, steps.count >= 2 else {
            let shapes = cycleShapes(frames: frames, crop: crop)
            stages = [Stage(lrStage: 0, shape: shapes[shapes.count - 1], endEpoch: maxEpoch, shortCycle: shapes)]
            lrSteps = [0]
            relativeRates = [1]
            self.maxEpoch = maxEpoch
            iterationSaving = 1
            return
        }

        let allShapes = longCycleFactors.map { factor in
            cycleShapes(frames: Int((Double(frames) * factor.time).rounded(.toNearestOrEven)),
                        crop: Int((Double(crop) * factor.space).rounded(.toNearestOrEven)))
        }
        let averageBatch = allShapes.map { shapes in
            Double(shapes.map(\.batchMultiplier).reduce(0, +)) / Double(shapes.count)
        }
        let batchSum = averageBatch.reduce(0, +)

        // Unscaled schedule: each baseline stage split over the long-cycle shapes in proportion to
        // their average batch, so every shape gets the same number of iterations.
        var raw: [(lrStage: Int, shapes: [Shape], epochs: Double)] = []
        var iterations = 0.0
        for stage in 0..<(steps.count - 1) {
            let stageEpochs = Double(steps[stage + 1] - steps[stage])
            for (cycle, shapes) in allShapes.enumerated() {
                let epochs = stageEpochs * averageBatch[cycle] / batchSum
                iterations += epochs / averageBatch[cycle]
                raw.append((stage, shapes, epochs))
            }
        }
        let saving = Double(steps[steps.count - 1]) / iterations
        let finalStageEpochs = Double(maxEpoch - steps[steps.count - 1])
        let fullShapes = allShapes[allShapes.count - 1]
        raw.append((steps.count - 1, fullShapes, finalStageEpochs / saving * averageBatch[averageBatch.count - 1]))

        let scale = Double(maxEpoch) * epochFactor / raw.map(\.epochs).reduce(0, +)
        var total = 0.0
        stages = raw.map { entry in
            total += entry.epochs * scale
            let base = entry.shapes[entry.shapes.count - 1]
            return Stage(lrStage: entry.lrStage, shape: base, endEpoch: Int(total.rounded(.toNearestOrEven)), shortCycle: entry.shapes)
        }
        iterationSaving = saving
        self.maxEpoch = stages[stages.count - 1].endEpoch

        // The fine-tuning phase is split into two LR steps at its midpoint.
        var boundaries = [0] + stages.map(\.endEpoch)
        boundaries[boundaries.count - 1] = (boundaries[boundaries.count - 2] + boundaries[boundaries.count - 1]) / 2
        lrSteps = boundaries
        var rates = stages.map { pow(gamma, Double($0.lrStage)) * Double($0.shape.batchMultiplier) }
        rates = Array(rates.dropLast()) + [rates[rates.count - 2], rates[rates.count - 1]]
        relativeRates = rates
    }

    /// The stage that trains epoch `epoch` (0-based); the last stage for epochs past the end.
    public func stage(atEpoch epoch: Int) -> Stage {
        stages.first { epoch < $0.endEpoch } ?? stages[stages.count - 1]
    }

    /// How many sub-batches batch norm splits a batch into so statistics cover about
    /// `bnBaseSize` clips (PySlowFast's `bs_factor`; 1 means plain batch norm).
    public static func batchNormSplits(batchSize: Int, bnBaseSize: Int = 8) -> Int {
        max(1, batchSize / max(1, bnBaseSize))
    }
}
