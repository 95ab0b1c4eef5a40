import Delivery
import Foundation
import LineCore
import QazAPI

/// An in-memory registrar's `POST /v1/aggregations` for the agent's tests: records every request and answers it as
/// scripted. By default every event is `applied`, and an event id seen before is `alreadyApplied` (`conflict` when its
/// body differs), as the real registrar answers re-sent events. Requests can be scripted to get no settling answer
/// (`retry`) or to be refused as a whole (`failed`), and events of chosen units to be refused with a reason.
public actor InMemoryAggregationSink: AggregationSink {
    /// How the next request is answered.
    public enum Answer: Sendable, Equatable {
        /// Each event on its own: applied (or refused, for a unit given to ``refuse(_:_:detail:)``).
        case perEvent
        /// No settling answer (an outage, a 503): the drainer sends the same events again.
        case retry(after: Duration?, reason: String)
        /// The whole request refused for good (401, 403, 422…).
        case failed(reason: String)
    }

    private var script: [Answer] = []
    private var refusals: [UnitCode: (reason: AggregationRefusal, detail: String?)] = [:]
    private var applied: [UUID: AggregationEvent] = [:]
    /// Every request received, in order.
    public private(set) var received: [AggregationBatch] = []
    /// The events applied, in the order they were applied (each once).
    public private(set) var appliedEvents: [AggregationEvent] = []

    public init() {}

    /// Answers the next requests so, one each (after them: ``Answer/perEvent``).
    /// - Parameter answers: in request order.
    public func script(_ answers: [Answer]) { script.append(contentsOf: answers) }

    /// Refuses every event about `unit` (until ``accept(_:)``).
    /// - Parameters:
    ///   - unit: the case or pallet.
    ///   - reason: the registrar's reason.
    ///   - detail: its text for people.
    public func refuse(_ unit: UnitCode, _ reason: AggregationRefusal, detail: String? = nil) { refusals[unit] = (reason, detail) }

    /// Stops refusing events about `unit`.
    public func accept(_ unit: UnitCode) { refusals[unit] = nil }

    /// The event ids of every request, in order.
    public var receivedEventIDs: [[UUID]] { received.map { $0.events.map(\.eventId) } }

    public func deliver(_ batch: AggregationBatch) async -> AggregationDelivery {
        received.append(batch)
        let answer = script.isEmpty ? .perEvent : script.removeFirst()
        switch answer {
        case .retry(let after, let reason): return .retry(after: after, reason: reason)
        case .failed(let reason): return .failed(reason: reason)
        case .perEvent: break
        }
        var results: [AggregationResult] = []
        for event in batch.events {
            if let earlier = applied[event.eventId] {
                results.append(earlier == event
                    ? AggregationResult(eventId: event.eventId, unit: event.unit, result: .alreadyApplied)
                    : AggregationResult(eventId: event.eventId, unit: event.unit, result: .conflict,
                                        detail: "event \(event.eventId) was applied before with another body"))
            } else if let refusal = refusals[event.unit] {
                results.append(AggregationResult(eventId: event.eventId, unit: event.unit, result: .refused, reason: refusal.reason,
                                                 detail: refusal.detail))
            } else {
                applied[event.eventId] = event
                appliedEvents.append(event)
                results.append(AggregationResult(eventId: event.eventId, unit: event.unit, result: .applied))
            }
        }
        return .answered(results)
    }
}
