// swift-tools-version:6.0
import PackageDescription

// An example of Tandem used as a library by another package: it depends on this repository by path,
// as a package of its own would.
let package = Package(
    name: "TrainTutorial",
    dependencies: [.package(name: "Tandem", path: "../..")],
    targets: [
        .executableTarget(name: "TrainTutorial", dependencies: [.product(name: "Tandem", package: "Tandem")]),
    ]
)
