import CKernelSupport

/// Requests a few input rows' cache lines ahead of use, spread over the work that precedes it.
///
/// A kernel that sweeps output rows registers the input rows its next output row will need first
/// (`add`), then calls `advance(through:)` as it completes outputs along the current row: each call
/// prefetches the rows up to the same fraction of their length. The lines then arrive while the
/// current row computes, a few at a time, instead of all missing at once when the next row starts.
struct InputRowPrefetch {
    private let input: UnsafePointer<Float>
    private let rowFloats: Int
    private let outputs: Int
    private let starts: UnsafeMutablePointer<Int>
    private let capacity: Int
    private var count = 0
    /// Lines (of 16 floats) of each registered row requested so far.
    private var lines = 0

    /// Rows of `rowFloats` floats in `input`, whose prefetch follows progress along `outputs` outputs;
    /// at most `capacity` rows at a time.
    init(input: UnsafePointer<Float>, rowFloats: Int, outputs: Int, capacity: Int) {
        self.input = input
        self.rowFloats = rowFloats
        self.outputs = max(1, outputs)
        self.capacity = capacity
        starts = .allocate(capacity: max(1, capacity))
    }

    func deallocate() { starts.deallocate() }

    /// Forgets the registered rows.
    mutating func reset() {
        count = 0
        lines = 0
    }

    /// Registers the row starting at float `row * rowFloats` of the input.
    mutating func add(row: Int) {
        guard count < capacity else { return }
        starts[count] = row * rowFloats
        count += 1
    }

    /// Prefetches each registered row up to the fraction `done / outputs` of its length.
    @inline(__always)
    mutating func advance(through done: Int) {
        let floats = rowFloats * min(done, outputs) / outputs
        let target = (floats + 15) / 16
        guard count > 0, target > lines else { return }
        for r in 0..<count {
            let row = input + starts[r]
            for line in lines..<target { cadence_prefetch(row + line * 16) }
        }
        lines = target
    }
}
