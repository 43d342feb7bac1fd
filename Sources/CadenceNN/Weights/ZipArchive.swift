import Foundation

/// A read-only view of a ZIP archive's entries, found through its central directory.
///
/// Enough of ZIP for `torch.save` and `numpy.savez` files: stored (uncompressed) entries, ZIP64
/// sizes and offsets, no encryption and no multi-disk archives. Entry data stays in the memory map.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let flags: UInt16
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let file: MappedFile
    /// Entries in central-directory order.
    let entries: [Entry]
    /// Entry positions by name; checkpoints hold one entry per storage, often thousands.
    private let positions: [String: Int]

    static let localSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// True when `file` starts like a ZIP archive.
    static func looksLikeZip(_ file: MappedFile) -> Bool {
        file.count >= 4 && [UInt8](file.data(0..<4)) == localSignature
    }

    init(_ file: MappedFile) throws {
        self.file = file
        func malformed(_ reason: String) -> WeightFileError { .malformed(path: file.path, reason: "zip archive: \(reason)") }

        // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
        let tailStart = max(0, file.count - 22 - 65_535)
        let tail = [UInt8](file.data(tailStart..<file.count))
        guard tail.count >= 22,
              let eocd = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
                  tail[$0] == 0x50 && tail[$0 + 1] == 0x4B && tail[$0 + 2] == 0x05 && tail[$0 + 3] == 0x06
              }) else { throw malformed("no end-of-central-directory record") }
        var count = Int(Self.u16(tail, eocd + 10))
        var directorySize = Int(Self.u32(tail, eocd + 12))
        var directoryOffset = Int(Self.u32(tail, eocd + 16))
        guard Self.u16(tail, eocd + 4) == 0 || Self.u16(tail, eocd + 4) == 0xFFFF else {
            throw WeightFileError.unsupported(path: file.path, reason: "multi-disk zip archive")
        }

        // ZIP64: a locator just before the record points to the 64-bit record.
        let locator = eocd - 20
        if locator >= 0, tail[locator] == 0x50, tail[locator + 1] == 0x4B, tail[locator + 2] == 0x06, tail[locator + 3] == 0x07 {
            let recordOffset = Self.u64(tail, locator + 8)
            guard file.count >= 56, recordOffset <= UInt64(file.count - 56) else { throw malformed("ZIP64 record outside the file") }
            let record = [UInt8](file.data(Int(recordOffset)..<Int(recordOffset) + 56))
            guard Self.u32(record, 0) == 0x0606_4B50 else { throw malformed("bad ZIP64 end record") }
            let (entries64, size64, offset64) = (Self.u64(record, 32), Self.u64(record, 40), Self.u64(record, 48))
            guard entries64 < UInt64(Int32.max), size64 <= UInt64(file.count), offset64 <= UInt64(file.count) else {
                throw malformed("ZIP64 end record out of range")
            }
            (count, directorySize, directoryOffset) = (Int(entries64), Int(size64), Int(offset64))
        }
        guard directoryOffset + directorySize <= file.count else { throw malformed("central directory outside the file") }

        let directory = [UInt8](file.data(directoryOffset..<directoryOffset + directorySize))
        var entries: [Entry] = []
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, Self.u32(directory, at) == 0x0201_4B50 else {
                throw malformed("central directory entry \(entries.count) is damaged")
            }
            let nameLength = Int(Self.u16(directory, at + 28))
            let extraLength = Int(Self.u16(directory, at + 30))
            let commentLength = Int(Self.u16(directory, at + 32))
            guard at + 46 + nameLength + extraLength + commentLength <= directory.count else {
                throw malformed("central directory entry \(entries.count) is truncated")
            }
            let name = String(decoding: directory[at + 46..<at + 46 + nameLength], as: UTF8.self)
            var size = UInt64(Self.u32(directory, at + 24))
            var compressed = UInt64(Self.u32(directory, at + 20))
            var offset = UInt64(Self.u32(directory, at + 42))
            // ZIP64 extra field 0x0001 carries, in this order, whichever fields are 0xFFFFFFFF.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = Self.u16(directory, extra)
                let length = Int(Self.u16(directory, extra + 2))
                var field = extra + 4
                if id == 0x0001 {
                    let fieldEnd = min(extraEnd, extra + 4 + length)
                    func next(_ value: UInt64) -> UInt64 {
                        guard value == 0xFFFF_FFFF, field + 8 <= fieldEnd else { return value }
                        defer { field += 8 }
                        return Self.u64(directory, field)
                    }
                    size = next(size)
                    compressed = next(compressed)
                    offset = next(offset)
                }
                extra += 4 + length
            }
            guard size < UInt64(Int.max), compressed <= UInt64(file.count), offset <= UInt64(file.count) else {
                throw malformed("\(name) has sizes or offsets outside the file")
            }
            entries.append(Entry(name: name, method: Self.u16(directory, at + 10), flags: Self.u16(directory, at + 8),
                                 compressedSize: Int(compressed), size: Int(size), localHeaderOffset: Int(offset)))
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
        positions = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func entry(named name: String) -> Entry? {
        positions[name].map { entries[$0] }
    }

    /// The byte range of a stored entry's data in the file.
    func dataRange(of entry: Entry) throws -> Range<Int> {
        let path = file.path
        guard entry.flags & 1 == 0 else {
            throw WeightFileError.unsupported(path: path, reason: "zip entry \(entry.name) is encrypted")
        }
        guard entry.method == 0 else {
            throw WeightFileError.unsupported(
                path: path, reason: "zip entry \(entry.name) is compressed (method \(entry.method)); Cadence reads stored entries, as torch.save and numpy.savez write them")
        }
        guard entry.compressedSize == entry.size else {
            throw WeightFileError.malformed(path: path, reason: "stored zip entry \(entry.name) has two different sizes")
        }
        // Sizes come from the central directory: torch.save leaves the local header's sizes zero.
        let header = entry.localHeaderOffset
        guard header + 30 <= file.count else {
            throw WeightFileError.malformed(path: path, reason: "zip entry \(entry.name) starts outside the file")
        }
        let local = [UInt8](file.data(header..<header + 30))
        guard Self.u32(local, 0) == 0x0403_4B50 else {
            throw WeightFileError.malformed(path: path, reason: "zip entry \(entry.name) has a damaged local header")
        }
        let start = header + 30 + Int(Self.u16(local, 26)) + Int(Self.u16(local, 28))
        guard start <= file.count, file.count - start >= entry.size else {
            throw WeightFileError.malformed(path: path, reason: "zip entry \(entry.name) runs past the end of the file")
        }
        return start..<start + entry.size
    }

    /// A stored entry's bytes, sharing the memory map.
    func data(of entry: Entry) throws -> Data {
        file.data(try dataRange(of: entry))
    }

    static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
    static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
}
