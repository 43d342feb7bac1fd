import Foundation

/// The typed bytes of one torch storage: `count` elements at byte `offset` of the memory-mapped file.
struct TensorStorage {
    let file: MappedFile
    let offset: Int
    let count: Int
    let type: ElementType
    /// The storage's name in the archive, `<prefix>/data/<key>`; for errors.
    let key: String

    /// The tensor torch's `_rebuild_tensor_v2` would make: `shape` elements at element `start`,
    /// stepping `strides` elements per index. C-contiguous views share the map; others are gathered.
    func view(start: Int, shape: [Int], strides: [Int]) throws -> ArrayData {
        func malformed(_ reason: String) -> WeightFileError {
            .malformed(path: file.path, reason: "tensor on storage \(key): \(reason)")
        }
        guard shape.count == strides.count else { throw malformed("size \(shape) and stride \(strides) differ in rank") }
        guard start >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw malformed("negative offset, size or stride")
        }
        var elements = 1
        for extent in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw malformed("size \(shape) is too large") }
            elements = product
        }
        if elements == 0 { return ArrayData(type: type, shape: shape, bytes: Data()) }
        var last = start
        for (extent, stride) in zip(shape, strides) {
            let (step, overflow1) = (extent - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflow2) = last.addingReportingOverflow(step)
            guard !overflow1, !overflow2 else { throw malformed("size \(shape) with stride \(strides) is too large") }
            last = sum
        }
        guard last < count else {
            throw malformed("size \(shape), stride \(strides) and offset \(start) reach past its \(count) elements")
        }
        let size = type.size
        var contiguous = true
        var expected = 1
        for axis in shape.indices.reversed() where shape[axis] != 1 {
            if strides[axis] != expected { contiguous = false; break }
            expected *= shape[axis]
        }
        if contiguous {
            let begin = offset + start * size
            return ArrayData(type: type, shape: shape, bytes: file.data(begin..<begin + elements * size))
        }
        // Gather element by element, walking the index like an odometer (last axis fastest).
        var out = Data(count: elements * size)
        file.withBytes(offset..<offset + count * size) { source in
            out.withUnsafeMutableBytes { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                var index = [Int](repeating: 0, count: shape.count)
                var position = start
                for element in 0..<elements {
                    (to + element * size).copyMemory(from: from + position * size, byteCount: size)
                    var axis = shape.count - 1
                    while axis >= 0 {
                        index[axis] += 1
                        position += strides[axis]
                        if index[axis] < shape[axis] { break }
                        position -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return ArrayData(type: type, shape: shape, bytes: out)
    }
}
