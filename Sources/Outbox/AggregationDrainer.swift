import Delivery
import Foundation
import Logging
import QazAPI
import ServiceLifecycle

/// What the aggregation drainer reports (for metrics and alarms in the composition root).
public enum AggregationDrainerEvent: Sendable, Equatable {
    /// Events answered: `delivered` applied (now or before), `dead` refused for good (alarms: the reasons are kept).
    case sent(delivered: Int, dead: Int, refusals: [String])
    /// A request got no settling answer; the events are sent again after the backoff.
    case retrying(events: Int, reason: String)
    /// The agent's database could not be read or written.
    case storageFailed(OutboxError)
}

/// Sends queued aggregation events (case packed, case dissolved, pallet built, pallet dissolved) through an
/// ``AggregationSink``, in queue order and never before the activations queued ahead of them were answered
/// (``OutboxStore/nextAggregationEvents(limit:)``). The same outage rules as activations: a request without a
/// settling answer is sent again under the same event ids after an exponential backoff; refused events are kept as
/// dead with the registrar's reason. A `Service`; on graceful shutdown it makes one time-limited flush.
public final class AggregationDrainer: Service, Sendable {
    private let store: OutboxStore
    private let sink: any AggregationSink
    private let configuration: DrainerConfiguration
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let onEvent: @Sendable (AggregationDrainerEvent) -> Void
    private let doorbell = Doorbell()
    /// Events per request (the registrar accepts at most 1,000).
    public let maxEvents: Int

    /// - Parameters:
    ///   - store: the agent's database.
    ///   - sink: where events go (``QazAPIClient`` or a double).
    ///   - configuration: backoff and the shutdown flush (shared with the activation drainer).
    ///   - maxEvents: events per request.
    public init(store: OutboxStore, sink: any AggregationSink, configuration: DrainerConfiguration, maxEvents: Int = 200,
                clock: any Clock<Duration> = ContinuousClock(), logger: Logger,
                onEvent: @escaping @Sendable (AggregationDrainerEvent) -> Void = { _ in }) {
        self.store = store
        self.sink = sink
        self.configuration = configuration
        self.maxEvents = min(max(1, maxEvents), 1_000)
        self.clock = clock
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Wakes the drainer (an event was queued, or activations were answered).
    public func notify() { doorbell.ring() }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.loop() }
            group.addTask { try? await gracefulShutdown() }
            _ = await group.next()
            group.cancelAll()
        }
        if Task.isCancelled { return }
        _ = await flush(timeout: configuration.shutdownFlushTimeout)
    }

    /// Sends what is eligible until nothing is or `timeout` passes; returns the pending count.
    public func flush(timeout: Duration) async -> Int {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { while !Task.isCancelled, await self.sendOnce() == .sent {} }
            group.addTask { try? await self.clock.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return (try? await store.aggregationDepth().pending) ?? -1
    }

    private enum Step: Equatable { case sent, nothing, retry(Duration?), failed }

    private func loop() async {
        var attempt = 0
        while !Task.isCancelled {
            switch await sendOnce() {
            case .sent:
                attempt = 0
            case .nothing:
                attempt = 0
                // Nothing eligible: wait for a new event, or poll (activations ahead of events get answered).
                await doorbell.wait(orFor: .milliseconds(500), on: clock)
            case .retry(let after):
                attempt += 1
                let delay = configuration.backoff(afterAttempt: attempt, retryAfter: after, random: Double.random(in: 0..<1))
                try? await clock.sleep(for: delay)
            case .failed:
                try? await clock.sleep(for: configuration.maxBackoff)
            }
        }
    }

    private func sendOnce() async -> Step {
        let items: [AggregationQueueItem]
        do throws(OutboxError) {
            items = try await store.nextAggregationEvents(limit: maxEvents)
        } catch {
            report(error)
            return .failed
        }
        guard let first = items.first else { return .nothing }
        // One request per line and station, in queue order.
        let group = Array(items.prefix { $0.lineID == first.lineID && $0.equipmentID == first.equipmentID })
        let batch = AggregationBatch(lineId: first.lineID, equipmentId: first.equipmentID, events: group.map(\.event))
        switch await sink.deliver(batch) {
        case .answered(let results):
            var answers: [(rowID: Int64, delivered: Bool, result: String)] = []
            var refusals: [String] = []
            for (item, result) in zip(group, results) {
                var text = result.result.rawValue
                if let reason = result.reason { text += ": \(reason.rawValue)" }
                if let detail = result.detail { text += " (\(detail))" }
                answers.append((item.rowID, result.result.isDelivered, text))
                if !result.result.isDelivered { refusals.append("\(item.event.kind.rawValue) \(item.event.unit): \(text)") }
            }
            do throws(OutboxError) {
                try await store.completeAggregation(answers)
            } catch {
                report(error)
                return .failed
            }
            if !refusals.isEmpty {
                logger.warning("Aggregation events refused by the registrar", metadata: ["aggregation.refused": "\(refusals)"])
            }
            onEvent(.sent(delivered: answers.count - refusals.count, dead: refusals.count, refusals: refusals))
            return .sent
        case .retry(let after, let reason):
            try? await store.aggregationAttemptFailed(group.map(\.rowID), error: reason)
            logger.info("Aggregation events will be re-sent", metadata: ["aggregation.events": "\(group.count)", "aggregation.reason": "\(reason)"])
            onEvent(.retrying(events: group.count, reason: reason))
            return .retry(after)
        case .failed(let reason):
            let answers = group.map { (rowID: $0.rowID, delivered: false, result: "failed: \(reason)") }
            do throws(OutboxError) { try await store.completeAggregation(answers) } catch { report(error); return .failed }
            onEvent(.sent(delivered: 0, dead: group.count, refusals: group.map { "\($0.event.kind.rawValue) \($0.event.unit): \(reason)" }))
            return .sent
        }
    }

    private func report(_ error: OutboxError) {
        logger.error("Aggregation queue storage failed", metadata: ["outbox.error": "\(error)"])
        onEvent(.storageFailed(error))
    }
}
