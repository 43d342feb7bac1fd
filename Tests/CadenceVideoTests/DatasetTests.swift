import Foundation
import Testing
@testable import CadenceVideo

/// A temporary folder for one test, removed when the value goes away.
final class ScratchFolder {
    let path: String

    init(_ name: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func at(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    /// Writes `text` to `relative`, creating its folders; returns the full path.
    @discardableResult func write(_ relative: String, _ text: String = "") throws -> String {
        let full = at(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    /// A symbolic link at `relative` to `target`, creating its folders; returns the full path.
    @discardableResult func link(_ relative: String, to target: String) throws -> String {
        let full = at(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        return full
    }

    func folder(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: at(relative), withIntermediateDirectories: true)
    }
}

/// Listing datasets: class folders with and without a split, PySlowFast CSV files, class name files.
@Suite struct DatasetTests {
    @Test func trainAndValFoldersGiveSortedClassesAndVideos() throws {
        let data = try ScratchFolder("classes")
        try data.link("train/walk/b.mp4", to: Clips.path("h264.mp4"))
        try data.link("train/walk/a.webm", to: Clips.path("vp9.webm"))
        try data.write("train/walk/.hidden.mp4")
        try data.write("train/walk/notes.txt")
        try data.folder("train/walk/nested.mp4")
        try data.write("train/jump/x.AVI")
        try data.write("train/.cache/y.mp4")
        try data.write("val/walk/v.mkv")
        let dataset = try VideoDataset.classFolders(root: data.path)
        #expect(dataset.classNames == ["jump", "walk"])
        #expect(dataset.train == [
            LabeledVideo(path: data.at("train/jump/x.AVI"), label: 0),
            LabeledVideo(path: data.at("train/walk/a.webm"), label: 1),
            LabeledVideo(path: data.at("train/walk/b.mp4"), label: 1),
        ])
        #expect(dataset.validation == [LabeledVideo(path: data.at("val/walk/v.mkv"), label: 1)])
    }

    @Test func aValidationClassMissingFromTrainingIsNamed() throws {
        let data = try ScratchFolder("unknown-val")
        try data.write("train/walk/a.mp4")
        try data.write("val/swim/b.mp4")
        #expect {
            _ = try VideoDataset.classFolders(root: data.path)
        } throws: { error in
            (error as? DatasetError)?.path == data.at("val/swim") && "\(error)".contains("swim")
        }
    }

    @Test func anEmptyClassFolderIsNamed() throws {
        let data = try ScratchFolder("empty-class")
        try data.write("walk/a.mp4")
        try data.write("jump/readme.txt")
        #expect {
            _ = try VideoDataset.classFolders(root: data.path)
        } throws: { error in
            (error as? DatasetError)?.path == data.at("jump")
        }
        #expect(throws: DatasetError.self) { _ = try VideoDataset.classFolders(root: data.at("missing")) }
    }

    @Test func withoutValTheSplitIsStratifiedAndFollowsTheSeed() throws {
        let data = try ScratchFolder("split")
        for i in 0..<10 { try data.write(String(format: "a/%02d.mp4", i)) }
        for i in 0..<3 { try data.write("b/\(i).mp4") }
        try data.write("c/only.mp4")
        let first = try VideoDataset.classFolders(root: data.path, validationFraction: 0.2, seed: 1)
        let again = try VideoDataset.classFolders(root: data.path, validationFraction: 0.2, seed: 1)
        #expect(first == again)
        #expect(first.classNames == ["a", "b", "c"])
        // 20% of 10 is 2; 20% of 3 rounds to 1 (at least one); a single video stays in training.
        #expect(first.validation.filter { $0.label == 0 }.count == 2)
        #expect(first.validation.filter { $0.label == 1 }.count == 1)
        #expect(first.validation.filter { $0.label == 2 }.isEmpty)
        #expect(first.train.count + first.validation.count == 14)
        #expect(Set(first.train.map(\.path)).isDisjoint(with: first.validation.map(\.path)))
        let others = try (2..<8).map { try VideoDataset.classFolders(root: data.path, seed: $0).validation }
        #expect(others.contains { $0 != first.validation })
        // A train/ folder without val/ is split the same way.
        let nested = try ScratchFolder("split-train")
        for i in 0..<5 { try nested.write("train/a/\(i).mp4") }
        let fromTrain = try VideoDataset.classFolders(root: nested.path, validationFraction: 0.4, seed: 3)
        #expect(fromTrain.validation.count == 2 && fromTrain.train.count == 3)
        let none = try VideoDataset.classFolders(root: nested.path, validationFraction: 0, seed: 3)
        #expect(none.validation.isEmpty && none.train.count == 5)
    }

    @Test func csvResolvesPathsAgainstItsFolderOrThePrefix() throws {
        let data = try ScratchFolder("csv")
        let train = try data.write("lists/train.csv", "videos/a b.mp4 0\nvideos/c.mp4,2\n\n/abs/d.mp4\t1\n")
        let validation = try data.write("lists/val.csv", "videos/e.mp4 1\n")
        let dataset = try VideoDataset.csv(train: train, validation: validation)
        #expect(dataset.classNames == ["class_0", "class_1", "class_2"])
        #expect(dataset.train == [
            LabeledVideo(path: data.at("lists/videos/a b.mp4"), label: 0),
            LabeledVideo(path: data.at("lists/videos/c.mp4"), label: 2),
            LabeledVideo(path: "/abs/d.mp4", label: 1),
        ])
        #expect(dataset.validation == [LabeledVideo(path: data.at("lists/videos/e.mp4"), label: 1)])
        let prefixed = try VideoDataset.csv(train: train, validation: validation, pathPrefix: "/data/k400")
        #expect(prefixed.train.map(\.path) == ["/data/k400/videos/a b.mp4", "/data/k400/videos/c.mp4", "/abs/d.mp4"])
    }

    @Test func csvWithoutValidationIsSplitPerLabel() throws {
        let data = try ScratchFolder("csv-split")
        let rows = (0..<8).map { "v\($0).mp4 \($0 % 2)" }.joined(separator: "\n")
        let train = try data.write("train.csv", rows)
        let dataset = try VideoDataset.csv(train: train, validation: nil, validationFraction: 0.25, seed: 4)
        #expect(dataset.validation.filter { $0.label == 0 }.count == 1)
        #expect(dataset.validation.filter { $0.label == 1 }.count == 1)
        #expect(dataset == (try VideoDataset.csv(train: train, validation: nil, validationFraction: 0.25, seed: 4)))
    }

    @Test func aBadCSVLineIsNamedByFileAndLine() throws {
        let data = try ScratchFolder("csv-bad")
        let train = try data.write("train.csv", "a.mp4 0\nb.mp4 walk\n")
        #expect(throws: DatasetError(path: train, line: 2, "label 'walk' is not a non-negative integer")) {
            _ = try VideoDataset.csv(train: train, validation: nil)
        }
        let lonely = try data.write("lonely.csv", "a.mp4 0\n\nb.mp4\n")
        #expect {
            _ = try VideoDataset.csv(train: lonely, validation: nil)
        } throws: { error in
            "\(error)".hasPrefix("\(lonely):3:")
        }
    }

    @Test func classNamesComeFromJSONOrLines() throws {
        let data = try ScratchFolder("names")
        let train = try data.write("train.csv", "a.mp4 0\nb.mp4 1\n")
        let json = try data.write("classids.json", #"{"walking": 1, "jumping": 0}"#)
        let lines = try data.write("names.txt", "jumping\nwalking\n\n")
        #expect(try VideoDataset.csv(train: train, validation: nil, classNamesFile: json).classNames == ["jumping", "walking"])
        #expect(try VideoDataset.csv(train: train, validation: nil, classNamesFile: lines).classNames == ["jumping", "walking"])
        let short = try data.write("short.txt", "jumping\n")
        #expect {
            _ = try VideoDataset.csv(train: train, validation: nil, classNamesFile: short)
        } throws: { error in
            "\(error)".hasPrefix("\(train):2:")
        }
    }
}
