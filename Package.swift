// swift-tools-version:6.2
import PackageDescription

/// Our own targets build with warnings as errors when the test script asks for it (CI does).
let strict: [SwiftSetting] =
    Context.environment["EDGE_VIDEO_WARNINGS_AS_ERRORS"] == "1" ? [.treatAllWarnings(as: .error)] : []

let package = Package(
    name: "EdgeVideo",
    platforms: [.macOS(.v15)],
    products: [
        // `edge-video` is the command: the static launcher, which blocks SIGUSR1/SIGHUP and execs
        // the real program, `edge-video-main`, from the same directory (Sources/edge-video-launcher).
        // Whoever spawns `.build/release/edge-video` gets the same protection as the package's
        // /usr/bin/edge-video. `swift build` builds both; `--product edge-video` only the launcher.
        .executable(name: "edge-video", targets: ["edge-video-launcher"]),
        .executable(name: "edge-video-main", targets: ["edge-video"]),
        .executable(name: "edge-video-bench", targets: ["edge-video-bench"]),
        .library(name: "Supervision", targets: ["Supervision"]),
        .library(name: "AMQPPublisher", targets: ["AMQPPublisher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // The one lock type (`Locked`, `Condition`) and the one way to wait on a locked state
        // (`Waiters`); scripts/tsan.sh sets EDGE_VIDEO_TSAN=1 so that ThreadSanitizer builds lock
        // with pthreads, which TSan sees (Sources/Locking/Locked.swift).
        .target(
            name: "Locking",
            dependencies: [.product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: Context.environment["EDGE_VIDEO_TSAN"] == "1" ? [.define("EDGE_VIDEO_TSAN")] : []
        ),

        // Passwords in URLs become *** before text reaches a log, an error or the status.
        .target(name: "SecretRedaction"),
        // One joinable, named OS thread for blocking work; every thread the app starts is one.
        .target(name: "DedicatedThread", dependencies: ["Locking", "Durations", "SystemCalls"]),
        // Duration conversions, the clock readings (monotonic, wall) and `withTimeout`, once for every module.
        .target(name: "Durations"),
        // The operating system, once for every module: the `syscall` helper (retries EINTR, maps -1
        // to `SystemError`), the descriptor owner, the /proc reader, and glibc's malloc tuning through
        // `CSystemCalls`, the headers the Glibc module does not import.
        .target(name: "CSystemCalls"),
        .target(name: "SystemCalls", dependencies: ["CSystemCalls"]),

        // Supervision: a generic Erlang-style supervisor. No camera or AMQP words in it.
        .target(
            name: "Supervision",
            dependencies: ["Locking", "Durations", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "SupervisionTestKit",
            dependencies: ["Supervision", "Locking"]
        ),

        // Broker side: rabbitmq-c binding, then the Swift publisher.
        .target(
            name: "CRabbitMQ",
            linkerSettings: [.linkedLibrary("rabbitmq"), .linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        .target(
            name: "AMQPPublisher",
            dependencies: ["Locking", "CRabbitMQ", "SecretRedaction", "DedicatedThread", "Durations", "SystemCalls", .product(name: "Logging", package: "swift-log")]
        ),

        // Beside the publisher: the bounded on-disk store of encoded frames it replays from.
        .target(name: "Spool", dependencies: ["Locking", "DedicatedThread", "Durations", "SystemCalls"]),

        // Camera side: FFmpeg binding, then capture → sample → scale → encode.
        .target(
            name: "CFFmpeg",
            linkerSettings: [
                // libavdevice is loaded with dlopen, only for a V4L2 camera (CFFmpeg_load_avdevice).
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"),
                .linkedLibrary("swscale"), .linkedLibrary("avutil"),
            ]
        ),
        .target(
            name: "VideoPipeline",
            dependencies: ["Locking", "CFFmpeg", "SecretRedaction", "DedicatedThread", "Durations", .product(name: "Logging", package: "swift-log")]
        ),

        // A small HTTP/1.1 server on POSIX sockets (GET and HEAD, one request per connection) and the
        // numeric socket addresses it listens on. No camera, configuration or fleet words in it.
        .target(
            name: "EdgeVideoHTTP",
            dependencies: ["DedicatedThread", "SystemCalls", .product(name: "Logging", package: "swift-log")]
        ),
        // The configuration file: decoding and checks, secrets, reload diffs, the mapping onto the
        // modules' own settings (`CameraSettings`), and the log settings and line format it drives.
        .target(
            name: "EdgeVideoConfig",
            dependencies: [
                "EdgeVideoHTTP", "Locking", "Supervision", "AMQPPublisher", "VideoPipeline", "SecretRedaction", "Durations", "SystemCalls",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The appliance: camera subtrees, reload, status, signals, systemd, and (its HTTP folder) the
        // HTTP endpoint: metrics, health, status and latest frames.
        .target(
            name: "EdgeVideo",
            dependencies: [
                "EdgeVideoConfig", "EdgeVideoHTTP",
                "Locking", "Supervision", "AMQPPublisher", "VideoPipeline", "Spool", "SecretRedaction", "DedicatedThread", "Durations",
                "SystemCalls",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Catches SIGUSR1/SIGHUP from the first instruction (`.preinit_array`); only the executable links it.
        .target(name: "CStartupSignals"),
        .executableTarget(
            name: "edge-video",
            dependencies: [
                "EdgeVideo", "EdgeVideoConfig", "CStartupSignals", "Durations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Linked by the toolchain's lld with packed relative relocations (DT_RELR, glibc 2.36+):
            // the static Swift runtime's 80,000 relocations shrink from 1.9 MiB, all read at every
            // start, to 35 KiB, and fewer pages are dirtied; 8 cameras measured 2 MiB less PSS
            // (bench/fleet/levers.py, when it was adopted).
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux]))
            ]
        ),
        // The `edge-video` command: blocks SIGUSR1/SIGHUP, then execs the real binary
        // (Sources/edge-video-launcher/main.c). Static, so that no dynamic loader runs before it
        // blocks, and entered at its own first instruction, before glibc's start-up.
        .executableTarget(
            name: "edge-video-launcher",
            linkerSettings: [.unsafeFlags(["-static-executable", "-nostartfiles", "-Xlinker", "-e", "-Xlinker", "edge_video_launcher_entry"], .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "edge-video-bench",
            dependencies: [
                "Locking", "Supervision", "AMQPPublisher", "VideoPipeline", "Durations", "Spool",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // What several test targets share: a scratch RabbitMQ node, rabbitmqctl, freePort, a command
        // runner, a recording log handler, `eventually`. Only test targets depend on it; it is no product.
        .target(
            name: "EdgeVideoTestSupport",
            dependencies: ["DedicatedThread", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),

        .testTarget(name: "LockingTests", dependencies: ["Locking", "Supervision"]),
        .testTarget(name: "SecretRedactionTests", dependencies: ["SecretRedaction"]),
        .testTarget(name: "DedicatedThreadTests", dependencies: ["DedicatedThread", "Locking", "EdgeVideoTestSupport"]),
        .testTarget(name: "DurationsTests", dependencies: ["Durations"]),
        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls"]),
        .testTarget(
            name: "SupervisionTests",
            dependencies: ["Supervision", "SupervisionTestKit", "Locking", "EdgeVideoTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "AMQPPublisherTests",
            dependencies: ["Locking", "AMQPPublisher", "DedicatedThread", "Supervision", "SupervisionTestKit", "EdgeVideoTestSupport"]
        ),
        .testTarget(name: "SpoolTests", dependencies: ["Spool", "Supervision", "Locking", "DedicatedThread"]),
        .testTarget(
            name: "VideoPipelineTests",
            dependencies: ["VideoPipeline", "CFFmpeg", "Durations", "Locking", "Supervision", "EdgeVideoTestSupport"]
        ),
        .testTarget(
            name: "EdgeVideoTests",
            dependencies: ["EdgeVideo", "EdgeVideoConfig", "EdgeVideoHTTP", "SupervisionTestKit", "Supervision", "Durations", "VideoPipeline", "AMQPPublisher", "SecretRedaction", "CFFmpeg", "Locking", "Spool", "EdgeVideoTestSupport"]
        ),
    ]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + strict
}
