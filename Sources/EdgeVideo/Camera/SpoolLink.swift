import EdgeVideoConfig
import Locking
import SecretRedaction
import Spool

/// The appliance's spool as every camera sees it: the store itself (`nil` when `spool.mode` is
/// `off` or the directory could not be opened), the settings that decide when frames go to it,
/// and where its discards are counted.
///
/// The spool reports a discard (over its budget, expired, damaged) by stream; this routes it to
/// the ledger of that camera. Every stream found at start has its ledger registered before
/// anything is appended, so no discard goes uncounted.
///
/// Thread-safety: `Locked` state; any method from any thread.
final class SpoolLink: Sendable {
    /// The store, or `nil`.
    let spool: Spool?
    /// When frames are written.
    let mode: AppConfig.Spool.Mode
    /// Which frames go first while a backlog drains.
    let replay: AppConfig.Spool.Replay
    private let accounts: Accounts

    /// The ledgers by stream, and what was discarded before a ledger was registered.
    final class Accounts: Sendable {
        private struct State {
            var ledgers: [String: FrameLedger] = [:]
            /// Discards of streams without a ledger, by reason: what the recovery scan found damaged
            /// or had to evict (a smaller budget than before), whose records never reached a ledger.
            var unattributed: [SpoolDiscard: Int] = [:]
            /// The last failure of the spool, redacted, and whether it still holds.
            var problem: String?
        }

        private let state = Locked(State())

        init() {}

        /// Routes one discard report of the spool.
        func discarded(stream: String, reason: SpoolDiscard, count: Int) {
            let ledger: FrameLedger? = state.withLock { s in
                if let ledger = s.ledgers[stream] { return ledger }
                s.unattributed[reason, default: 0] += count
                return nil
            }
            ledger?.spoolDiscarded(count, reason: reason)
        }

        func register(_ ledger: FrameLedger, for stream: String) {
            state.withLock { $0.ledgers[stream] = ledger }
        }

        func failed(_ message: String) {
            state.withLock { $0.problem = message }
        }

        func recovered() {
            state.withLock { s in if s.problem != nil { s.problem = nil } }
        }

        var problem: String? { state.withLock { $0.problem } }
        func unattributed(_ reasons: Set<SpoolDiscard>) -> Int {
            state.withLock { $0.unattributed.filter { reasons.contains($0.key) }.values.reduce(0, +) }
        }
    }

    init(spool: Spool?, settings: AppConfig.Spool, accounts: Accounts, openFailure: String? = nil) {
        self.spool = spool
        mode = spool == nil ? .off : settings.mode
        replay = settings.replay
        self.accounts = accounts
        if let openFailure { accounts.failed(openFailure) }
    }

    /// No spool.
    static let none = SpoolLink(spool: nil, settings: AppConfig.Spool(), accounts: Accounts())

    /// Counts the spool's discards of `stream` in `ledger` from now on.
    func register(_ ledger: FrameLedger, for stream: String) {
        accounts.register(ledger, for: stream)
    }

    /// Runs a spool operation; a failure is remembered (health shows it) and returned as `nil`.
    func attempt<T>(_ operation: (Spool) throws -> T) -> T? {
        guard let spool else { return nil }
        do {
            let result = try operation(spool)
            accounts.recovered()
            return result
        } catch {
            accounts.failed(Redaction.redactingSecrets(in: "\(error)"))
            return nil
        }
    }

    /// What health and status say about the spool: `nil` while it works (or is off by choice).
    var problem: String? { accounts.problem }

    /// Records the recovery scan found damaged, before any camera had them.
    var damagedAtStart: Int { accounts.unattributed([.damaged]) }

    /// Records dropped at start before any camera had them (over a budget smaller than before, or
    /// expired).
    var droppedAtStart: Int { accounts.unattributed([.full, .expired]) }
}
