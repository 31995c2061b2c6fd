// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "helpline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "helpline", targets: ["HelplineCLI"]),
        .library(name: "AGIServer", targets: ["AGIServer"]),
        .library(name: "AMIClient", targets: ["AMIClient"]),
        .library(name: "HelplineApp", targets: ["HelplineApp"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Routing", targets: ["Routing"]),
        .library(name: "HelplineDomain", targets: ["HelplineDomain"]),
        .library(name: "AsteriskFakes", targets: ["AsteriskFakes"]),
        .library(name: "HTTPAPI", targets: ["HTTPAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "AGIServer",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AMIClient",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                "TimeSupport",
            ],
            swiftSettings: strict
        ),
        // Time as the helpline reckons it: durations in seconds and milliseconds, back-off, daily
        // windows of local time. Foundation only; every module may use it.
        .target(name: "TimeSupport", swiftSettings: strict),
        // Reading YAML files with every problem at its line and column (configuration, directory, menus).
        .target(name: "YAMLSupport", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // Ticket values, numbers and their check digit, the lifecycle, routing decisions and their
        // reasons: no persistence, no wire, Foundation only.
        .target(name: "HelplineDomain", swiftSettings: strict),
        .target(
            name: "Routing",
            dependencies: ["HelplineDomain", "TimeSupport", "YAMLSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "Store",
            dependencies: ["HelplineDomain", "TimeSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(
            name: "IVR",
            dependencies: ["AGIServer", "TimeSupport", "YAMLSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // The HTTP API (JSON under /api/v1, health, metrics) over the store, the live state and the directory.
        .target(
            name: "HTTPAPI",
            dependencies: [
                "AGIServer", "AMIClient", "Routing", "Store", "HelplineDomain", "TimeSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The application: configuration, wiring of the services, the actions menus call, outbound, notifications.
        .target(
            name: "HelplineApp",
            dependencies: [
                "AGIServer", "AMIClient", "HelplineDomain", "Routing", "Store", "IVR", "HTTPAPI", "TimeSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "YAMLSupport",
            ],
            swiftSettings: strict
        ),
        // The `helpline` executable (the product keeps that name): serve, call, demo, menus, tickets, db ….
        .executableTarget(
            name: "HelplineCLI",
            dependencies: [
                "HelplineApp", "AsteriskFakes", "HelplineDomain", "Store", "Routing", "IVR", "AMIClient", "HTTPAPI", "TimeSupport", "YAMLSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Asterisk's side, played from the captures' bytes: the FastAGI client (FakeAsterisk, and
        // CallPlayer for `helpline call`) and the AMI server (FakeAMIServer) that the tests, the
        // benchmarks and the CLI share.
        .target(
            name: "AsteriskFakes",
            dependencies: [
                "AGIServer", "AMIClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AGITestSupport",
            dependencies: [
                "AGIServer", "AsteriskFakes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/AGITestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "AGIServerTests",
            dependencies: [
                "AGIServer", "AGITestSupport", "AsteriskFakes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AMIClientTests",
            dependencies: [
                "AMIClient", "AsteriskFakes", "AGITestSupport", "TimeSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "HelplineDomain", "Store", "YAMLSupport", "AGITestSupport", "AsteriskFakes"], swiftSettings: strict),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "HelplineDomain", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // The child process the crash-safety test kills with SIGKILL mid-write.
        .executableTarget(name: "StoreCrashWriter", dependencies: ["Store", "HelplineDomain"], path: "Tests/StoreCrashWriter", swiftSettings: strict),
        .testTarget(name: "IVRTests", dependencies: ["IVR", "YAMLSupport", "AGIServer", "AsteriskFakes"], swiftSettings: strict),
        .testTarget(name: "HelplineTests", dependencies: ["HelplineApp", "HelplineDomain", "TimeSupport", "Store", "HTTPAPI", "IVR", "Routing"], swiftSettings: strict),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI", "HelplineDomain", "Store", "Routing", "AMIClient", "AGIServer", "AGITestSupport", "AsteriskFakes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "AGIServer", "HelplineApp", "HelplineDomain", "Store", "Routing", "IVR", "AGITestSupport", "AMIClient", "AsteriskFakes", "HTTPAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
