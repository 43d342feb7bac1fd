import Foundation

/// Writes a file through a temporary sibling that is renamed over the destination when complete,
/// so readers see either the old file or the whole new one, never a torn write.
enum AtomicFileWriter {
    static func write(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw WeightFileError.unwritable(path: url.path, reason: "cannot create a file in \(directory.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw WeightFileError.unwritable(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let known = error as? WeightFileError { throw known }
            throw WeightFileError.unwritable(path: url.path, reason: FileErrorReason.of(error))
        }
    }
}
