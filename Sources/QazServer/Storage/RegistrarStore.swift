import Foundation
import LineCore
import QazAPI
import ServiceLifecycle

/// The registrar's storage seam. SQLite (``SQLiteRegistrarStore``) is the embedded default; the PostgreSQL backend
/// of the reports issue implements the same protocol and passes the same contract tests.
///
/// The HTTP layer validates and classifies input (JSON, field formats, malformed codes, duplicates, sizes) before
/// it calls a store, so a store only does storage work. Every mutating call is one transaction: all of it is
/// applied, or none of it. Every mutating call also keeps the per-participant monthly counters
/// (``MonthlyCounters``) up to date in that same transaction, so reports never scan codes or activations.
///
/// Idempotency contract for ``activate(_:)`` and ``recordWaybill(_:)``: the key (batch id, waybill number) is
/// claimed inside the transaction before anything else is written. SQLite serialises writers, so a concurrent
/// re-send waits and then finds the key; a server backend with concurrent writers must claim the key with an
/// insert that conflicts on a unique constraint (PostgreSQL: `INSERT … ON CONFLICT DO NOTHING RETURNING`, then
/// read the winner's row), so that two concurrent re-sends can never both apply.
public protocol RegistrarStore: Sendable {
    /// Creates or upgrades the schema with named, append-only migrations. Safe to call again.
    func migrate() async throws(StoreError)

    /// Checks that the storage answers (for `/ready`).
    func ping() async throws(StoreError)

    /// Records a validated waybill and issues its codes to the recipient; adds them to the recipient's
    /// `received` counter of the issue month.
    /// - Parameter waybill: the waybill, already checked for agreement of quantity, ranges and codes.
    /// - Returns: the receipt, and whether it is the stored answer to an earlier identical waybill.
    /// - Throws: ``StoreError/idempotencyConflict(_:)`` for the same number with another body,
    ///   ``StoreError/alreadyIssued(_:)`` when any code or stamp was issued before.
    func recordWaybill(_ waybill: WaybillCommand) async throws(StoreError) -> Stored<WaybillReceipt>

    /// Applies an activation batch all-or-nothing and stores its answer under the batch id.
    /// - Parameter batch: the batch, with every item already classified as a code or malformed.
    /// - Returns: the answer, and whether it is the stored answer to an earlier identical batch.
    /// - Throws: ``StoreError/idempotencyConflict(_:)`` when the batch id was used with another body.
    func activate(_ batch: ActivationCommand) async throws(StoreError) -> Stored<ActivationReceipt>

    /// The stored answer to a batch, or nil.
    func activation(batchId: UUID) async throws(StoreError) -> ActivationReceipt?

    /// A code's record, or nil when it was never issued.
    func code(_ code: StampCode) async throws(StoreError) -> CodeInfo?

    /// One page of a participant's codes with a status, in code order, strictly after `after`.
    func pool(owner: TaxpayerID, status: CodeStatus, after: String?, limit: Int) async throws(StoreError) -> [PoolCode]

    /// Writes codes off all-or-nothing and adds them to the owners' `writtenOff` counters of that month.
    /// - Throws: ``StoreError/notOwner(_:)`` when `participant` is set and any code belongs to someone else.
    func writeOff(_ command: WriteOffCommand) async throws(StoreError) -> WriteOffReceipt

    /// The monthly counters of a participant, in month order (the input of the App. 9/10 reports).
    func monthlyCounters(participant: TaxpayerID) async throws(StoreError) -> [MonthlyCounters]

    /// The participant's name as its latest waybill gives it (the reports' identity block), or nil.
    func participantName(_ participant: TaxpayerID) async throws(StoreError) -> String?

    /// One page of accepted activations (the live stream's events) with an event id greater than `after`, in event-id
    /// order. Event ids are assigned when an activation commits, increase in commit order and have no gaps, so a reader
    /// that saw every event up to `after` misses nothing by asking for what follows it.
    /// - Parameters:
    ///   - after: the last event id the reader has (0: from the first activation).
    ///   - participant: only this producer's or importer's activations; nil for everyone's.
    ///   - limit: the most events to answer.
    func activations(after: Int64, participant: TaxpayerID?, limit: Int) async throws(StoreError) -> [ActivationEvent]

    /// The highest event id assigned so far (0 when nothing was activated): where a new stream without
    /// `Last-Event-ID` starts.
    func latestActivationEventID() async throws(StoreError) -> Int64

    /// Activations per participant and hour with an activation time in `from..<to` (the registrar console's chart).
    /// Hours are whole UTC hours, which are whole Astana hours too (UTC+5). Hours without activations are left out.
    func activationsPerHour(from: Timestamp, to: Timestamp) async throws(StoreError) -> [HourlyActivations]

    /// Every participant that has codes (a row of monthly counters), in BIN order, with the name its latest waybill
    /// gives (the registrar console's list of reports).
    func participants() async throws(StoreError) -> [ParticipantSummary]

    /// Applies aggregation events (bottles into cases, cases onto pallets, and undoing either) in order, each on its
    /// own: all of an event or none of it. Each event id is claimed before anything else of the event is written; an
    /// id seen before is answered from storage (`alreadyApplied` for an applied event with the same digest, the stored
    /// refusal for a refused one, `conflict` for another digest) and changes nothing. Refusals are decided by
    /// ``AggregationRules`` on facts read under locks that keep them true until the event commits.
    /// - Returns: one result per event, in request order.
    func aggregate(_ command: AggregationCommand) async throws(StoreError) -> AggregationReceipt

    /// A case or pallet by its code (its latest packing: the current one while it is packed) with one page of its
    /// contents in code order, strictly after `after`; nil when the code was never packed.
    func unit(_ code: UnitCode, after: String?, limit: Int) async throws(StoreError) -> UnitInfo?

    /// Saves a new API token (only its hash is stored).
    func saveToken(_ token: TokenRecord) async throws(StoreError)

    /// The token with this SHA-256 hash, or nil.
    func token(hash: [UInt8]) async throws(StoreError) -> TokenRecord?

    /// Marks a token revoked; false when there is no such token.
    func revokeToken(id: String, at: Timestamp) async throws(StoreError) -> Bool

    /// Every token, newest first (hashes included, secrets never stored).
    func tokens() async throws(StoreError) -> [TokenRecord]
}

/// Runs `body` with the store usable: a store that is a `Service` (PostgreSQL's connection pool) runs as a child task
/// for the body's duration and stops with it; SQLite needs nothing. For commands and tools; the server runs the store
/// in its service group.
public func withRunningStore<T: Sendable>(_ store: any RegistrarStore, _ body: () async throws -> T) async throws -> T {
    guard let service = store as? any Service else { return try await body() }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// A value read back from storage, and whether it is the stored answer to an earlier identical request.
public struct Stored<Value: Sendable>: Sendable {
    public var value: Value
    /// True when nothing changed because an identical request was answered before.
    public var replayed: Bool
    public init(value: Value, replayed: Bool) {
        self.value = value
        self.replayed = replayed
    }
}

/// Why a store refused or failed an operation.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The idempotency key was used before with a different body (the key is attached).
    case idempotencyConflict(String)
    /// These codes (or stamps) were issued before.
    case alreadyIssued([String])
    /// These codes belong to another participant.
    case notOwner([String])
    /// The storage cannot be reached or is busy; retrying may succeed.
    case unavailable(String)
    /// Any other storage failure (the database's code and message).
    case failure(String)
    /// A trade operation refused on what storage knows (who holds a code, an order's state, a blocked account).
    case refused(TradeRefusal)
    /// The database was migrated by a newer qazserver: it has migrations this binary does not know (`unknown`, in
    /// version order; `newestKnown` is this binary's newest). Nothing was changed; see docs/upgrades.md.
    case newerSchema(database: String, unknown: [String], newestKnown: String)

    public var description: String {
        switch self {
        case .idempotencyConflict(let key): "\(key) was used before with a different body"
        case .alreadyIssued(let codes): "already issued: \(codes.prefix(5).joined(separator: ", "))"
        case .notOwner(let codes): "codes of another participant: \(codes.prefix(5).joined(separator: ", "))"
        case .unavailable(let why): "storage unavailable: \(why)"
        case .failure(let why): "storage failure: \(why)"
        case .refused(let refusal): "refused: \(refusal)"
        case .newerSchema(let database, let unknown, let newestKnown):
            "\(database) was written by a newer qazserver: its schema has \(unknown.joined(separator: ", ")), which this qazserver "
                + "(schema up to \(newestKnown)) does not know; run the newer qazserver or restore a backup taken before the upgrade"
        }
    }
}

/// A waybill ready to be stored.
public struct WaybillCommand: Sendable {
    public var waybill: WaybillRequest
    /// The codes, parsed.
    public var codes: [StampCode]
    /// SHA-256 of the canonical request, to tell a re-send from a conflicting reuse of the number.
    public var bodyHash: [UInt8]
    public var recordedAt: Timestamp
    /// The waybill must cite an approved application of its recipient, dated as cited, with at least its quantity of
    /// stamps not yet issued (cl. 16–17); the quantity is then counted as issued against the application.
    public var requireApplication: Bool
    /// Who recorded it (the Banknote Factory's or the registrar's token), for the operations log.
    public var actor: TaxpayerID?
    public init(waybill: WaybillRequest, codes: [StampCode], bodyHash: [UInt8], recordedAt: Timestamp, requireApplication: Bool = false) {
        self.waybill = waybill
        self.codes = codes
        self.bodyHash = bodyHash
        self.recordedAt = recordedAt
        self.requireApplication = requireApplication
    }
}

/// One item of an activation batch after validation.
public enum ClassifiedItem: Sendable, Equatable {
    /// A well-formed code: look it up and activate it.
    case code(text: String, code: StampCode, activatedAt: Timestamp, productCode: String)
    /// Not a stamp code (the reason says why): answered `malformed`, nothing stored for it.
    case malformed(text: String, reason: String)

    /// The item's text as sent.
    public var text: String {
        switch self {
        case .code(let text, _, _, _), .malformed(let text, _): text
        }
    }
}

/// An activation batch ready to be stored.
public struct ActivationCommand: Sendable {
    public var batchId: UUID
    /// The producer or importer the batch is for (its token's, or the one the registrar names).
    public var participant: TaxpayerID
    public var lineId: String
    public var equipmentId: String
    /// SHA-256 of the canonical batch (participant, line, equipment, items).
    public var bodyHash: [UInt8]
    public var receivedAt: Timestamp
    public var items: [ClassifiedItem]
    /// App. 8 import reports: the stamp each item says it was affixed with, by item index. A code issued on another
    /// stamp is answered `malformed` with reason `stamp_mismatch` and not activated. Nil for line activations.
    public var affixedStamps: [StampID]?
    /// Whose token filed it: `participant` itself, or the registrar acting on its behalf (cl. 24(2)); stored as the actor.
    public var actor: TaxpayerID
    public init(batchId: UUID, participant: TaxpayerID, lineId: String, equipmentId: String, bodyHash: [UInt8],
                receivedAt: Timestamp, items: [ClassifiedItem], affixedStamps: [StampID]? = nil, actor: TaxpayerID? = nil) {
        self.affixedStamps = affixedStamps
        self.actor = actor ?? participant
        self.batchId = batchId
        self.participant = participant
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.bodyHash = bodyHash
        self.receivedAt = receivedAt
        self.items = items
    }
}

/// A write-off ready to be stored.
public struct WriteOffCommand: Sendable {
    /// The owner every code must belong to; nil for the registrar, who may write off anyone's codes.
    public var participant: TaxpayerID?
    /// Whose token wrote the codes off: answered in the receipt and stored with each code written off as who did it
    /// (the registrar's own BIN when it acts, cl. 24(2)).
    public var requester: TaxpayerID
    public var writtenOffAt: Timestamp
    public var reason: String
    public var items: [ClassifiedItem]
    public init(participant: TaxpayerID?, requester: TaxpayerID, writtenOffAt: Timestamp, reason: String, items: [ClassifiedItem]) {
        self.participant = participant
        self.requester = requester
        self.writtenOffAt = writtenOffAt
        self.reason = reason
        self.items = items
    }
}

/// Per participant and Astana reporting month: what App. 9 and App. 10 need, kept at ingest.
///
/// received = codes issued with a waybill issue date in the month; activated = activations whose time falls in
/// the month; writtenOff = write-offs dated in the month. used = activated + writtenOff.
public struct MonthlyCounters: Sendable, Equatable, Codable {
    public var participant: TaxpayerID
    public var month: ReportingMonth
    public var received: Int
    public var activated: Int
    public var writtenOff: Int
    public init(participant: TaxpayerID, month: ReportingMonth, received: Int, activated: Int, writtenOff: Int) {
        self.participant = participant
        self.month = month
        self.received = received
        self.activated = activated
        self.writtenOff = writtenOff
    }
}

/// Activations of one participant in one hour.
public struct HourlyActivations: Sendable, Equatable {
    public var participant: TaxpayerID
    /// The start of the hour.
    public var hour: Timestamp
    public var count: Int
    public init(participant: TaxpayerID, hour: Timestamp, count: Int) {
        self.participant = participant
        self.hour = hour
        self.count = count
    }
}

/// A producer or importer the registrar holds codes for.
public struct ParticipantSummary: Sendable, Equatable {
    public var participant: TaxpayerID
    /// The name on its latest waybill.
    public var name: String?
    public init(participant: TaxpayerID, name: String?) {
        self.participant = participant
        self.name = name
    }
}

/// A stored API token: its public id, the SHA-256 of the secret token, who it speaks for.
public struct TokenRecord: Sendable, Equatable {
    /// Public identifier (also the token's prefix), used to list and revoke.
    public var id: String
    /// SHA-256 of the whole token text.
    public var hash: [UInt8]
    public var participant: TaxpayerID
    public var role: Role
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var revokedAt: Timestamp?
    public init(id: String, hash: [UInt8], participant: TaxpayerID, role: Role, createdAt: Timestamp,
                expiresAt: Timestamp? = nil, revokedAt: Timestamp? = nil) {
        self.id = id
        self.hash = hash
        self.participant = participant
        self.role = role
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}
