import Delivery
import Foundation
import LineCore
import QazAPI
import QazClient

/// An in-memory registrar for the agent's tests: a pool of codes issued to one producer, activations remembered,
/// the same per-code answers as the real registrar. Failures can be injected to exercise retries.
public actor InMemoryActivationSink: ActivationSink {
    private var issued: Set<String>
    private var foreign: Set<String>
    private var activated: [String: Timestamp] = [:]
    private var answers: [UUID: [ActivationResult]] = [:]
    private var pendingFailures: [QazClientError] = []
    /// Every submission received, in order.
    public private(set) var received: [ActivationSubmission] = []

    /// - Parameters:
    ///   - issued: codes issued to this producer.
    ///   - foreign: codes issued to someone else.
    public init(issued: Set<String>, foreign: Set<String> = []) {
        self.issued = issued
        self.foreign = foreign
    }

    /// Makes the next deliveries fail with these errors, one each.
    public func failNext(_ errors: [QazClientError]) { pendingFailures.append(contentsOf: errors) }

    public func deliver(_ submission: ActivationSubmission) async -> ActivationDelivery {
        received.append(submission)
        if !pendingFailures.isEmpty {
            let error = pendingFailures.removeFirst()
            return ActivationDelivery(outcomes: submission.records.map { _ in RecordOutcome(error) }, sentBatchIds: [submission.batchId])
        }
        if let stored = answers[submission.batchId] {
            return ActivationDelivery(outcomes: stored.map(RecordOutcome.init), sentBatchIds: [submission.batchId])
        }
        var results = [ActivationResult]()
        for record in submission.records {
            let code = record.code.rawValue
            let time = Timestamp(record.activatedAt)
            if let earlier = activated[code] {
                results.append(ActivationResult(code: code, result: .alreadyActivated, activatedAt: earlier))
            } else if issued.contains(code) {
                activated[code] = time
                results.append(ActivationResult(code: code, result: .activated, activatedAt: time))
            } else if foreign.contains(code) {
                results.append(ActivationResult(code: code, result: .foreign))
            } else {
                results.append(ActivationResult(code: code, result: .unknown))
            }
        }
        answers[submission.batchId] = results
        return ActivationDelivery(outcomes: results.map(RecordOutcome.init), sentBatchIds: [submission.batchId])
    }
}
