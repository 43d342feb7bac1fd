import CadenceNN
import CadenceTensor
import Testing
@testable import CadenceModels

/// PySlowFast's from-scratch initialisation (`init_weights`, zero-init final BN) on a small X3D.
@Suite struct TrainingInitializationTests {
    private static func smallX3D() throws -> X3D {
        var config = X3DConfig(frames: 4, trainCrop: 32, depthFactor: 0.5)
        config.classes = 5
        config.dimC1 = 8
        config.dimC5 = 64
        return try X3D(config, seed: 3)
    }

    private static func standardDeviation(_ values: [Float]) -> Double {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        return variance.squareRoot()
    }

    @Test func convsNormsAndClassifierFollowPySlowFast() throws {
        let model = try Self.smallX3D()
        try TrainingInitialization.apply(to: model, seed: 7)
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })

        // A pointwise conv (fan_out = out channels) and a depthwise 3x3x3 (fan_out = 27 * channels).
        for key in ["s3.pathway0_res0.branch2.a.weight", "s3.pathway0_res0.branch2.b.weight"] {
            let weight = try #require(parameters[key])
            let fanOut = weight.shape[0] * weight.shape[1] * weight.shape[2] * weight.shape[3]
            let expected = (2 / Double(fanOut)).squareRoot()
            let measured = Self.standardDeviation(weight.toArray())
            #expect(abs(measured / expected - 1) < 0.2, "\(key): std \(measured), expected \(expected)")
        }
        // Every block starts as its shortcut; every other norm is the identity.
        var finalNorms = 0
        for (name, tensor) in parameters where name.hasSuffix("_bn.weight") || name.hasSuffix("bn.weight") {
            let expected: Float = name.hasSuffix("branch2.c_bn.weight") ? 0 : 1
            if expected == 0 { finalNorms += 1 }
            #expect(tensor.toArray().allSatisfy { $0 == expected }, "\(name)")
        }
        #expect(finalNorms == model.config.stages.map(\.blocks).reduce(0, +))
        for (name, tensor) in parameters where name.hasSuffix(".bias") {
            #expect(tensor.toArray().allSatisfy { $0 == 0 }, "\(name)")
        }
        let classifier = try #require(parameters["head.projection.weight"])
        #expect(abs(Self.standardDeviation(classifier.toArray()) - 0.01) < 0.002)
    }

    @Test func sameSeedSameWeights() throws {
        let first = try Self.smallX3D(), second = try Self.smallX3D()
        try TrainingInitialization.apply(to: first, seed: 11)
        try TrainingInitialization.apply(to: second, seed: 11)
        for ((name, a), (_, b)) in zip(first.namedParameters(), second.namedParameters()) {
            #expect(a.toArray() == b.toArray(), "\(name)")
        }
    }
}
