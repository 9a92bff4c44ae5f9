import Durations
import EdgeVideoConfig
import Locking
import Logging
import SecretRedaction
import Spool

extension ApplianceRunner {
    /// Opens the spool in `directory` for the whole of `body` (the recovery scan runs first; the
    /// spool is flushed and closed when `body` returns). A spool that cannot be opened (a
    /// read-only or missing parent, a bad device) does not stop the appliance: `body` runs without
    /// one, frames beyond the publish queue are dropped and counted, and health says why.
    static func withSpoolLink(
        _ settings: AppConfig.Spool, directory: String, logger: Logger, _ body: (SpoolLink) async -> Int32
    ) async -> Int32 {
        let accounts = SpoolLink.Accounts()
        let configuration = SpoolConfiguration(
            directory: directory, maxBytes: settings.maxBytes, syncInterval: .milliseconds(settings.syncIntervalMs),
            maxAge: settings.maxAgeS.map { Duration(secondsSaturating: $0) })
        let status = Locked<Int32?>(nil)
        do {
            try await Spool.withSpool(configuration, onDiscard: { stream, reason, count in
                accounts.discarded(stream: stream, reason: reason, count: count)
            }) { spool in
                let usage = spool.usage
                logger.info("spool open", metadata: [
                    "directory": "\(directory)", "mode": "\(settings.mode.rawValue)", "bytes": "\(usage.bytes)",
                    "frames": "\(usage.records)", "max_bytes": "\(settings.maxBytes)",
                ])
                let result = await body(SpoolLink(spool: spool, settings: settings, accounts: accounts))
                status.withLock { $0 = result }
            }
        } catch {
            let message = Redaction.redactingSecrets(in: "\(error)")
            if let result = status.withLock({ $0 }) {
                logger.error("spool did not close cleanly", metadata: ["error": "\(message)"])
                return result
            }
            logger.error("spool cannot be opened; going on without it (frames beyond the publish queue are dropped)",
                         metadata: ["directory": "\(directory)", "error": "\(message)"])
            return await body(SpoolLink(spool: nil, settings: settings, accounts: accounts, openFailure: message))
        }
        return status.withLock { $0 } ?? ExitStatus.rootGaveUp
    }
}
