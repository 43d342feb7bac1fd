import Foundation

/// The trained models shipped with Cadence as resources of the `cadence` target. SwiftPM copies them
/// into `Cadence_cadence.resources` beside the executable (where `Bundle.module` would look); they are
/// looked up there directly so that a build without them reports a usage error instead of trapping.
enum BundledModel: String {
    /// X3D-XS trained by `cadence train` on clips/actions (8 motion classes).
    case actions = "actions-x3d.safetensors"
    /// SpeedNet trained by `cadence train --task speediness` on clips/real.
    case speediness = "speednet.safetensors"

    /// The model's file, or nil when this build has none.
    var url: URL? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // SwiftPM's resource folder on Linux, and its bundle on macOS.
        let candidates = ["Cadence_cadence.resources", "Cadence_cadence.bundle/Contents/Resources", "Cadence_cadence.bundle"]
        return candidates.map { folder.appendingPathComponent($0).appendingPathComponent(rawValue) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
