import ArgumentParser

@main
struct EdgeVideoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-video",
        abstract: "Capture frames from IP cameras, JPEG-encode them and publish them to RabbitMQ.",
        version: "0.1.0"
    )

    func run() async throws {
        print(Self.helpMessage())
    }
}
