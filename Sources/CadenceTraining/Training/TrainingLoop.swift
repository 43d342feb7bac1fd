import CadenceNN
import Foundation

/// The epochs of a run, whatever its task: creates or resumes the run folder, builds the SGD
/// optimizer (Nesterov momentum, no weight decay on batch norm), sets the task's learning rate every
/// iteration, and after each epoch writes `metrics.jsonl`, `curves.svg` and atomic checkpoints (weights,
/// batch-norm statistics, momentum buffers). Every random choice of a task derives from the seed,
/// epoch and step, so a resumed run ends with the same weights as an uninterrupted one.
struct TrainingLoop<Task: TrainingTask> {
    let task: Task
    let folder: RunFolder
    /// How many of the newest checkpoints to keep (0: all).
    let keepCheckpoints: Int
    /// Return after this many epochs as if the process had been killed there (tests).
    let stopAfterEpochs: Int?
    weak var observer: (any TrainingObserver)?

    /// Trains to the last epoch. A folder holding checkpoints of the same run is resumed from its
    /// newest; one holding a different run is refused. `resume` only asks for that explicitly: it
    /// fails when there is nothing to resume.
    func run(resume: Bool) throws -> TrainingOutcome {
        let configuration = task.configuration, epochs = task.epochs
        try folder.create()
        let latest = folder.latestCheckpoint()
        let description = try task.runJSON()
        if let saved = FileManager.default.contents(atPath: folder.runJSON.path),
           try !task.isSameRun(String(decoding: saved, as: UTF8.self), source: folder.runJSON.path), latest != nil {
            throw TrainingError(folder.url.path, "holds a run with other options or data (see run.json); "
                                + "use the same options to resume it, or another --run folder")
        }
        if resume, latest == nil {
            throw TrainingError(folder.url.path, "has no checkpoint to resume from")
        }
        try folder.write(description + "\n", to: folder.runJSON)

        let typed = try task.makeNetwork()
        let network = task.module(typed)
        let groups = ParameterGroup.pySlowFast(network, weightDecay: Float(configuration.weightDecay))
        let optimizer = try SGD(groups: groups, learningRate: Float(configuration.learningRate),
                                momentum: Float(configuration.momentum), nesterov: true)
        var startEpoch = 0
        var history: [EpochRecord] = []
        if let latest {
            let checkpoint = try TrainingCheckpoint.read(latest)
            try network.load(checkpoint.weights, strict: true, source: latest.path)
            try optimizer.loadStateDict(checkpoint.optimizerState)
            startEpoch = checkpoint.epochsDone
            // Records past the checkpoint belong to epochs that will be trained again.
            history = try folder.records().filter { $0.epoch <= startEpoch }
        } else {
            try task.startFresh(typed)
        }
        try folder.writeRecords(history)

        let steps = StepRunner(optimizer: optimizer, schedule: task.learningRateSchedule, configuration: configuration, epochs: epochs,
                               observer: observer)
        observer?.runStarted(epoch: startEpoch, epochs: epochs, resumed: latest != nil)

        var outcome = TrainingOutcome(records: [], startEpoch: startEpoch, finished: false, skipped: [])
        for epoch in startEpoch..<epochs {
            let record = try task.trainEpoch(epoch, network: typed, steps: steps)
            history.append(record)
            outcome.records.append(record)
            for skip in record.skipped where !outcome.skipped.contains(skip) { outcome.skipped.append(skip) }
            try folder.writeRecords(history)
            try folder.write(TrainingCurves.svg(history), to: folder.curves)
            let done = epoch + 1
            if done % configuration.checkpointEvery == 0 || done == epochs {
                try TrainingCheckpoint(weights: network.stateDict(), optimizerState: optimizer.stateDict(),
                                       epochsDone: done, run: description).write(to: folder.checkpoint(afterEpochs: done))
                if keepCheckpoints > 0 { try folder.pruneCheckpoints(keeping: keepCheckpoints) }
            }
            observer?.epochFinished(record)
            if let stop = stopAfterEpochs, done >= stop, done < epochs { return outcome }
        }
        try task.writeModel(typed, to: folder.model)
        outcome.finished = true
        return outcome
    }
}
