import ArgumentParser
import CadenceTensor
import Foundation

/// `cadence-bench ops`: times Cadence's hot kernels on the shapes X3D-M and SlowFast R50 use and prints a
/// markdown table beside PyTorch's times for the same rows, which bench/ops_reference.py measures with the
/// same thread count in turns with Cadence, row by row.
struct OpsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Kernel benchmark: GFLOP/s, fraction of GEMM peak, and speed-up over PyTorch."
    )

    @Option(help: "Threads for Cadence's pool and BLAS.")
    var threads = 1

    @Option(help: ArgumentHelp(
        "A command that times the reference's rows named on its stdin, answering each with a JSON line.",
        discussion: "It first prints {\"ready\": true}, then answers each name with {\"name\", \"min_ms\", \"ms\", "
            + "\"format\"}, as `bench/ops_reference.py --serve` does; give it the same threads."))
    var referenceCommand: String?

    @Option(help: "Turns each side takes per row, alternating; the table shows the best run and the turns' median.")
    var turns = 3

    @Option(help: "Only rows whose name contains this text.")
    var only: String?

    func run() throws {
        Parallel.threadCount = threads
        Gemm.setThreads(threads)
        guard turns >= 1 else { throw ValidationError("--turns must be at least 1") }
        let reference = try referenceCommand.map { try ReferenceServer(command: $0) }
        defer { reference?.finish() }
        // The machine's GEMM peak, measured now: square sgemm through CBLAS with all threads.
        let peakRow = try OpsRows.gemm(1024)
        let peak = peakRow.flops / (peakRow.timings().best * 1e6)
        print("Cadence kernels, \(threads) thread(s); GEMM peak (cblas_sgemm n=1024, best run) measured now: "
              + "\(String(format: "%.0f", peak)) GFLOP/s")
        print("Times: best run / median of \(turns) turns' medians, each turn >= 5 runs; the two sides alternate "
              + "turns row by row (the machine is shared: the best run is the least disturbed).")
        print("")
        print("| op | Cadence ms | GFLOP/s | % of GEMM peak | PyTorch ms (layout) | speed-up (best) | speed-up (median) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        func f(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }
        for row in try OpsRows.all() where only.map({ row.name.contains($0) }) ?? true {
            var own: [(best: Double, median: Double)] = []
            var theirs: [ReferenceServer.Timing] = []
            for _ in 0..<turns {
                if let reference, let timing = try reference.time(row.name) {
                    theirs.append(timing)
                    settle()
                }
                own.append(row.timings())
                settle()
            }
            let best = own.map(\.best).reduce(.infinity, min), median = middle(own.map(\.median))
            let gflops = row.flops / (best * 1e6)
            var line = "| \(row.name) | \(f(best)) / \(f(median)) | \(f(gflops, 1)) | "
            line += String(format: "%.0f%%", 100 * gflops / peak)
            if let fastest = theirs.min(by: { $0.best < $1.best }) {
                let theirMedian = middle(theirs.map(\.median))
                line += " | \(f(fastest.best)) / \(f(theirMedian)) (\(fastest.format))"
                line += " | \(f(fastest.best / best, 2))x | \(f(theirMedian / median, 2))x |"
            } else {
                line += " | – | – | – |"
            }
            print(line)
            fflush(stdout)
        }
    }

    /// A pause between the sides' turns: BLAS and OpenMP workers spin for a while after a parallel
    /// region, and must not take the cores from the other side's next turn.
    private func settle() { Thread.sleep(forTimeInterval: 0.25) }

    private func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

/// One timed operation: `flops` useful floating-point operations per run.
struct OpsRow {
    let name: String
    let flops: Double
    let body: () -> Void

    /// Best and median wall time of `body` in milliseconds: one warm-up, then at least 5 runs and
    /// about 0.3 s.
    func timings() -> (best: Double, median: Double) {
        body()
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while times.count < 5 || (DispatchTime.now().uptimeNanoseconds - start < 300_000_000 && times.count < 200) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        return (times[0], times[times.count / 2])
    }
}

/// The benchmark rows; names match bench/ops_reference.py.
enum OpsRows {
    /// A buffer of random floats in [-1, 1) that lives for the process (benchmarks only). 64-byte
    /// aligned like a tensor's storage: `malloc`'s 16-byte alignment split the stem's 64-byte output
    /// stores over two cache lines and cost it 4-5%, a cost no real run pays.
    static func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        var state: UInt64 = 0x1234_5678
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            p[i] = Float(state >> 40) / 8_388_608.0 - 1
        }
        return p
    }

    static func conv(_ name: String, _ g: Conv3dGeometry) -> [OpsRow] {
        let x = buffer(g.inputCount), w = buffer(g.weightCount), y = buffer(g.outputCount)
        let gy = buffer(g.outputCount), gx = buffer(g.inputCount), gw = buffer(g.weightCount)
        let flops = 2 * Double(g.multiplyAdds)
        return [
            OpsRow(name: name + " fwd", flops: flops) { Conv3d.forward(g, input: x, weights: w, output: y) },
            OpsRow(name: name + " bwd", flops: 2 * flops) {
                Conv3d.backwardData(g, gradOutput: gy, weights: w, gradInput: gx)
                Conv3d.backwardWeights(g, input: x, gradOutput: gy, gradWeights: gw)
            },
        ]
    }

    /// Batch norm counted as 4 flops per element forward (sum, square-sum, scale, shift), 2 in
    /// evaluation, 6 backward; these rows are memory-bound, so the ratio to PyTorch is what matters.
    static func batchNorm(_ name: String, channels c: Int, pixels: Int) -> [OpsRow] {
        let count = c * pixels
        let x = buffer(count), y = buffer(count), gy = buffer(count), gx = buffer(count)
        let gamma = buffer(c), beta = buffer(c), mean = buffer(c), variance = buffer(c)
        let savedMean = buffer(c), invStd = buffer(c), gGamma = buffer(c), gBeta = buffer(c)
        for i in 0..<c { variance[i] = 1; mean[i] = 0 }
        BatchNorm.trainingForward(input: x, rows: pixels, channels: c, gamma: gamma, beta: beta, eps: 1e-5,
                                  momentum: 0.1, runningMean: mean, runningVar: variance, output: y,
                                  savedMean: savedMean, savedInvStd: invStd)
        return [
            OpsRow(name: name + " train fwd", flops: 4 * Double(count)) {
                BatchNorm.trainingForward(input: x, rows: pixels, channels: c, gamma: gamma, beta: beta, eps: 1e-5,
                                          momentum: 0.1, runningMean: mean, runningVar: variance, output: y,
                                          savedMean: savedMean, savedInvStd: invStd)
            },
            OpsRow(name: name + " eval fwd", flops: 2 * Double(count)) {
                BatchNorm.inferenceForward(input: x, rows: pixels, channels: c, gamma: gamma, beta: beta, eps: 1e-5,
                                           runningMean: mean, runningVar: variance, output: y)
            },
            OpsRow(name: name + " bwd", flops: 6 * Double(count)) {
                BatchNorm.backward(input: x, gradOutput: gy, rows: pixels, channels: c, gamma: gamma,
                                   savedMean: savedMean, savedInvStd: invStd, gradInput: gx,
                                   gradGamma: gGamma, gradBeta: gBeta)
            },
        ]
    }

    static func gemm(_ n: Int) throws -> OpsRow {
        let a = buffer(n * n), b = buffer(n * n), c = buffer(n * n)
        return OpsRow(name: "gemm \(n)", flops: 2 * Double(n * n * n)) {
            Gemm.setThreads(Parallel.threadCount)
            Gemm.multiply(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
        }
    }

    static func all() throws -> [OpsRow] {
        func geometry(_ cIn: Int, _ cOut: Int, _ size: Dims3, _ kernel: Dims3, stride: Dims3 = Dims3(all: 1),
                      padding: Dims3 = Dims3(all: 0), groups: Int = 1) throws -> Conv3dGeometry {
            try Conv3dGeometry(batch: 1, input: size, inputChannels: cIn, outputChannels: cOut, kernel: kernel,
                               stride: stride, padding: padding, groups: groups)
        }
        let x3d = Dims3(16, 56, 56)
        var rows: [OpsRow] = []
        rows += conv("pw 24>54 16x56x56", try geometry(24, 54, x3d, Dims3(all: 1)))
        rows += conv("pw 54>24 16x56x56", try geometry(54, 24, x3d, Dims3(all: 1)))
        rows += conv("dw3 C54 16x56x56", try geometry(54, 54, x3d, Dims3(all: 3), padding: Dims3(all: 1), groups: 54))
        rows += conv("dw3 C216 16x14x14",
                     try geometry(216, 216, Dims3(16, 14, 14), Dims3(all: 3), padding: Dims3(all: 1), groups: 216))
        // X3D-M's res5 after its first block: rows too short for the packed bands.
        rows += conv("dw3 C432 16x7x7",
                     try geometry(432, 432, Dims3(16, 7, 7), Dims3(all: 3), padding: Dims3(all: 1), groups: 432))
        // The first block of X3D-M's res2 to res5: stride 2 along H and W.
        for (c, size) in [(54, 112), (108, 56), (216, 28), (432, 14)] {
            rows += conv("dw3s2 C\(c) 16x\(size)x\(size)", try geometry(c, c, Dims3(16, size, size), Dims3(all: 3),
                                                                    stride: Dims3(1, 2, 2), padding: Dims3(all: 1), groups: c))
        }
        // X3D's stem: its temporal depthwise conv, 5 frames, at 112x112.
        rows += conv("dwt5 C24 16x112x112", try geometry(24, 24, Dims3(16, 112, 112), Dims3(5, 1, 1),
                                                         padding: Dims3(2, 0, 0), groups: 24))
        rows += conv("t3 1024>256 8x14x14", try geometry(1024, 256, Dims3(8, 14, 14), Dims3(3, 1, 1), padding: Dims3(1, 0, 0)))
        rows += conv("s3 256>256 8x14x14", try geometry(256, 256, Dims3(8, 14, 14), Dims3(1, 3, 3), padding: Dims3(0, 1, 1)))
        rows += conv("stem 3>64 8x224x224", try geometry(3, 64, Dims3(8, 224, 224), Dims3(1, 7, 7),
                                                        stride: Dims3(1, 2, 2), padding: Dims3(0, 3, 3)))
        rows += batchNorm("bn C54 16x56x56", channels: 54, pixels: x3d.volume)
        rows.append(try gemm(1024))
        return rows
    }
}
