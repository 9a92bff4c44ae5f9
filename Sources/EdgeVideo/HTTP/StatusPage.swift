import EdgeVideoConfig
import SecretRedaction
import Supervision

/// The status page at `/`: the status document rendered as plain HTML on the server, so it reads
/// without JavaScript, plus a small script (``script``, served from the binary at `/page.js`)
/// that refetches `/` every few seconds, swaps in the fresh figures, computes rates from the
/// difference and reloads the thumbnails.
///
/// Every string shown passes through ``escaped(_:)``; the script never builds HTML, it only moves
/// nodes the browser parsed from the server's (escaped) page.
enum StatusPage {
    /// Where the script is served.
    static let scriptPath = "/page.js"

    /// Headers of the page: a content security policy that allows only this endpoint's own
    /// script, images and fetches, so even an unescaped string could not run code.
    static let headers: [(name: String, value: String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'; "
                + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]

    /// The ledger places and counters shown per camera, in this order: (status key, label).
    static let ledger: [(key: String, label: String)] = [
        ("frames_captured", "captured"), ("frames_encoded", "encoded"), ("queued_for_encode", "queued for encode"),
        ("dropped_before_encode", "dropped before encode"), ("queued_for_publish", "queued for publish"),
        ("in_flight", "in flight"), ("confirmed", "confirmed"), ("dropped_after_encode", "dropped after encode"),
        ("nacked", "nacked"), ("returned", "returned"), ("rejected", "rejected"), ("published", "published"),
        ("reconnects", "reconnects"), ("restarts", "restarts"),
    ]

    /// The counters a rate is shown for: (status key, label).
    static let rates: [(key: String, label: String)] = [("frames_captured", "captured/s"), ("confirmed", "confirmed/s")]

    /// `text` safe between tags and inside double-quoted attributes.
    static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// The whole page for `document`.
    ///
    /// - Parameters:
    ///   - brokers: `amqp.urls`; shown redacted.
    ///   - exchange: `amqp.exchange`.
    static func render(_ document: StatusDocument, brokers: [String], exchange: String) -> String {
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>edge-video</title><style>\(style)</style></head>
            <body><header><h1>edge-video</h1><span id="refresh-state">snapshot; reload the page for fresh figures</span></header>

            """
        html += "<main id=\"live\" data-uptime=\"\(document.uptimeS)\">\n"
        html += summary(document)
        html += brokerSection(brokers, exchange: exchange)
        html += cameraSection(document)
        html += "<section id=\"tree\"><h2>Supervision tree</h2><ul class=\"tree\">\(node(document.tree))</ul></section>\n"
        html += errorSection(document)
        html += "</main>\n<script src=\"\(scriptPath)\"></script>\n</body></html>\n"
        return html
    }

    private static func summary(_ document: StatusDocument) -> String {
        let generation = "generation \(document.config.generation)"
        return """
            <section id="summary"><dl>
            <dt>pid</dt><dd>\(document.pid)</dd><dt>version</dt><dd>\(escaped(document.version))</dd>
            <dt>uptime</dt><dd data-key="uptime_s">\(document.uptimeS)</dd><dt>live tasks</dt><dd data-key="live_tasks">\(document.liveTasks)</dd>
            <dt>configuration</dt><dd>\(escaped(document.config.path)), \(generation)</dd>
            </dl></section>

            """
    }

    private static func brokerSection(_ brokers: [String], exchange: String) -> String {
        let items = brokers.map { "<li><code>\(escaped(Redaction.redactingSecrets(in: $0)))</code></li>" }.joined()
        return "<section id=\"broker\"><h2>Broker</h2><p>exchange <code>\(escaped(exchange))</code>, URLs tried in order:</p>"
            + "<ul>\(items)</ul></section>\n"
    }

    private static func cameraSection(_ document: StatusDocument) -> String {
        var html = "<section id=\"cameras\"><h2>Cameras</h2>\n"
        if document.cameras.isEmpty { html += "<p>No cameras configured.</p>\n" }
        for (id, camera) in document.cameras.sorted(by: { $0.key < $1.key }) {
            let shownID = escaped(id)
            let thumbnail = escaped("/cameras/\(ConfigFiles.percentEncoded(id))/latest.jpg")
            let values = counters(camera)
            html += """
                <article class="camera" data-camera="\(shownID)">
                <h3><span class="camera-id">\(shownID)</span> <span class="state state-\(camera.state.rawValue)">\(camera.state.rawValue)</span> \
                broker <span class="broker broker-\(escaped(camera.broker.rawValue))">\(escaped(camera.broker.rawValue))</span>\(brokerInUse(camera))</h3>
                <img class="thumb" src="\(thumbnail)" data-src="\(thumbnail)" alt="latest frame of \(shownID)" width="320" height="180">
                <table class="ledger"><tbody>

                """
            for (key, label) in ledger {
                html += "<tr><th>\(label)</th><td data-key=\"\(shownID) \(key)\">\(values[key] ?? 0)</td></tr>\n"
            }
            for (key, label) in rates {
                // Without JavaScript: the mean since the process started; the script replaces it
                // with the rate between its last two refreshes.
                let mean = document.uptimeS > 0 ? Double(values[key] ?? 0) / document.uptimeS : 0
                html += "<tr class=\"rate\"><th>\(label)</th><td data-rate-of=\"\(shownID) \(key)\">\(format(mean))</td></tr>\n"
            }
            html += "</tbody></table>\n"
            if let error = camera.lastError {
                html += "<p class=\"error\">last error: \(escaped(Redaction.redactingSecrets(in: error)))</p>\n"
            }
            html += "</article>\n"
        }
        return html + "</section>\n"
    }

    /// ` to <code>URL</code>`: which of the configured brokers the camera is connected to, redacted;
    /// empty while it is disconnected.
    private static func brokerInUse(_ camera: CameraStatus) -> String {
        guard let url = camera.brokerURL else { return "" }
        return " to <code class=\"broker-url\">\(escaped(Redaction.redactingSecrets(in: url)))</code>"
    }

    /// A camera's counters by status key.
    private static func counters(_ camera: CameraStatus) -> [String: Int] {
        [
            "frames_captured": camera.framesCaptured, "frames_encoded": camera.framesEncoded,
            "queued_for_encode": camera.queuedForEncode, "dropped_before_encode": camera.droppedBeforeEncode,
            "queued_for_publish": camera.queuedForPublish, "in_flight": camera.inFlight, "confirmed": camera.confirmed,
            "dropped_after_encode": camera.droppedAfterEncode, "nacked": camera.nacked, "returned": camera.returned,
            "rejected": camera.rejected, "published": camera.published, "reconnects": camera.reconnects,
            "restarts": camera.restarts,
        ]
    }

    private static func node(_ node: SupervisorSnapshot) -> String {
        var line = "<li><span class=\"node-id\">\(escaped(node.id))</span> \(escaped(node.kind.rawValue))"
        if let strategy = node.strategy { line += " \(escaped(strategy.rawValue))" }
        line += " <span class=\"state state-\(node.state.rawValue)\">\(node.state.rawValue)</span> restarts \(node.restarts)"
        if node.kind == .supervisor { line += ", live tasks \(node.liveTasks)" }
        if let exit = node.lastExit { line += " <span class=\"error\">last exit: \(escaped(Redaction.redactingSecrets(in: exit)))</span>" }
        if !node.children.isEmpty {
            line += "<ul>" + node.children.map(Self.node).joined() + "</ul>"
        }
        return line + "</li>"
    }

    /// The configuration's last rejected reload, each camera's last error and each node's last exit.
    private static func errorSection(_ document: StatusDocument) -> String {
        var errors: [(String, String)] = []
        if let error = document.config.lastError { errors.append(("configuration", error)) }
        for (id, camera) in document.cameras.sorted(by: { $0.key < $1.key }) {
            if let error = camera.lastError { errors.append(("camera \(id)", error)) }
        }
        document.tree.walk { node, path in
            if let exit = node.lastExit { errors.append((path, exit)) }
        }
        let items = errors.map { "<li><b>\(escaped($0.0))</b>: \(escaped(Redaction.redactingSecrets(in: $0.1)))</li>" }
        return "<section id=\"errors\"><h2>Last errors</h2>"
            + (items.isEmpty ? "<p>None.</p>" : "<ul>\(items.joined())</ul>") + "</section>\n"
    }

    private static func format(_ rate: Double) -> String {
        let tenths = (rate * 10).rounded() / 10
        return tenths.rounded() == tenths ? "\(Int(tenths)).0" : "\(tenths)"
    }
}
