import CadenceTensor

/// How a spatial window of feature vectors is reduced to one token.
public enum TokenPoolingMode: String, Sendable, CaseIterable {
    case max
    case avg
}

/// SlowFast-style token pooling (SF-LLaVA): turns per-frame feature maps into a slow set (a few frames at
/// full or lightly pooled spatial resolution) followed by a fast set (many frames pooled hard), the layout
/// video LLMs feed to their language model.
///
/// SF-LLaVA's settings are the defaults: 10 slow frames pooled (1, 2) with max, all frames for the fast set
/// pooled to 4x4 with average. On 50 frames of 24x24 maps that gives 10x24x12 + 50x4x4 = 3,680 tokens.
public struct SlowFastTokenPooling: Sendable, Equatable, CustomStringConvertible {
    /// Frames kept for the slow set, chosen by `framesChosen(count:from:)`.
    public var slowFrames: Int
    /// Non-overlapping (rows, columns) window of the slow set's pooling; (1, 1) keeps full resolution.
    /// A remainder that does not fill a window is dropped, as a strided max pool does.
    public var slowPool: (rows: Int, columns: Int)
    /// How the slow windows are reduced.
    public var slowMode: TokenPoolingMode
    /// Frames kept for the fast set; `nil` keeps every frame.
    public var fastFrames: Int?
    /// The (rows, columns) grid each fast frame is adaptively pooled to.
    public var fastGrid: (rows: Int, columns: Int)
    /// How the fast windows are reduced.
    public var fastMode: TokenPoolingMode

    public init(
        slowFrames: Int = 10, slowPool: (rows: Int, columns: Int) = (1, 2), slowMode: TokenPoolingMode = .max,
        fastFrames: Int? = nil, fastGrid: (rows: Int, columns: Int) = (4, 4), fastMode: TokenPoolingMode = .avg
    ) {
        self.slowFrames = slowFrames
        self.slowPool = slowPool
        self.slowMode = slowMode
        self.fastFrames = fastFrames
        self.fastGrid = fastGrid
        self.fastMode = fastMode
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.slowFrames == b.slowFrames && a.slowPool == b.slowPool && a.slowMode == b.slowMode
            && a.fastFrames == b.fastFrames && a.fastGrid == b.fastGrid && a.fastMode == b.fastMode
    }

    /// The settings in one line, e.g. `slowfast slow=10 pool=1x2 max fast=all grid=4x4 avg` (recorded in
    /// extraction manifests).
    public var description: String {
        "slowfast slow=\(slowFrames) pool=\(slowPool.rows)x\(slowPool.columns) \(slowMode) "
            + "fast=\(fastFrames.map(String.init) ?? "all") grid=\(fastGrid.rows)x\(fastGrid.columns) \(fastMode)"
    }

    /// The pooled tokens and where each came from.
    public struct Result {
        /// `[N, C]`: all slow tokens (frame-major, then row, then column), then all fast tokens.
        public let tokens: Tensor
        /// Number of leading rows of `tokens` that belong to the slow set.
        public let slowCount: Int
        /// `[N, 3]` per token: the source frame index (in the input's frames), then the row and column in
        /// the pooled grid of the token's own set (slow grid for slow tokens, fast grid for fast tokens).
        public let indices: [[Int]]
    }

    /// SF-LLaVA's frame rule `floor(linspace(0, total, count + 1))[:-1]`, in integer arithmetic so that no
    /// float rounding moves an index: frame `i` is `i * total / count`. Asking for more frames than there
    /// are keeps every frame.
    public static func framesChosen(count: Int, from total: Int) -> [Int] {
        let n = Swift.min(count, total)
        return (0..<n).map { $0 * total / n }
    }

    /// Pools `features` `[T, H, W, C]` (channels last) into slow then fast tokens.
    public func pool(_ features: Tensor) throws -> Result {
        guard features.rank == 4 else {
            throw ModelError("token pooling", "expects feature maps [T, H, W, C], got shape \(features.shape)")
        }
        let (t, h, w, c) = (features.shape[0], features.shape[1], features.shape[2], features.shape[3])
        guard t > 0, h > 0, w > 0, c > 0 else {
            throw ModelError("token pooling", "empty feature maps \(features.shape)")
        }
        guard slowFrames >= 0, (fastFrames ?? 1) >= 0 else {
            throw ModelError("token pooling", "frame counts must not be negative")
        }
        guard slowPool.rows > 0, slowPool.columns > 0, slowPool.rows <= h, slowPool.columns <= w else {
            throw ModelError("token pooling", "slow pooling \(slowPool.rows)x\(slowPool.columns) does not fit \(h)x\(w) maps")
        }
        guard fastGrid.rows > 0, fastGrid.columns > 0, fastGrid.rows <= h, fastGrid.columns <= w else {
            throw ModelError("token pooling", "fast grid \(fastGrid.rows)x\(fastGrid.columns) does not fit \(h)x\(w) maps")
        }
        let slowIndex = Self.framesChosen(count: slowFrames, from: t)
        let fastIndex = Self.framesChosen(count: fastFrames ?? t, from: t)
        let slowRows = h / slowPool.rows, slowColumns = w / slowPool.columns
        // Each token is a window [r0, r1) x [c0, c1) of one frame.
        var windows: [(frame: Int, row: Int, column: Int, r0: Int, r1: Int, c0: Int, c1: Int, mode: TokenPoolingMode)] = []
        for f in slowIndex {
            for r in 0..<slowRows {
                for col in 0..<slowColumns {
                    windows.append((f, r, col, r * slowPool.rows, (r + 1) * slowPool.rows,
                                    col * slowPool.columns, (col + 1) * slowPool.columns, slowMode))
                }
            }
        }
        let slowCount = windows.count
        for f in fastIndex {
            for r in 0..<fastGrid.rows {
                for col in 0..<fastGrid.columns {
                    // Adaptive pooling bins, as PyTorch's AdaptiveAvgPool2d: [floor(i*H/n), ceil((i+1)*H/n)).
                    windows.append((f, r, col, r * h / fastGrid.rows, ((r + 1) * h + fastGrid.rows - 1) / fastGrid.rows,
                                    col * w / fastGrid.columns,
                                    ((col + 1) * w + fastGrid.columns - 1) / fastGrid.columns, fastMode))
                }
            }
        }
        var out = [Float](repeating: 0, count: windows.count * c)
        let source = features.contiguous()
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (n, win) in windows.enumerated() {
                    let base = n * c
                    let first = ((win.frame * h + win.r0) * w + win.c0) * c
                    for k in 0..<c { dst[base + k] = src[first + k] }
                    for r in win.r0..<win.r1 {
                        for col in win.c0..<win.c1 where !(r == win.r0 && col == win.c0) {
                            let at = ((win.frame * h + r) * w + col) * c
                            switch win.mode {
                            case .max: for k in 0..<c { dst[base + k] = Swift.max(dst[base + k], src[at + k]) }
                            case .avg: for k in 0..<c { dst[base + k] += src[at + k] }
                            }
                        }
                    }
                    if win.mode == .avg {
                        let scale = 1 / Float((win.r1 - win.r0) * (win.c1 - win.c0))
                        for k in 0..<c { dst[base + k] *= scale }
                    }
                }
            }
        }
        return Result(
            tokens: try Tensor(shape: [windows.count, c], values: out),
            slowCount: slowCount,
            indices: windows.map { [$0.frame, $0.row, $0.column] })
    }
}
