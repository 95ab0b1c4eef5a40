import Foundation
import LineCore

/// `POST /v1/aggregations`: what a producer's packing station packed — bottles into cases, cases onto pallets — and
/// undid.
///
/// Each event is idempotent by its `eventId`: an event already applied is answered with its stored result and changes
/// nothing; the same id with a different body is answered `conflict`. Events are applied in request order, each on its
/// own (one refused event does not undo the others). At most 1,000 events and 100,000 contained codes per request.
/// Sent by a producer's or importer's token, for its own codes and units (other roles are refused with 403).
public struct AggregationBatch: Codable, Sendable, Equatable {
    /// The packing line.
    public var lineId: String
    /// The case station or palletiser that produced the events.
    public var equipmentId: String
    public var events: [AggregationEvent]
    /// The producer or importer the registrar packs for (cl. 24(2): the registrar may perform any participant's
    /// operation, recorded as its own). Required of the registrar's token; a producer or importer may name only itself.
    public var participant: TaxpayerID?

    public init(lineId: String, equipmentId: String, events: [AggregationEvent], participant: TaxpayerID? = nil) {
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.events = events
        self.participant = participant
    }
}

/// What an aggregation event does.
public enum AggregationKind: String, Codable, Sendable, CaseIterable {
    /// Stamp codes (`contents`) packed into a case (`unit`).
    case casePacked
    /// The case's codes released (rework); `contents` is empty.
    case caseDissolved
    /// Cases (`contents`, their unit codes) stacked on a pallet (`unit`).
    case palletBuilt
    /// The pallet's cases released; `contents` is empty.
    case palletDissolved

    /// Whether the unit is a case (otherwise a pallet).
    public var isCase: Bool { self == .casePacked || self == .caseDissolved }
}

/// One packing event.
public struct AggregationEvent: Codable, Sendable, Equatable {
    /// The idempotency key, chosen by the sender.
    public var eventId: UUID
    public var kind: AggregationKind
    /// The case's or pallet's code (SSCC-18, or a plant's own pattern).
    public var unit: UnitCode
    /// For `casePacked`: the stamp codes (bare codes or the QR's URL); for `palletBuilt`: the cases' unit codes;
    /// empty for the dissolving kinds.
    public var contents: [String]
    /// When it happened, with an offset.
    public var at: Timestamp

    public init(eventId: UUID, kind: AggregationKind, unit: UnitCode, contents: [String], at: Timestamp) {
        self.eventId = eventId
        self.kind = kind
        self.unit = unit
        self.contents = contents
        self.at = at
    }
}

/// What happened to one event.
public enum AggregationOutcome: String, Codable, Sendable, CaseIterable {
    /// Applied now.
    case applied
    /// Applied earlier with the same body (a re-sent event): safe to treat as delivered.
    case alreadyApplied
    /// Refused for good: `reason` and `codes` say why.
    case refused
    /// The event id was used before with a different body: refused.
    case conflict

    /// Whether the sender may consider the event delivered (`applied` or `alreadyApplied`).
    public var isDelivered: Bool { self == .applied || self == .alreadyApplied }
}

/// Why an event was refused.
public enum AggregationRefusal: String, Codable, Sendable, CaseIterable {
    /// A content is not a code at all: not a stamp code (`casePacked`) or not a unit code (`palletBuilt`).
    case malformedCode
    /// A contained code appears twice in the event.
    case duplicateContent
    /// A contained stamp code was never issued, or not to this participant.
    case unknownCode
    /// A contained stamp code is not Activated (issued only, or written off).
    case notActivated
    /// A contained stamp code is in another case that has not been dissolved.
    case alreadyInCase
    /// The case or pallet code is already packed and not dissolved (a duplicated label).
    case unitInUse
    /// The case or pallet to dissolve, or a case to stack, is not a packed unit of this participant.
    case unknownUnit
    /// A case to stack is already on another pallet.
    case alreadyOnPallet
    /// The case to dissolve is on a pallet: dissolve the pallet first.
    case onPallet
    /// A packing event with no contents, or a dissolving event with contents.
    case badContents
    /// A contained stamp code's product was handed to a buyer under a signed counter-order (cl. 21, 23(1)): no longer the
    /// participant's to pack, nor its case to dissolve.
    case notHeld
    /// A contained stamp code is in a sale order pending signature (cl. 23(3)).
    case inPendingOrder
}

/// The answer for one event, in the order of the request.
public struct AggregationResult: Codable, Sendable, Equatable {
    public var eventId: UUID
    public var unit: UnitCode
    public var result: AggregationOutcome
    /// For `refused`: the reason.
    public var reason: AggregationRefusal?
    /// For `refused`: the contained codes the reason is about (at most 100), in request order.
    public var codes: [String]?
    /// For `refused` and `conflict`: what was wrong, for people.
    public var detail: String?

    public init(eventId: UUID, unit: UnitCode, result: AggregationOutcome, reason: AggregationRefusal? = nil,
                codes: [String]? = nil, detail: String? = nil) {
        self.eventId = eventId
        self.unit = unit
        self.result = result
        self.reason = reason
        self.codes = codes
        self.detail = detail
    }
}

/// The answer to `POST /v1/aggregations`.
public struct AggregationReceipt: Codable, Sendable, Equatable {
    /// The producer or importer the events were accepted for.
    public var participant: TaxpayerID
    public var receivedAt: Timestamp
    /// One result per event, in request order.
    public var results: [AggregationResult]
    /// Who sent the events when it was not the participant itself: the registrar, acting on the participant's behalf
    /// (cl. 24(2)); absent otherwise.
    public var actor: TaxpayerID?

    public init(participant: TaxpayerID, receivedAt: Timestamp, results: [AggregationResult], actor: TaxpayerID? = nil) {
        self.participant = participant
        self.receivedAt = receivedAt
        self.results = results
        self.actor = actor == participant ? nil : actor
    }
}

/// Whether a unit is a case or a pallet.
public enum UnitKind: String, Codable, Sendable, CaseIterable {
    case `case`
    case pallet
}

/// Whether a unit currently holds its contents.
public enum UnitStatus: String, Codable, Sendable, CaseIterable {
    case packed
    case dissolved
}

/// `GET /v1/units/{unit}`: a case or pallet and one page of its contents (stamp codes of a case, unit codes of a
/// pallet's cases), in code order (paged as `GET /v1/pools/{bin}/codes` pages). The unit code's latest packing: the
/// current one while it is packed; a dissolved unit shows what it held.
public struct UnitInfo: Codable, Sendable, Equatable {
    public var unit: UnitCode
    public var kind: UnitKind
    public var status: UnitStatus
    public var owner: TaxpayerID
    public var lineId: String
    public var equipmentId: String
    /// When it was packed (the event's time), UTC, and in Astana time for people.
    public var packedAt: Timestamp
    public var packedAtAstana: String
    public var dissolvedAt: Timestamp?
    /// For a case on a pallet: the pallet.
    public var pallet: UnitCode?
    /// How many codes or cases it holds (held when packed, for a dissolved unit).
    public var count: Int
    /// One page of the contents.
    public var contents: [String]
    /// Pass as `after` to get the next page; absent on the last page.
    public var next: String?
    /// Who packed it when it was not the owner: the registrar, acting on the owner's behalf (cl. 24(2)).
    public var packedBy: TaxpayerID?

    public init(unit: UnitCode, kind: UnitKind, status: UnitStatus, owner: TaxpayerID, lineId: String, equipmentId: String,
                packedAt: Timestamp, dissolvedAt: Timestamp?, pallet: UnitCode?, count: Int, contents: [String], next: String?,
                packedBy: TaxpayerID? = nil) {
        self.unit = unit
        self.kind = kind
        self.status = status
        self.owner = owner
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.packedAt = packedAt
        self.packedAtAstana = packedAt.astana
        self.dissolvedAt = dissolvedAt
        self.pallet = pallet
        self.count = count
        self.contents = contents
        self.next = next
        self.packedBy = packedBy == owner ? nil : packedBy
    }
}
