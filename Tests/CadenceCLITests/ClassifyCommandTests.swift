import CadenceTestSupport
import CadenceNN
import Foundation
import Testing

/// End-to-end tests of `cadence classify` (the X3D-XS fixture weights stand in for trained ones).
@Suite struct ClassifyCommandTests {
    private func cadence(_ arguments: [String]) throws -> ToolOutput {
        try runTool(try #require(CLITests.executable, "build the cadence product first"), arguments)
    }

    private let weights = ["--model", "x3d_xs", "--train-crop", "64", "--weights",
                           ModelCommandTests.fixture("x3d_xs.safetensors")]

    @Test("classify --json averages every view and names the top classes from a label file")
    func json() throws {
        let labels = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-labels-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: labels) }
        let names = (0..<10).map { "\"class\($0)\"" }
        let object = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        try JSONSerialization.data(withJSONObject: object).write(to: labels)
        let result = try cadence(["classify", CLITests.clip("h264.mp4"), "--views", "2x3", "--top-k", "3",
                                  "--labels", labels.path, "--json"] + weights)
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(record["views"] as? Int == 6)
        let top = try #require(record["top"] as? [[String: Any]])
        #expect(top.count == 3)
        let scores = top.compactMap { $0["score"] as? Double }
        #expect(scores == scores.sorted(by: >))
        #expect(scores.reduce(0, +) <= 1.0001)
        let first = try #require(top.first)
        // Quotes in PySlowFast's class names are removed.
        #expect(first["label"] as? String == "class\(try #require(first["index"] as? Int))")
    }

    @Test("classify reports an undecodable video with exit code 1 and still classifies the others")
    func badVideo() throws {
        let result = try cadence(["classify", CLITests.clip("bad/audio-only.m4a"), CLITests.clip("portrait.mp4"),
                                  "--views", "1x1", "--top-k", "2"] + weights)
        #expect(result.status == 1)
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.hasPrefix(CLITests.clip("portrait.mp4")))
        #expect(text.split(separator: "\n").count == 3)
        #expect(result.stderr.contains("no video stream"))
    }

    @Test("classify --json gives a failed video an error line of its own")
    func badVideoJSON() throws {
        let bad = CLITests.clip("bad/audio-only.m4a")
        let result = try cadence(["classify", bad, CLITests.clip("portrait.mp4"), "--views", "1x1", "--json"] + weights)
        #expect(result.status == 1)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["path"] as? String == bad)
        #expect((first?["error"] as? String)?.contains("no video stream") == true)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        #expect((second?["top"] as? [Any])?.isEmpty == false)
    }

    @Test("classify rejects malformed --views with exit code 2")
    func badViews() throws {
        let result = try cadence(["classify", CLITests.clip("h264.mp4"), "--views", "3x2"] + weights)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--views must be TxS"))
    }

    @Test("a missing label file fails naming it and the system's reason, not Foundation's domain and code")
    func missingLabels() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/labels.json"
        let result = try cadence(["classify", CLITests.clip("h264.mp4"), "--views", "1x1", "--labels", missing] + weights)
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(missing): no such file or directory"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test("classify names a 400-class model's predictions with the built-in Kinetics-400 classes")
    func kineticsNames() throws {
        var weights = try SafetensorsFile.readTensors(URL(fileURLWithPath: ModelCommandTests.fixture("x3d_xs.safetensors")))
        let features = try #require(weights["head.projection.weight"]?.shape.last)
        weights["head.projection.weight"] = ArrayData(shape: [400, features],
                                                      floats: Array(repeating: 0, count: 400 * features))
        weights["head.projection.bias"] = ArrayData(shape: [400], floats: (0..<400).map { $0 == 399 ? 5 : 0 })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-k400-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try SafetensorsFile.write(weights, to: file)
        let result = try cadence(["classify", CLITests.clip("h264.mp4"), "--views", "1x1", "--top-k", "1", "--json",
                                  "--model", "x3d_xs", "--train-crop", "64", "--weights", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let top = try #require((record["top"] as? [[String: Any]])?.first)
        // Zero weights leave the bias as the logits, so the last class, "zumba", wins.
        #expect(top["index"] as? Int == 399)
        #expect(top["label"] as? String == "zumba")
    }
}
