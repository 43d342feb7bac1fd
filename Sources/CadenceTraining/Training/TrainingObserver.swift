import CadenceVideo
/// Receives a training run's progress; the library reports, the CLI renders (a progress bar, lines
/// per epoch, JSON). Every method has an empty default.
public protocol TrainingObserver: AnyObject {
    /// The run starts (or resumes) at `epoch` of `epochs` (0-based).
    func runStarted(epoch: Int, epochs: Int, resumed: Bool)
    /// One training iteration finished.
    func stepFinished(_ progress: StepProgress)
    /// Validation is running (`done` of `total` batches).
    func validating(done: Int, total: Int)
    /// An epoch finished; its record is already in `metrics.jsonl`.
    func epochFinished(_ record: EpochRecord)
}

extension TrainingObserver {
    public func runStarted(epoch: Int, epochs: Int, resumed: Bool) {}
    public func stepFinished(_ progress: StepProgress) {}
    public func validating(done: Int, total: Int) {}
    public func epochFinished(_ record: EpochRecord) {}
}

/// Where a run stands after one training iteration.
public struct StepProgress: Sendable, Equatable {
    /// 0-based epoch and iteration, and their totals.
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var steps: Int
    /// This iteration's loss, and the epoch's mean so far.
    public var loss: Double
    public var meanLoss: Double
    public var learningRate: Double
    /// Training clips per second over the epoch so far.
    public var clipsPerSecond: Double
    /// Estimated seconds to the end of the run (training iterations only).
    public var secondsLeft: Double
}
