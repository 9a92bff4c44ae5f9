import Prometheus

/// Every metric edge-video exposes: its name (units in the name, Prometheus conventions) and help.
/// One table, so a name always carries the same help text (the registry insists on it).
enum MetricNames {
    static let frames = "edge_video_frames_total"
    static let confirmed = "edge_video_frames_confirmed_total"
    static let dropped = "edge_video_frames_dropped_total"
    static let nacked = "edge_video_frames_nacked_total"
    static let returned = "edge_video_frames_returned_total"
    static let rejected = "edge_video_frames_rejected_total"
    static let republished = "edge_video_frames_republished_total"
    static let reconnects = "edge_video_reconnects_total"
    static let restarts = "edge_video_restarts_total"
    static let queuedForEncode = "edge_video_frames_queued_for_encode"
    static let queuedForPublish = "edge_video_frames_queued_for_publish"
    static let inFlight = "edge_video_frames_in_flight"
    static let brokerConnected = "edge_video_broker_connected"
    static let brokerInfo = "edge_video_broker_info"
    static let queueDepth = "edge_video_queue_depth_frames"
    static let lastFrameAge = "edge_video_last_frame_age_seconds"
    static let cameraState = "edge_video_camera_state"
    static let encodeDuration = "edge_video_encode_duration_seconds"
    static let captureToConfirm = "edge_video_capture_to_confirm_seconds"
    static let liveTasks = "edge_video_live_tasks"
    static let spooled = "edge_video_frames_spooled"
    static let recovered = "edge_video_frames_recovered_total"
    static let expired = "edge_video_frames_expired_total"
    static let damaged = "edge_video_frames_damaged_total"
    static let spoolBytes = "edge_video_spool_bytes"
    static let spoolFrames = "edge_video_spool_frames"
    static let spoolHealthy = "edge_video_spool_healthy"
    static let threads = "process_threads"
    static let openFDs = "process_open_fds"
    static let residentMemory = "process_resident_memory_bytes"

    /// Help text by name.
    static let help: [String: String] = [
        frames: "Frames that passed each stage of a camera: decoded, captured (sampled and queued; status frames_captured), encoded (status frames_encoded), published (basic.publish calls, republishing included).",
        confirmed: "Frames the broker confirmed (status confirmed).",
        dropped: "Frames dropped (status dropped_before_encode, dropped_after_encode, spool_dropped): stage before_encode: a full encoder queue or a failed encoding; after_encode: a full publish queue without a spool; spool: over spool.max_bytes (oldest first) or a full disk.",
        spooled: "Encoded frames whose only copy waiting to be published is in the spool on disk (status spooled).",
        recovered: "Frames found in the spool at start, left by an earlier run (status recovered).",
        expired: "Spooled frames older than spool.max_age_s when their turn came (status expired).",
        damaged: "Spooled frames found damaged on disk and skipped (status damaged).",
        spoolBytes: "Bytes the spool takes on disk, every camera.",
        spoolFrames: "Frames in the spool not yet settled, every camera.",
        spoolHealthy: "1 while the spool works (or is off by choice), 0 after a failure (full disk, read-only or vanished directory).",
        nacked: "Frames the broker refused with basic.nack (status nacked).",
        returned: "Mandatory frames the broker returned as unroutable (status returned).",
        rejected: "Frames the broker closed the channel over (poison), given up (status rejected).",
        republished: "Frames published again on a new connection after the previous one ended unconfirmed.",
        reconnects: "Broker connections a camera opened after its first.",
        restarts: "Restarts of a camera's supervision subtree.",
        queuedForEncode: "Captured frames waiting for the encoder or being encoded (status queued_for_encode).",
        queuedForPublish: "Encoded frames not handed to a broker connection yet, republishing included (status queued_for_publish).",
        inFlight: "Frames handed to a broker connection and not yet settled (status in_flight).",
        brokerConnected: "1 while the camera's broker connection is open, else 0 (status broker).",
        brokerInfo: "1, labelled url with the broker (password masked) the camera's open connection goes to; absent while disconnected (status broker_url).",
        queueDepth: "Frames in a camera's queues (capture: for the encoder; encode: for the publisher; pending: kept for republishing).",
        lastFrameAge: "Seconds since the camera last captured a frame (absent before the first).",
        cameraState: "1 for the state the camera's subtree is in, 0 for the others.",
        encodeDuration: "Time to JPEG-encode one frame (scaled beforehand by the capture thread).",
        captureToConfirm: "Time from a frame's capture (captured_at_us) to the broker's confirm of its message.",
        liveTasks: "Tasks started by the supervision tree that have not returned.",
        threads: "Threads of the edge-video process.",
        openFDs: "Open file descriptors of the edge-video process.",
        residentMemory: "Resident set size of the edge-video process.",
    ]

    /// Histogram buckets by name; encodes take milliseconds, confirms up to seconds.
    static let buckets: [String: [Duration]] = [
        encodeDuration: [1, 2, 5, 10, 20, 50, 100, 250, 1000].map { .milliseconds($0) },
        captureToConfirm: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) },
    ]

    /// The registry's descriptor of `name`, with its help text (the full name as given).
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? name)
    }
}
