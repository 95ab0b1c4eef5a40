import Foundation
import LineCore
import QazAPI

// Aggregation (bottle → case → pallet) as the stores see it: the validated command, the facts a backend reads about
// the units and codes an event names, and the rules that decide an event from those facts. The rules are pure, so
// both backends refuse exactly alike; a backend only reads facts (with the locks it needs) and writes.

/// `POST /v1/aggregations` after validation: what a store applies.
public struct AggregationCommand: Sendable {
    /// The producer or importer the events are for (its token's, or the one the registrar names): every unit and code
    /// must be its own.
    public var participant: TaxpayerID
    public var lineId: String
    public var equipmentId: String
    public var receivedAt: Timestamp
    /// In request order.
    public var events: [AggregationEventCommand]
    /// Whose token sent the events: `participant` itself, or the registrar acting on its behalf (cl. 24(2)); stored as
    /// the actor of each event.
    public var actor: TaxpayerID

    public init(participant: TaxpayerID, lineId: String, equipmentId: String, receivedAt: Timestamp, events: [AggregationEventCommand],
                actor: TaxpayerID? = nil) {
        self.participant = participant
        self.actor = actor ?? participant
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.receivedAt = receivedAt
        self.events = events
    }
}

/// One aggregation event after validation.
public struct AggregationEventCommand: Sendable {
    public var eventId: UUID
    public var kind: AggregationKind
    public var unit: UnitCode
    public var at: Timestamp
    /// SHA-256 of the canonical event (participant, kind, unit, time to the millisecond, contents in order): tells a
    /// re-sent event from a conflicting reuse of its id.
    public var digest: [UInt8]
    public var contents: AggregationContents

    public init(eventId: UUID, kind: AggregationKind, unit: UnitCode, at: Timestamp, digest: [UInt8], contents: AggregationContents) {
        self.eventId = eventId
        self.kind = kind
        self.unit = unit
        self.at = at
        self.digest = digest
        self.contents = contents
    }
}

/// The contents of an event as the HTTP layer classified them.
public enum AggregationContents: Sendable, Equatable {
    /// A dissolving event (no contents).
    case none
    /// `casePacked`: the stamp codes, each with its text as sent, in request order, no repeats.
    case stampCodes([(text: String, code: StampCode)])
    /// `palletBuilt`: the cases' unit codes, each with its text as sent, in request order, no repeats.
    case units([(text: String, code: UnitCode)])
    /// Refused before storage (bad contents, a malformed or repeated code): stored as the event's answer.
    case refused(AggregationRefusalDecision)

    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): true
        case let (.stampCodes(a), .stampCodes(b)): a.map(\.text) == b.map(\.text) && a.map(\.code) == b.map(\.code)
        case let (.units(a), .units(b)): a.map(\.text) == b.map(\.text) && a.map(\.code) == b.map(\.code)
        case let (.refused(a), .refused(b)): a == b
        default: false
        }
    }
}

/// Why an event is refused: the reason, the contained codes it is about (at most 100, as sent) and a sentence.
public struct AggregationRefusalDecision: Sendable, Equatable {
    public var reason: AggregationRefusal
    public var codes: [String]?
    public var detail: String

    /// The most codes a refusal lists.
    public static let maxCodes = 100

    public init(_ reason: AggregationRefusal, codes: [String]? = nil, detail: String) {
        self.reason = reason
        self.codes = codes.map { Array($0.prefix(Self.maxCodes)) }
        self.detail = detail
    }

    /// The answer for `event`.
    public func result(for event: AggregationEventCommand) -> AggregationResult {
        AggregationResult(eventId: event.eventId, unit: event.unit, result: .refused, reason: reason, codes: codes, detail: detail)
    }
}

/// What a store knows about a unit code: its latest packing (the current one while it is packed).
public struct UnitFact: Sendable, Equatable {
    /// The row id.
    public var id: Int64
    public var code: String
    public var kind: UnitKind
    public var owner: String
    /// Whether it is packed now (not dissolved).
    public var packed: Bool
    /// For a packed case: the packed pallet it is on.
    public var pallet: String?

    public init(id: Int64, code: String, kind: UnitKind, owner: String, packed: Bool, pallet: String?) {
        self.id = id
        self.code = code
        self.kind = kind
        self.owner = owner
        self.packed = packed
        self.pallet = pallet
    }
}

/// What a store knows about a stamp code an event would pack.
public struct StampFact: Sendable, Equatable {
    /// The code row id.
    public var id: Int64
    public var owner: String
    /// `issued`, `activated` or `writtenOff`.
    public var status: String
    /// The packed case it is in now.
    public var inCase: String?

    /// Who holds the product when not the owner (a buyer under a signed counter-order), else nil.
    public var holder: String?
    /// The sale order pending signature it is in, if any.
    public var pendingOrder: String?

    public init(id: Int64, owner: String, status: String, inCase: String?, holder: String? = nil, pendingOrder: String? = nil) {
        self.id = id
        self.owner = owner
        self.status = status
        self.inCase = inCase
        self.holder = holder
        self.pendingOrder = pendingOrder
    }
}

/// The aggregation rules, on facts a store has read. Each returns nil when the event may be applied.
///
/// Order of the checks (the first that fails is the answer): for a new unit the unit code (`unitInUse`), then the
/// contents (`unknownCode`/`unknownUnit`, `notActivated`, `alreadyInCase`/`alreadyOnPallet`); for a dissolving event
/// `unknownUnit`, then `onPallet`.
public enum AggregationRules {
    /// Whether a case or pallet code may be packed: not packed now; a dissolved code only again by the same participant
    /// and for the same kind of unit (a label reused by another company, or a case label on a pallet, is a mistake).
    public static func newUnit(_ unit: UnitCode, kind: UnitKind, participant: String, latest: UnitFact?) -> AggregationRefusalDecision? {
        guard let latest else { return nil }
        if latest.packed {
            let whose = latest.owner == participant ? "" : " by another participant"
            return AggregationRefusalDecision(.unitInUse, detail: "\(unit) is a packed \(latest.kind.rawValue)\(whose) and has not been dissolved")
        }
        if latest.owner != participant {
            return AggregationRefusalDecision(.unitInUse, detail: "\(unit) was used by another participant; a unit code is never reused across participants")
        }
        if latest.kind != kind {
            return AggregationRefusalDecision(.unitInUse, detail: "\(unit) was a \(latest.kind.rawValue); its code cannot be reused for a \(kind.rawValue)")
        }
        return nil
    }

    /// `casePacked`: every code issued to the participant, Activated, and in no packed case.
    public static func casePacked(_ codes: [(text: String, code: StampCode)], facts: [String: StampFact],
                                  participant: String) -> AggregationRefusalDecision? {
        let unknown = codes.filter { facts[$0.code.rawValue]?.owner != participant }.map(\.text)
        if !unknown.isEmpty {
            return AggregationRefusalDecision(.unknownCode, codes: unknown, detail: "\(count(unknown.count, "code")) never issued to this participant: \(sample(unknown))")
        }
        let inactive = codes.filter { facts[$0.code.rawValue]?.status != "activated" }
        if !inactive.isEmpty {
            let first = facts[inactive[0].code.rawValue]?.status == "writtenOff" ? "written off" : "issued, not activated"
            return AggregationRefusalDecision(.notActivated, codes: inactive.map(\.text),
                                              detail: "\(count(inactive.count, "code")) not Activated (\(inactive[0].text) is \(first)); only activated bottles are packed")
        }
        if let refusal = trade(codes.map { ($0.text, facts[$0.code.rawValue]) }, participant: participant) { return refusal }
        let packed = codes.filter { facts[$0.code.rawValue]?.inCase != nil }
        if let first = packed.first, let other = facts[first.code.rawValue]?.inCase {
            return AggregationRefusalDecision(.alreadyInCase, codes: packed.map(\.text),
                                              detail: "\(count(packed.count, "code")) in another packed case (\(first.text) is in case \(other)); dissolve that case first")
        }
        return nil
    }

    /// The trade rules on packing (cl. 23): a product handed to a buyer, or in an order pending signature, is not the
    /// participant's to pack or unpack.
    public static func trade(_ codes: [(text: String, fact: StampFact?)], participant: String) -> AggregationRefusalDecision? {
        let sold = codes.filter { $0.fact?.holder.map { $0 != participant } ?? false }.map(\.text)
        if !sold.isEmpty {
            return AggregationRefusalDecision(.notHeld, codes: sold,
                                              detail: "\(count(sold.count, "code")) handed to a buyer under a signed counter-order (\(sold[0])); no longer this participant's to pack (cl. 23)")
        }
        let pending = codes.filter { $0.fact?.pendingOrder != nil }
        if let first = pending.first {
            return AggregationRefusalDecision(.inPendingOrder, codes: pending.map(\.text),
                                              detail: "\(count(pending.count, "code")) in sale order \(first.fact?.pendingOrder ?? "") pending signature (\(first.text)); no operation until it is signed, cancelled or expired (cl. 23(3))")
        }
        return nil
    }

    /// `caseDissolved` / `palletDissolved`: the unit must be a packed unit of that kind of this participant; a case
    /// must not be on a packed pallet.
    public static func dissolve(_ unit: UnitCode, kind: UnitKind, participant: String, current: UnitFact?) -> AggregationRefusalDecision? {
        guard let current, current.packed, current.owner == participant else {
            return AggregationRefusalDecision(.unknownUnit, detail: "\(unit) is not a packed \(kind.rawValue) of this participant")
        }
        guard current.kind == kind else {
            return AggregationRefusalDecision(.unknownUnit, detail: "\(unit) is a packed \(current.kind.rawValue), not a \(kind.rawValue)")
        }
        if let pallet = current.pallet {
            return AggregationRefusalDecision(.onPallet, detail: "case \(unit) is on pallet \(pallet); dissolve the pallet first")
        }
        return nil
    }

    /// `palletBuilt`: every content a packed case of this participant, on no packed pallet.
    public static func palletBuilt(_ cases: [(text: String, code: UnitCode)], facts: [String: UnitFact],
                                   participant: String) -> AggregationRefusalDecision? {
        let unknown = cases.filter { entry in
            guard let fact = facts[entry.code.rawValue] else { return true }
            return !fact.packed || fact.owner != participant || fact.kind != .case
        }.map(\.text)
        if !unknown.isEmpty {
            return AggregationRefusalDecision(.unknownUnit, codes: unknown,
                                              detail: "\(count(unknown.count, "unit")) not a packed case of this participant: \(sample(unknown))")
        }
        let stacked = cases.filter { facts[$0.code.rawValue]?.pallet != nil }
        if let first = stacked.first, let pallet = facts[first.code.rawValue]?.pallet {
            return AggregationRefusalDecision(.alreadyOnPallet, codes: stacked.map(\.text),
                                              detail: "\(count(stacked.count, "case")) on another pallet (\(first.text) is on pallet \(pallet)); dissolve that pallet first")
        }
        return nil
    }

    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun) is" : "\(n) \(noun)s are" }

    static func sample(_ texts: [String]) -> String {
        texts.count <= 3 ? texts.joined(separator: ", ") : texts.prefix(3).joined(separator: ", ") + ", …"
    }

    /// The answer stored under an event id, as the JSON the store keeps.
    static func encode(_ result: AggregationResult) throws -> String {
        String(decoding: try WireCoding.canonicalEncoder().encode(result), as: UTF8.self)
    }

    /// The answer to a re-sent event: an applied event is `alreadyApplied`; a refused one is refused again, as stored.
    static func replay(_ stored: String, eventId: UUID) throws -> AggregationResult {
        var result: AggregationResult
        do { result = try WireCoding.decoder().decode(AggregationResult.self, from: Data(stored.utf8)) } catch {
            throw StoreError.failure("the stored answer of aggregation event \(eventId.uuidString.lowercased()) is unreadable: \(error)")
        }
        if result.result == .applied { result.result = .alreadyApplied }
        return result
    }

    /// The answer to an event id used before with another body.
    static func conflict(_ event: AggregationEventCommand) -> AggregationResult {
        AggregationResult(eventId: event.eventId, unit: event.unit, result: .conflict,
                          detail: "event \(event.eventId.uuidString.lowercased()) was used before with a different body (kind, unit, time or contents); nothing was changed")
    }
}
