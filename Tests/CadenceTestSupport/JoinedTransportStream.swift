import Foundation

/// The videos at `paths` remuxed to MPEG-TS (video only, no re-encoding) and joined byte for byte into
/// one file in a new temporary folder, as captures are concatenated: each part's timestamps start
/// again, and the picture size may change from part to part. Remove the returned file's folder after.
public func joinedTransportStream(_ paths: [String]) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-ts-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var joined = Data()
    for (i, source) in paths.enumerated() {
        let part = folder.appendingPathComponent("part\(i).ts").path
        let result = try runTool("/usr/bin/env", ["ffmpeg", "-v", "error", "-i", source, "-map", "0:v", "-c", "copy",
                                                  "-f", "mpegts", part])
        guard result.status == 0 else { throw JoinFailure(message: "ffmpeg could not remux \(source): \(result.stderr)") }
        joined.append(try Data(contentsOf: URL(fileURLWithPath: part)))
    }
    let path = folder.appendingPathComponent("joined.ts").path
    try joined.write(to: URL(fileURLWithPath: path))
    return path
}

struct JoinFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
