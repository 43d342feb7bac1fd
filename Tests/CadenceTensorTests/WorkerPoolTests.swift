import Foundation
import Testing
@testable import CadenceTensor

/// The pool behind `Parallel.forEach`: every chunk runs once per job, over thousands of jobs in a row
/// (workers spinning) and after pauses (workers asleep); calls from inside a chunk and from other
/// threads while a job runs complete too, and so do jobs of no chunk, one, or more than the pool takes.
@Suite struct WorkerPoolTests {
    /// Runs `threads` chunks, each adding one to its own slot.
    static func countChunks(_ pool: WorkerPool, _ threads: Int, into counts: UnsafeMutablePointer<Int>) {
        pool.run(threads) { chunk in counts[chunk] += 1 }
    }

    @Test func everyChunkRunsOncePerJob() {
        let pool = WorkerPool.shared
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        counts.initialize(repeating: 0, count: 4)
        defer { counts.deallocate() }
        // Chunk counts change from job to job, so workers sit some jobs out and join the next.
        let chunks = [4, 2, 3, 2]
        var expected = [0, 0, 0, 0]
        for job in 0..<6000 {
            let threads = chunks[job % chunks.count]
            Self.countChunks(pool, threads, into: counts)
            for chunk in 0..<threads { expected[chunk] += 1 }
        }
        #expect((0..<4).map { counts[$0] } == expected)
        // Long enough for the workers to fall asleep: the next job wakes them.
        Thread.sleep(forTimeInterval: Double(WorkerPool.spinNanoseconds) * 3e-9)
        Self.countChunks(pool, 4, into: counts)
        #expect((0..<4).map { counts[$0] } == expected.map { $0 + 1 })
    }

    @Test func nestedAndConcurrentCallsComplete() {
        let total = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        total.initialize(repeating: 0, count: 64)
        defer { total.deallocate() }
        // Four threads at once, each running jobs whose chunks run jobs of their own.
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<200 {
                WorkerPool.shared.run(2) { outer in
                    WorkerPool.shared.run(2) { inner in total[caller * 16 + outer * 2 + inner] += 1 }
                }
            }
        }
        for caller in 0..<4 {
            #expect((0..<4).map { total[caller * 16 + $0] } == [200, 200, 200, 200])
        }
    }

    @Test func noChunksOneChunkAndMoreThanThePoolTakes() {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 300)
        counts.initialize(repeating: 0, count: 300)
        defer { counts.deallocate() }
        WorkerPool.shared.run(0) { chunk in counts[chunk] += 1 }
        WorkerPool.shared.run(1) { chunk in counts[chunk] += 1 }
        WorkerPool.shared.run(300) { chunk in counts[chunk] += 1 }
        #expect(counts[0] == 2)
        #expect((1..<300).allSatisfy { counts[$0] == 1 })
    }
}
