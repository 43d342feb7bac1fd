import Testing
@testable import CadenceTensor

@Suite struct BufferPoolTests {
    let large = 3 * BufferPool.minimumBytes

    @Test func sizeClassesRoundUpByAtMostAnEighth() {
        #expect(BufferPool.sizeClass(1000) == 1000)
        for bytes in [BufferPool.minimumBytes, BufferPool.minimumBytes + 1, 1_000_003, 37 << 20] {
            let size = BufferPool.sizeClass(bytes)
            #expect(size >= bytes && Double(size) <= Double(bytes) * 1.125)
            #expect(BufferPool.sizeClass(size) == size)
        }
    }

    @Test func releasedBufferIsHandedOutAgain() {
        let pool = BufferPool()
        let first = pool.allocate(bytes: large)
        pool.deallocate(first, bytes: large)
        #expect(pool.cachedBytes == BufferPool.sizeClass(large))
        // A request of nearly the same size shares the class and gets the same memory back.
        let second = pool.allocate(bytes: large - 100)
        #expect(second == first)
        #expect(pool.cachedBytes == 0)
        pool.deallocate(second, bytes: large - 100)
        pool.releaseCached()
        #expect(pool.cachedBytes == 0)
    }

    @Test func smallBuffersAreNotCached() {
        let pool = BufferPool()
        let small = pool.allocate(bytes: 4096)
        pool.deallocate(small, bytes: 4096)
        #expect(pool.cachedBytes == 0)
    }

    @Test func missFreesOldestBuffersSoLivePlusCachedStaysWithinTwiceThePeak() {
        let pool = BufferPool()
        let unit = BufferPool.sizeClass(large)
        let a = pool.allocate(bytes: large), b = pool.allocate(bytes: large)
        pool.deallocate(a, bytes: large)
        pool.deallocate(b, bytes: large)
        // Peak live 2 units, 2 cached: a 2-unit buffer of another class fits beside them (4 = 2 x 2).
        let c = pool.allocate(bytes: 2 * large)
        #expect(pool.cachedBytes == 2 * unit)
        pool.deallocate(c, bytes: 2 * large)
        // A 4-unit buffer (the new peak) leaves room for 4 more; 4 are cached, all kept.
        let d = pool.allocate(bytes: 4 * large)
        #expect(pool.cachedBytes == 4 * unit)
        // Live 4 + cached 4 + a 5-unit buffer (live 9, peak 9) stays within 18: nothing is freed.
        let e = pool.allocate(bytes: 5 * large)
        #expect(pool.cachedBytes == 4 * unit)
        pool.deallocate(d, bytes: 4 * large)
        pool.deallocate(e, bytes: 5 * large)
        #expect(pool.cachedBytes == 13 * unit)
        // Live 0 + cached 13 + 6 units = 19 > 18: the oldest buffer (a, one unit) goes, and that is enough.
        let f = pool.allocate(bytes: 6 * large)
        #expect(pool.cachedBytes == 12 * unit)
        #expect(pool.allocate(bytes: large) == b)
        pool.deallocate(f, bytes: 6 * large)
    }

    @Test func missKeepsTheCacheWhileWithinTheBound() {
        let pool = BufferPool()
        let a = pool.allocate(bytes: large)
        pool.deallocate(a, bytes: large)
        // Live (a smaller buffer) plus cached (a) stays within twice the peak: nothing is freed.
        let b = pool.allocate(bytes: BufferPool.minimumBytes)
        #expect(pool.cachedBytes == BufferPool.sizeClass(large))
        pool.deallocate(b, bytes: BufferPool.minimumBytes)
        // a comes back without a new mapping.
        #expect(pool.allocate(bytes: large) == a)
    }

    @Test func disabledPoolFreesInsteadOfCaching() {
        let pool = BufferPool()
        let kept = pool.allocate(bytes: large)
        pool.deallocate(kept, bytes: large)
        pool.isEnabled = false
        #expect(pool.cachedBytes == 0)
        let p = pool.allocate(bytes: large)
        pool.deallocate(p, bytes: large)
        #expect(pool.cachedBytes == 0)
    }
}
