import Foundation

/// Hugging Face's safetensors format, Cadence's native weight file.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`,
/// then the tensors' bytes, C-ordered and little-endian; offsets count from the end of the header.
public enum SafetensorsFile {
    /// The contents of a safetensors file.
    public struct Contents: Sendable {
        /// Tensors by name; their bytes are zero-copy slices of the memory-mapped file.
        public var tensors: [String: ArrayData]
        /// The free-form `__metadata__` string map (empty when the file has none).
        public var metadata: [String: String]
    }

    static let dtypeNames: [(String, ElementType)] = [
        ("F32", .float32), ("F16", .float16), ("BF16", .bfloat16), ("F64", .float64), ("I64", .int64),
        ("I32", .int32), ("U8", .uint8), ("I8", .int8), ("BOOL", .bool),
    ]

    /// Headers larger than this are refused, as the reference implementation does, so a damaged
    /// length field cannot make the reader parse gigabytes of JSON.
    static let maxHeaderLength = 100_000_000

    /// Reads a safetensors file, memory-mapped.
    public static func read(_ url: URL) throws -> Contents {
        try decode(MappedFile(url))
    }

    /// Reads only the tensors of a safetensors file.
    public static func readTensors(_ url: URL) throws -> [String: ArrayData] {
        try read(url).tensors
    }

    /// Parses safetensors bytes held in memory; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> Contents {
        let bytes = Data(data)  // zero-based, whatever slice `data` was
        return try parse(path: path, count: bytes.count) { bytes.subdata(in: $0) }
    }

    static func decode(_ file: MappedFile) throws -> Contents {
        try parse(path: file.path, count: file.count) { file.data($0) }
    }

    /// Parses a file of `count` bytes whose byte ranges `slice` returns (bounds already checked).
    private static func parse(path: String, count: Int, slice: (Range<Int>) -> Data) throws -> Contents {
        func malformed(_ reason: String) -> WeightFileError { .malformed(path: path, reason: reason) }
        guard count >= 8 else { throw malformed("shorter than the 8-byte header length") }
        let length = slice(0..<8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(maxHeaderLength) else { throw malformed("header length \(length) is too large") }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= count else {
            throw malformed("header needs \(length) bytes but the file has \(count - 8) after the length")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: slice(8..<headerEnd))
        } catch {
            throw malformed("header is not JSON")
        }
        guard let entries = json as? [String: Any] else { throw malformed("header is not a JSON object") }
        var metadata: [String: String] = [:]
        var spans: [(name: String, range: Range<Int>)] = []
        var tensors: [String: ArrayData] = [:]
        let dataSize = count - headerEnd
        for (name, value) in entries.sorted(by: { $0.key < $1.key }) {  // sorted: errors name the same tensor every run
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw malformed("__metadata__ is not an object") }
                for (key, item) in map {
                    guard let text = item as? String else { throw malformed("__metadata__[\(key)] is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw malformed("entry \(name) is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw malformed("\(name) has no dtype") }
            guard let type = dtypeNames.first(where: { $0.0 == dtypeName })?.1 else {
                throw WeightFileError.unsupported(path: path, reason: "\(name) has dtype \(dtypeName)")
            }
            guard let shape = integers(info["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw malformed("\(name) has no valid shape")
            }
            guard let offsets = integers(info["data_offsets"]), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw malformed("\(name) has data_offsets outside the \(dataSize) data bytes")
            }
            var elements = 1
            for extent in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw malformed("\(name) has shape \(shape), too large") }
                elements = product
            }
            let (needed, overflow) = elements.multipliedReportingOverflow(by: type.size)
            guard !overflow, offsets[1] - offsets[0] == needed else {
                throw malformed("\(name) holds \(offsets[1] - offsets[0]) bytes but \(dtypeName) \(shape) needs \(needed)")
            }
            let range = headerEnd + offsets[0]..<headerEnd + offsets[1]
            spans.append((name, offsets[0]..<offsets[1]))
            tensors[name] = ArrayData(type: type, shape: shape, bytes: slice(range))
        }
        // The data must be covered exactly once: overlaps would alias tensors, holes hide bytes.
        spans.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var end = 0
        for span in spans {
            guard span.range.lowerBound >= end else { throw malformed("\(span.name) overlaps another tensor") }
            guard span.range.lowerBound == end else { throw malformed("unused bytes before \(span.name)") }
            end = span.range.upperBound
        }
        guard end == dataSize else { throw malformed("\(dataSize - end) bytes after the last tensor belong to none") }
        return Contents(tensors: tensors, metadata: metadata)
    }

    /// A JSON array of integers, or nil when `value` is anything else.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for item in array {
            guard let integer = item as? Int else { return nil }
            result.append(integer)
        }
        return result
    }

    /// The bytes of a safetensors file holding `tensors` and `metadata`.
    public static func encode(_ tensors: [String: ArrayData], metadata: [String: String] = [:]) throws -> Data {
        var data = try header(tensors, metadata: metadata, path: "<memory>")
        for name in dataOrder(tensors) { data.append(tensors[name]?.bytes ?? Data()) }
        return data
    }

    /// Writes `tensors` and `metadata` to `url` through a temporary file renamed into place, so a
    /// killed run never leaves a half-written file.
    public static func write(_ tensors: [String: ArrayData], metadata: [String: String] = [:], to url: URL) throws {
        let head = try header(tensors, metadata: metadata, path: url.path)
        try AtomicFileWriter.write(to: url) { handle in
            try handle.write(contentsOf: head)
            for name in dataOrder(tensors) {
                if let bytes = tensors[name]?.bytes { try handle.write(contentsOf: bytes) }
            }
        }
    }

    /// The order of the tensors' bytes: widest element type first, then by name, as the reference
    /// writer does, so that every tensor starts at a multiple of its element size.
    private static func dataOrder(_ tensors: [String: ArrayData]) -> [String] {
        tensors.keys.sorted { a, b in
            let (sizeA, sizeB) = (tensors[a]?.type.size ?? 0, tensors[b]?.type.size ?? 0)
            return sizeA != sizeB ? sizeA > sizeB : a < b
        }
    }

    /// The length field plus the JSON header (keys sorted, `__metadata__` first), padded with
    /// spaces to a multiple of 8 bytes so the data that follows is 8-byte aligned.
    private static func header(_ tensors: [String: ArrayData], metadata: [String: String], path: String) throws -> Data {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offsets: [String: Int] = [:]
        var offset = 0
        for name in dataOrder(tensors) {
            offsets[name] = offset
            offset += tensors[name]?.bytes.count ?? 0
        }
        for name in tensors.keys.sorted() {
            guard let array = tensors[name], let start = offsets[name] else { continue }
            if name == "__metadata__" {
                throw WeightFileError.unwritable(path: path, reason: "a tensor cannot be named __metadata__")
            }
            guard let dtype = dtypeNames.first(where: { $0.1 == array.type })?.0 else {
                throw WeightFileError.unwritable(path: path, reason: "\(name) has element type \(array.type)")
            }
            guard array.shape.allSatisfy({ $0 >= 0 }), array.bytes.count == array.count * array.type.size else {
                throw WeightFileError.unwritable(
                    path: path, reason: "\(name) has \(array.bytes.count) bytes but shape \(array.shape) of \(array.type)")
            }
            let shape = array.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(start),\(start + array.bytes.count)]}")
        }
        var json = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        json += Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        var data = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * $0)) })
        data.append(contentsOf: json)
        return data
    }

    /// `text` as a JSON string literal.
    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
