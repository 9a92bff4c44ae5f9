import ArgumentParser
import EdgeVideo
import Foundation

/// `edge-video check`: validate the configuration without running.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration: exit 0, or 1 with every error on stderr."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        do {
            let config = try AppConfig.load(path: options.config)
            print("\(options.config): OK, \(config.cameras.count) camera(s)")
        } catch {
            for issue in error.issues {
                FileHandle.standardError.write(Data("\(options.config): \(issue)\n".utf8))
            }
            throw ExitCode(ExitStatus.configInvalid)
        }
    }
}
