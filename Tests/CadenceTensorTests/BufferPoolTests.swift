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

    @Test func missFreesOldestBuffersSoCachedPlusLiveStaysBounded() {
        let pool = BufferPool()
        let a = pool.allocate(bytes: large), b = pool.allocate(bytes: 2 * large)
        pool.deallocate(a, bytes: large)
        pool.deallocate(b, bytes: 2 * large)
        let before = pool.cachedBytes
        // A third size evicts the oldest (a) and then b: together they cover the request.
        let c = pool.allocate(bytes: 3 * large)
        #expect(pool.cachedBytes == 0)
        pool.deallocate(c, bytes: 3 * large)
        #expect(pool.cachedBytes == BufferPool.sizeClass(3 * large))
        #expect(pool.cachedBytes <= before)
        // Any miss frees cached memory first, here the one buffer of another class.
        let d = pool.allocate(bytes: large + 4096)
        #expect(pool.cachedBytes == 0)
        pool.deallocate(d, bytes: large + 4096)
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
