import CadenceTestSupport
import CadenceNN
import Foundation
import Testing

/// End-to-end tests of `cadence models`, `convert` and `forward` on the model fixtures.
@Suite struct ModelCommandTests {
    static let fixtures = CLITests.repository.appendingPathComponent("Tests/CadenceModelsTests/Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    private func cadence(_ arguments: String...) throws -> ToolOutput {
        let path = try #require(CLITests.executable, "build the cadence product first (swift build --build-tests)")
        return try runTool(path, arguments)
    }

    private func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cadence-model-cli-\(UUID().uuidString)-\(name)").path
    }

    /// `max|a - b| / max|b|`, the fixtures' metric.
    private func relativeError(_ path: String, _ reference: String) throws -> Double {
        let a = try NpyFile.read(URL(fileURLWithPath: path)), b = try NpyFile.read(URL(fileURLWithPath: reference))
        #expect(a.shape == b.shape)
        let x = a.floats(), y = b.floats()
        let diff = zip(x, y).map { abs($0 - $1) }.max() ?? .infinity
        return Double(diff / (y.map(abs).max() ?? 1))
    }

    @Test("models --json lists every preset with its parameters, GFLOPs and input shapes")
    func modelsJSON() throws {
        let result = try cadence("models", "--json")
        #expect(result.status == 0)
        let objects = try String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let byName = Dictionary(uniqueKeysWithValues: objects.compactMap { o in (o["name"] as? String).map { ($0, o) } })
        #expect(byName.count == 9)
        #expect(byName["mvitv2_s_16x4"]?["parameters"] as? Int == 34_537_744)
        #expect(byName["x3d_xs"]?["parameters"] as? Int == 3_794_322)
        #expect(byName["x3d_xs"]?["gflops"] as? Double == 0.873)
        #expect(byName["x3d_l"]?["parameters"] as? Int == 6_153_432)
        #expect(byName["slowfast_r50_8x8"]?["parameters"] as? Int == 34_566_488)
        #expect(byName["slowfast_r50_8x8"]?["input_shapes"] as? [[Int]] == [[1, 3, 8, 256, 256], [1, 3, 32, 256, 256]])
        #expect(byName["slow_r50_8x8"]?["sampling_rate"] as? Int == 8)
    }

    @Test("models prints a table")
    func modelsTable() throws {
        let result = try cadence("models")
        #expect(result.status == 0)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME") == true)
        #expect(lines.contains { $0.hasPrefix("x3d_m ") && $0.contains("3.79M") && $0.contains("6.40") })
    }

    @Test("forward reproduces PySlowFast's X3D-XS output and stage features, and times runs")
    func forwardX3D() throws {
        let output = temporaryFile("y.npy"), features = temporaryFile("s3.npy")
        defer { for f in [output, features] { try? FileManager.default.removeItem(atPath: f) } }
        let common = ["forward", "--model", "x3d_xs", "--train-crop", "64", "--weights", Self.fixture("x3d_xs.safetensors"),
                      "--input", Self.fixture("x3d_xs.input.npy")]
        let run = try runTool(try #require(CLITests.executable), common + ["--output", output, "--repeat", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try relativeError(output, Self.fixture("x3d_xs.output.npy")) <= 1e-4)
        let timing = try #require(JSONSerialization.jsonObject(with: Data(run.stderr.utf8)) as? [String: Double])
        #expect((timing["median_ms"] ?? 0) > 0)

        let unfolded = try runTool(try #require(CLITests.executable),
                                   common + ["--output", features, "--features", "s3", "--unfolded"])
        #expect(unfolded.status == 0, "\(unfolded.stderr)")
        #expect(try relativeError(features, Self.fixture("x3d_xs.s3.npy")) <= 1e-4)
    }

    @Test("forward rejects an unknown layer with exit code 2 and an unknown model by name")
    func forwardUsageErrors() throws {
        let output = temporaryFile("y.npy")
        let layer = try cadence("forward", "--model", "x3d_xs", "--train-crop", "64", "--weights",
                                Self.fixture("x3d_xs.safetensors"), "--input", Self.fixture("x3d_xs.input.npy"),
                                "--output", output, "--features", "s9")
        #expect(layer.status == 2)
        #expect(layer.stderr.contains("unknown layer \"s9\""))
        let model = try cadence("forward", "--model", "nonet", "--weights", Self.fixture("x3d_xs.safetensors"),
                                "--input", Self.fixture("x3d_xs.input.npy"), "--output", output)
        #expect(model.status != 0)
        #expect(model.stderr.contains("unknown; known models: x3d_xs"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("forward on a clip too short for the model exits with 1, naming the file and its shape")
    func forwardInputTooSmall() throws {
        let input = temporaryFile("one-frame.npy"), output = temporaryFile("y.npy")
        defer { try? FileManager.default.removeItem(atPath: input) }
        try NpyFile.write(ArrayData(shape: [1, 3, 1, 64, 64], floats: [Float](repeating: 0, count: 3 * 64 * 64)),
                          to: URL(fileURLWithPath: input))
        let result = try cadence("forward", "--model", "x3d_xs", "--train-crop", "64", "--weights",
                                 Self.fixture("x3d_xs.safetensors"), "--input", input, "--output", output)
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(input): x3d_xs cannot run on N,C,T,H,W [1, 3, 1, 64, 64]"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test("convert renames a PyTorchVideo checkpoint and checks weights against a preset")
    func convert() throws {
        let renamed = temporaryFile("ptv.safetensors"), checked = temporaryFile("xs.safetensors")
        let output = temporaryFile("y.npy")
        defer { for f in [renamed, checked, output] { try? FileManager.default.removeItem(atPath: f) } }
        let ptv = try cadence("convert", Self.fixture("x3d_ptv_tiny.ptv.pyth"), renamed)
        #expect(ptv.status == 0, "\(ptv.stderr)")
        let keys = try SafetensorsFile.readTensors(URL(fileURLWithPath: renamed)).keys
        #expect(keys.contains("s1.pathway0_stem.conv_xy.weight"))
        #expect(keys.contains("head.projection.weight"))
        #expect(!keys.contains { $0.hasPrefix("blocks.") })

        let xs = try cadence("convert", Self.fixture("x3d_xs.safetensors"), checked, "--model", "x3d_xs")
        #expect(xs.status == 0, "\(xs.stderr)")
        let run = try cadence("forward", "--model", "x3d_xs", "--train-crop", "64", "--weights", checked,
                              "--input", Self.fixture("x3d_xs.input.npy"), "--output", output)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try relativeError(output, Self.fixture("x3d_xs.output.npy")) <= 1e-4)

        let wrong = try cadence("convert", Self.fixture("x3d_l_small.safetensors"), checked, "--model", "x3d_xs")
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("s2.pathway0_res"))
    }
}
