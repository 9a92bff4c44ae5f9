import ArgumentParser
import Durations
import EdgeVideo
import EdgeVideoConfig
import Foundation

/// `edge-video status`: ask the running instance for a fresh status and print it.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the running instance's status: GET /status from its HTTP endpoint when it is on, else SIGUSR1 (pid file, or $MAINPID) and the status file."
    )

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print the status JSON instead of the tree.")
    var json = false

    @Option(help: "Seconds to wait for the instance to answer.")
    var timeout: Double = 5

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be > 0") }
    }

    func run() async throws {
        let config: AppConfig
        do {
            config = try AppConfig.load(path: options.config)
        } catch {
            FileHandle.standardError.write(Data("\(options.config): \(error.summary)\n".utf8))
            throw ExitCode(ExitStatus.configInvalid)
        }
        let client = StatusClient(
            paths: StatusPaths(config: config, configPath: options.config), timeout: Duration(secondsSaturating: timeout))
        do {
            let data: Data
            if let fromHTTP = await client.requestJSONOverHTTP(config.http) {
                data = fromHTTP
            } else {
                data = try await client.requestJSON()
            }
            if json {
                FileHandle.standardOutput.write(data)
            } else {
                let document = try JSONDecoder().decode(StatusDocument.self, from: data)
                print(document.rendered(), terminator: "")
            }
        } catch {
            FileHandle.standardError.write(Data("edge-video status: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
