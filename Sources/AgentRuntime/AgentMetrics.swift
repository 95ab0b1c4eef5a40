import CoreMetrics
import Foundation
import LineCore
import Metrics
import Prometheus
import QazClient

/// The agent's Prometheus metrics (`/metrics`), created in one registry.
public struct AgentMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Decode and decision latencies live in milliseconds; delivery in seconds to minutes.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
            .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(3600),
        ]
        self.factory = factory
    }

    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Metrics.Counter {
        Metrics.Counter(label: label, dimensions: dimensions, factory: factory)
    }

    func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Metrics.Gauge {
        Metrics.Gauge(label: label, dimensions: dimensions, factory: factory)
    }

    func timer(_ label: String, _ dimensions: [(String, String)] = []) -> Metrics.Timer {
        Metrics.Timer(label: label, dimensions: dimensions, factory: factory)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] {
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        return buffer
    }
}

/// One line's metric handles (created once, so the hot path only increments).
struct LineMetrics: Sendable {
    let bottles: Metrics.Counter
    let decisions: [DecisionKind: Metrics.Counter]
    let rejectsCommanded: Metrics.Counter
    let rejectsConfirmed: Metrics.Counter
    let rejectsMissed: Metrics.Counter
    let lateCommits: Metrics.Counter
    let decisionLatency: Metrics.Timer
    let readRate: Metrics.Gauge
    let plcLinkUp: Metrics.Gauge
    let strayFrames: Metrics.Gauge
    let alarms: Metrics.Counter

    init(_ metrics: AgentMetrics, line: String) {
        let l = [("line", line)]
        bottles = metrics.counter("qazline_bottles_total", l)
        var decisions: [DecisionKind: Metrics.Counter] = [:]
        for kind in DecisionKind.allCases {
            decisions[kind] = metrics.counter("qazline_decisions_total", l + [("kind", kind.rawValue)])
        }
        self.decisions = decisions
        rejectsCommanded = metrics.counter("qazline_rejects_commanded_total", l)
        rejectsConfirmed = metrics.counter("qazline_reject_confirmations_total", l)
        rejectsMissed = metrics.counter("qazline_reject_misses_total", l)
        lateCommits = metrics.counter("qazline_late_commits_total", l)
        decisionLatency = metrics.timer("qazline_decision_latency_seconds", l)
        readRate = metrics.gauge("qazline_read_rate", l)
        plcLinkUp = metrics.gauge("qazline_plc_link_up", l)
        strayFrames = metrics.gauge("qazline_stray_frames", l)
        alarms = metrics.counter("qazline_alarms_total", l)
    }
}

/// One camera's metric handles.
struct CameraMetrics: Sendable {
    let frames: Metrics.Counter
    let decode: Metrics.Timer
    let problems: Metrics.Counter
    let up: Metrics.Gauge
    /// Mean symbol contrast of the codes read over the last minute (0-1): a failing lamp or a dirty lens shows as
    /// a falling trend before reads fail.
    let readContrast: Metrics.Gauge
    /// Share of the last minute's reads made by a step after the chain's first (fallbacks doing the work).
    let fallbackShare: Metrics.Gauge
    private let metrics: AgentMetrics
    private let dimensions: [(String, String)]

    init(_ metrics: AgentMetrics, line: String, camera: String) {
        let d = [("line", line), ("camera", camera)]
        frames = metrics.counter("qazline_camera_frames_total", d)
        decode = metrics.timer("qazline_decode_duration_seconds", d)
        problems = metrics.counter("qazline_camera_problems_total", d)
        up = metrics.gauge("qazline_camera_up", d)
        readContrast = metrics.gauge("qazline_read_contrast", d)
        fallbackShare = metrics.gauge("qazline_read_fallback_share", d)
        self.metrics = metrics
        dimensions = d
    }

    /// Codes read by one chain step (`zxing@roi`, `zbar@cap`, …): the step set is the calibration's, so bounded.
    func reads(step: String) -> Metrics.Counter {
        metrics.counter("qazline_reads_total", dimensions + [("step", step)])
    }
}

/// The outbox's metric handles.
struct OutboxMetrics: Sendable {
    let depth: Metrics.Gauge
    let unbatched: Metrics.Gauge
    let oldestAge: Metrics.Gauge
    let deadLetters: Metrics.Gauge
    let delivered: Metrics.Counter
    let deliveryLatency: Metrics.Timer
    let writable: Metrics.Gauge

    init(_ metrics: AgentMetrics) {
        depth = metrics.gauge("qazline_outbox_pending")
        unbatched = metrics.gauge("qazline_outbox_unbatched")
        oldestAge = metrics.gauge("qazline_outbox_oldest_pending_age_seconds")
        deadLetters = metrics.gauge("qazline_outbox_dead_letters")
        delivered = metrics.counter("qazline_activations_delivered_total")
        deliveryLatency = metrics.timer("qazline_delivery_latency_seconds")
        writable = metrics.gauge("qazline_outbox_writable")
    }
}

/// The registrar link's metric handles: moves between the configured registrar addresses (`server.urls`).
struct RegistrarMetrics: Sendable {
    /// Moves away from a failing registrar address.
    let failovers: Metrics.Counter
    /// Returns to the first (preferred) address after `server.failback`.
    let failbacks: Metrics.Counter
    /// The index in `server.urls` of the address in use (0: the preferred one).
    let activeIndex: Metrics.Gauge

    init(_ metrics: AgentMetrics) {
        failovers = metrics.counter("qazline_registrar_failovers_total")
        failbacks = metrics.counter("qazline_registrar_failbacks_total")
        activeIndex = metrics.gauge("qazline_registrar_active_index")
        activeIndex.record(0)
    }

    func record(_ move: RegistrarSwitch) {
        switch move.reason {
        case .failover: failovers.increment()
        case .failback: failbacks.increment()
        }
        activeIndex.record(move.to)
    }
}
