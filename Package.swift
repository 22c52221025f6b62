// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tandem",
    products: [
        .executable(name: "tandem", targets: ["TandemCommandLine"]),
        // `import Tandem`: train a Keras model from Swift (Examples/TrainTutorial uses it as another package would).
        .library(name: "Tandem", targets: ["Tandem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C libraries, each behind a tiny module map (Debian packages in parentheses).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CTandemXSMM", path: "Sources/CTandemXSMM", providers: [.apt(["libxsmm-dev"])]),
        .systemLibrary(name: "CTandemZlib", path: "Sources/CTandemZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CTandemHDF5", path: "Sources/CTandemHDF5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CTandemImage", path: "Sources/CTandemImage", providers: [.apt(["libpng-dev", "libturbojpeg0-dev", "libgif-dev"])]),
        .systemLibrary(name: "CTandemCrypto", path: "Sources/CTandemCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // The vector loops that gain most from wide registers (Winograd transforms, fixed-point rounding,
        // optimiser updates, ReLU, normalisation passes), compiled for portable, AVX2 and AVX-512 CPUs
        // and chosen when the program loads: one binary for any x86-64, no unsafeFlags.
        .target(name: "CTandemKernels"),

        // The CNN core: layers, model, optimizer. Knows nothing of MPI or files.
        .target(name: "TandemCore", dependencies: ["CBLAS", "CTandemXSMM", "CTandemKernels"]),
        // IDX files, NumPy .npz archives (through ZIPFoundation) and the datasets they hold; folders of pictures; pictures to predict on.
        .target(name: "TandemData", dependencies: ["CTandemZlib", "CTandemImage", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // Communicators (MPI and single-process), the fixed-order allreduce, the fatal path.
        .target(name: "TandemMPI", dependencies: ["CMPI"]),
        // Sampling and sharding, one training step, evaluation, checkpoints, the benchmark; SHA-256 (libcrypto).
        .target(name: "TandemTraining", dependencies: ["TandemCore", "TandemData", "TandemInterchange", "TandemMPI", "CTandemZlib", "CTandemCrypto"]),
        // Files other tools read and write: Keras's .keras and .weights.h5 (libhdf5), safetensors, ONNX
        // (swift-protobuf, with code generated once from onnx.proto).
        .target(name: "TandemInterchange", dependencies: [
            "TandemCore", "TandemData", "CTandemHDF5",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["ONNX/onnx.proto", "ONNX/generate.sh"]),
        // The library's API: a training job configured in Swift, over TandemTraining's session.
        .target(name: "Tandem", dependencies: ["TandemTraining", "TandemInterchange"]),
        // The command line (the `tandem` executable).
        .executableTarget(name: "TandemCommandLine", dependencies: [
            "TandemTraining", "TandemInterchange",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Every parser of untrusted input as a fuzz target: libFuzzer's (Launch/fuzz.sh builds it with
        // -sanitize=fuzzer -D FUZZING), or a replayer of inputs in an ordinary build.
        .executableTarget(name: "tandem-fuzz", dependencies: ["TandemTraining", "TandemInterchange"], path: "Sources/TandemFuzz"),

        .testTarget(name: "TandemCoreTests", dependencies: ["TandemCore", "CTandemKernels"]),
        .testTarget(name: "TandemDataTests", dependencies: ["TandemData", "CTandemZlib", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .testTarget(name: "TandemTrainingTests", dependencies: ["TandemTraining", "TandemInterchange", "CTandemZlib"]),
        .testTarget(name: "TandemInterchangeTests", dependencies: ["TandemInterchange"]),
        // The library's API as a user calls it.
        .testTarget(name: "TandemLibraryTests", dependencies: ["Tandem"]),
        // Runs the real `tandem` binary, alone and under a real `mpirun`.
        .testTarget(name: "TandemIntegrationTests", dependencies: ["TandemTraining"]),
    ]
)
