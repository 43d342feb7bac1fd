import CadenceVideo

/// What one call of a trainer's `run` did.
public struct TrainingOutcome {
    /// The records of the epochs this call trained.
    public var records: [EpochRecord]
    /// The epoch the run started at (non-zero when it resumed).
    public var startEpoch: Int
    /// Whether the run reached its last epoch (and wrote `model.safetensors`).
    public var finished: Bool
    /// Videos skipped in any epoch of this call, each once.
    public var skipped: [SkippedVideo]
}
