import ArgumentParser

/// `edge-video-bench pipeline`.
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipeline")

    func run() async throws {
        throw ValidationError("not implemented yet")
    }
}
