import Foundation
import QazAPI

/// The seam between the agent's aggregation queue and the registrar (`POST /v1/aggregations`).
///
/// Events carry their own idempotency keys (`eventId`): a re-sent event is answered `alreadyApplied`, so an event
/// applied whose answer was lost is never applied twice. ``deliver(_:)`` never throws.
public protocol AggregationSink: Sendable {
    /// Delivers one request of events; returns the registrar's per-event answers or why there are none.
    func deliver(_ batch: AggregationBatch) async -> AggregationDelivery
}

/// The outcome of one aggregation request.
public enum AggregationDelivery: Sendable, Equatable {
    /// The registrar answered each event (in request order).
    case answered([AggregationResult])
    /// No answer that settles the events: send them again (same event ids) after `after` if given.
    case retry(after: Duration?, reason: String)
    /// The request is refused as a whole and sending it again cannot help (401, 403, 422…): the events are dead.
    case failed(reason: String)
}
