import Foundation

/// Errors reading or writing `.npy` files; each names the file.
public enum NpyError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unsupported(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .unwritable(path, reason): return "cannot write \(path): \(reason)"
        case let .malformed(path, reason): return "\(path) is not a valid .npy file: \(reason)"
        case let .unsupported(path, reason): return "\(path): unsupported .npy content: \(reason)"
        }
    }
}

/// NumPy's `.npy` format (versions 1.0–3.0), little-endian and C order, as `numpy.load` reads it.
public enum NpyFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    static let descriptors: [(String, ElementType)] = [
        ("<f4", .float32), ("<f8", .float64), ("<f2", .float16), ("|u1", .uint8), ("|i1", .int8),
        ("<i4", .int32), ("<i8", .int64), ("|b1", .bool),
    ]

    /// The bytes of a version 1.0 `.npy` file holding `array`.
    public static func encode(_ array: ArrayData) throws -> Data {
        guard let descr = descriptors.first(where: { $0.1 == array.type })?.0 else {
            throw NpyError.unsupported(path: "<memory>", reason: "element type \(array.type) has no .npy name")
        }
        // A header that promises more (or fewer) values than follow would make a file numpy cannot load.
        guard array.bytes.count == array.count * array.type.size else {
            throw NpyError.unsupported(path: "<memory>", reason: "shape \(array.shape) of \(array.type) needs "
                + "\(array.count * array.type.size) bytes, the array has \(array.bytes.count)")
        }
        let shape: String
        switch array.shape.count {
        case 0: shape = "()"
        case 1: shape = "(\(array.shape[0]),)"
        default: shape = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        // Magic (6) + version (2) + length (2) + header + "\n" is padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(array.bytes)
        return data
    }

    /// Writes `array` to `url` atomically (a temporary file renamed into place).
    public static func write(_ array: ArrayData, to url: URL) throws {
        let data = try encode(array)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw NpyError.unwritable(path: url.path, reason: FileErrorReason.of(error))
        }
    }

    /// Reads a `.npy` file.
    public static func read(_ url: URL) throws -> ArrayData {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw NpyError.unreadable(path: url.path, reason: FileErrorReason.of(error))
        }
        return try decode(data, path: url.path)
    }

    /// Parses the bytes of a `.npy` file; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String) throws -> ArrayData {
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw NpyError.malformed(path: path, reason: "missing the \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NpyError.malformed(path: path, reason: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NpyError.unsupported(path: path, reason: "format version \(major)")
        }
        guard data.count >= headerStart + headerLength else {
            throw NpyError.malformed(path: path, reason: "truncated header")
        }
        let headerData = data.subdata(in: data.startIndex + headerStart..<data.startIndex + headerStart + headerLength)
        guard let header = String(data: headerData, encoding: .utf8) else {
            throw NpyError.malformed(path: path, reason: "header is not text")
        }
        guard let descr = value(of: "descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) else {
            throw NpyError.malformed(path: path, reason: "header has no descr")
        }
        guard let type = descriptors.first(where: { $0.0 == descr || $0.0.dropFirst() == descr.dropFirst() && descr.first == "=" })?.1 else {
            throw NpyError.unsupported(path: path, reason: "dtype \(descr) (Cadence reads little-endian numeric types)")
        }
        if value(of: "fortran_order", in: header) == "True" {
            throw NpyError.unsupported(path: path, reason: "Fortran order (save a C-contiguous array)")
        }
        guard let shapeText = value(of: "shape", in: header) else {
            throw NpyError.malformed(path: path, reason: "header has no shape")
        }
        let parts = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for part in parts {
            guard let n = Int(part), n >= 0 else { throw NpyError.malformed(path: path, reason: "bad shape \(shapeText)") }
            shape.append(n)
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, n in
            let (p, o) = acc.0.multipliedReportingOverflow(by: n)
            return (p, acc.1 || o)
        }
        let payloadStart = headerStart + headerLength
        guard !overflow, data.count - payloadStart >= count * type.size else {
            throw NpyError.malformed(path: path, reason: "data is shorter than shape \(shape) needs")
        }
        let payload = data.subdata(in: data.startIndex + payloadStart..<data.startIndex + payloadStart + count * type.size)
        return ArrayData(type: type, shape: shape, bytes: payload)
    }

    /// The raw text of `key`'s value in a Python dict literal such as the `.npy` header.
    private static func value(of key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        if let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<end] }
        return rest.trimmingCharacters(in: .whitespaces)
    }
}
