import Prometheus

/// Every metric edge-video exposes: its name (units in the name, Prometheus conventions) and help.
/// One table, so a name always carries the same help text (the registry insists on it).
enum MetricNames {
    static let frames = "edge_video_frames_total"
    static let confirmed = "edge_video_frames_confirmed_total"
    static let dropped = "edge_video_frames_dropped_total"
    static let nacked = "edge_video_frames_nacked_total"
    static let returned = "edge_video_frames_returned_total"
    static let republished = "edge_video_frames_republished_total"
    static let reconnects = "edge_video_reconnects_total"
    static let restarts = "edge_video_restarts_total"
    static let inFlight = "edge_video_in_flight_messages"
    static let queueDepth = "edge_video_queue_depth_frames"
    static let lastFrameAge = "edge_video_last_frame_age_seconds"
    static let cameraState = "edge_video_camera_state"
    static let encodeDuration = "edge_video_encode_duration_seconds"
    static let captureToConfirm = "edge_video_capture_to_confirm_seconds"
    static let liveTasks = "edge_video_live_tasks"
    static let threads = "process_threads"
    static let openFDs = "process_open_fds"
    static let residentMemory = "process_resident_memory_bytes"

    /// The states a camera subtree can be in (`edge_video_camera_state` has one series each).
    static let states = ["starting", "running", "restarting", "backing_off", "stopping", "stopped", "failed"]

    /// Help text by name.
    static let help: [String: String] = [
        frames: "Frames that passed each stage of a camera: decoded, captured (sampled and queued), encoded, published.",
        confirmed: "Frames the broker confirmed.",
        dropped: "Frames dropped because the queue after a stage was full (stage capture: capture to encoder; encode: encoder to publisher).",
        nacked: "Frames the broker refused (basic.nack).",
        returned: "Mandatory frames the broker returned as unroutable.",
        republished: "Frames published again on a new connection after the previous one ended unconfirmed.",
        reconnects: "Broker connections a camera opened after its first.",
        restarts: "Restarts of a camera's supervision subtree.",
        inFlight: "Frames published and not yet settled by the broker.",
        queueDepth: "Frames waiting in a camera's queues (capture: for the encoder; encode: for the publisher; pending: kept for republishing).",
        lastFrameAge: "Seconds since the camera last captured a frame (absent before the first).",
        cameraState: "1 for the state the camera's subtree is in, 0 for the others.",
        encodeDuration: "Time to scale and JPEG-encode one frame.",
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
