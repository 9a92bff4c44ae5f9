import ArgumentParser
import EdgeVideo
import EdgeVideoConfig
import Foundation

/// `edge-video check`: validate the configuration without running.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration: exit 0, or 1 with every error on stderr.",
        discussion: "--print writes the effective configuration (defaults filled in, camera_defaults merged, secrets as *** or left out) as JSON to stdout."
    )

    @OptionGroup var options: ConfigOption

    @Flag(name: .customLong("print"), help: "Print the effective configuration as JSON, secrets redacted.")
    var printEffective = false

    func run() throws {
        do {
            let config = try AppConfig.load(path: options.config)
            if printEffective {
                FileHandle.standardOutput.write(config.printed() + Data("\n".utf8))
            } else {
                print("\(options.config): OK, \(config.cameras.count) camera(s)")
            }
        } catch {
            for issue in error.issues {
                FileHandle.standardError.write(Data("\(options.config): \(issue)\n".utf8))
            }
            throw ExitCode(ExitStatus.configInvalid)
        }
    }
}
