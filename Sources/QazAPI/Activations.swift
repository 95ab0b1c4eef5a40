import Foundation
import LineCore

/// `POST /v1/activations`: codes read on one producer's filling line (clause 19: Issued → Activated).
///
/// `batchId` is the idempotency key: the same id with the same body is answered with the stored answer and
/// changes nothing; the same id with a different body is refused (409).
public struct ActivationBatch: Codable, Sendable, Equatable {
    /// The idempotency key, chosen by the sender.
    public var batchId: UUID
    /// The filling line.
    public var lineId: String
    /// The reading equipment ("technical vision").
    public var equipmentId: String
    /// The codes, at most 10,000.
    public var items: [ActivationItem]
    /// The producer the registrar activates for (cl. 24(2): the registrar may perform any participant's operation,
    /// recorded as its own). Required of the registrar's token; a producer may name only itself.
    public var participant: TaxpayerID?

    public init(batchId: UUID, lineId: String, equipmentId: String, items: [ActivationItem], participant: TaxpayerID? = nil) {
        self.batchId = batchId
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.items = items
        self.participant = participant
    }
}

/// One activated code.
public struct ActivationItem: Codable, Sendable, Equatable {
    /// The code as read (bare code or the QR's URL); the server classifies what is not a code as `malformed`.
    public var code: String
    /// When the bottle was filled and the code read, with an offset.
    public var activatedAt: Timestamp
    /// The product's ДСН code.
    public var productCode: String

    public init(code: String, activatedAt: Timestamp, productCode: String) {
        self.code = code
        self.activatedAt = activatedAt
        self.productCode = productCode
    }
}

/// What happened to one code of a batch.
public enum ActivationOutcome: String, Codable, Sendable, CaseIterable {
    /// Issued to this producer and now Activated.
    case activated
    /// Activated earlier by the same producer: safe to treat as delivered.
    case alreadyActivated
    /// Issued to another participant (clause 18): not activated.
    case foreign
    /// Never issued.
    case unknown
    /// Written off as damaged: not activated.
    case writtenOff
    /// Not a stamp code at all.
    case malformed

    /// Whether the sender may consider the code delivered (`activated` or `alreadyActivated`).
    public var isDelivered: Bool { self == .activated || self == .alreadyActivated }
}

/// The answer for one item, in the order of the request.
public struct ActivationResult: Codable, Sendable, Equatable {
    /// The code as sent.
    public var code: String
    /// What happened.
    public var result: ActivationOutcome
    /// For `activated` and `alreadyActivated`: the activation time on record (for the latter, the earlier one).
    public var activatedAt: Timestamp?
    /// For `malformed`: why.
    public var reason: String?

    public init(code: String, result: ActivationOutcome, activatedAt: Timestamp? = nil, reason: String? = nil) {
        self.code = code
        self.result = result
        self.activatedAt = activatedAt
        self.reason = reason
    }
}

/// Counts per outcome.
public struct ActivationSummary: Codable, Sendable, Equatable {
    public var activated: Int
    public var alreadyActivated: Int
    public var foreign: Int
    public var unknown: Int
    public var writtenOff: Int
    public var malformed: Int

    /// Counts the outcomes of a list of results.
    public init(_ results: [ActivationResult]) {
        var counts = [ActivationOutcome: Int]()
        for result in results { counts[result.result, default: 0] += 1 }
        activated = counts[.activated] ?? 0
        alreadyActivated = counts[.alreadyActivated] ?? 0
        foreign = counts[.foreign] ?? 0
        unknown = counts[.unknown] ?? 0
        writtenOff = counts[.writtenOff] ?? 0
        malformed = counts[.malformed] ?? 0
    }
}

/// The stored answer to a batch (`POST /v1/activations`, `GET /v1/activations/{batchId}`).
public struct ActivationReceipt: Codable, Sendable, Equatable {
    public var batchId: UUID
    /// The producer or importer the batch was accepted for.
    public var participant: TaxpayerID
    public var lineId: String
    public var equipmentId: String
    /// When the registrar accepted the batch.
    public var receivedAt: Timestamp
    public var summary: ActivationSummary
    /// One result per item, in request order.
    public var results: [ActivationResult]
    /// Who filed the batch when it was not the participant itself: the registrar, acting on the participant's behalf
    /// (cl. 24(2)); absent otherwise.
    public var actor: TaxpayerID?

    public init(batchId: UUID, participant: TaxpayerID, lineId: String, equipmentId: String, receivedAt: Timestamp,
                results: [ActivationResult], actor: TaxpayerID? = nil) {
        self.batchId = batchId
        self.participant = participant
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.receivedAt = receivedAt
        self.summary = ActivationSummary(results)
        self.results = results
        self.actor = actor == participant ? nil : actor
    }
}
