// swift-tools-version:6.2
import PackageDescription

/// Our own targets build with warnings as errors when the test script asks for it (CI does).
let strict: [SwiftSetting] =
    Context.environment["EDGE_VIDEO_WARNINGS_AS_ERRORS"] == "1" ? [.treatAllWarnings(as: .error)] : []

let package = Package(
    name: "EdgeVideo",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edge-video", targets: ["edge-video"]),
        .executable(name: "edge-video-bench", targets: ["edge-video-bench"]),
        .library(name: "Supervision", targets: ["Supervision"]),
        .library(name: "SupervisionTestKit", targets: ["SupervisionTestKit"]),
        .library(name: "AMQPPublisher", targets: ["AMQPPublisher"]),
        .library(name: "VideoPipeline", targets: ["VideoPipeline"]),
        .library(name: "EdgeVideo", targets: ["EdgeVideo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The one lock type (`Locked`, `Condition`); scripts/tsan.sh sets EDGE_VIDEO_TSAN=1 so that
        // ThreadSanitizer builds lock with pthreads, which TSan sees (Sources/Locking/Locked.swift).
        .target(
            name: "Locking",
            swiftSettings: Context.environment["EDGE_VIDEO_TSAN"] == "1" ? [.define("EDGE_VIDEO_TSAN")] : []
        ),

        // Passwords in URLs become *** before text reaches a log, an error or the status.
        .target(name: "SecretRedaction"),

        // Supervision: a generic Erlang-style supervisor. No camera or AMQP words in it.
        .target(
            name: "Supervision",
            dependencies: ["Locking", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "SupervisionTestKit",
            dependencies: ["Supervision", "Locking"]
        ),

        // Broker side: rabbitmq-c binding, then the Swift publisher.
        .target(
            name: "CRabbitMQ",
            linkerSettings: [.linkedLibrary("rabbitmq")]
        ),
        .target(
            name: "AMQPPublisher",
            dependencies: ["CRabbitMQ", "SecretRedaction", "Locking", .product(name: "Logging", package: "swift-log")]
        ),

        // Camera side: FFmpeg binding, then capture → sample → scale → encode.
        .target(
            name: "CFFmpeg",
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("avdevice"),
                .linkedLibrary("swscale"), .linkedLibrary("avutil"),
            ]
        ),
        .target(
            name: "VideoPipeline",
            dependencies: ["CFFmpeg", "SecretRedaction", "Locking", .product(name: "Logging", package: "swift-log")]
        ),

        // The appliance: config, camera subtrees, reload, status, signals, systemd.
        .target(
            name: "EdgeVideo",
            dependencies: [
                "Supervision", "AMQPPublisher", "VideoPipeline", "SecretRedaction", "Locking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "edge-video",
            dependencies: [
                "EdgeVideo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "edge-video-bench",
            dependencies: [
                "Supervision", "AMQPPublisher", "VideoPipeline", "Locking",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "LockingTests", dependencies: ["Locking"]),
        .testTarget(name: "SecretRedactionTests", dependencies: ["SecretRedaction"]),
        .testTarget(
            name: "SupervisionTests",
            dependencies: ["Supervision", "SupervisionTestKit", "Locking", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "AMQPPublisherTests",
            dependencies: ["AMQPPublisher", "Supervision", "SupervisionTestKit", "Locking"]
        ),
        .testTarget(name: "VideoPipelineTests", dependencies: ["VideoPipeline", "Locking"]),
        .testTarget(
            name: "EdgeVideoTests",
            dependencies: ["EdgeVideo", "SupervisionTestKit", "Locking"]
        ),
    ]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + strict
}
