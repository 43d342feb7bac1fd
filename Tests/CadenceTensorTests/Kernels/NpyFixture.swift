import Foundation

/// A float32 `.npy` fixture read for the kernel tests (this test target cannot import CadenceNN's reader).
struct NpyFixture {
    struct FormatError: Error, CustomStringConvertible {
        let description: String
    }

    let shape: [Int]
    let values: [Float]

    /// Fixtures written by scripts/fixtures/kernels.py.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Loads `Fixtures/<case>_<name>.npy`: little-endian float32, C order.
    init(_ testCase: String, _ name: String) throws {
        let url = Self.directory.appendingPathComponent("\(testCase)_\(name).npy")
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw FormatError(description: "\(url.path): not an .npy file")
        }
        let major = bytes[6]
        let headerStart = major == 1 ? 10 : 12
        let headerLength = major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else {
            throw FormatError(description: "\(url.path): expected a C-order float32 array, header \(header)")
        }
        shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let payload = headerStart + headerLength
        guard bytes.count - payload == 4 * count else {
            throw FormatError(description: "\(url.path): payload has \(bytes.count - payload) bytes for \(count) floats")
        }
        values = data.subdata(in: payload..<data.count).withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        }
    }
}
