import CadenceTensor
import Foundation

/// The videos to train and validate on, with their class ids and the names of the classes.
///
/// Two layouts are read: class sub-folders (`classFolders`) and PySlowFast's `path label` CSV
/// files (`csv`). Listing never opens a video; the loader reports files that fail to decode.
public struct VideoDataset: Sendable, Equatable {
    /// Class names; the index is the label id.
    public var classNames: [String]
    public var train: [LabeledVideo]
    public var validation: [LabeledVideo]

    public init(classNames: [String], train: [LabeledVideo], validation: [LabeledVideo]) {
        self.classNames = classNames
        self.train = train
        self.validation = validation
    }

    /// File extensions (lower case) that count as videos in class folders.
    public static let videoExtensions: Set<String> = [
        "mp4", "mkv", "webm", "avi", "mov", "m4v", "mpg", "mpeg", "flv", "wmv", "ts", "3gp",
    ]

    // MARK: Class folders

    /// `DATA/train/<class>/*` and `DATA/val/<class>/*`; class names are the sorted sub-folder names of
    /// `train/` (every `val/` class must be one of them, else an error naming the folder). With no
    /// `val/` folder, or when `DATA` holds the class folders directly, `validationFraction` of each
    /// class is held out, chosen by `seed` deterministically (stratified: at least one per class
    /// when the class has two videos or more and the fraction is above 0).
    ///
    /// Videos are regular files (or links to them) with a video extension (`videoExtensions`, any
    /// case) directly inside a class folder; hidden files and folders are skipped; lists are sorted.
    public static func classFolders(root: String, validationFraction: Double = 0.2, seed: UInt64 = 0) throws -> VideoDataset {
        try checkFraction(validationFraction, path: root)
        guard isDirectory(root) else { throw DatasetError(path: root, "no such folder") }
        let trainRoot = (root as NSString).appendingPathComponent("train")
        let validationRoot = (root as NSString).appendingPathComponent("val")
        let splitGiven = isDirectory(trainRoot)
        let classRoot = splitGiven ? trainRoot : root
        let classNames = try visibleEntries(of: classRoot).filter { isDirectory(join(classRoot, $0)) }
        guard !classNames.isEmpty else {
            throw DatasetError(path: classRoot, "no class folders (expected <class>/<video> or train/<class>/<video>)")
        }
        var byClass: [[String]] = []
        for name in classNames {
            byClass.append(try videos(in: join(classRoot, name)))
        }
        let train: [LabeledVideo]
        var validation: [LabeledVideo] = []
        if splitGiven && isDirectory(validationRoot) {
            train = byClass.enumerated().flatMap { label, paths in paths.map { LabeledVideo(path: $0, label: label) } }
            let labels = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
            for name in try visibleEntries(of: validationRoot) where isDirectory(join(validationRoot, name)) {
                let folder = join(validationRoot, name)
                guard let label = labels[name] else {
                    throw DatasetError(path: folder, "class '\(name)' is not among the training classes in \(trainRoot)")
                }
                validation += try videos(in: folder).map { LabeledVideo(path: $0, label: label) }
            }
        } else {
            (train, validation) = split(byClass, fraction: validationFraction, seed: seed)
        }
        return VideoDataset(classNames: classNames, train: train, validation: validation)
    }

    // MARK: CSV

    /// PySlowFast's CSV files: one `path label` per line, separated by spaces, tabs or a comma (the
    /// label is the last field, so paths may contain spaces), the label a class id from 0. Relative
    /// paths are resolved against `pathPrefix` when given, else against the CSV file's folder.
    /// Blank lines are skipped.
    ///
    /// Class names come from `classNamesFile` when given (JSON `{"name": id}` like PySlowFast's
    /// `classids.json`, or one name per line in id order), else they are `class_<id>`. With no
    /// `validation` file, `validationFraction` of each class is held out as in `classFolders`.
    public static func csv(
        train: String, validation: String?, pathPrefix: String? = nil, classNamesFile: String? = nil,
        validationFraction: Double = 0.2, seed: UInt64 = 0
    ) throws -> VideoDataset {
        try checkFraction(validationFraction, path: train)
        let givenNames = try classNamesFile.map(readClassNames)
        let trainRows = try readCSV(train, pathPrefix: pathPrefix, classCount: givenNames?.count)
        guard !trainRows.isEmpty else { throw DatasetError(path: train, "no videos listed") }
        let validationRows = try validation.map { try readCSV($0, pathPrefix: pathPrefix, classCount: givenNames?.count) } ?? []
        let largest = (trainRows + validationRows).map(\.label).max() ?? 0
        var classNames = givenNames ?? []
        if classNames.count <= largest {
            classNames += (classNames.count...largest).map { "class_\($0)" }
        }
        if validation != nil {
            return VideoDataset(classNames: classNames, train: trainRows, validation: validationRows)
        }
        var byClass = [[String]](repeating: [], count: classNames.count)
        for row in trainRows { byClass[row.label].append(row.path) }
        let (kept, heldOut) = split(byClass, fraction: validationFraction, seed: seed)
        return VideoDataset(classNames: classNames, train: kept, validation: heldOut)
    }

    // MARK: Helpers

    private static func checkFraction(_ fraction: Double, path: String) throws {
        guard fraction >= 0, fraction < 1 else {
            throw DatasetError(path: path, "validation fraction \(fraction) is outside [0, 1)")
        }
    }

    /// Holds out `fraction` of each class (rounded, at least one when the class has two videos or
    /// more, never all of it), picked by a generator seeded with `seed`; both lists keep the order given.
    static func split(_ byClass: [[String]], fraction: Double, seed: UInt64) -> (train: [LabeledVideo], validation: [LabeledVideo]) {
        var generator = TensorRandom(seed: seed)
        var train: [LabeledVideo] = [], validation: [LabeledVideo] = []
        for (label, paths) in byClass.enumerated() {
            var order = Array(paths.indices)
            order.shuffle(using: &generator)
            var count = 0
            if fraction > 0, paths.count >= 2 {
                count = min(max(1, Int((Double(paths.count) * fraction).rounded())), paths.count - 1)
            }
            let heldOut = Set(order.prefix(count))
            for (i, path) in paths.enumerated() {
                let video = LabeledVideo(path: path, label: label)
                if heldOut.contains(i) { validation.append(video) } else { train.append(video) }
            }
        }
        return (train, validation)
    }

    private static func join(_ folder: String, _ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Names in `folder` that do not start with a dot, sorted.
    private static func visibleEntries(of folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DatasetError(path: folder, "cannot list the folder (\(error.localizedDescription))")
        }
    }

    /// The video files in one class folder, sorted; an error when there are none.
    private static func videos(in folder: String) throws -> [String] {
        let paths = try visibleEntries(of: folder).filter { name in
            let path = join(folder, name)
            var directory: ObjCBool = false
            return videoExtensions.contains((name as NSString).pathExtension.lowercased())
                && FileManager.default.fileExists(atPath: path, isDirectory: &directory) && !directory.boolValue
        }.map { join(folder, $0) }
        guard !paths.isEmpty else {
            throw DatasetError(path: folder, "no video files in this class folder (extensions: \(videoExtensions.sorted().joined(separator: ", ")))")
        }
        return paths
    }

    private static func readText(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DatasetError(path: path, "cannot read the file (\(error.localizedDescription))")
        }
    }

    /// The rows of one CSV file; labels are checked against `classCount` when the names are known.
    private static func readCSV(_ path: String, pathPrefix: String?, classCount: Int?) throws -> [LabeledVideo] {
        let base = pathPrefix ?? (path as NSString).deletingLastPathComponent
        var rows: [LabeledVideo] = []
        for (offset, rawLine) in try readText(path).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            let number = offset + 1
            guard let cut = line.lastIndex(where: { $0 == "," || $0 == " " || $0 == "\t" }) else {
                throw DatasetError(path: path, line: number, "expected 'path label', found '\(line)'")
            }
            let field = line[line.index(after: cut)...]
            let videoPath = line[..<cut].trimmingCharacters(in: CharacterSet(charactersIn: ", \t"))
            guard let label = Int(field), label >= 0 else {
                throw DatasetError(path: path, line: number, "label '\(field)' is not a non-negative integer")
            }
            guard !videoPath.isEmpty else { throw DatasetError(path: path, line: number, "no video path before the label") }
            if let classCount, label >= classCount {
                throw DatasetError(path: path, line: number, "label \(label) has no class name (the class names file lists \(classCount))")
            }
            let resolved = videoPath.hasPrefix("/") ? videoPath : join(base, videoPath)
            rows.append(LabeledVideo(path: resolved, label: label))
        }
        return rows
    }

    /// Class names by id from a JSON object `{"name": id}` or from one name per line.
    static func readClassNames(_ path: String) throws -> [String] {
        let text = try readText(path)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{") else {
            let names = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            // Trailing blank lines end the list; blank lines inside it would shift every later id.
            let listed = Array(names.reversed().drop(while: \.isEmpty).reversed())
            if let blank = listed.firstIndex(where: \.isEmpty) {
                throw DatasetError(path: path, line: blank + 1, "blank class name")
            }
            guard !listed.isEmpty else { throw DatasetError(path: path, "no class names") }
            return listed
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(trimmed.utf8))
        } catch {
            throw DatasetError(path: path, "not valid JSON (\(error.localizedDescription))")
        }
        guard let table = object as? [String: Any] else {
            throw DatasetError(path: path, "expected a JSON object of class name to id")
        }
        var byID: [Int: String] = [:]
        for (name, value) in table {
            guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue), id >= 0 else {
                throw DatasetError(path: path, "class '\(name)' has id \(value), not a non-negative integer")
            }
            if let other = byID[id] {
                throw DatasetError(path: path, "classes '\(other)' and '\(name)' share id \(id)")
            }
            byID[id] = name
        }
        guard let largest = byID.keys.max() else { throw DatasetError(path: path, "no class names") }
        return (0...largest).map { byID[$0] ?? "class_\($0)" }
    }
}
