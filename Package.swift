// swift-tools-version: 6.2
import PackageDescription

/// Targets, bottom to top (dependencies point down only):
///   TriageCore (domain, clinical rules; no I/O)   GemmaEngine (GGUF, tokenizer, model, kernels)   HL7v2 (ER7)
///   TriageStore (PostgreSQL, on TriageCore)
///   TriageService (worker, HTTP API, auth, scorers)
///   edtriage (executable)
let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// MARK: Gemma engine (issue 3)
//
// The engine's numeric code must run optimized even inside the project's single debug
// `swift test`: later flags win over SwiftPM's -Onone / -O0, so these settings apply in
// every configuration. -ffp-contract=off keeps dequantization bit-exact (no fused
// multiply-adds the reference does not do); SIMD paths use per-function target attributes
// with runtime dispatch, so the binary still runs on CPUs without AVX2.
let engineCSettings: [CSetting] = [
    .unsafeFlags(["-O3", "-ffp-contract=off"]),
]
let engineSwiftSettings: [SwiftSetting] = strictSwift + [
    .unsafeFlags(["-Ounchecked"]),
]

let package = Package(
    name: "EDTriage",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edtriage", targets: ["edtriage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.0.0", traits: ["YAML"]),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    ],
    targets: [
        .target(
            name: "CGemmaKernels",
            cSettings: engineCSettings
        ),
        // Debian's libjpeg-turbo, libpng and libwebp (scripts/dev-env.sh installs their -dev packages): no
        // well-kept Swift package decodes all three on Linux, and these are what Debian keeps patched.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("webp")]
        ),
        .target(
            name: "GemmaEngine",
            dependencies: ["CGemmaKernels", "CImageCodecs"],
            swiftSettings: engineSwiftSettings
        ),
        .testTarget(
            name: "GemmaEngineTests",
            dependencies: ["GemmaEngine", "CGemmaKernels", "ComputeThreadTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: engineSwiftSettings
        ),
        // HL7 v2's ER7 encoding: parsing and acknowledgements. No well-kept Swift HL7 v2 library exists; this
        // knows nothing of triage.
        .target(
            name: "HL7v2",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "HL7v2Tests",
            dependencies: ["HL7v2"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "TriageCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TriageCoreTests",
            dependencies: ["TriageCore", "ComputeThreadTesting"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "TriageStore",
            dependencies: [
                "TriageCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        /// A Swift Testing trait that runs synchronous, compute-bound suites off the cooperative pool.
        .target(
            name: "ComputeThreadTesting",
            path: "Tests/ComputeThreadTesting",
            swiftSettings: strictSwift
        ),
        /// Fresh throw-away databases on the PostgreSQL named by EDTRIAGE_TEST_DATABASE_URL, for any test target.
        .target(
            name: "TriageStoreTestSupport",
            dependencies: [
                "TriageStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TriageStoreTestSupport",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TriageStoreTests",
            dependencies: ["TriageStore", "TriageStoreTestSupport"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "TriageService",
            dependencies: [
                "GemmaEngine",
                "HL7v2",
                "TriageCore",
                "TriageStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/board")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TriageWorkerTests",
            dependencies: ["GemmaEngine", "TriageService", "TriageStore", "TriageStoreTestSupport", "ComputeThreadTesting"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TriageServiceTests",
            dependencies: [
                "HL7v2",
                "TriageService",
                "TriageStore",
                "TriageStoreTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "edtriage",
            dependencies: [
                "GemmaEngine",
                "TriageCore",
                "TriageStore",
                "TriageService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "EDTriageCLITests",
            dependencies: ["edtriage", "TriageStore", "TriageStoreTestSupport",
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
    ]
)
