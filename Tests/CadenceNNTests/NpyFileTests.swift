import Foundation
import Testing
@testable import CadenceNN

@Suite struct NpyFileTests {
    @Test func roundTripsFloat32() throws {
        let array = ArrayData(shape: [2, 3], floats: [1, 2, 3, 4.5, -5, 6])
        let decoded = try NpyFile.decode(try NpyFile.encode(array), path: "x.npy")
        #expect(decoded == array)
        #expect(decoded.floats() == [1, 2, 3, 4.5, -5, 6])
    }

    @Test func headerIsPaddedTo64Bytes() throws {
        let data = try NpyFile.encode(ArrayData(shape: [4], uint8: [1, 2, 3, 4]))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data.last == 4)
    }

    @Test func rejectsTruncatedPayload() throws {
        var data = try NpyFile.encode(ArrayData(shape: [8], floats: Array(repeating: 1, count: 8)))
        data.removeLast(4)
        #expect(throws: NpyError.self) { try NpyFile.decode(data, path: "cut.npy") }
    }

    @Test("Files that cannot be read or written fail naming the path and the system's reason")
    func fileErrorsSayWhy() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-folder-\(UUID())")
        let file = missing.appendingPathComponent("x.npy")
        #expect(throws: NpyError.unwritable(path: file.path, reason: "no such file or directory")) {
            try NpyFile.write(ArrayData(shape: [1], floats: [1]), to: file)
        }
        #expect(throws: NpyError.unreadable(path: file.path, reason: "no such file or directory")) {
            try NpyFile.read(file)
        }
        // A folder given as the file: Foundation's error is "The operation could not be completed".
        let folder = FileManager.default.temporaryDirectory
        #expect(throws: NpyError.unwritable(path: folder.path, reason: "is a directory")) {
            try NpyFile.write(ArrayData(shape: [1], floats: [1]), to: folder)
        }
    }

    @Test("An array whose bytes do not fill its shape is refused rather than written as a file numpy cannot load")
    func refusesShortArrays() {
        let short = ArrayData(type: .uint8, shape: [2, 3], bytes: Data([1, 2, 3, 4, 5]))
        #expect(throws: NpyError.unsupported(path: "<memory>", reason: "shape [2, 3] of uint8 needs 6 bytes, the array has 5")) {
            try NpyFile.encode(short)
        }
    }

    @Test func rejectsNonNpy() {
        #expect(throws: NpyError.malformed(path: "t.npy", reason: "missing the \\x93NUMPY magic")) {
            try NpyFile.decode(Data("hello world, not numpy".utf8), path: "t.npy")
        }
    }
}
