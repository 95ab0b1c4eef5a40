import CoreMetrics
import Foundation
import Outbox
import Synchronization

/// The outbox's figures as last read, plus what the drainer reported: for `/status`, `/ready` and the gauges.
public final class OutboxWatch: Sendable {
    private struct State {
        var depth: OutboxDepth?
        var delivered = 0
        var lastDeliveryAt: Date?
        var storageError: String?
        var readFailed = false
    }
    private let state = Mutex(State())
    private let metrics: OutboxMetrics
    private let events: AgentEventLog

    init(metrics: AgentMetrics, events: AgentEventLog) {
        self.metrics = OutboxMetrics(metrics)
        self.events = events
    }

    /// Reads the queue figures and updates the gauges.
    func refresh(from store: OutboxStore) async {
        do {
            let depth = try await store.depth()
            state.withLock {
                $0.depth = depth
                $0.readFailed = false
            }
            metrics.depth.record(depth.pending)
            metrics.unbatched.record(depth.unbatched)
            metrics.deadLetters.record(depth.deadLetters)
            metrics.oldestAge.record(depth.oldestPending.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
        } catch {
            let first = state.withLock { s in
                defer { s.readFailed = true }
                return !s.readFailed
            }
            if first { events.error(line: nil, kind: "outbox", "cannot read the outbox: \(error)") }
        }
    }

    /// What the drainer reports.
    func handle(_ event: DrainerEvent) {
        switch event {
        case .sent(_, _, let completion, let oldest):
            metrics.delivered.increment(by: completion.delivered)
            if let oldest, completion.delivered > 0 {
                metrics.deliveryLatency.recordNanoseconds(Int64(max(0, Date().timeIntervalSince(oldest)) * 1e9))
            }
            state.withLock {
                $0.delivered += completion.delivered
                $0.lastDeliveryAt = Date()
                $0.storageError = nil
            }
            if let reason = completion.retryReason, !completion.isDone {
                events.error(line: nil, kind: "delivery", "batch not accepted yet, will retry: \(reason)")
            }
        case .deadLettered(let batchId, let count):
            events.alarm(line: nil, kind: "dead-letter",
                         "\(count) activation(s) of batch \(batchId) refused for good: see lineagent outbox list --dead")
        case .storageFailed(let error):
            state.withLock { $0.storageError = "\(error)" }
            events.error(line: nil, kind: "outbox", "delivery could not use the outbox: \(error)")
        case .flushed(let unsent, let timedOut):
            if unsent > 0 {
                events.error(line: nil, kind: "shutdown",
                             "\(unsent) activation(s) stay in the outbox for the next start\(timedOut ? " (flush timed out)" : "")")
            }
        }
    }

    /// The figures for `/status`.
    func status(writable: Bool) -> OutboxStatus {
        state.withLock { s in
            OutboxStatus(pending: s.depth?.pending ?? 0, unbatched: s.depth?.unbatched ?? 0,
                         openBatches: s.depth?.openBatches ?? 0, deadLetters: s.depth?.deadLetters ?? 0,
                         oldestPendingAgeSeconds: s.depth?.oldestPending.map { max(0, Date().timeIntervalSince($0)) },
                         delivered: s.delivered, lastDeliveryAt: s.lastDeliveryAt, writable: writable)
        }
    }

    /// Activations the registrar accepted since start.
    public var delivered: Int { state.withLock { $0.delivered } }
}
