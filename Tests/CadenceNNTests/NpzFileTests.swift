import Foundation
import Testing
@testable import CadenceNN

@Suite struct NpzFileTests {
    static let first = ArrayData(shape: [2, 3], floats: [0, 1, 2, 3, 4, 5])

    @Test func readsNumpySavez() throws {
        let arrays = try NpzFile.read(WeightFixtures.url("arrays.npz"))
        #expect(arrays.keys.sorted() == ["first", "second"])
        #expect(arrays["first"] == Self.first)
        #expect(arrays["second"]?.type == .int64 && arrays["second"]?.floats() == [1, -2, 3])
    }

    @Test func readsZip64Archives() throws {
        #expect(try NpzFile.read(WeightFixtures.url("zip64.npz")) == ["first": Self.first])
    }

    @Test func refusesCompressedArchivesSayingWhy() {
        let url = WeightFixtures.url("compressed.npz")
        let error = #expect(throws: WeightFileError.self) { try NpzFile.read(url) }
        #expect(error?.description == "cannot read \(url.path): unsupported: zip entry first.npy is compressed (method 8); Cadence reads stored entries, as torch.save and numpy.savez write them")
    }
}
