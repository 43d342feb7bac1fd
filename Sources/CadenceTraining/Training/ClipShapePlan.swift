import CadenceNN
import CadenceVideo
/// The clip shape, batch size and learning-rate multiplier of every training iteration: the
/// configured shape throughout, or the multigrid schedule's long-cycle stage per epoch and
/// short-cycle shape per iteration.
public struct ClipShapePlan: Sendable, Equatable {
    /// What one iteration trains on.
    public struct Iteration: Sendable, Equatable {
        public var frames: Int
        public var crop: Int
        public var batchSize: Int
        /// Short-side jitter range of this crop.
        public var jitter: ClosedRange<Int>
        /// Clips draw their sampling rate uniformly from this range (long-cycle short clips still
        /// span the full clip's duration).
        public var samplingRates: ClosedRange<Int>
        /// The scheduled learning rate is multiplied by this (the long-cycle batch multiplier under
        /// cosine; 1 when the stepwise schedule already carries it).
        public var learningRateMultiplier: Double
        /// Sub-batches that batch norm computes statistics over (1: plain batch norm).
        public var batchNormSplits: Int
    }

    public let configuration: TrainingConfiguration
    /// The multigrid schedule, or nil for a plain run.
    public let schedule: MultigridSchedule?

    public init(_ configuration: TrainingConfiguration) {
        self.configuration = configuration
        schedule = configuration.multigrid.map { mode in
            // Each LR stage of the baseline gets a whole long cycle; a cosine baseline is one stage, so
            // its long cycle runs once over the whole run, ending at the full shape.
            MultigridSchedule(frames: configuration.frames, crop: configuration.crop,
                              steps: [0] + (configuration.learningRateSteps ?? [configuration.epochs]),
                              maxEpoch: configuration.epochs, longCycle: mode.longCycle, shortCycle: mode.shortCycle)
        }
    }

    /// Whether the learning-rate schedule itself carries the long-cycle batch multipliers: the stepwise
    /// policy under multigrid takes the multigrid schedule's relative rates, as PySlowFast rewrites
    /// `SOLVER.LRS`. Under cosine each iteration scales the rate by its multiplier instead.
    private var stepsCarryMultipliers: Bool { schedule != nil && configuration.learningRateSteps != nil }

    /// The learning rate over the run (before any per-iteration multiplier).
    public var learningRateSchedule: LearningRateSchedule {
        let c = configuration
        guard let schedule, stepsCarryMultipliers else { return c.learningRateSchedule(epochs: epochs) }
        return LearningRateSchedule(
            baseRate: c.learningRate,
            policy: .stepsWithRelativeRates(steps: schedule.lrSteps.map(Double.init), relativeRates: schedule.relativeRates),
            warmupEpochs: c.warmupEpochs, warmupStartRate: c.warmupStartRate)
    }

    /// Epochs of the run (1.5x the baseline's with a long cycle, as the paper trains).
    public var epochs: Int { schedule?.maxEpoch ?? configuration.epochs }

    /// The smallest frames and crop any iteration uses: the network's head pools over this much, so
    /// larger clips give several positions whose logits are averaged.
    public var smallestShape: (frames: Int, crop: Int) {
        guard let schedule else { return (configuration.frames, configuration.crop) }
        let shapes = schedule.stages.flatMap(\.shortCycle)
        return (shapes.map(\.frames).min() ?? configuration.frames, shapes.map(\.crop).min() ?? configuration.crop)
    }

    /// The long-cycle shape of `epoch` (frames, crop and batch before the short cycle varies them).
    public func epochShape(epoch: Int) -> (frames: Int, crop: Int, batchSize: Int) {
        let c = configuration
        guard let schedule else { return (c.frames, c.crop, c.batchSize) }
        let shape = stage(epoch: epoch, schedule).shape
        return (shape.frames, shape.crop, c.batchSize * shape.batchMultiplier)
    }

    /// The schedule's stage for `epoch`; the last epoch trains at the full shape even when rounding
    /// left the final stages no epochs (short runs).
    private func stage(epoch: Int, _ schedule: MultigridSchedule) -> MultigridSchedule.Stage {
        epoch == epochs - 1 ? schedule.stages[schedule.stages.count - 1] : schedule.stage(atEpoch: epoch)
    }

    /// The shape of iteration `iteration` of epoch `epoch` (both 0-based).
    public func iteration(epoch: Int, iteration: Int) -> Iteration {
        let c = configuration
        guard let schedule else {
            return Iteration(frames: c.frames, crop: c.crop, batchSize: c.batchSize, jitter: c.jitter[0]...c.jitter[1],
                             samplingRates: c.samplingRate...c.samplingRate, learningRateMultiplier: 1, batchNormSplits: 1)
        }
        let stage = stage(epoch: epoch, schedule)
        let shape = stage.shortCycle[iteration % stage.shortCycle.count]
        // PySlowFast scales the jitter's lower end with the crop and keeps the upper end.
        let low = max(shape.crop, Int((Double(c.jitter[0] * shape.crop) / Double(c.crop)).rounded(.toNearestOrEven)))
        let longest = c.samplingRate * max(1, c.frames / shape.frames)
        let longCycleBatch = c.batchSize * stage.shape.batchMultiplier
        return Iteration(
            frames: shape.frames, crop: shape.crop, batchSize: c.batchSize * shape.batchMultiplier,
            jitter: low...max(low, c.jitter[1]), samplingRates: c.samplingRate...longest,
            learningRateMultiplier: stepsCarryMultipliers ? 1 : Double(stage.shape.batchMultiplier),
            batchNormSplits: MultigridSchedule.batchNormSplits(batchSize: longCycleBatch, bnBaseSize: c.batchNormBaseSize))
    }
}
