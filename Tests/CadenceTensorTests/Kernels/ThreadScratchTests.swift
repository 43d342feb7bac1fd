import Foundation
import Testing
@testable import CadenceTensor

@Suite struct ThreadScratchTests {
    @Test func aThreadGetsTheSameBufferBackWithItsContents() {
        let first = ThreadScratch.floats(1000, slot: 0)
        for i in 0..<1000 { first[i] = Float(i) }
        // A smaller request on the same slot: the same memory, as the last call left it.
        let again = ThreadScratch.floats(600, slot: 0)
        #expect(again == first)
        #expect((0..<600).allSatisfy { again[$0] == Float($0) })
        // Another slot is another buffer.
        let other = ThreadScratch.floats(1000, slot: 1)
        #expect(other != first)
        #expect(abs(first.distance(to: other)) >= 1000)
    }

    @Test func aLargerRequestGetsAlignedRoomForAllOfIt() {
        _ = ThreadScratch.floats(16, slot: 2)
        let count = (1 << 18) + 3
        let buffer = ThreadScratch.floats(count, slot: 2)
        #expect(Int(bitPattern: buffer) % 64 == 0)
        buffer.initialize(repeating: 1, count: count)
        #expect(buffer[count - 1] == 1)
        #expect(ThreadScratch.floats(count, slot: 2) == buffer)
    }

    @Test func eachThreadHasItsOwnBuffers() {
        let mine = ThreadScratch.floats(1000, slot: 0)
        let theirs = Addresses()
        let done = DispatchGroup()
        for _ in 0..<2 {
            done.enter()
            let thread = Thread {
                let buffer = ThreadScratch.floats(1000, slot: 0)
                buffer.initialize(repeating: 2, count: 1000)
                theirs.append(Int(bitPattern: buffer))
                done.leave()
            }
            thread.start()
        }
        done.wait()
        // Both other threads were alive at once only briefly, so compare each with this thread's only.
        #expect(theirs.all.count == 2)
        #expect(theirs.all.allSatisfy { $0 != Int(bitPattern: mine) })
    }

    private final class Addresses: @unchecked Sendable {
        private let lock = NSLock()
        private var addresses: [Int] = []
        func append(_ address: Int) { lock.withLock { addresses.append(address) } }
        var all: [Int] { lock.withLock { addresses } }
    }
}
