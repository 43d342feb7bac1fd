import Foundation

/// A read-only memory map of a whole file; slices of it are handed out as `Data` without copying.
///
/// Each slice keeps the map alive, so arrays read from a file stay valid after the reader is gone,
/// and the kernel pages in only the bytes that are touched.
final class MappedFile: @unchecked Sendable {
    let path: String
    let count: Int
    private let base: UnsafeMutableRawPointer?

    init(_ url: URL) throws {
        path = url.path
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw WeightFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WeightFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw WeightFileError.unreadable(path: path, reason: "not a regular file")
        }
        count = Int(info.st_size)
        if count == 0 {
            base = nil  // mmap rejects empty lengths; an empty file has no bytes to map
            return
        }
        // MAP_FAILED is (void *)-1; the macro is not imported on every platform.
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw WeightFileError.unreadable(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        base = mapped
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// Bytes `range` of the file, zero-based and sharing the map. The caller checks the bounds.
    func data(_ range: Range<Int>) -> Data {
        guard let base, !range.isEmpty else { return Data() }
        return Data(bytesNoCopy: base + range.lowerBound, count: range.count,
                    deallocator: .custom { [self] _, _ in withExtendedLifetime(self) {} })
    }

    /// Runs `body` over bytes `range` of the file without copying. The caller checks the bounds.
    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let base, !range.isEmpty else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }
}
