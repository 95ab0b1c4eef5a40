import Foundation
import LineCore
import QazAPI

/// The seam between the line agent's outbox drainer and the registrar.
///
/// The drainer takes rows from the outbox (`beginBatch(limit)`), hands them to ``deliver(_:)`` and acts on one
/// ``RecordOutcome`` per record: `delivered` → accept (remove), `rejected` / `failed` → dead letter with the reason,
/// `retry` → keep and send again later **with the same `batchId` and the same records** (the registrar answers a
/// re-sent batch from storage, so a batch that was applied but whose answer was lost is never applied twice).
/// ``deliver(_:)`` never throws: a failure becomes the outcome of the records it concerns, so no per-record result
/// is ever lost.
public protocol ActivationSink: Sendable {
    /// Delivers one batch of activations; returns one outcome per record, in order.
    /// - Parameter submission: the batch id (idempotency key), the line and equipment, the records.
    func deliver(_ submission: ActivationSubmission) async -> ActivationDelivery
}

/// One batch for an ``ActivationSink``.
public struct ActivationSubmission: Sendable, Equatable {
    /// The idempotency key: keep it with the outbox rows and reuse it for every retry of these records.
    public var batchId: UUID
    public var lineId: String
    public var equipmentId: String
    public var records: [ActivationRecord]
    public init(batchId: UUID, lineId: String, equipmentId: String, records: [ActivationRecord]) {
        self.batchId = batchId
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.records = records
    }
}

/// What happened to one record.
public enum RecordOutcome: Sendable, Equatable {
    /// The registrar holds the activation (`activated` now or `alreadyActivated` before): remove it from the outbox.
    case delivered(ActivationResult)
    /// The registrar refused this code for good (`foreign`, `unknown`, `writtenOff`, `malformed`): a dead letter.
    case rejected(ActivationResult)
    /// Not delivered yet; send again (same batch id) after `after` if given.
    case retry(after: Duration?, reason: String)
    /// Not delivered, and sending again cannot help (e.g. 401, 403, 409, 422): a dead letter with the reason.
    case failed(code: ErrorCode?, reason: String)

    /// Whether the record can leave the outbox as delivered.
    public var isDelivered: Bool { if case .delivered = self { true } else { false } }
}

/// The outcomes of one ``ActivationSubmission``, one per record in order.
public struct ActivationDelivery: Sendable, Equatable {
    public var outcomes: [RecordOutcome]
    /// The batch ids actually sent (one, or several when the batch was split).
    public var sentBatchIds: [UUID]
    public init(outcomes: [RecordOutcome], sentBatchIds: [UUID]) {
        self.outcomes = outcomes
        self.sentBatchIds = sentBatchIds
    }
}

extension RecordOutcome {
    /// Classifies a per-code result of the registrar.
    public init(_ result: ActivationResult) {
        self = result.result.isDelivered ? .delivered(result) : .rejected(result)
    }

    /// Classifies a whole-batch failure.
    public init(_ error: QazClientError) {
        self = error.isRetryable ? .retry(after: error.retryAfter, reason: error.description)
                                 : .failed(code: error.errorCode, reason: error.description)
    }
}

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
