@testable import AMQPPublisher
import Testing

@Suite("AMQP URLs and redaction")
struct AMQPEndpointTests {
    @Test func parsesEveryPart() throws {
        let e = try AMQPEndpoint(url: "amqps://alice:s3cr%40t@broker.example:5999/prod%2fvideo")
        #expect(e.isTLS)
        #expect(e.user == "alice")
        #expect(e.password == "s3cr@t")
        #expect(e.host == "broker.example")
        #expect(e.port == 5999)
        #expect(e.vhost == "prod/video")
        #expect(!e.description.contains("s3cr"))
        #expect(e.description == "amqps://alice:***@broker.example:5999/prod/video")
    }

    @Test func appliesDefaults() throws {
        let plain = try AMQPEndpoint(url: "amqp://localhost")
        #expect(plain.port == 5672 && plain.vhost == "/" && plain.user == "guest" && !plain.isTLS)
        let tls = try AMQPEndpoint(url: "amqps://localhost/%2f")
        #expect(tls.port == 5671 && tls.vhost == "/")
        let v6 = try AMQPEndpoint(url: "amqp://u:p@[::1]:5673/")
        #expect(v6.host == "::1" && v6.port == 5673)
    }

    @Test(arguments: ["http://h/", "amqp://", "amqp://u:pw@h:0/", "amqp://u:pw@h:99999/", "amqp://u:pw@h:x/", "amqp://u:p%zz@h/"])
    func rejectsBadURLsWithoutThePassword(_ url: String) {
        do {
            _ = try AMQPEndpoint(url: url)
            Issue.record("\(url) parsed")
        } catch let error as AMQPPublisherError {
            #expect(error.code == .invalidURL)
            #expect(!error.description.contains("pw"), "\(error)")
            #expect(!error.description.contains("p%zz"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func configurationListsEveryProblem() {
        var config = AMQPConfiguration(urls: ["amqp://u:hunter2@h/", "ftp://u:hunter2@h/"], exchange: "x")
        config.heartbeat = .seconds(10)
        config.confirmTimeout = .seconds(5)
        config.windowCount = 0
        #expect {
            try config.validate()
        } throws: { error in
            let e = error as! AMQPPublisherError
            return e.code == .invalidURL && e.message.contains("confirm timeout") && e.message.contains("window count")
                && !e.message.contains("hunter2")
        }
        #expect(!"\(config)".contains("hunter2") && !String(reflecting: config).contains("hunter2"))
        config = AMQPConfiguration(urls: ["amqp://h/"], exchange: "x", heartbeat: .seconds(5), confirmTimeout: .seconds(10))
        #expect(throws: Never.self) { try config.validate() }
    }
}
