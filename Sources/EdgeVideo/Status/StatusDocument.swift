import Foundation
import Supervision

/// The status snapshot written to the status file on SIGUSR1 and printed by `edge-video status`,
/// in the shape docs/operations.md shows ("Status"; the frame ledger in docs/delivery.md).
package struct StatusDocument: Sendable, Equatable, Codable {
    /// Process id of the running instance.
    package var pid: Int32
    /// edge-video version.
    package var version: String
    /// Seconds since the process started.
    package var uptimeS: Double
    /// Tasks started by the supervision tree that have not returned yet (measured).
    package var liveTasks: Int
    /// The configuration in use.
    package var config: ConfigState
    /// The supervision tree (last exits redacted).
    package var tree: SupervisorSnapshot
    /// Per-camera counters, by camera id.
    package var cameras: [String: CameraStatus]
    /// The spool's figures; absent without a spool.
    package var spool: SpoolStatus?

    /// The `config` object.
    package struct ConfigState: Sendable, Equatable, Codable {
        /// Path of the configuration file as given on the command line.
        package var path: String
        /// 1 for the configuration read at start, +1 for every reload that was applied.
        package var generation: Int
        /// Why the last reload was rejected (paths and messages), `null` after a good one.
        package var lastError: String?

        /// Creates the object.
        package init(path: String, generation: Int, lastError: String?) {
            self.path = path
            self.generation = generation
            self.lastError = lastError
        }

        enum CodingKeys: String, CodingKey {
            case path, generation, lastError = "last_error"
        }

        /// Encodes `last_error` as `null` when there is none, as the contract shows.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(path, forKey: .path)
            try container.encode(generation, forKey: .generation)
            try container.encode(lastError, forKey: .lastError)
        }
    }

    /// Creates a document.
    package init(
        pid: Int32, version: String, uptimeS: Double, liveTasks: Int, config: ConfigState, tree: SupervisorSnapshot,
        cameras: [String: CameraStatus], spool: SpoolStatus? = nil
    ) {
        self.pid = pid
        self.version = version
        self.uptimeS = uptimeS
        self.liveTasks = liveTasks
        self.config = config
        self.tree = tree
        self.cameras = cameras
        self.spool = spool
    }

    enum CodingKeys: String, CodingKey {
        case pid, version, config, tree, cameras, spool
        case uptimeS = "uptime_s", liveTasks = "live_tasks"
    }

    /// Pretty, key-sorted JSON followed by a newline.
    package func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }
}

/// Counters and state of one camera in the status document.
///
/// The frame ledger: every frame the camera captured is in exactly one of `queued_for_encode`,
/// `dropped_before_encode` or (once encoded) `queued_for_publish`, `in_flight`, `confirmed`,
/// `dropped_after_encode`, `nacked`, `returned`, `rejected`. All of them are read at one instant,
/// so ``ledgerIdentitiesHold`` is true of every status.
package struct CameraStatus: Sendable, Equatable, Codable {
    /// State of the camera's subtree (same words as tree nodes).
    package var state: SupervisorSnapshot.State
    /// `connected` while a broker connection is open, else `disconnected` (during an outage the
    /// camera goes on capturing; see `last_error`).
    package var broker: Broker
    /// The broker of `amqp.urls` the camera is connected to (tried in order, so not always the
    /// first), redacted (`amqp://user:***@host:port/vhost`); `null` while `broker` is `disconnected`.
    package var brokerURL: String?
    /// Why the broker does not take the camera's frames although it can be reached: `broker
    /// refused: 403 ACCESS_REFUSED - ...` or `N frames returned unroutable: no queue bound to
    /// exchange "X" with key "Y"`; `null` when none (cleared by the next confirmed frame).
    package var brokerProblem: String?
    /// Frames sampled for encoding (not every frame read from the source) and queued for the encoder.
    package var framesCaptured: Int
    /// Frames JPEG-encoded.
    package var framesEncoded: Int
    /// Captured frames waiting for the encoder (or being encoded).
    package var queuedForEncode: Int
    /// Encoded frames not handed to a broker connection: in the publish queue, or handed back
    /// unsettled by a connection that ended, to be republished.
    package var queuedForPublish: Int
    /// Frames handed to a broker connection and not settled yet.
    package var inFlight: Int
    /// Frames confirmed by the broker.
    package var confirmed: Int
    /// Frames dropped before encoding: a full encoder queue (oldest first) or a failed encoding.
    package var droppedBeforeEncode: Int
    /// JPEGs dropped by a full publish queue (oldest first), e.g. during a long broker outage.
    package var droppedAfterEncode: Int
    /// Frames the broker refused (`basic.nack`).
    package var nacked: Int
    /// Frames returned as unroutable (`mandatory`).
    package var returned: Int
    /// Frames the broker closed the channel over (poison, e.g. over `max_message_size`), given up.
    package var rejected: Int
    /// Frames an earlier run left in the spool, found at start (they enter the ledger here).
    package var recovered: Int
    /// Encoded frames whose only copy waiting to be published is in the spool, on disk.
    package var spooled: Int
    /// Frames the spool could not keep: over `spool.max_bytes` (oldest first), or the disk full.
    package var spoolDropped: Int
    /// Spooled frames older than `spool.max_age_s` when their turn came.
    package var expired: Int
    /// Spooled frames found damaged on disk (checksum), skipped.
    package var damaged: Int
    /// `dropped_before_encode + dropped_after_encode + spool_dropped`.
    package var dropped: Int { droppedBeforeEncode + droppedAfterEncode + spoolDropped }
    /// The confirmed frames by `message_id` (`<camera>-<instance>:first-last,…`), only when
    /// `EDGE_VIDEO_LEDGER_TRACE=1` is set (fault tests); absent otherwise.
    package var confirmedIDs: String?
    /// What the containers behind `queued_for_publish` really hold (`pending`: messages handed
    /// back by a connection; `queue`: the publish queue in memory), read beside the ledger, only
    /// with `EDGE_VIDEO_LEDGER_TRACE=1`: at rest the two must agree (fault tests check it).
    package var containers: [String: Int]?
    /// `basic.publish` calls, republished frames included.
    package var published: Int
    /// Broker connections opened after the first.
    package var reconnects: Int
    /// Restarts of the camera subtree (camera faults; a broker outage is not one).
    package var restarts: Int
    /// The last failure, redacted; `null` when none.
    package var lastError: String?

    /// Whether the camera's broker connection is open; the raw value is the document's word.
    package enum Broker: String, Sendable, Codable, CaseIterable {
        /// A broker connection is open and publishing.
        case connected
        /// No broker connection is open.
        case disconnected
    }

    /// Creates a camera status with all counters at zero.
    package init(state: SupervisorSnapshot.State) {
        self.state = state
        broker = .disconnected
        (framesCaptured, framesEncoded, queuedForEncode, queuedForPublish, inFlight, confirmed) = (0, 0, 0, 0, 0, 0)
        (droppedBeforeEncode, droppedAfterEncode, nacked, returned, rejected) = (0, 0, 0, 0, 0)
        (recovered, spooled, spoolDropped, expired, damaged) = (0, 0, 0, 0, 0)
        (published, reconnects, restarts) = (0, 0, 0)
    }

    /// `frames_captured = frames_encoded + dropped_before_encode + queued_for_encode` and
    /// `frames_encoded + recovered = confirmed + in_flight + queued_for_publish + spooled +
    /// dropped_after_encode + spool_dropped + expired + damaged + nacked + returned + rejected`, and
    /// no place below zero.
    package var ledgerIdentitiesHold: Bool {
        let places = [queuedForEncode, queuedForPublish, inFlight, confirmed, droppedBeforeEncode, droppedAfterEncode,
                      nacked, returned, rejected, recovered, spooled, spoolDropped, expired, damaged]
        return places.allSatisfy { $0 >= 0 }
            && framesCaptured == framesEncoded + droppedBeforeEncode + queuedForEncode
            && framesEncoded + recovered
                == confirmed + inFlight + queuedForPublish + spooled + droppedAfterEncode + spoolDropped + expired + damaged
                + nacked + returned + rejected
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case state, broker, confirmed, nacked, returned, rejected, dropped, published, reconnects, restarts
        case framesCaptured = "frames_captured", framesEncoded = "frames_encoded"
        case queuedForEncode = "queued_for_encode", queuedForPublish = "queued_for_publish", inFlight = "in_flight"
        case droppedBeforeEncode = "dropped_before_encode", droppedAfterEncode = "dropped_after_encode"
        case lastError = "last_error", brokerProblem = "broker_problem", brokerURL = "broker_url"
        case recovered, spooled, expired, damaged, spoolDropped = "spool_dropped", confirmedIDs = "confirmed_ids", containers
    }

    /// Decodes a status; `dropped` is not read, it is the sum of its parts.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys) throws -> Int { try container.decode(Int.self, forKey: key) }
        self.init(state: try container.decode(SupervisorSnapshot.State.self, forKey: .state))
        broker = try container.decode(Broker.self, forKey: .broker)
        brokerURL = try container.decodeIfPresent(String.self, forKey: .brokerURL)
        brokerProblem = try container.decodeIfPresent(String.self, forKey: .brokerProblem)
        (framesCaptured, framesEncoded, queuedForEncode) = (try count(.framesCaptured), try count(.framesEncoded), try count(.queuedForEncode))
        (queuedForPublish, inFlight, confirmed) = (try count(.queuedForPublish), try count(.inFlight), try count(.confirmed))
        (droppedBeforeEncode, droppedAfterEncode) = (try count(.droppedBeforeEncode), try count(.droppedAfterEncode))
        (nacked, returned, rejected) = (try count(.nacked), try count(.returned), try count(.rejected))
        (recovered, spooled, spoolDropped) = (try count(.recovered), try count(.spooled), try count(.spoolDropped))
        (expired, damaged) = (try count(.expired), try count(.damaged))
        (published, reconnects, restarts) = (try count(.published), try count(.reconnects), try count(.restarts))
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        confirmedIDs = try container.decodeIfPresent(String.self, forKey: .confirmedIDs)
        containers = try container.decodeIfPresent([String: Int].self, forKey: .containers)
    }

    /// Encodes `last_error`, `broker_url` and `broker_problem` as `null` when there is none, as the
    /// contract shows.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(broker, forKey: .broker)
        try container.encode(brokerURL, forKey: .brokerURL)
        try container.encode(brokerProblem, forKey: .brokerProblem)
        try container.encode(framesCaptured, forKey: .framesCaptured)
        try container.encode(framesEncoded, forKey: .framesEncoded)
        try container.encode(queuedForEncode, forKey: .queuedForEncode)
        try container.encode(queuedForPublish, forKey: .queuedForPublish)
        try container.encode(inFlight, forKey: .inFlight)
        try container.encode(confirmed, forKey: .confirmed)
        try container.encode(droppedBeforeEncode, forKey: .droppedBeforeEncode)
        try container.encode(droppedAfterEncode, forKey: .droppedAfterEncode)
        try container.encode(nacked, forKey: .nacked)
        try container.encode(returned, forKey: .returned)
        try container.encode(rejected, forKey: .rejected)
        try container.encode(recovered, forKey: .recovered)
        try container.encode(spooled, forKey: .spooled)
        try container.encode(spoolDropped, forKey: .spoolDropped)
        try container.encode(expired, forKey: .expired)
        try container.encode(damaged, forKey: .damaged)
        try container.encode(dropped, forKey: .dropped)
        try container.encode(published, forKey: .published)
        try container.encode(reconnects, forKey: .reconnects)
        try container.encode(restarts, forKey: .restarts)
        try container.encode(lastError, forKey: .lastError)
        try container.encodeIfPresent(confirmedIDs, forKey: .confirmedIDs)
        try container.encodeIfPresent(containers, forKey: .containers)
    }
}

/// The spool in the status document (`spool`).
package struct SpoolStatus: Sendable, Equatable, Codable {
    /// `outage`, `always`, or `off` (also when the directory could not be opened).
    package var mode: String
    /// Bytes on disk.
    package var bytes: Int
    /// Frames on disk not yet settled.
    package var records: Int
    /// Frames on disk waiting to be read back (every camera); at rest, the sum of the cameras'
    /// `spooled`.
    package var unread: Int
    /// Records the start-up scan found damaged and skipped.
    package var damagedAtStart: Int
    /// Records dropped at start, before any camera had them: over a `max_bytes` smaller than the
    /// spool found, or older than `max_age_s`.
    package var droppedAtStart: Int
    /// Why the spool last failed (full disk, read-only or vanished directory), redacted; `null`
    /// while it works.
    package var lastError: String?

    /// Creates the object.
    package init(
        mode: String, bytes: Int, records: Int, unread: Int = 0, damagedAtStart: Int, droppedAtStart: Int = 0, lastError: String?
    ) {
        self.mode = mode
        self.bytes = bytes
        self.records = records
        self.unread = unread
        self.damagedAtStart = damagedAtStart
        self.droppedAtStart = droppedAtStart
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case mode, bytes, records, unread, damagedAtStart = "damaged_at_start", droppedAtStart = "dropped_at_start"
        case lastError = "last_error"
    }

    /// Encodes `last_error` as `null` when there is none.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(records, forKey: .records)
        try container.encode(unread, forKey: .unread)
        try container.encode(damagedAtStart, forKey: .damagedAtStart)
        try container.encode(droppedAtStart, forKey: .droppedAtStart)
        try container.encode(lastError, forKey: .lastError)
    }
}
