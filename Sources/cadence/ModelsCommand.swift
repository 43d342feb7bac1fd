import ArgumentParser
import CadenceModels
import Foundation

/// `cadence models`: the model presets with their size, cost and input shapes.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model presets: parameters, GFLOPs per view and input shapes.",
        discussion: """
        GFLOPs are counted the way PySlowFast's and PyTorchVideo's tables count them (fvcore): one \
        multiply-add of a conv or linear layer is one "flop", plus two per element for each batch norm. \
        They are for one view at the test crop (short side resized to it, square crop). Input shapes are \
        PyTorch's N,C,T,H,W, one per pathway (SlowFast: slow, then fast), as `cadence forward` takes them.
        """
    )

    @Flag(help: "Print one JSON object per line per preset instead of a table.")
    var json = false

    func run() throws {
        var rows: [ModelRecord] = []
        for preset in ModelPreset.all {
            let model = try preset.build()
            rows.append(ModelRecord(preset: preset, parameters: model.parameterCount,
                                    gflops: try preset.gigaFLOPs(of: model)))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for row in rows { print(String(decoding: try encoder.encode(row), as: UTF8.self)) }
        } else {
            print(ModelsTable.render(rows))
        }
    }
}

/// One preset as `cadence models --json` prints it.
struct ModelRecord: Encodable {
    var name: String
    var parameters: Int
    var gflops: Double
    var frames: Int
    var sampling_rate: Int
    var train_crop: Int
    var test_crop: Int
    var mean: [Float]
    var std: [Float]
    /// PyTorch N,C,T,H,W shape per pathway at the test crop.
    var input_shapes: [[Int]]

    init(preset: ModelPreset, parameters: Int, gflops: Double) {
        name = preset.name
        self.parameters = parameters
        self.gflops = (gflops * 1000).rounded() / 1000
        frames = preset.frames
        sampling_rate = preset.samplingRate
        train_crop = preset.trainCrop
        test_crop = preset.testCrop
        mean = preset.mean
        std = preset.std
        input_shapes = preset.pyTorchInputShapes()
    }
}

/// The human-readable `cadence models` table.
enum ModelsTable {
    static func render(_ rows: [ModelRecord]) -> String {
        let header = ["NAME", "PARAMS", "GFLOPS", "FRAMESxRATE", "CROP TRAIN/TEST", "INPUT (N,C,T,H,W per pathway)"]
        let cells = rows.map { row -> [String] in
            [row.name,
             String(format: "%.2fM", Double(row.parameters) / 1e6),
             String(format: "%.2f", row.gflops),
             "\(row.frames)x\(row.sampling_rate)",
             "\(row.train_crop)/\(row.test_crop)",
             row.input_shapes.map { $0.map(String.init).joined(separator: "x") }.joined(separator: " + ")]
        }
        let widths = header.indices.map { i in ([header[i]] + cells.map { $0[i] }).map(\.count).max() ?? 0 }
        return ([header] + cells).map { line in
            line.enumerated().map { i, cell in
                i == line.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
