import CadenceNN
import Foundation

/// One video to extract and the name its outputs get under the output folder.
public struct ExtractionItem: Sendable, Equatable {
    /// The video's path as it will be opened.
    public let path: String
    /// Unique relative output name (no extension): the input's path relative to the folder or CSV it
    /// came from, or its file name when given directly.
    public let name: String

    public init(path: String, name: String) {
        self.path = path
        self.name = name
    }
}

/// Turns `cadence extract` inputs (video files, folders searched recursively, PySlowFast CSVs) into a
/// sorted, deterministic list of videos, and splits it into shards.
public enum ExtractionWorkList {
    /// File extensions (lowercase) taken as videos when a folder is searched.
    public static let videoExtensions: Set<String> = ["mp4", "mkv", "avi", "mov", "webm", "m4v", "mpg", "mpeg", "flv", "wmv", "3gp", "ts"]

    /// Expands `inputs` into videos sorted by output name. A `.csv` input lists one `path label` line per
    /// video (space or comma separated, PySlowFast's format; relative paths are taken from the CSV's
    /// folder). Names that collide get a `-2`, `-3`... suffix in sorted order so that every video keeps
    /// its own files.
    public static func items(from inputs: [String]) throws -> [ExtractionItem] {
        var found: [(path: String, name: String)] = []
        let files = FileManager.default
        for input in inputs {
            var isFolder: ObjCBool = false
            guard files.fileExists(atPath: input, isDirectory: &isFolder) else {
                throw ModelError(input, "no such file or folder")
            }
            let url = URL(fileURLWithPath: input)
            if isFolder.boolValue {
                guard let walker = files.enumerator(atPath: input) else { throw ModelError(input, "cannot list the folder") }
                for case let relative as String in walker
                where videoExtensions.contains((relative as NSString).pathExtension.lowercased()) {
                    found.append((url.appendingPathComponent(relative).path, relative))
                }
            } else if url.pathExtension.lowercased() == "csv" {
                found += try csvEntries(url)
            } else {
                found.append((input, url.lastPathComponent))
            }
        }
        found.sort { ($0.name, $0.path) < ($1.name, $1.path) }
        var seen: [String: Int] = [:]
        var items: [ExtractionItem] = []
        for entry in found {
            var name = entry.name
            if let count = seen[name] {
                var n = count + 1
                while seen["\(entry.name)-\(n)"] != nil { n += 1 }
                seen[entry.name] = n
                name = "\(entry.name)-\(n)"
            }
            seen[name] = seen[name] ?? 1
            items.append(ExtractionItem(path: entry.path, name: name))
        }
        return items
    }

    /// The `index`-th of every `count` items (0-based `index`), so shards partition the list.
    public static func shard(_ items: [ExtractionItem], index: Int, of count: Int) throws -> [ExtractionItem] {
        guard count > 0, index >= 0, index < count else {
            throw ModelError("shard", "needs 0 ≤ i < n, got \(index)/\(count)")
        }
        return items.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// Parses `i/n` into (i, n).
    public static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n > 0, i >= 0, i < n else {
            throw ModelError("shard", "expected i/n with 0 ≤ i < n, got \"\(text)\"")
        }
        return (i, n)
    }

    private static func csvEntries(_ url: URL) throws -> [(path: String, name: String)] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ModelError(url.path, "cannot read the CSV: \(FileErrorReason.of(error))")
        }
        let folder = url.deletingLastPathComponent()
        var entries: [(path: String, name: String)] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            // The label is the last field; the path may itself contain spaces.
            var path = trimmed
            if let cut = trimmed.lastIndex(where: { $0 == " " || $0 == "," || $0 == "\t" }) {
                path = String(trimmed[..<cut]).trimmingCharacters(in: .whitespaces)
            }
            guard !path.isEmpty else { throw ModelError(url.path, "line \(number + 1) has no video path") }
            let full = path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
            let name = path.hasPrefix("/") ? URL(fileURLWithPath: path).lastPathComponent : path
            entries.append((full, name.replacingOccurrences(of: "../", with: "")))
        }
        return entries
    }
}
