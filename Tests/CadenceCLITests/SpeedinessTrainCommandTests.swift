import CadenceTestSupport
import Foundation
import Testing

/// End-to-end test of `cadence train --task speediness` on links to real sample clips (the tiny
/// backbone at 8 frames and 32-40 pixels, so a debug build trains an epoch in seconds).
@Suite struct SpeedinessTrainCommandTests {
    private func cadence(_ arguments: [String]) throws -> ToolOutput {
        try runTool(try #require(CLITests.executable, "build the cadence product first"), arguments)
    }

    @Test("train --task speediness writes metrics with val_auc and a model that speed --weights reads")
    func trainsAModelThatSpeedReads() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-speed-data-\(UUID().uuidString)")
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-speed-run-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(atPath: run)
        }
        // Nested folders are scanned; val/ is held out; a 3-frame clip is too short and left out.
        let layout = [("a", "real/hand-cup.mp4"), ("a/b", "h264.mp4"), ("a", "three-frames.mp4"), ("val", "vfr.mp4")]
        for (folder, clip) in layout {
            let url = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: url.appendingPathComponent((clip as NSString).lastPathComponent).path,
                                                       withDestinationPath: CLITests.clip(clip))
        }
        let result = try cadence(["train", "--task", "speediness", root.path, "--run", run, "--backbone", "tiny", "--frames", "8",
                                  "--sizes", "32:40", "--test-crop", "32", "--batch", "2", "--epochs", "2", "--val-views", "2x1",
                                  "--threads", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("three-frames.mp4") && result.stderr.contains("on 2 videos, validating on 1"))
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let record = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(record["val_auc"] is Double && record["val_accuracy"] is Double && record["train_loss"] is Double)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: run).sorted()
        #expect(files == ["checkpoints", "curves.svg", "metrics.jsonl", "model.safetensors", "run.json"])

        let speed = try cadence(["speed", CLITests.clip("h264.mp4"), "--weights", run + "/model.safetensors", "--json"])
        #expect(speed.status == 0, "\(speed.stderr)")
        #expect(try JSONSerialization.jsonObject(with: speed.stdout) is [String: Any])

        let refused = try cadence(["train", "--task", "speediness", root.path, "--run", run, "--multigrid", "long"])
        #expect(refused.status != 0 && refused.stderr.contains("--multigrid goes with --task classification"))
    }
}
