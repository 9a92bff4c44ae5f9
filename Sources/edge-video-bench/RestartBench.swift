import ArgumentParser

/// `edge-video-bench restart`.
struct RestartBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart")

    func run() async throws {
        throw ValidationError("not implemented yet")
    }
}
