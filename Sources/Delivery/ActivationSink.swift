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
}
