import ArgumentParser
import CStartupSignals
import EdgeVideo

/// `edge-video`: the appliance's command line (README.md, "Operating it").
@main
struct EdgeVideoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-video",
        abstract: "Capture frames from IP cameras, JPEG-encode them and publish them to RabbitMQ.",
        version: EdgeVideoVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self, ProbeCommand.self]
    )

    /// Runs the command. SIGUSR1 and SIGHUP have been caught since before `main` (see
    /// Sources/CStartupSignals): one sent during startup is re-sent once `run` has its handlers.
    static func main() async {
        precondition(CStartupSignals_installed() != 0, "the SIGUSR1/SIGHUP startup handlers are not installed")
        await main(nil)
    }
}

/// The `--config PATH` option shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config = "supervision.json"
}
