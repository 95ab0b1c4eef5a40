import Delivery
import Foundation
import LineCore
import QazAPI
import QazClient
import Synchronization

/// An ``ActivationSink`` wrapper for fault tests: an outage answers every record `retry` (as a refused connection
/// would), a scripted Retry-After can be given, and "crash after send" delivers to the real sink and then throws
/// the answer away, as a process killed between "sent" and "answer stored" would.
public final class ScriptedSink: ActivationSink, Sendable {
    private struct State {
        var target: any ActivationSink
        var outage = false
        var retryAfter: Duration?
        var loseAnswers = 0
        var deliveries: [ActivationSubmission] = []
        var forwarded: [ActivationSubmission] = []
    }
    private let state: Mutex<State>

    public init(_ target: any ActivationSink) { state = Mutex(State(target: target)) }

    /// Switches the registrar's reachability.
    public func setOutage(_ on: Bool, retryAfter: Duration? = nil) {
        state.withLock { $0.outage = on; $0.retryAfter = retryAfter }
    }
    /// Replaces the sink behind this one (e.g. a client for a registrar started later).
    public func setTarget(_ target: any ActivationSink) { state.withLock { $0.target = target } }
    /// The next `count` deliveries reach the target, but their answers are lost (answered `retry`).
    public func loseNextAnswers(_ count: Int) { state.withLock { $0.loseAnswers += count } }
    /// Every submission offered to this sink.
    public var deliveries: [ActivationSubmission] { state.withLock { $0.deliveries } }
    /// Submissions that reached the target.
    public var forwarded: [ActivationSubmission] { state.withLock { $0.forwarded } }

    public func deliver(_ submission: ActivationSubmission) async -> ActivationDelivery {
        let (target, outage, retryAfter, lose) = state.withLock { state -> (any ActivationSink, Bool, Duration?, Bool) in
            state.deliveries.append(submission)
            let lose = !state.outage && state.loseAnswers > 0
            if lose { state.loseAnswers -= 1 }
            if !state.outage { state.forwarded.append(submission) }
            return (state.target, state.outage, state.retryAfter, lose)
        }
        if outage {
            return ActivationDelivery(outcomes: submission.records.map { _ in .retry(after: retryAfter, reason: "connection refused (scripted outage)") },
                                      sentBatchIds: [submission.batchId])
        }
        let delivery = await target.deliver(submission)
        if lose {
            return ActivationDelivery(outcomes: submission.records.map { _ in .retry(after: nil, reason: "answer lost (scripted)") },
                                      sentBatchIds: delivery.sentBatchIds)
        }
        return delivery
    }
}
