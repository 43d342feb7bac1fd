import CadenceNN
import CadenceTensor

/// The PySlowFast ResNet family with its state-dict names: Slow-only (`video_model_builder.ResNet`,
/// arch `slow`) and SlowFast (`video_model_builder.SlowFast`). Keys: `s1.pathway{p}_stem.{conv,bn}`,
/// `s{1..4}_fuse.{conv_f2s,bn}`, `s{2..5}.pathway{p}_res{i}.{branch1,branch1_bn,branch2.*}`,
/// `head.projection`. Inputs are one clip per pathway, slow first.
public final class ResNet: Module, VideoModel {
    public let config: ResNetConfig
    let stems: [ResNetStem]
    let fusions: [FastToSlowFusion]
    let stages: [[[Bottleneck]]]
    private(set) var projection: Linear
    let headPoolKernels: [Dims3]
    let dropout: Dropout?
    let head = Module()

    public init(_ config: ResNetConfig, seed: UInt64 = 0) throws {
        guard config.stageDepths.count == 4, config.stageDepths.allSatisfy({ $0 > 0 }) else {
            throw ModelError("ResNet", "stage depths must be four positive counts, got \(config.stageDepths)")
        }
        if let alpha = config.alpha, alpha < 1 || config.frames % alpha != 0 {
            throw ModelError("SlowFast", "frames \(config.frames) must be a multiple of alpha \(alpha)")
        }
        self.config = config
        var generator = TensorRandom(seed: seed)
        let pathways = config.isSlowFast ? 2 : 1
        let kernels = config.temporalKernels
        let width = config.widthPerGroup
        // Fast-pathway widths are the slow ones divided by BETA_INV; fusion adds `2·fast` channels.
        let divisors = config.isSlowFast ? [1, config.betaInv] : [1]
        let fusedExtra = { (slowWidth: Int) -> Int in
            config.isSlowFast ? slowWidth / config.betaInv * config.fusionChannelRatio : 0
        }
        stems = try (0..<pathways).map {
            try ResNetStem(output: width / divisors[$0], temporalKernel: kernels[$0][0], generator: &generator)
        }
        var fusions: [FastToSlowFusion] = []
        var stages: [[[Bottleneck]]] = []
        var inputWidth = width
        for stage in 0..<4 {
            if let alpha = config.alpha {
                fusions.append(try FastToSlowFusion(fastChannels: inputWidth / config.betaInv,
                                                    ratio: config.fusionChannelRatio, kernel: config.fusionKernel,
                                                    alpha: alpha, generator: &generator))
            }
            let output = width * 4 << stage, inner = config.groups * width << stage
            let stride = stage == 0 ? 1 : 2
            stages.append(try (0..<pathways).map { p in
                try (0..<config.stageDepths[stage]).map { i in
                    let input = i > 0 ? output / divisors[p] : inputWidth / divisors[p] + (p == 0 ? fusedExtra(inputWidth) : 0)
                    return try Bottleneck(input: input, inner: inner / divisors[p], output: output / divisors[p],
                                          temporalKernel: kernels[p][stage + 1], stride: i == 0 ? stride : 1,
                                          groups: config.groups, generator: &generator)
                }
            })
            inputWidth = output
        }
        self.fusions = fusions
        self.stages = stages
        let spatial = config.trainCrop / 32
        headPoolKernels = config.pathwayFrames.map { Dims3($0, spatial, spatial) }
        let features = (0..<pathways).map { inputWidth / divisors[$0] }.reduce(0, +)
        projection = Linear(inputFeatures: features, outputFeatures: config.classes, generator: &generator)
        dropout = config.dropoutRate > 0 ? try Dropout(probability: config.dropoutRate) : nil
        super.init()
        let s1 = Module()
        for (p, stem) in stems.enumerated() { s1.registerModule("pathway\(p)_stem", stem) }
        registerModule("s1", s1)
        for (k, stage) in stages.enumerated() {
            if !fusions.isEmpty { registerModule("s\(k + 1)_fuse", fusions[k]) }
            let container = Module()
            for (p, blocks) in stage.enumerated() {
                for (i, block) in blocks.enumerated() { container.registerModule("pathway\(p)_res\(i)", block) }
            }
            registerModule("s\(k + 2)", container)
        }
        if let dropout { head.registerModule("dropout", dropout) }
        head.registerModule("projection", projection)
        registerModule("head", head)
    }

    public var pathwayCount: Int { config.isSlowFast ? 2 : 1 }

    public var layerNames: [String] {
        (1...5).flatMap { k in ["s\(k)"] + (config.isSlowFast && k < 5 ? ["s\(k)_fuse"] : []) }
            + ["head_features", "logits", "output"]
    }

    private var modelName: String { config.isSlowFast ? "SlowFast" : "Slow" }

    public func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor {
        try checkInputs(inputs, pathways: pathwayCount, model: modelName)
        var x = try zip(stems, inputs).map { try $0($1) }
        try observer?("s1", x)
        for (k, stage) in stages.enumerated() {
            if !fusions.isEmpty {
                x = try fusions[k].fuse(x)
                try observer?("s\(k + 1)_fuse", x)
            }
            x = try zip(stage, x).map { blocks, input in try blocks.reduce(input) { try $1($0) } }
            try observer?("s\(k + 2)", x)
        }
        var y = try pooledFeatures(x)
        try observer?("head_features", [y])
        if let dropout { y = try dropout(y) }
        return try classify(projection(y), training: isTraining, observer: observer)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward([x], observer: nil) }

    /// Per-pathway average pools (stride 1) concatenated on channels, slow first.
    private func pooledFeatures(_ x: [Tensor]) throws -> Tensor {
        try Self.pooledFeatures(x, kernels: headPoolKernels)
    }

    static func pooledFeatures(_ x: [Tensor], kernels: [Dims3]) throws -> Tensor {
        let pooled = try zip(x, kernels).map { try avgPool3d($0, kernel: $1, stride: Dims3(all: 1)) }
        return pooled.count == 1 ? pooled[0] : try Tensor.concat(pooled, axis: 4)
    }

    public func folded() throws -> any FoldedVideoModel {
        FoldedResNet(stems: try stems.map { try $0.folded() }, fusions: try fusions.map { try $0.folded() },
                     stages: try stages.map { try $0.map { try $0.map { try $0.folded() } } },
                     headPoolKernels: headPoolKernels, projection: projection, name: modelName)
    }

    public func flopCount(inputShapes: [[Int]]) throws -> Int {
        guard inputShapes.count == pathwayCount, inputShapes.allSatisfy({ $0.count == 5 }) else {
            throw ModelError(modelName, "takes \(pathwayCount) [N, T, H, W, 3] input shape(s), got \(inputShapes)")
        }
        var macs = MACCount()
        var shapes = zip(stems, inputShapes).map { $0.count(&macs, $1) }
        for (k, stage) in stages.enumerated() {
            if !fusions.isEmpty { shapes = fusions[k].count(&macs, shapes) }
            shapes = zip(stage, shapes).map { blocks, shape in blocks.reduce(shape) { $1.count(&macs, $0) } }
        }
        let pooled = zip(shapes, headPoolKernels).map { MACCount.pool($0, kernel: $1, stride: Dims3(all: 1)) }
        var features = pooled[0]
        features[4] = pooled.map { $0[4] }.reduce(0, +)
        _ = macs.linear(projection, features)
        return macs.total
    }

    public func replaceClassifier(classes: Int, generator: inout TensorRandom) {
        projection = Linear(inputFeatures: projection.inputFeatures, outputFeatures: classes, generator: &generator)
        head.registerModule("projection", projection)
    }
}

/// Slow/SlowFast with folded batch norms (see `VideoModel.folded()`).
struct FoldedResNet: FoldedVideoModel {
    let stems: [(Tensor) throws -> Tensor]
    let fusions: [([Tensor]) throws -> [Tensor]]
    let stages: [[[(Tensor) throws -> Tensor]]]
    let headPoolKernels: [Dims3]
    let projection: Linear
    let name: String

    func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor {
        try checkInputs(inputs, pathways: stems.count, model: name)
        return try Tensor.withNoGrad {
            var x = try zip(stems, inputs).map { try $0($1) }
            try observer?("s1", x)
            for (k, stage) in stages.enumerated() {
                if !fusions.isEmpty {
                    x = try fusions[k](x)
                    try observer?("s\(k + 1)_fuse", x)
                }
                x = try zip(stage, x).map { blocks, input in try blocks.reduce(input) { try $1($0) } }
                try observer?("s\(k + 2)", x)
            }
            let y = try ResNet.pooledFeatures(x, kernels: headPoolKernels)
            try observer?("head_features", [y])
            return try classify(projection(y), training: false, observer: observer)
        }
    }
}
