import CadenceNN
import CadenceTestSupport
import Foundation
import Testing

/// End-to-end tests of `cadence train` on a tiny dataset of links to the sample clips (X3D-XS at
/// 4 frames and a 32-pixel crop, so a debug build trains an epoch in about a second).
@Suite struct TrainCommandTests {
    private func cadence(_ arguments: [String]) throws -> ToolOutput {
        try runTool(try #require(CLITests.executable, "build the cadence product first"), arguments)
    }

    /// DATA/train/{left,right}/* and DATA/val/{left,right}/*, plus `extra` links under train/right.
    private func dataset(extra: [String] = []) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-train-data-\(UUID().uuidString)")
        let layout = [("train/left", ["h264.mp4", "hevc.mkv", "mpeg4.avi"]),
                      ("train/right", ["vp9.webm", "mjpeg.mov", "with-audio.mp4"] + extra),
                      ("val/left", ["vfr.mp4"]), ("val/right", ["odd-321x239.mp4"])]
        for (folder, clips) in layout {
            let url = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for clip in clips {
                try FileManager.default.createSymbolicLink(
                    atPath: url.appendingPathComponent((clip as NSString).lastPathComponent).path,
                    withDestinationPath: CLITests.clip(clip))
            }
        }
        return root
    }

    private func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(name)-\(UUID().uuidString)").path
    }

    private let tiny = ["--frames", "4", "--crop", "32", "--batch", "3", "--threads", "1", "--loader-threads", "1",
                        "--seed", "3"]

    @Test("train writes run.json, metrics, curves, checkpoints and a model that classify uses on its own")
    func runFolder() throws {
        let data = try dataset(), run = temporary("run")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(atPath: run)
        }
        let result = try cadence(["train", data.path, "--run", run, "--epochs", "2", "--json"] + tiny)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        for (number, line) in lines.enumerated() {
            let record = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(record["epoch"] as? Int == number + 1)
            #expect(record["val_top1"] is Double && record["train_loss"] is Double && record["lr"] is Double)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: run).sorted()
        #expect(files == ["checkpoints", "confusion.json", "curves.svg", "metrics.jsonl", "model.safetensors", "run.json"])
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted()
        #expect(checkpoints == ["checkpoint_epoch_00001.safetensors", "checkpoint_epoch_00002.safetensors"])
        let description = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/run.json"))) as? [String: Any])
        #expect(description["class_names"] as? [String] == ["left", "right"])

        let classified = try cadence(["classify", CLITests.clip("vfr.mp4"), "--weights", run + "/model.safetensors",
                                      "--views", "1x1", "--json"])
        #expect(classified.status == 0, "\(classified.stderr)")
        let record = try #require(JSONSerialization.jsonObject(with: classified.stdout) as? [String: Any])
        let labels = (record["top"] as? [[String: Any]])?.compactMap { $0["label"] as? String }
        #expect(labels.map(Set.init) == ["left", "right"])
    }

    @Test("a run killed after epoch 1 and resumed ends with the same weights as a straight run, on 2 threads")
    func resume() throws {
        let data = try dataset(), straight = temporary("straight"), resumed = temporary("resumed")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(atPath: straight)
            try? FileManager.default.removeItem(atPath: resumed)
        }
        // Two kernel threads: per-thread partial sums are added in a fixed order, so runs repeat bit for bit.
        let options = ["--epochs", "3", "--label-smoothing", "0.1", "--clip-grad", "10"] + tiny + ["--threads", "2"]
        #expect(try cadence(["train", data.path, "--run", straight] + options).status == 0)
        let killed = try cadence(["train", data.path, "--run", resumed, "--stop-after-epochs", "1"] + options)
        #expect(killed.status == 0, "\(killed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: resumed + "/model.safetensors"))
        let again = try cadence(["train", data.path, "--run", resumed, "--resume"] + options)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("resuming after epoch 1 of 3"))
        #expect(String(decoding: again.stdout, as: UTF8.self).hasPrefix("epoch 2/3"))
        let a = try SafetensorsFile.readTensors(URL(fileURLWithPath: straight + "/model.safetensors"))
        let b = try SafetensorsFile.readTensors(URL(fileURLWithPath: resumed + "/model.safetensors"))
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(a.count == b.count && differing.isEmpty, "\(differing.count) tensors differ, e.g. \(differing.prefix(3))")
        // Other options on the same folder are refused rather than mixed in.
        let other = try cadence(["train", data.path, "--run", resumed, "--epochs", "4"] + tiny)
        #expect(other.status != 0 && other.stderr.contains("other options"))
    }

    @Test("an undecodable video is skipped, reported once, and makes the exit code 1")
    func badVideo() throws {
        let data = try dataset(extra: ["bad/text.mp4"]), run = temporary("bad")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(atPath: run)
        }
        let result = try cadence(["train", data.path, "--run", run, "--epochs", "2"] + tiny)
        #expect(result.status == 1)
        #expect(result.stderr.contains("skipped") && result.stderr.contains("text.mp4"))
        #expect(result.stderr.components(separatedBy: "text.mp4").count == 2, "named once over two epochs: \(result.stderr)")
        let epochs = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("epoch") }
        #expect(epochs.count == 2 && epochs.allSatisfy { $0.contains("skipped 1") })
        #expect(FileManager.default.fileExists(atPath: run + "/model.safetensors"))
    }

    @Test("--from fine-tunes a trained model on other classes; usage errors exit with 2")
    func fineTuneAndUsage() throws {
        let data = try dataset(), source = temporary("source"), tuned = temporary("tuned")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: tuned)
        }
        #expect(try cadence(["train", data.path, "--run", source, "--epochs", "1"] + tiny).status == 0)
        // Three classes now: a third folder of links.
        let third = data.appendingPathComponent("train/up")
        try FileManager.default.createDirectory(at: third, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: third.appendingPathComponent("portrait.mp4").path,
                                                   withDestinationPath: CLITests.clip("portrait.mp4"))
        let result = try cadence(["train", data.path, "--run", tuned, "--epochs", "1", "--from", source + "/model.safetensors"] + tiny)
        #expect(result.status == 0, "\(result.stderr)")
        let weights = try SafetensorsFile.readTensors(URL(fileURLWithPath: tuned + "/model.safetensors"))
        #expect(weights["head.projection.weight"]?.shape == [3, 2048])

        #expect(try cadence(["train", "--run", tuned]).status == 2)
        #expect(try cadence(["train", data.path, "--run", tuned, "--multigrid", "medium"]).status == 2)
        #expect(try cadence(["train", data.path, "--run", tuned, "--val-views", "2x2"]).status == 2)
    }
}
