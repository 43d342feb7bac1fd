import CadenceModels
import CadenceTestSupport
import CadenceVideo
import Foundation
import Testing

/// End-to-end tests of `cadence speed` with a randomly initialised tiny SpeedNet written by the test.
@Suite struct SpeedCommandTests {
    private let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-speed-\(UUID().uuidString)")

    private func cadence(_ arguments: [String]) throws -> ToolOutput {
        try runTool(try #require(CLITests.executable, "build the cadence product first"), arguments)
    }

    /// A 4-frame, 32-pixel SpeedNet with widths 4-8-16-32, so debug builds run it quickly.
    private func tinyWeights() throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var config = SpeedNetConfig()
        config.dimC1 = 4
        config.widthFactor = 1
        config.depthFactor = 0.3
        config.bottleneckFactor = 1
        config.frames = 4
        config.inputSize = 32
        let url = folder.appendingPathComponent("tiny.safetensors")
        try SpeedNetWeights.write(try SpeedNet(config, seed: 5), to: url)
        return url.path
    }

    @Test("speed prints the per-segment table, writes a plan within 2% of the target, the plot and the render")
    func endToEnd() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = try tinyWeights()
        let plan = folder.appendingPathComponent("plan.json"), render = folder.appendingPathComponent("out.mp4")
        let plot = folder.appendingPathComponent("curve.svg")
        let result = try cadence(["speed", CLITests.clip("real/hand-box.mp4"), "--weights", weights, "--factors", "1,2",
                                  "--stride", "64", "--json", "--target", "1.5", "--plan", plan.path,
                                  "--render", render.path, "--plot", plot.path])
        #expect(result.status == 0, "\(result.stderr)")
        let record = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(record["frames"] as? Int == 298)
        #expect(record["factors"] as? [Double] == [1, 2])
        let segments = try #require(record["segments"] as? [[String: Any]])
        #expect(segments.count == 10)
        for row in segments {
            let p = try #require(row["probabilities"] as? [Double])
            #expect(p.count == 2 && p.allSatisfy { $0 > 0 && $0 < 1 })
            #expect([1.0, 2.0].contains(try #require(row["speediness"] as? Double)))
        }

        let planned = try JSONDecoder().decode(SpeedupPlan.self, from: Data(contentsOf: plan))
        #expect(abs(planned.achieved / 1.5 - 1) <= 0.02)
        #expect(planned.rates.allSatisfy { $0 >= 1 && $0 <= 4 })
        #expect(planned.sourceFrameCount == 298 && planned.outputFrameCount == 199)

        let reader = try VideoReader(path: render.path)
        #expect(reader.info.width == 320 && reader.info.height == 240)
        let sourceRate = try VideoReader.probe(CLITests.clip("real/hand-box.mp4")).averageFrameRate
        #expect(reader.info.averageFrameRate == sourceRate)
        var frames = 0
        while try reader.nextFrame() != nil { frames += 1 }
        #expect(frames == planned.outputFrameCount)

        let svg = try String(contentsOf: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("speediness") && svg.contains("2x"))
    }

    @Test("speed prints CSV with one column per factor")
    func csv() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try cadence(["speed", CLITests.clip("real/hand-box.mp4"), "--weights", try tinyWeights(),
                                  "--factors", "1,1.5", "--stride", "128", "--segment", "5", "--csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.first == "start,end,p_1,p_1.5,speediness")
        // 298 frames at 29.57 fps (4470000/151151): rows of 148 frames, then the last 2.
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.last?.hasPrefix("10.009,10.077,") == true)
    }

    @Test("speed without --weights runs the bundled model")
    func bundled() throws {
        let result = try cadence(["speed", CLITests.clip("real/plant.mp4"), "--factors", "1,2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        #expect(report?["factors"] as? [Double] == [1, 2])
        #expect((report?["segments"] as? [Any])?.isEmpty == false)
    }

    @Test("speed with a bad file or inconsistent options says why")
    func errors() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = try tinyWeights()
        let bad = try cadence(["speed", CLITests.clip("bad/text.mp4"), "--weights", weights])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("text.mp4"))
        let plan = try cadence(["speed", CLITests.clip("real/hand-box.mp4"), "--weights", weights, "--plan", "x.json"])
        #expect(plan.status == 2 && plan.stderr.contains("--target"))
    }
}
