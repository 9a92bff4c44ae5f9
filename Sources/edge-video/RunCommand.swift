import ArgumentParser
import CStartupSignals
import EdgeVideo

/// `edge-video run`: the foreground service.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the cameras in the foreground until SIGTERM or SIGINT.",
        discussion: """
            SIGUSR1 writes a status snapshot, SIGHUP (or editing the file) reloads the configuration.
            Exit codes: 0 stopped on request, 1 invalid configuration, 70 the root supervisor gave up, \
            75 a graceful stop timed out.
            """
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        var runner = ApplianceRunner(configPath: options.config)
        runner.onSignalHandlersInstalled = { CStartupSignals_replay() }
        let status = await runner.run()
        if status != 0 { throw ExitCode(status) }
    }
}
