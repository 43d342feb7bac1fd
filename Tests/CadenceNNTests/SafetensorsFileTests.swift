import Foundation
import Testing
@testable import CadenceNN

@Suite struct SafetensorsFileTests {
    static let sample: [String: ArrayData] = [
        "b.weight": ArrayData(shape: [2, 3], floats: [1, -2, 3.5, 4, 5, 6]),
        "a.bias": ArrayData(type: .float16, shape: [3], bytes: Data([0x00, 0x3C, 0x00, 0xC0, 0x00, 0x00])),
        "c.index": ArrayData(type: .int64, shape: [], bytes: Data([7, 0, 0, 0, 0, 0, 0, 0])),
        "d.mask": ArrayData(type: .bool, shape: [3], bytes: Data([1, 0, 1])),
        "e.empty": ArrayData(type: .float32, shape: [0, 4], bytes: Data()),
    ]

    /// A file with `header` as its JSON header and `payload` as its data.
    static func file(header: String, payload: [UInt8] = []) -> Data {
        let json = Array(header.utf8)
        var data = Data((0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
        data.append(contentsOf: json)
        data.append(contentsOf: payload)
        return data
    }

    @Test func roundTripsThroughAFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try SafetensorsFile.write(Self.sample, metadata: ["format": "pt", "note": "quote \" and\nnewline"], to: url)
        let read = try SafetensorsFile.read(url)
        #expect(read.tensors == Self.sample)
        #expect(read.metadata == ["format": "pt", "note": "quote \" and\nnewline"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
        #expect(try Data(contentsOf: url) == SafetensorsFile.encode(Self.sample, metadata: read.metadata))
    }

    @Test func headerIsPaddedSortedAndEveryTensorAligned() throws {
        let data = try SafetensorsFile.encode(Self.sample, metadata: ["format": "pt"])
        let length = data.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(length % 8 == 0)
        let header = try #require(String(data: data[8..<8 + length], encoding: .utf8))
        #expect(header.hasPrefix("{\"__metadata__\":{\"format\":\"pt\"},\"a.bias\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[32,38]}"))
        let names = ["a.bias", "b.weight", "c.index", "d.mask", "e.empty"]
        let positions = names.compactMap { header.range(of: "\"\($0)\"")?.lowerBound }
        #expect(positions.count == names.count && positions == positions.sorted())
        // Widest types first: c.index (int64) at 0, then the float32 tensors, then float16, then bool.
        #expect(header.contains("\"c.index\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}"))
        #expect(header.contains("\"b.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]}"))
        #expect(header.contains("\"d.mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[38,41]}"))
        #expect(data.count == 8 + length + 41)
    }

    @Test func readsFilesOfTheSafetensorsPackage() throws {
        let contents = try SafetensorsFile.read(WeightFixtures.url("reference.safetensors"))
        #expect(contents.metadata == ["format": "pt", "source": "scripts/fixtures/weights.py"])
        WeightFixtures.expectIdentical(contents.tensors, try WeightFixtures.expected("reference"))
        #expect(contents.tensors["i64"]?.floats() == [1, -2, 3, Float(1 << 50)])
    }

    @Test func rejectsTruncatedAndDamagedFiles() throws {
        let good = try SafetensorsFile.encode(Self.sample)
        let cases: [(Data, String)] = [
            (Data([1, 2, 3]), "shorter than the 8-byte header length"),
            (good.prefix(40), "header needs"),
            (good.dropLast(2), "d.mask has data_offsets outside the 39 data bytes"),
            (Self.file(header: "[1, 2]"), "header is not a JSON object"),
            (Self.file(header: "{\"a\""), "header is not JSON"),
            (Self.file(header: "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", payload: [0, 0, 0, 0]),
             "x holds 4 bytes but F32 [2] needs 8"),
            (Self.file(header: "{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"y\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}",
                       payload: [1, 2, 3]), "overlaps another tensor"),
            (Self.file(header: "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", payload: [1, 2]),
             "unused bytes before x"),
            (Self.file(header: "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", payload: [1, 2]),
             "1 bytes after the last tensor belong to none"),
            (Self.file(header: "{\"x\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}"), "x has no valid shape"),
            (Self.file(header: "{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,0]}}", payload: [1]),
             "x has data_offsets outside"),
            (Self.file(header: "{\"__metadata__\":{\"n\":1}}"), "__metadata__[n] is not a string"),
            (Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]), "header length 4294967295 is too large"),
        ]
        for (data, reason) in cases {
            let error = #expect(throws: WeightFileError.self, "\(reason)") { try SafetensorsFile.decode(data, path: "bad.safetensors") }
            guard case let .malformed(path, message)? = error else {
                Issue.record("\(reason): got \(String(describing: error))")
                continue
            }
            #expect(path == "bad.safetensors")
            #expect(message.contains(reason), "\(message) should contain \(reason)")
        }
    }

    @Test func namesUnsupportedDtypes() {
        let data = Self.file(header: "{\"x\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[0,2]}}", payload: [1, 0])
        #expect(throws: WeightFileError.unsupported(path: "x.safetensors", reason: "x has dtype I16")) {
            try SafetensorsFile.decode(data, path: "x.safetensors")
        }
    }

    @Test func refusesToWriteInconsistentArrays() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-never-\(UUID().uuidString).safetensors")
        #expect(throws: WeightFileError.self) {
            try SafetensorsFile.write(["x": ArrayData(type: .float32, shape: [2], bytes: Data([1, 2, 3]))], to: url)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}

@Suite struct HalfPrecisionTests {
    @Test func roundsToNearestEvenLikeIEEE() {
        // Exact halves, the largest half, overflow, the smallest subnormal and ties.
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3C00), (-2, 0xC000), (0.5, 0x3800), (65504, 0x7BFF),
            (65520, 0x7C00), (1e6, 0x7C00), (.infinity, 0x7C00), (Float(sign: .plus, exponent: -24, significand: 1), 0x0001),
            (Float(sign: .plus, exponent: -26, significand: 1), 0x0000), (1 + 1.0 / 2048, 0x3C00), (1 + 3.0 / 2048, 0x3C02),
            (Float(sign: .plus, exponent: -14, significand: 1), 0x0400),
        ]
        for (value, bits) in cases { #expect(Float.halfBits(value) == bits, "\(value)") }
        #expect(Float.halfBits(.nan) & 0x7C00 == 0x7C00 && Float.halfBits(.nan) & 0x3FF != 0)
    }

    @Test func roundTripsWithinHalfPrecision() {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<2000).map { _ in Float.random(in: -8...8, using: &generator) }
        let half = ArrayData(shape: [values.count], floats: values).halfPrecision()
        #expect(half.type == .float16 && half.bytes.count == 2 * values.count)
        for (a, b) in zip(values, half.floats()) { #expect(abs(a - b) <= abs(a) / 2048 + 1e-7) }
    }
}
