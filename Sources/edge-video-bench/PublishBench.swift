import ArgumentParser

/// `edge-video-bench publish`.
struct PublishBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish")

    func run() async throws {
        throw ValidationError("not implemented yet")
    }
}
