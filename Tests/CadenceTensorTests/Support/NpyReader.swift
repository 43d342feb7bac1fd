import Foundation
@testable import CadenceTensor

/// Reads the little-endian float32 C-order `.npy` files the fixture script writes.
enum NpyReader {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func read(_ url: URL) throws -> Tensor {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, String(decoding: bytes[1...5], as: UTF8.self) == "NUMPY" else {
            throw Failure(description: "\(url.lastPathComponent): not an .npy file")
        }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
            throw Failure(description: "\(url.lastPathComponent): expected float32 C-order, header \(header)")
        }
        let shape = header[header.index(after: open)..<close].split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let payload = headerStart + headerLength
        let count = shape.reduce(1, *)
        guard bytes.count - payload == count * 4 else {
            throw Failure(description: "\(url.lastPathComponent): payload size does not match shape \(shape)")
        }
        let values = (0..<count).map { i -> Float in
            let o = payload + 4 * i
            let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            return Float(bitPattern: bits)
        }
        return try Tensor(shape: shape, values: values)
    }
}
