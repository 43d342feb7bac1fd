import CadenceNN
import CadenceTensor
import CadenceVideo
import Foundation

/// The training iterations of an epoch, whatever the task: sets the scheduled learning rate, reseeds
/// dropout from (seed, epoch, step), takes one SGD step on the loss the task computes (with optional
/// gradient clipping), refuses a non-finite loss, and reports progress.
public final class StepRunner {
    /// What an epoch's iterations add up to.
    public struct Totals {
        /// Sum of the per-sample loss, samples right (the task's notion), samples seen.
        public var lossSum = 0.0
        public var correct = 0
        public var samples = 0
        /// The learning rate of the last iteration, and seconds spent in iterations.
        public var learningRate = 0.0
        public var seconds = 0.0

        public var meanLoss: Double { lossSum / Double(max(samples, 1)) }
        public var accuracy: Double { 100 * Double(correct) / Double(max(samples, 1)) }
        public var samplesPerSecond: Double { Double(samples) / max(seconds, 1e-9) }
    }

    /// One iteration's result from the task: the mean loss over the batch (to backpropagate), how
    /// many samples it covered and how many of them the network got right.
    public struct StepLoss {
        public var loss: Tensor
        public var samples: Int
        public var correct: Int

        public init(loss: Tensor, samples: Int, correct: Int) {
            self.loss = loss
            self.samples = samples
            self.correct = correct
        }
    }

    let optimizer: SGD
    let schedule: LearningRateSchedule
    let configuration: TrainingConfiguration
    let epochs: Int
    weak var observer: (any TrainingObserver)?
    /// Seconds of recent iterations, for the time-left estimate.
    private var stepSeconds: [Double] = []

    init(optimizer: SGD, schedule: LearningRateSchedule, configuration: TrainingConfiguration, epochs: Int,
         observer: (any TrainingObserver)?) {
        self.optimizer = optimizer
        self.schedule = schedule
        self.configuration = configuration
        self.epochs = epochs
        self.observer = observer
    }

    /// Runs the `steps` iterations of `epoch` on the batches of `source`. `rateMultiplier(step)`
    /// scales the scheduled rate; `lossOf(batch, step)` runs the network forward.
    public func run(epoch: Int, steps: Int, source: any ClipSource, network: Module,
                    rateMultiplier: (Int) -> Double = { _ in 1 },
                    lossOf: (ClipBatch, Int) throws -> StepLoss) throws -> Totals {
        var totals = Totals()
        var step = 0
        while let batch = try source.next() {
            let stepStart = DispatchTime.now().uptimeNanoseconds
            let lr = schedule.rate(atEpoch: Double(epoch) + Double(step) / Double(steps)) * rateMultiplier(step)
            totals.learningRate = lr
            optimizer.setLearningRate(Float(lr))
            reseedDropout(network, epoch: epoch, step: step)
            optimizer.zeroGrad()
            let result = try lossOf(batch, step)
            try result.loss.backward()
            if let maxNorm = configuration.clipGradientNorm {
                try clipGradientNorm(network.parameters(), maxNorm: Float(maxNorm))
            }
            try optimizer.step()
            let value = Double(try result.loss.item())
            guard value.isFinite else { throw TrainingError("epoch \(epoch + 1)", "the loss became \(value) at step \(step + 1)") }
            totals.lossSum += value * Double(result.samples)
            totals.correct += result.correct
            totals.samples += result.samples
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
            totals.seconds += seconds
            stepSeconds.append(seconds)
            if stepSeconds.count > 20 { stepSeconds.removeFirst() }
            step += 1
            let perStep = stepSeconds.reduce(0, +) / Double(stepSeconds.count)
            let stepsLeft = (steps - step) + (epochs - epoch - 1) * steps
            observer?.stepFinished(StepProgress(
                epoch: epoch, epochs: epochs, step: step - 1, steps: steps, loss: value,
                meanLoss: totals.meanLoss, learningRate: lr,
                clipsPerSecond: totals.samplesPerSecond, secondsLeft: perStep * Double(stepsLeft)))
        }
        return totals
    }

    /// Dropout and drop-path masks of a step come from generators seeded by (seed, epoch, step).
    private func reseedDropout(_ network: Module, epoch: Int, step: Int) {
        for (index, (_, module)) in network.namedModules().enumerated() {
            let seed = TrainingSeed.derive(configuration.seed, .dropout, epoch, step, index)
            if let dropout = module as? Dropout { dropout.generator = TensorRandom(seed: seed) }
            if let dropPath = module as? DropPath { dropPath.generator = TensorRandom(seed: seed) }
        }
    }
}
