import AMQPPublisher
import ArgumentParser
import Durations
import Locking

/// `edge-video-bench publish`: publishes persistent messages with confirms and prints one JSON line.
///
/// The exchange is declared (durable topic); bind a durable queue to it with the routing key first
/// (`bench/publish/run.sh` does). Confirm latency is measured from acceptance by `publish` to the ack.
struct PublishBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish N messages with confirms; print msg/s, MB/s and confirm latency.")

    @Option(help: "Broker URL.") var url = "amqp://guest:guest@127.0.0.1:5672/%2f"
    @Option(help: "Exchange (declared durable topic).") var exchange = "bench.publish"
    @Option(name: .customLong("routing-key"), help: "Routing key.") var routingKey = "bench"
    @Option(help: "Messages to publish.") var count = 2000
    @Option(help: "Body size in bytes.") var size = 100_000
    @Option(help: "In-flight window (messages).") var window = 64

    func validate() throws {
        guard count > 0, size >= 0, window > 0 else { throw ValidationError("count and window must be positive, size non-negative") }
    }

    func run() async throws {
        var config = AMQPConfiguration(urls: [url], exchange: exchange)
        config.windowCount = window
        config.windowBytes = Int.max / 2
        config.mandatory = false
        config.connectionName = "edge-video-bench publish"
        let counters = PublisherCounters()
        let latencies = Locked<[Duration]>([])
        let body = [UInt8](repeating: 0x5A, count: size)
        let record: @Sendable (Settlement) -> Void = { settlement in latencies.withLock { $0.append(settlement.latency) } }
        let clock = ContinuousClock()
        var unsettled: [OutgoingMessage] = []
        let elapsed = try await PublisherConnection.withGeneration(
            configuration: config, counters: counters, carrying: &unsettled
        ) { connection in
            let start = clock.now
            for i in 0..<count {
                try await connection.publish(OutgoingMessage(
                    body: body, routingKey: routingKey, messageID: "bench-\(i)", contentType: "application/octet-stream",
                    onSettled: record))
            }
            _ = await connection.waitUntilSettled(timeout: .seconds(600))
            return start.duration(to: clock.now)
        }
        let counts = counters.snapshot()
        let sorted = latencies.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let d = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            return d.seconds * 1000
        }
        let seconds = elapsed.seconds
        let rate = Double(counts.confirmed) / seconds
        print("""
            {"bench":"publish","impl":"swift","count":\(count),"size":\(size),"window":\(window),\
            "seconds":\(round3(seconds)),"msg_per_s":\(round3(rate)),"mb_per_s":\(round3(rate * Double(size) / 1e6)),\
            "confirm_p50_ms":\(round3(percentile(0.5))),"confirm_p99_ms":\(round3(percentile(0.99))),\
            "confirmed":\(counts.confirmed),"nacked":\(counts.nacked),"unsettled":\(unsettled.count)}
            """)
    }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
