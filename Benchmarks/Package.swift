// swift-tools-version: 6.1
import PackageDescription

// Benchmarks for the FastAGI server and the AMI client, kept out of the root package so that building or testing
// the product never builds them. Build with `swift build -c release` in this folder.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "helpline-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "helpline", path: "../"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Small system helpers (output, open-file limit) shared by the executables.
        .target(name: "BenchSupport", swiftSettings: strict),
        // A FastAGI server running the fixed 8-command benchmark script at /bench.
        .executableTarget(
            name: "agi-bench-server",
            dependencies: [
                "BenchSupport",
                .product(name: "AGIServer", package: "helpline"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Durable ticket creations per second through the Store's group commit.
        .executableTarget(
            name: "store-bench",
            dependencies: ["BenchSupport", .product(name: "Store", package: "helpline")],
            swiftSettings: strict
        ),
        // Routing decisions per second over a large state's directory.
        .executableTarget(
            name: "routing-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "Routing", package: "helpline"),
                .product(name: "Store", package: "helpline"),
            ],
            swiftSettings: strict
        ),
        // Reads a recorded AMI stream (a capture) and replays it N times to one client, fast.
        .target(name: "AMIBenchSupport", dependencies: ["BenchSupport"], swiftSettings: strict),
        .executableTarget(
            name: "ami-bench-server",
            dependencies: ["BenchSupport", "AMIBenchSupport", .product(name: "AsteriskFakes", package: "helpline")],
            swiftSettings: strict
        ),
        // Logs in to an AMI server and runs every event through AMIFramer and the LiveState reducer.
        .executableTarget(
            name: "ami-bench-client",
            dependencies: [
                "BenchSupport",
                .product(name: "AMIClient", package: "helpline"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Parser and reducer throughput in one process, on one core, from a recorded stream.
        .executableTarget(
            name: "ami-parse-bench",
            dependencies: [
                "BenchSupport", "AMIBenchSupport",
                .product(name: "AMIClient", package: "helpline"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
