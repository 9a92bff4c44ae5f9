import ArgumentParser
import EdgeVideo

/// `edge-video`: the appliance's command line (CONTRACT.md).
@main
struct EdgeVideoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-video",
        abstract: "Capture frames from IP cameras, JPEG-encode them and publish them to RabbitMQ.",
        version: EdgeVideoVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self]
    )
}

/// The `--config PATH` option shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config = "supervision.json"
}
