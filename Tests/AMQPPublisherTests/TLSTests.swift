@testable import AMQPPublisher
import EdgeVideoTestSupport
import Foundation
import Glibc
import Testing

/// `amqps://` against a real TLS listener with certificates made by the test: a scratch RabbitMQ
/// node that asks for a client certificate, and `openssl s_server` listeners presenting broken
/// certificates. The machine's trust store is never touched.
@Suite("TLS to the broker", .serialized)
struct TLSTests {
    /// A CA, certificates it signed (good, expired, for another host), one signed by an unknown
    /// CA, and a client certificate, in a temporary directory.
    final class Certificates: Sendable {
        let directory = NSTemporaryDirectory() + uniqueName("evtest-pki")

        /// Makes them all with one run of the openssl CLI per file (on a thread of its own, not
        /// the cooperative pool).
        static func make() async throws -> Certificates {
            let pki = Certificates()
            let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
            var script = "set -e; mkdir -p '\(pki.directory)'; cd '\(pki.directory)'\n"
            for ca in ["ca", "unknown-ca"] {
                script += "openssl req -x509 \(key) -days 2 -keyout \(ca).key -out \(ca).pem -subj '/CN=evtest \(ca)' 2>/dev/null\n"
            }
            for (name, host, ca, days) in [
                ("server", "localhost", "ca", 2), ("expired", "localhost", "ca", -1), ("wrong-host", "wrong.example", "ca", 2),
                ("stranger", "localhost", "unknown-ca", 2), ("client", "edge-video-client", "ca", 2),
            ] {
                script += """
                    openssl req -new \(key) -keyout \(name).key -out \(name).csr -subj '/CN=\(host)' 2>/dev/null
                    echo 'subjectAltName=DNS:\(host)' > \(name).ext
                    openssl x509 -req -in \(name).csr -CA \(ca).pem -CAkey \(ca).key -CAcreateserial -days \(days) \
                        -extfile \(name).ext -out \(name).pem 2>/dev/null

                    """
            }
            // RabbitMQ runs as its own user and must read its files.
            script += "chmod 755 . && chmod 644 *\n"
            try await Command.run("bash", ["-c", script])
            return pki
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func path(_ file: String) -> String { directory + "/" + file }
    }

    /// A node whose TLS listener presents `server.pem` and requires a client certificate from `ca`.
    private func withTLSBroker(_ pki: Certificates, _ body: (Int) async throws -> Void) async throws {
        let tlsPort = try freePort()
        try await ScratchNode.with("tls", prepare: { directory in
            let conf = """
                listeners.ssl.default = \(tlsPort)
                ssl_options.cacertfile = \(pki.path("ca.pem"))
                ssl_options.certfile = \(pki.path("server.pem"))
                ssl_options.keyfile = \(pki.path("server.key"))
                ssl_options.verify = verify_peer
                ssl_options.fail_if_no_peer_cert = true

                """
            try Data(conf.utf8).write(to: URL(fileURLWithPath: directory + "/rabbitmq.conf"))
        }) { _ in
            try await body(tlsPort)
        }
    }

    private func configuration(port: Int, tls: AMQPConfiguration.TLS) -> AMQPConfiguration {
        var config = AMQPConfiguration(urls: ["amqps://guest:guest@localhost:\(port)/%2f"], exchange: "evtest.tls")
        config.tls = tls
        config.mandatory = false
        config.connectTimeout = .seconds(5)
        config.handshakeTimeout = .seconds(5)
        config.connectionName = uniqueName("evt-tls")
        return config
    }

    /// Connects, publishes one confirmed message and closes; or the error.
    private func publishOnce(_ config: AMQPConfiguration) async -> Result<Void, any Error> {
        var carried: [OutgoingMessage] = []
        do {
            return try await PublisherConnection.withGeneration(configuration: config, carrying: &carried) { connection in
                let settled = AsyncStream<Settlement>.makeStream()
                try await connection.publish(
                    OutgoingMessage(body: Array("tls".utf8), routingKey: "k", messageID: uniqueName("m")) { settled.continuation.yield($0) })
                var iterator = settled.stream.makeAsyncIterator()
                let settlement = await iterator.next()
                // TLS publishes through rabbitmq-c: its SSL socket cannot take the batch writer's bytes.
                guard connection.counters.batchWritten.load(ordering: .relaxed) == 0, connection.counters.snapshot().published == 1 else {
                    return .failure(CommandFailure(description: "a TLS message went through the plain-TCP batch writer"))
                }
                return settlement?.outcome == .confirmed
                    ? .success(()) : .failure(CommandFailure(description: "settled \(String(describing: settlement))"))
            }
        } catch {
            return .failure(error)
        }
    }

    /// Runs `body` with `SSL_CERT_FILE` / `SSL_CERT_DIR` set, restoring them after. No other test of
    /// this suite runs meanwhile (it is serialized), and no other suite uses the default trust store.
    private func withEnvironment<T>(_ values: [String: String?], _ body: () async throws -> T) async rethrows -> T {
        let saved = values.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
        for (key, value) in values {
            if let value { setenv(key, value, 1) } else { unsetenv(key) }
        }
        defer { for (key, value) in saved { if let value { setenv(key, value, 1) } else { unsetenv(key) } } }
        return try await body()
    }

    @Test(.timeLimit(.minutes(4)))
    func caFileTrustStoreAndMutualTLSAgainstRabbitMQ() async throws {
        let pki = try await Certificates.make()
        let client = AMQPConfiguration.TLS(clientCertificatePath: pki.path("client.pem"), clientKeyPath: pki.path("client.key"))
        try await withTLSBroker(pki) { port in
            // The CA named as ca_file, with a client certificate (the broker requires one).
            var tls = client
            tls.caCertificatePath = pki.path("ca.pem")
            let viaFile = await publishOnce(configuration(port: port, tls: tls))
            #expect(throws: Never.self, "ca_file") { try viaFile.get() }

            // No client certificate: the broker refuses the handshake.
            let anonymous = await publishOnce(configuration(port: port, tls: .init(caCertificatePath: pki.path("ca.pem"))))
            #expect((anonymous.error as? AMQPPublisherError)?.code == .tlsFailed, "\(String(describing: anonymous.error))")

            // ca_file null: the system's trust store, here pointed at our CA through SSL_CERT_FILE.
            let emptyDirectory = pki.path("empty-dir")
            try FileManager.default.createDirectory(atPath: emptyDirectory, withIntermediateDirectories: true)
            let viaStore = await withEnvironment(["SSL_CERT_FILE": pki.path("ca.pem"), "SSL_CERT_DIR": emptyDirectory]) {
                await publishOnce(configuration(port: port, tls: client))
            }
            #expect(throws: Never.self, "SSL_CERT_FILE") { try viaStore.get() }
            // ...and it is that variable that made the difference: a store without our CA refuses.
            let withoutCA = await withEnvironment(["SSL_CERT_FILE": pki.path("unknown-ca.pem"), "SSL_CERT_DIR": emptyDirectory]) {
                await publishOnce(configuration(port: port, tls: client))
            }
            let error = try #require(withoutCA.error as? AMQPPublisherError)
            #expect(error.code == .tlsFailed && error.message.contains("unable to get local issuer certificate"), "\(error)")
        }
    }

    /// An `openssl s_server` presenting `certificate` on a free port, until `body` returns.
    private func withTLSListener(_ pki: Certificates, certificate: String, _ body: (Int) async throws -> Void) async throws {
        let port = try freePort()
        let started = try await Command.run("bash", [
            "-c", "openssl s_server -quiet -accept 127.0.0.1:\(port) -cert '\(pki.path("\(certificate).pem"))' "
                + "-key '\(pki.path("\(certificate).key"))' </dev/null >/dev/null 2>&1 & echo $!",
        ])
        let pid = try #require(pid_t(started.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGTERM) }
        // Wait until it accepts connections: another process's port, which announces nothing.
        try await eventually(within: .seconds(5), "openssl s_server listening on \(port)", poll: .milliseconds(25)) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
        try await body(port)
    }

    @Test(.timeLimit(.minutes(2)), arguments: [
        ("expired", "certificate rejected: certificate has expired"),
        // rabbitmq-c checks the host itself, after the handshake.
        ("wrong-host", "SSL hostname verification failed"),
        ("stranger", "certificate rejected: unable to get local issuer certificate"),
    ])
    func badCertificatesAreRejectedWithTheirReason(certificate: String, reason: String) async throws {
        let pki = try await Certificates.make()
        try await withTLSListener(pki, certificate: certificate) { port in
            var config = configuration(port: port, tls: .init(caCertificatePath: pki.path("ca.pem")))
            config.urls = ["amqps://guest:guest@localhost:\(port)/%2f"]
            var carried: [OutgoingMessage] = []
            do {
                try await PublisherConnection.withGeneration(configuration: config, carrying: &carried) { _ in }
                Issue.record("connected to a server presenting \(certificate)")
            } catch let error as AMQPPublisherError {
                #expect(error.code == .tlsFailed)
                #expect(error.message.contains(reason), "\(error)")
                #expect(!error.message.contains("guest:guest"))
            }
        }
    }
}

extension Result {
    fileprivate var error: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
