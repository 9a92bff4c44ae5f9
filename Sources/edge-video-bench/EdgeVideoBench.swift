import ArgumentParser

/// Benchmarks that print one JSON line each.
@main
struct EdgeVideoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-video-bench",
        abstract: "edge-video benchmarks; each prints one JSON line.",
        subcommands: [RestartBench.self, PublishBench.self, PipelineBench.self, SpoolAppendBench.self, SpoolRecoverBench.self]
    )
}
