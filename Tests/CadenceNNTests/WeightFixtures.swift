import Foundation
import Testing
@testable import CadenceNN

/// The files `scripts/fixtures/weights.py` writes, and comparisons against their expected values.
enum WeightFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/weights")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// The expected arrays in `<stem>/`, by key (the file name without `.npy`).
    static func expected(_ stem: String) throws -> [String: ArrayData] {
        let directory = folder.appendingPathComponent(stem)
        var arrays: [String: ArrayData] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".npy") {
            arrays[String(name.dropLast(4))] = try NpyFile.read(directory.appendingPathComponent(name))
        }
        return arrays
    }

    /// Checks that `actual` holds exactly the expected keys with identical types, shapes and bytes;
    /// bfloat16 arrays, which numpy stores as float32, are compared by value.
    static func expectIdentical(_ actual: [String: ArrayData], _ expected: [String: ArrayData],
                                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.keys.sorted() == expected.keys.sorted(), sourceLocation: sourceLocation)
        for (key, want) in expected {
            guard let got = actual[key] else { continue }
            if got.type == .bfloat16 && want.type == .float32 {
                #expect(got.shape == want.shape && got.floats() == want.floats(), "\(key)", sourceLocation: sourceLocation)
            } else {
                #expect(got == want, "\(key): \(got.type) \(got.shape) vs \(want.type) \(want.shape)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}
