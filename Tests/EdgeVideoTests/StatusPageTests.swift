import EdgeVideoTestSupport
import Foundation
import Locking
import Logging
import Supervision
import Testing

@testable import EdgeVideo
@testable import EdgeVideoHTTP

/// The status page at `/`: server-rendered and escaped, refreshed by its script, in a real
/// headless browser (Debian's chromium).
@Suite struct StatusPageTests {
    /// Strings a camera id or an error could smuggle markup in with.
    static let hostileID = #"<img src=x onerror="document.title='pwned'">"#
    static let hostileError = #"amqp://u:hunter2@b/ "><script>document.title='pwned'</script><b id="injected">x</b>"#
    /// A broker URL in use with a password and markup in it (the status carries it redacted
    /// already; the page redacts and escapes again).
    static let hostileURL = #"amqp://u:hunter3@b:5672/"><i id="injected3">x</i>"#

    static func hostileSnapshot() -> FleetSnapshot {
        var camera = StaticFleet.delivering(confirmed: 42)
        camera.lastError = hostileError
        camera.brokerURL = hostileURL
        var plain = StaticFleet.delivering(confirmed: 7)
        plain.brokerURL = "amqp://guest:***@127.0.0.1:5673/%2f"
        let tree = SupervisorSnapshot(
            id: "root", kind: .supervisor, strategy: .oneForOne, state: .running,
            children: [SupervisorSnapshot(id: "camera:" + hostileID, kind: .supervisor, state: .running, restarts: 2, lastExit: "</li></ul><h1 id=\"injected2\">x</h1>")])
        return FleetSnapshot(tree: tree, liveTasks: 4, cameras: [hostileID: camera, "plain": plain])
    }

    @Test func everyShownStringIsEscapedAndPasswordsAreMasked() throws {
        let fleet = StaticFleet(Self.hostileSnapshot())
        let response = OperatorHealthTests.routes(fleet).respond(to: OperatorHealthTests.get("/"))
        #expect(response.status == .ok)
        #expect(response.headers.contains { $0.name == "Content-Security-Policy" && $0.value.contains("script-src 'self';") })
        let html = String(decoding: response.body, as: UTF8.self)
        for raw in ["<img src=x", "<script>document", "<b id=", "<h1 id=\"injected2", "<i id=", "hunter2", "hunter3"] {
            #expect(!html.contains(raw), "\(raw) reached the page unescaped")
        }
        #expect(html.contains("&lt;img src=x onerror=&quot;document.title=&#39;pwned&#39;&quot;&gt;"))
        #expect(html.contains("amqp://u:***@b/"))
        #expect(html.contains(#"<td data-key="plain confirmed">7</td>"#))
        // Each camera names the broker it is connected to, redacted and escaped.
        #expect(html.contains(#"to <code class="broker-url">amqp://guest:***@127.0.0.1:5673/%2f</code></h3>"#))
        #expect(html.contains(#"to <code class="broker-url">amqp://u:***@b:5672/&quot;&gt;&lt;i id=&quot;injected3&quot;&gt;x&lt;/i&gt;</code>"#))
        // The broker URLs come from the configuration, redacted.
        #expect(html.contains("amqp://guest:***@127.0.0.1:5672/%2f") && !html.contains("guest:guest"))
        let script = OperatorHealthTests.routes(fleet).respond(to: OperatorHealthTests.get("/page.js"))
        #expect(script.status == .ok && script.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("text/javascript") })
    }

    /// The endpoint's own server (in process) over a tree with hostile ids and errors, read by
    /// chromium with its script on (after a refresh) and off: no markup of theirs becomes an element.
    @Test(.timeLimit(.minutes(2))) func aHostileIdAndErrorStayTextInARealBrowser() async throws {
        let fleet = StaticFleet(Self.hostileSnapshot())
        let routes = OperatorHealthTests.routes(fleet)
        let server = HTTPServer(
            address: try #require(EdgeVideoHTTP.SocketAddress.numeric("127.0.0.1", port: 0)), limits: HTTPLimits(),
            handler: { routes.respond(to: $0) })
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await server.run { listening.yield($0) } }
        defer { serving.cancel() }
        let port = try await first(ports, within: .seconds(10), what: "in-process server listening") { _ in true }
        for javaScript in [true, false] {
            let dom = try await Chromium.dumpDOM("http://127.0.0.1:\(port)/", javaScript: javaScript, budget: .seconds(5))
            #expect(dom.contains("<title>edge-video</title>"), "\(dom.prefix(400))")
            #expect(dom.contains(#"data-key="plain confirmed">7<"#), "the page rendered: \(dom.prefix(400))")
            for element in ["<img src=\"x\"", "<script>document", "<b id=\"injected\"", "<h1 id=\"injected2\"", "<i id=\"injected3\""] {
                #expect(!dom.contains(element), "javaScript \(javaScript): \(element) became an element")
            }
            #expect(dom.contains(#"&lt;img src=x onerror="document.title='pwned'"&gt;"#), "the id shows as text")
            #expect(dom.contains("data-refreshed=") == javaScript, "javaScript \(javaScript): refreshed?")
            #expect(!dom.contains("hunter2") && !dom.contains("hunter3"))
        }
    }
}

extension BinaryTests {
    /// The page of the real binary, with cameras publishing to the real broker, in chromium.
    @Suite struct StatusPageBrowserTests {
        /// `data-key="<camera> <field>">N<` in `dom`.
        static func counter(_ dom: String, _ camera: String, _ field: String) -> Int? {
            guard let range = dom.range(of: #"data-key="\#(camera) \#(field)">[0-9]+<"#, options: .regularExpression) else { return nil }
            return Int(dom[range].split(separator: ">").last!.dropLast())
        }

        @Test(.timeLimit(.minutes(4))) func showsLiveCamerasThumbnailsAndWorksWithoutJavaScript() async throws {
            let h = try ApplianceHarness("page", httpPort: 0)
            try h.writeConfig([
                ApplianceHarness.camera("gate", "testsrc:?size=320x180&rate=10", fps: 5),
                ApplianceHarness.camera("yard.2", "testsrc:?size=320x180&rate=10", fps: 5),
            ])
            let app = try h.start()
            let port = try await HTTPEndpointTests.listeningPort(of: app)
            _ = try await h.waitForStatus("both cameras confirmed frames", app: app) { status in
                ["gate", "yard.2"].allSatisfy { (status.cameras[$0]?.confirmed ?? 0) >= 3 }
            }
            let url = "http://127.0.0.1:\(port)/"

            // With JavaScript: the script refreshed the figures from the live tree and loaded the thumbnails.
            let dom = try await Chromium.dumpDOM(url, budget: .seconds(10))
            #expect(dom.contains("data-refreshed="), "the script refreshed: \(dom.prefix(600))")
            #expect(dom.contains(#"id="refresh-state">live, updated"#))
            for camera in ["gate", "yard.2"] {
                #expect(dom.contains(#"data-camera="\#(camera)""#))
                #expect(Self.counter(dom, camera, "confirmed") ?? 0 > 0 && Self.counter(dom, camera, "frames_captured") ?? 0 > 0)
                #expect(dom.range(of: #"src="/cameras/\#(camera)/latest\.jpg\?t=[0-9]+"[^>]*data-loaded="320x180""#, options: .regularExpression) != nil,
                        "\(camera)'s thumbnail loaded as a 320x180 image")
            }
            #expect(dom.contains("amqp://guest:***@127.0.0.1:") && !dom.contains("guest:guest"))
            #expect(dom.contains(#"<span class="node-id">camera:gate</span>"#), "the tree")
            // The thumbnail's URL serves a JPEG.
            let src = try #require(dom.range(of: #"/cameras/gate/latest\.jpg\?t=[0-9]+"#, options: .regularExpression).map { String(dom[$0]) })
            let jpeg = try await HTTPEndpointTests.probe(port, "get", src)
            #expect(jpeg["status"] as? Int == 200 && (jpeg["head"] as? String)?.hasPrefix("ffd8") == true, "\(jpeg)")

            // A screenshot to look at.
            let shot = RepositoryFiles.path(".build/status-page.png")
            try? FileManager.default.removeItem(atPath: shot)
            try await Chromium.screenshot(url, to: shot)
            let png = try Data(contentsOf: URL(fileURLWithPath: shot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(shot): \(png.count) bytes")

            // Without JavaScript: the server's rendering alone shows the cameras and their counters.
            let plain = try await Chromium.dumpDOM(url, javaScript: false, budget: .seconds(3))
            #expect(!plain.contains("data-refreshed="))
            #expect(plain.contains(#"id="refresh-state">snapshot; reload the page for fresh figures"#))
            for camera in ["gate", "yard.2"] {
                #expect(plain.contains(#"<span class="camera-id">\#(camera)</span>"#))
                #expect(Self.counter(plain, camera, "confirmed") ?? 0 > 0, "\(camera)'s counters without JavaScript")
            }
            #expect(plain.contains(#"<img class="thumb" src="/cameras/gate/latest.jpg""#))
            // Each camera names the broker it is connected to, its password masked.
            #expect(plain.contains(#"to <code class="broker-url">amqp://guest:***@127.0.0.1:5672/\#(h.vhost)</code>"#), "\(plain.prefix(1200))")

            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
        }
    }
}
