import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation
import Testing

/// The model fixtures' manifest (see Fixtures/README.md) and helpers to compare against them.
struct ModelFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    struct Manifest: Decodable {
        let models: [Entry]
    }

    struct Entry: Decodable {
        let name: String
        let config: Config
        let weights: String
        let weights_keys: String?
        let num_params: Int
        let num_keys: Int
        let inputs: [Input]
        let layers: [Layer]
        let derived: Derived?
    }

    /// The MViT part of `derived` (the X3D and ResNet parts are checked through parameter counts).
    struct Derived: Decodable {
        let patch_dims: [Int]?
        let blocks: [DerivedBlock]?
    }

    struct DerivedBlock: Decodable, Equatable {
        let dim: Int, dim_out: Int, heads: Int
        let kernel_q: [Int], stride_q: [Int], kernel_kv: [Int], stride_kv: [Int], input_size: [Int]
    }

    struct Config: Decodable {
        let MODEL: [String: JSONValue]
        let DATA: [String: JSONValue]
        let X3D: [String: JSONValue]?
        let RESNET: [String: JSONValue]?
        let SLOWFAST: [String: JSONValue]?
        let MVIT: [String: JSONValue]?
    }

    struct Input: Decodable {
        let pathway: String
        let file: String
        let shape: [Int]
    }

    struct Layer: Decodable {
        let layer: String
        let pathway: String?
        let file: String
        let shape: [Int]
        let layout: String
        let tolerance: Double
    }

    /// A JSON scalar or list from the manifest's config sections.
    enum JSONValue: Decodable {
        case number(Double), bool(Bool), string(String), list([JSONValue])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else { self = .list(try c.decode([JSONValue].self)) }
        }

        var double: Double? { if case let .number(n) = self { return n }; return nil }
        var int: Int? { double.map { Int($0) } }
        var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
        var ints: [Int]? { if case let .list(l) = self { return l.compactMap(\.int) }; return nil }
        var list: [JSONValue]? { if case let .list(l) = self { return l }; return nil }
    }

    static let manifest: Manifest? = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }()

    static func entry(_ name: String) throws -> Entry {
        let manifest = try #require(Self.manifest, "Fixtures/manifest.json is missing or unreadable")
        return try #require(manifest.models.first { $0.name == name }, "no fixture model \(name)")
    }

    static func url(_ file: String) -> URL { directory.appendingPathComponent(file) }

    /// An NCTHW `.npy` as a channels-last `N, T, H, W, C` tensor.
    static func channelsLast(_ file: String) throws -> Tensor {
        let array = try NpyFile.read(url(file))
        return try Tensor(shape: array.shape, values: array.floats()).permute([0, 2, 3, 4, 1]).contiguous()
    }

    /// The fixture's expected tensor in the layout Cadence produces (NCTHW files become NTHWC).
    static func expected(_ layer: Layer) throws -> Tensor {
        if layer.layout == "NCTHW" { return try channelsLast(layer.file) }
        let array = try NpyFile.read(url(layer.file))
        return try Tensor(shape: array.shape, values: array.floats())
    }

    /// The manifest's metric: `max|actual - expected| / max|expected|`.
    static func relativeError(_ actual: Tensor, _ expected: Tensor) -> Double {
        let a = actual.contiguous().toArray(), e = expected.contiguous().toArray()
        var diff: Float = 0, scale: Float = 0
        for i in 0..<min(a.count, e.count) {
            diff = max(diff, abs(a[i] - e[i]))
            scale = max(scale, abs(e[i]))
        }
        return Double(diff / max(scale, .leastNormalMagnitude))
    }

    /// X3D config from the manifest's PySlowFast keys.
    static func x3dConfig(_ entry: Entry) throws -> X3DConfig {
        let x = try #require(entry.config.X3D)
        var config = X3DConfig(frames: try #require(entry.config.DATA["NUM_FRAMES"]?.int),
                               trainCrop: try #require(entry.config.DATA["TRAIN_CROP_SIZE"]?.int),
                               depthFactor: try #require(x["DEPTH_FACTOR"]?.double))
        config.classes = try #require(entry.config.MODEL["NUM_CLASSES"]?.int)
        config.widthFactor = try #require(x["WIDTH_FACTOR"]?.double)
        config.bottleneckFactor = try #require(x["BOTTLENECK_FACTOR"]?.double)
        config.dimC1 = try #require(x["DIM_C1"]?.int)
        config.dimC5 = try #require(x["DIM_C5"]?.int)
        config.scaleRes2 = try #require(x["SCALE_RES2"]?.bool)
        config.bnLin5 = try #require(x["BN_LIN5"]?.bool)
        config.channelwise3x3x3 = try #require(x["CHANNELWISE_3x3x3"]?.bool)
        return config
    }

    /// Runs `forward` on the fixture inputs and checks every captured layer against the manifest
    /// tolerance; returns the largest error seen per layer.
    @discardableResult
    static func checkLayers(_ entry: Entry, pathwayOrder: [String],
                            forward: ([Tensor], @escaping LayerObserver) throws -> Tensor) throws -> [String: Double] {
        let inputs = try pathwayOrder.map { pathway in
            try channelsLast(try #require(entry.inputs.first { $0.pathway == pathway }).file)
        }
        var captured: [String: [Tensor]] = [:]
        _ = try forward(inputs) { name, tensors in captured[name] = tensors }
        var errors: [String: Double] = [:]
        for layer in entry.layers {
            let tensors = try #require(captured[layer.layer], "\(entry.name): layer \(layer.layer) not reported")
            let index = layer.pathway == "fast" ? 1 : 0
            let actual = tensors[index]
            let expected = try Self.expected(layer)
            #expect(actual.shape == expected.shape, "\(entry.name) \(layer.layer) shape")
            let error = relativeError(actual, expected)
            #expect(error <= layer.tolerance, "\(entry.name) \(layer.layer) \(layer.pathway ?? ""): error \(error)")
            errors[layer.layer + (layer.pathway.map { "." + $0 } ?? "")] = error
        }
        return errors
    }
}

extension ModelFixtures {
    /// Slow/SlowFast config from the manifest's PySlowFast keys (`STAGE_DEPTHS` replaces the R50 depths).
    static func resNetConfig(_ entry: Entry) throws -> ResNetConfig {
        let r = try #require(entry.config.RESNET)
        var config = ResNetConfig(frames: try #require(entry.config.DATA["NUM_FRAMES"]?.int),
                                  trainCrop: try #require(entry.config.DATA["TRAIN_CROP_SIZE"]?.int),
                                  alpha: entry.config.SLOWFAST?["ALPHA"]?.int)
        config.classes = try #require(entry.config.MODEL["NUM_CLASSES"]?.int)
        config.widthPerGroup = try #require(r["WIDTH_PER_GROUP"]?.int)
        config.groups = try #require(r["NUM_GROUPS"]?.int)
        config.stageDepths = try #require(r["STAGE_DEPTHS"]?.ints)
        if let s = entry.config.SLOWFAST {
            config.betaInv = try #require(s["BETA_INV"]?.int)
            config.fusionChannelRatio = try #require(s["FUSION_CONV_CHANNEL_RATIO"]?.int)
            config.fusionKernel = try #require(s["FUSION_KERNEL_SZ"]?.int)
        }
        return config
    }
}

extension ModelFixtures {
    /// MViT config from the manifest's PySlowFast `MVIT` keys.
    static func mvitConfig(_ entry: Entry) throws -> MViTConfig {
        let m = try #require(entry.config.MVIT)
        var config = MViTConfig(frames: try #require(entry.config.DATA["NUM_FRAMES"]?.int),
                                crop: try #require(entry.config.DATA["TRAIN_CROP_SIZE"]?.int),
                                depth: try #require(m["DEPTH"]?.int))
        func dims(_ v: [Int]) -> Dims3 { Dims3(v[0], v[1], v[2]) }
        func pairs(_ key: String) throws -> [(Int, Double)] {
            try #require(m[key]?.list).map { item in
                let l = try #require(item.list)
                return (try #require(l[0].int), try #require(l[1].double))
            }
        }
        config.classes = try #require(entry.config.MODEL["NUM_CLASSES"]?.int)
        config.heads = try #require(m["NUM_HEADS"]?.int)
        config.embedDim = try #require(m["EMBED_DIM"]?.int)
        config.mlpRatio = try #require(m["MLP_RATIO"]?.double)
        config.qkvBias = try #require(m["QKV_BIAS"]?.bool)
        config.patchKernel = dims(try #require(m["PATCH_KERNEL"]?.ints))
        config.patchStride = dims(try #require(m["PATCH_STRIDE"]?.ints))
        config.patchPadding = dims(try #require(m["PATCH_PADDING"]?.ints))
        config.absolutePositions = try #require(m["USE_ABS_POS"]?.bool)
        #expect(m["SEP_POS_EMBED"]?.bool == config.absolutePositions, "only separate absolute embeddings are built")
        config.dimMul = try pairs("DIM_MUL")
        config.headMul = try pairs("HEAD_MUL")
        config.poolQStride = try #require(m["POOL_Q_STRIDE"]?.list).map { item in
            let l = try #require(item.ints)
            return (l[0], Dims3(l[1], l[2], l[3]))
        }
        config.poolKernel = m["POOL_KVQ_KERNEL"]?.ints.map(dims)
        config.poolKVStrideAdaptive = dims(try #require(m["POOL_KV_STRIDE_ADAPTIVE"]?.ints))
        config.relativePositionsSpatial = m["REL_POS_SPATIAL"]?.bool ?? false
        config.relativePositionsTemporal = m["REL_POS_TEMPORAL"]?.bool ?? false
        config.residualPooling = m["RESIDUAL_POOLING"]?.bool ?? false
        config.dimMulInAttention = m["DIM_MUL_IN_ATT"]?.bool ?? false
        return config
    }
}
