import ArgumentParser
import CadenceVideo

/// `--train-crop`, with which classify, extract and forward size a preset's head pooling.
enum TrainCropOption {
    static func validate(_ trainCrop: Int?) throws {
        if let trainCrop, !(1...SamplingLimits.side).contains(trainCrop) {
            throw ValidationError("--train-crop must be from 1 to \(SamplingLimits.side)")
        }
    }
}
