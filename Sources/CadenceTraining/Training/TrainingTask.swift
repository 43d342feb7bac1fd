import CadenceNN
import Foundation

/// One kind of training that `TrainingLoop` runs: classification (`Trainer`) or SpeedNet's
/// self-supervised speediness (`SpeedinessTrainer`). The loop owns what every kind shares (the run
/// folder, resuming, the optimizer and learning-rate schedule, checkpoints, metrics and curves); the
/// task supplies the network, what one epoch trains and scores, and the final model file.
public protocol TrainingTask: AnyObject {
    /// The network's type (`any VideoModel` for classification, which no class bound can express).
    associatedtype Network

    /// The optimizer, schedule, epochs, checkpoint and seed options.
    var configuration: TrainingConfiguration { get }
    /// Total epochs of the run.
    var epochs: Int { get }
    /// The learning rate the loop sets before every iteration (warmup included).
    var learningRateSchedule: LearningRateSchedule { get }
    /// The text of `RUN/run.json`; checkpoints carry it too.
    func runJSON() throws -> String
    /// Whether `saved`, the `run.json` text found in the run folder (at `source`), describes this run.
    func isSameRun(_ saved: String, source: String) throws -> Bool
    /// A freshly initialised network (deterministic for the run's seed).
    func makeNetwork() throws -> Network
    /// The network as the module whose parameters and state the loop optimises and saves.
    func module(_ network: Network) -> Module
    /// Prepares a run that starts from scratch rather than from a checkpoint (fine-tuning weights).
    func startFresh(_ network: Network) throws
    /// Trains and validates one epoch (0-based), stepping through `steps`.
    func trainEpoch(_ epoch: Int, network: Network, steps: StepRunner) throws -> EpochRecord
    /// Writes the trained network as the run's final model.
    func writeModel(_ network: Network, to url: URL) throws
}

extension TrainingTask where Network: Module {
    public func module(_ network: Network) -> Module { network }
}
