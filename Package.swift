// swift-tools-version:6.0
import PackageDescription

import Foundation

// Hot kernels need vector code for the host CPU: swiftc emits SSE2 only by default.
// CI and every developer machine are the same x86-64 kind, so `native` is safe here;
// set CADENCE_TARGET_CPU (for example haswell or znver3) to build for other machines.
let targetCPU = Context.environment["CADENCE_TARGET_CPU"] ?? "native"
// Built for this machine, the kernels' vectors are 16 floats where it has AVX-512 (SIMDAccess.swift).
let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
let wideVectors = targetCPU == "native" && cpuFlags.contains("avx512f") && cpuFlags.contains("avx512vl")
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", targetCPU, "-enforce-exclusivity=unchecked"]),
] + (wideVectors ? [.define("CADENCE_WIDE_VECTORS")] : [])

let package = Package(
    name: "Cadence",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cadence", targets: ["cadence"]),
        .library(name: "CadenceVideo", targets: ["CadenceVideo"]),
        .library(name: "CadenceTensor", targets: ["CadenceTensor"]),
        .library(name: "CadenceNN", targets: ["CadenceNN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"]),
                        .brew(["ffmpeg"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        // Prefetch and non-temporal store instructions, which Swift cannot emit itself, and the
        // depthwise kernel that needs exact control of the 16 vector registers (DepthwisePackedBand.h).
        .target(name: "CKernelSupport"),
        .target(name: "CadenceTensor", dependencies: ["CBLAS", "CKernelSupport"], swiftSettings: kernelFlags),
        .target(name: "CadenceNN", dependencies: ["CadenceTensor"]),
        .target(name: "CadenceVideo", dependencies: ["CFFmpeg", "CadenceTensor"]),
        .target(name: "CadenceModels", dependencies: ["CadenceNN", "CadenceVideo"]),
        .target(name: "CadenceTraining", dependencies: ["CadenceModels"]),
        .executableTarget(
            name: "cadence",
            dependencies: [
                "CadenceTraining", "CadenceVideo", "CadenceNN", "CadenceTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The bundled models (float16 safetensors, see BundledModel.swift and README.md).
            resources: [.copy("Resources/actions-x3d.safetensors"), .copy("Resources/speednet.safetensors")]
        ),
        // Cadence's side of `make bench`; scripts/bench runs the references beside it.
        .executableTarget(
            name: "cadence-bench",
            dependencies: [
                "CadenceTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CadenceBench"
        ),
        .testTarget(name: "CadenceTensorTests", dependencies: ["CadenceTensor", "CadenceTestSupport"], exclude: ["Fixtures", "Kernels/Fixtures"]),
        .testTarget(name: "CadenceNNTests", dependencies: ["CadenceNN"], exclude: ["Fixtures"]),
        // Helpers shared by the test targets (running the cadence and ffmpeg binaries).
        .target(name: "CadenceTestSupport", dependencies: ["CadenceTensor"], path: "Tests/CadenceTestSupport"),
        .testTarget(name: "CadenceVideoTests", dependencies: ["CadenceVideo", "CadenceNN", "CadenceTestSupport"]),
        .testTarget(name: "CadenceModelsTests", dependencies: ["CadenceModels", "CadenceTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CadenceTrainingTests", dependencies: ["CadenceTraining", "CadenceTestSupport"]),
        .testTarget(name: "CadenceCLITests", dependencies: ["CadenceNN", "CadenceModels", "CadenceTestSupport"]),
    ],
    // Kernels hand raw pointers to worker threads; Swift 5 mode keeps those checks as warnings.
    swiftLanguageModes: [.v5]
)
