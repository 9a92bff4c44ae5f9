import CoreMetrics
import Prometheus

/// The swift-metrics backend of the process: a swift-prometheus registry whose metrics carry the
/// help text and buckets of ``MetricNames``. Bootstrapped once by `edge-video run`; the HTTP
/// endpoint renders the same registry.
///
/// Thread-safety: the registry is thread-safe; this is an immutable wrapper.
package struct PrometheusBackend: MetricsFactory, Sendable {
    /// Where every metric lives.
    package let registry: PrometheusCollectorRegistry
    private let base: PrometheusMetricsFactory

    /// Creates a backend around a new registry.
    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        base = PrometheusMetricsFactory(registry: registry)
    }

    /// swift-metrics `Timer`s become duration histograms with our buckets and help.
    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: MetricNames.descriptor(label), labels: dimensions,
            buckets: MetricNames.buckets[label] ?? MetricNames.buckets[MetricNames.captureToConfirm]!)
    }

    /// Counters with our help text.
    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: MetricNames.descriptor(label), labels: dimensions)
    }

    /// As swift-prometheus's own factory.
    package func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        base.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    /// As swift-prometheus's own factory.
    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    /// As swift-prometheus's own factory.
    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        base.makeMeter(label: label, dimensions: dimensions)
    }

    /// Unregisters the metric (as swift-prometheus's own factory).
    package func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    /// Unregisters the metric.
    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { base.destroyFloatingPointCounter(handler) }
    /// Unregisters the metric.
    package func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    /// Unregisters the metric.
    package func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    /// Unregisters the metric.
    package func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
