import Foundation
import Prometheus
import Supervision
import Locking

/// Renders `/metrics`: copies the tree's counters and gauges (status snapshot with the frame
/// ledger, stage counters, queues, process figures) into the registry at each scrape, then emits
/// the registry, which also holds the histograms the cameras record as frames pass.
///
/// Counters only go up: a figure that went down (a camera removed and added again starts from
/// zero) resets its counter, which Prometheus reads as a counter reset. Series of cameras that are
/// gone are unregistered. Thread-safe.
final class MetricsExporter: Sendable {
    /// One series to publish this scrape.
    struct Sample {
        enum Kind { case counter, gauge }
        var kind: Kind
        var name: String
        var labels: [(String, String)]
        var value: Double
    }

    private enum Series {
        case counter(Counter, last: Double)
        case gauge(Gauge)
    }

    private let registry: PrometheusCollectorRegistry
    /// Series published by the last scrape, by name and labels.
    private let series = Locked<[String: Series]>([:])

    /// An exporter writing into `registry`.
    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The text exposition (format 0.0.4) after copying in `samples`.
    func render(_ samples: [Sample]) -> [UInt8] {
        series.withLock { table in
            var seen = Set<String>()
            for sample in samples {
                let key = sample.name + "{" + sample.labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
                seen.insert(key)
                let descriptor = MetricNames.descriptor(sample.name)
                switch (sample.kind, table[key]) {
                case (.counter, .counter(let counter, let last)?):
                    if sample.value < last { counter.reset() }
                    counter.increment(by: Int64(sample.value < last ? sample.value : sample.value - last))
                    table[key] = .counter(counter, last: sample.value)
                case (.counter, _):
                    let counter = registry.makeCounter(descriptor: descriptor, labels: sample.labels)
                    counter.increment(by: Int64(sample.value))
                    table[key] = .counter(counter, last: sample.value)
                case (.gauge, .gauge(let gauge)?):
                    gauge.set(sample.value)
                case (.gauge, _):
                    let gauge = registry.makeGauge(descriptor: descriptor, labels: sample.labels)
                    gauge.set(sample.value)
                    table[key] = .gauge(gauge)
                }
            }
            for (key, gone) in table where !seen.contains(key) {
                switch gone {
                case .counter(let counter, _): registry.unregisterCounter(counter)
                case .gauge(let gauge): registry.unregisterGauge(gauge)
                }
                table[key] = nil
            }
        }
        return registry.emitToBuffer()
    }

    /// The samples of one moment of the tree.
    ///
    /// - Parameter nowMicros: the wall clock, µs since the epoch (for the last frame's age).
    static func samples(
        snapshot: FleetSnapshot, details: [String: CameraDetail], process: ProcessFigures, nowMicros: Int64
    ) -> [Sample] {
        var samples: [Sample] = [
            Sample(kind: .gauge, name: MetricNames.liveTasks, labels: [], value: Double(snapshot.liveTasks)),
            Sample(kind: .gauge, name: MetricNames.threads, labels: [], value: Double(process.threads)),
            Sample(kind: .gauge, name: MetricNames.openFDs, labels: [], value: Double(process.openFDs)),
            Sample(kind: .gauge, name: MetricNames.residentMemory, labels: [], value: Double(process.residentBytes)),
        ]
        if let spool = snapshot.spool {
            samples.append(Sample(kind: .gauge, name: MetricNames.spoolBytes, labels: [], value: Double(spool.bytes)))
            samples.append(Sample(kind: .gauge, name: MetricNames.spoolFrames, labels: [], value: Double(spool.records)))
            samples.append(Sample(kind: .gauge, name: MetricNames.spoolHealthy, labels: [], value: spool.lastError == nil ? 1 : 0))
        }
        for (id, status) in snapshot.cameras.sorted(by: { $0.key < $1.key }) {
            let camera = [("camera", id)]
            func counter(_ name: String, _ value: Int, _ extra: [(String, String)] = []) {
                samples.append(Sample(kind: .counter, name: name, labels: camera + extra, value: Double(value)))
            }
            func gauge(_ name: String, _ value: Double, _ extra: [(String, String)] = []) {
                samples.append(Sample(kind: .gauge, name: name, labels: camera + extra, value: value))
            }
            // The frame ledger, every place, from the status's one read of it.
            counter(MetricNames.frames, status.framesCaptured, [("stage", "captured")])
            counter(MetricNames.frames, status.framesEncoded, [("stage", "encoded")])
            counter(MetricNames.frames, status.published, [("stage", "published")])
            counter(MetricNames.confirmed, status.confirmed)
            counter(MetricNames.nacked, status.nacked)
            counter(MetricNames.returned, status.returned)
            counter(MetricNames.rejected, status.rejected)
            counter(MetricNames.dropped, status.droppedBeforeEncode, [("stage", "before_encode")])
            counter(MetricNames.dropped, status.droppedAfterEncode, [("stage", "after_encode")])
            counter(MetricNames.dropped, status.spoolDropped, [("stage", "spool")])
            counter(MetricNames.recovered, status.recovered)
            counter(MetricNames.expired, status.expired)
            counter(MetricNames.damaged, status.damaged)
            gauge(MetricNames.spooled, Double(status.spooled))
            gauge(MetricNames.queuedForEncode, Double(status.queuedForEncode))
            gauge(MetricNames.queuedForPublish, Double(status.queuedForPublish))
            gauge(MetricNames.inFlight, Double(status.inFlight))
            gauge(MetricNames.brokerConnected, status.broker == .connected ? 1 : 0)
            if let url = status.brokerURL { gauge(MetricNames.brokerInfo, 1, [("url", url)]) }
            counter(MetricNames.reconnects, status.reconnects)
            counter(MetricNames.restarts, status.restarts)
            for state in SupervisorSnapshot.State.allCases {
                gauge(MetricNames.cameraState, status.state == state ? 1 : 0, [("state", state.rawValue)])
            }
            guard let detail = details[id] else { continue }
            counter(MetricNames.frames, Int(detail.framesDecoded), [("stage", "decoded")])
            counter(MetricNames.republished, detail.republished)
            gauge(MetricNames.queueDepth, Double(detail.captureQueueDepth), [("queue", "capture")])
            gauge(MetricNames.queueDepth, Double(detail.encodeQueueDepth), [("queue", "encode")])
            gauge(MetricNames.queueDepth, Double(detail.pending), [("queue", "pending")])
            if let last = detail.lastFrameAtMicros {
                gauge(MetricNames.lastFrameAge, max(0, Double(nowMicros - last) / 1e6))
            }
        }
        return samples
    }
}
