import Foundation
import LineCore
import QazAPI

/// The registrar's trade storage seam (order No 288 chapters 3–4): account records and blocking, stamp applications,
/// sale orders and counter-orders, the per-code and per-owner status model, the operations log and extracts, signed
/// report submissions. SQLite and PostgreSQL implement it and pass the same tests.
///
/// The HTTP layer verifies signatures, validates documents and computes deadlines with the working-day calendar; a
/// store only checks what storage knows (who holds a code, what is pending, what an account's state is) with
/// ``TradeRules`` — pure functions, so both backends refuse alike — and writes all of an operation or none of it, with
/// its entry in the append-only operations log in the same transaction.
public protocol TradeStore: Sendable {
    /// Creates or renames an account record. Answers the stored record.
    func putAccount(_ participant: TaxpayerID, request: AccountRequest, actor: TaxpayerID, at: Timestamp) async throws(StoreError) -> AccountInfo

    /// An account record, or nil.
    func account(_ participant: TaxpayerID) async throws(StoreError) -> AccountInfo?

    /// Blocks (`block` set) or unblocks (`block` nil) an account; logs who and why.
    /// - Throws: ``StoreError/refused(_:)`` `account_unknown`; `invalid_state` when already in that state.
    func setBlock(_ participant: TaxpayerID, block: AccountBlock?, actor: TaxpayerID, reason: String, at: Timestamp)
        async throws(StoreError) -> AccountInfo

    /// Stores a signed stamp application (idempotent per applicant and number: the same document again answers the
    /// stored application, another document under that number is `idempotency_conflict`).
    func submitApplication(_ command: ApplicationCommand) async throws(StoreError) -> Stored<ApplicationInfo>

    /// An application, or nil. `overdue` is computed against `now`.
    func application(applicant: TaxpayerID, number: String, now: Timestamp) async throws(StoreError) -> ApplicationInfo?

    /// Applications newest first, strictly before the cursor (an application's internal id), filtered.
    func applications(_ query: ApplicationQuery) async throws(StoreError) -> (items: [ApplicationInfo], last: Int64?)

    /// Records the revenue body's decision on a submitted application.
    /// - Throws: `not_found`; `invalid_state` when it was decided before.
    func decideApplication(_ command: ApplicationDecisionCommand) async throws(StoreError) -> ApplicationInfo

    /// Saves and signs an order «Қол қоюда» (idempotent per seller and number). The codes (units expanded) must be
    /// held by the seller, activated, in no pending order; seller and buyer must be unblocked accounts.
    func saveOrder(_ command: OrderCommand) async throws(StoreError) -> Stored<OrderInfo>

    /// The buyer's counter-order: a pending, unexpired order becomes «Қол қойылған» and its codes the buyer's.
    /// A pending order past its expiry is expired in the same transaction and the counter-order refused `order_expired`.
    func signOrder(_ command: CounterOrderCommand) async throws(StoreError) -> OrderInfo

    /// The seller cancels a pending order before the buyer signs; its codes are free again.
    func cancelOrder(id: String, actor: TaxpayerID, reason: String, at: Timestamp) async throws(StoreError) -> OrderInfo

    /// Expires every pending order with `expiresAt <= now` («Жойылды»), freeing its codes. Returns their ids.
    func expireOrders(now: Timestamp) async throws(StoreError) -> [String]

    /// The earliest expiry of a pending order, or nil when none is pending (the expiry job sleeps until it).
    func nextOrderExpiry() async throws(StoreError) -> Timestamp?

    /// An order, or nil.
    func order(id: String) async throws(StoreError) -> OrderInfo?

    /// The signed documents of an order: the seller's canonical bytes and signature, and the buyer's when signed.
    func orderDocuments(id: String) async throws(StoreError) -> [StoredDocument]

    /// Orders of a participant (as seller, buyer or either), newest first, strictly before the cursor.
    func orders(_ query: OrderQuery) async throws(StoreError) -> (items: [OrderInfo], last: Int64?)

    /// One page of an order's stamp codes in code order, strictly after `after`.
    func orderCodes(id: String, after: String?, limit: Int) async throws(StoreError) -> [String]

    /// A code's holder, every participant's status for it, and its pending order; nil when the code was never issued.
    func holdings(_ code: StampCode) async throws(StoreError) -> CodeHoldings?

    /// The operations on a code, oldest first: issued, activated, packed and dissolved, orders, written off.
    func codeOperations(_ code: StampCode) async throws(StoreError) -> [OperationRecord]

    /// One page of an account's operations log, oldest first, in `from..<to`, strictly after the cursor.
    func operations(_ query: OperationQuery) async throws(StoreError) -> (items: [OperationRecord], last: Int64?)

    /// The general extract of an account (counts by status, orders, applications, last operation).
    func accountExtract(_ participant: TaxpayerID, now: Timestamp) async throws(StoreError) -> AccountExtract?

    /// Stores a signed report submission with the registrar's verdict.
    func recordReportSubmission(_ command: ReportSubmissionCommand) async throws(StoreError) -> ReportSubmissionResult
}

/// A refusal decided from storage: the status, the stable code and a message naming the problem.
public struct TradeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: ErrorCode
    public var message: String
    public var details: [String: String]
    public init(status: Int, code: ErrorCode, message: String, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }
    public var description: String { "\(code.rawValue): \(message)" }

    static func codes(_ codes: [String]) -> [String: String] {
        ["codes": codes.prefix(20).joined(separator: ","), "count": String(codes.count)]
    }
}

/// A verified signed document as a store keeps it.
public struct SignedRecord: Sendable, Equatable {
    /// `application`, `order`, `counterOrder`, `report`.
    public var kind: String
    /// The participant it was signed for.
    public var participant: TaxpayerID
    public var canonical: [UInt8]
    public var signature: [UInt8]
    public var summary: SignatureSummary
    public var receivedAt: Timestamp
    public init(kind: String, participant: TaxpayerID, canonical: [UInt8], signature: [UInt8], summary: SignatureSummary, receivedAt: Timestamp) {
        self.kind = kind
        self.participant = participant
        self.canonical = canonical
        self.signature = signature
        self.summary = summary
        self.receivedAt = receivedAt
    }

    /// How the operations log names the document.
    public var reference: DocumentReference {
        DocumentReference(kind: kind, digest: summary.documentDigest, signer: summary.subject)
    }
}

/// A stored signed document, read back.
public struct StoredDocument: Sendable, Equatable, Codable {
    public var kind: String
    public var participant: TaxpayerID
    /// The canonical document (UTF-8 JSON).
    public var document: String
    /// Base64 DER CMS.
    public var signature: String
    public var summary: SignatureSummary
    public var receivedAt: Timestamp
    public init(kind: String, participant: TaxpayerID, document: String, signature: String, summary: SignatureSummary, receivedAt: Timestamp) {
        self.kind = kind
        self.participant = participant
        self.document = document
        self.signature = signature
        self.summary = summary
        self.receivedAt = receivedAt
    }
}

public struct ApplicationCommand: Sendable {
    /// The registrar performs it (cl. 24(2)): a blocked account does not stop it.
    public var registrarActs = false
    public var application: StampApplication
    public var document: SignedRecord
    /// Who submitted it (the applicant, or the registrar acting for it).
    public var actor: TaxpayerID
    public var submittedAt: Timestamp
    /// `submittedAt` + the kind's decision period in working days.
    public var decisionDue: Timestamp
    public init(application: StampApplication, document: SignedRecord, actor: TaxpayerID, submittedAt: Timestamp, decisionDue: Timestamp) {
        self.application = application
        self.document = document
        self.actor = actor
        self.submittedAt = submittedAt
        self.decisionDue = decisionDue
    }
}

public struct ApplicationDecisionCommand: Sendable {
    public var applicant: TaxpayerID
    public var number: String
    public var decision: ApplicationDecision
    public var actor: TaxpayerID
    public var at: Timestamp
    public init(applicant: TaxpayerID, number: String, decision: ApplicationDecision, actor: TaxpayerID, at: Timestamp) {
        self.applicant = applicant
        self.number = number
        self.decision = decision
        self.actor = actor
        self.at = at
    }
}

public struct ApplicationQuery: Sendable {
    public var applicant: TaxpayerID?
    public var status: ApplicationStatus?
    /// Only undecided applications past their decision deadline at `now`.
    public var overdueOnly: Bool
    public var now: Timestamp
    public var before: Int64?
    public var limit: Int
    public init(applicant: TaxpayerID? = nil, status: ApplicationStatus? = nil, overdueOnly: Bool = false, now: Timestamp, before: Int64? = nil,
                limit: Int = 100) {
        self.applicant = applicant
        self.status = status
        self.overdueOnly = overdueOnly
        self.now = now
        self.before = before
        self.limit = limit
    }
}

public struct OrderCommand: Sendable {
    /// The registrar performs it (cl. 24(2)): a blocked account does not stop it.
    public var registrarActs = false
    /// The new order's id (used only when the order is new).
    public var id: String
    public var order: SaleOrder
    /// The order's stamp codes, parsed, no repeats (units not included).
    public var codes: [StampCode]
    /// The case and pallet codes whose current contents join the order.
    public var units: [UnitCode]
    public var document: SignedRecord
    public var actor: TaxpayerID
    public var savedAt: Timestamp
    public var expiresAt: Timestamp
    public init(id: String, order: SaleOrder, codes: [StampCode], units: [UnitCode], document: SignedRecord, actor: TaxpayerID,
                savedAt: Timestamp, expiresAt: Timestamp) {
        self.id = id
        self.order = order
        self.codes = codes
        self.units = units
        self.document = document
        self.actor = actor
        self.savedAt = savedAt
        self.expiresAt = expiresAt
    }
}

public struct CounterOrderCommand: Sendable {
    /// The registrar performs it (cl. 24(2)): a blocked account does not stop it.
    public var registrarActs = false
    public var orderId: String
    public var counterOrder: CounterOrder
    public var document: SignedRecord
    public var actor: TaxpayerID
    public var at: Timestamp
    public init(orderId: String, counterOrder: CounterOrder, document: SignedRecord, actor: TaxpayerID, at: Timestamp) {
        self.orderId = orderId
        self.counterOrder = counterOrder
        self.document = document
        self.actor = actor
        self.at = at
    }
}

public struct OrderQuery: Sendable {
    public enum Side: String, Sendable, CaseIterable { case seller, buyer, any }
    public var participant: TaxpayerID?
    public var side: Side
    public var status: OrderStatus?
    /// Strictly older than this order's save sequence.
    public var before: Int64?
    public var limit: Int
    public init(participant: TaxpayerID?, side: Side = .any, status: OrderStatus? = nil, before: Int64? = nil, limit: Int = 100) {
        self.participant = participant
        self.side = side
        self.status = status
        self.before = before
        self.limit = limit
    }
}

public struct OperationQuery: Sendable {
    public var participant: TaxpayerID
    public var from: Timestamp?
    public var to: Timestamp?
    public var after: Int64?
    public var limit: Int
    public init(participant: TaxpayerID, from: Timestamp? = nil, to: Timestamp? = nil, after: Int64? = nil, limit: Int = 100) {
        self.participant = participant
        self.from = from
        self.to = to
        self.after = after
        self.limit = limit
    }
}

/// A code's holder and statuses.
public struct CodeHoldings: Sendable, Equatable {
    public var holder: TaxpayerID
    public var holdings: [CodeHolding]
    public var pendingOrder: String?
    public init(holder: TaxpayerID, holdings: [CodeHolding], pendingOrder: String?) {
        self.holder = holder
        self.holdings = holdings
        self.pendingOrder = pendingOrder
    }
}

public struct ReportSubmissionCommand: Sendable {
    public var id: String
    public var submission: ReportSubmission
    public var document: SignedRecord
    public var actor: TaxpayerID
    public var result: ReportSubmissionResult.Verdict
    public var differences: [ReportDifference]
    public var at: Timestamp
    public init(id: String, submission: ReportSubmission, document: SignedRecord, actor: TaxpayerID, result: ReportSubmissionResult.Verdict,
                differences: [ReportDifference], at: Timestamp) {
        self.id = id
        self.submission = submission
        self.document = document
        self.actor = actor
        self.result = result
        self.differences = differences
        self.at = at
    }
}

/// What a store reads about one code an order names, under the locks that keep it true until the order commits.
public struct TradeCodeFact: Sendable, Equatable {
    public var id: Int64
    /// The participant the code was issued to.
    public var owner: String
    /// Who holds the product now (the owner until it is transferred).
    public var holder: String
    /// `issued`, `activated`, `writtenOff` (and, later, `redeemed`).
    public var status: String
    /// The pending order it is in, if any.
    public var pendingOrder: String?
    public init(id: Int64, owner: String, holder: String, status: String, pendingOrder: String?) {
        self.id = id
        self.owner = owner
        self.holder = holder
        self.status = status
        self.pendingOrder = pendingOrder
    }
}

/// The trade rules both stores apply (cl. 21, 23, 24), on facts they read.
public enum TradeRules {
    /// Whether an order may carry these codes for this seller: each known, held by the seller, activated, in no
    /// pending order. The first failing rule names every code that fails it.
    /// Codes that came from a named case or pallet (`unitOf`: code → unit) are never listed: a unit whose bottles are not
    /// all the seller's to sell is refused naming the unit only, as if it were not packed, so that an order cannot be
    /// used to read another participant's codes out of its cases.
    public static func orderCodes(_ codes: [String], facts: [String: TradeCodeFact], seller: String, unitOf: [String: String]) -> TradeRefusal? {
        if let unit = codes.first(where: { unitOf[$0] != nil && failsOrderRules(facts[$0], seller: seller) }).flatMap({ unitOf[$0] }) {
            return unitRefused(unit)
        }
        return orderCodes(codes, facts: facts, seller: seller)
    }

    /// Whether a code's facts break a rule of an order (unknown, not held, not activated, pending).
    static func failsOrderRules(_ fact: TradeCodeFact?, seller: String) -> Bool {
        guard let fact else { return true }
        return fact.holder != seller || fact.status != "activated" || fact.pendingOrder != nil
    }

    /// A case or pallet an order cannot carry: not packed, or not all its bottles the seller's to sell now.
    public static func unitRefused(_ unit: String) -> TradeRefusal {
        TradeRefusal(status: 422, code: .invalidField,
                     message: "units: \(unit) is not a packed case or pallet whose bottles the seller holds, activated and in no pending order",
                     details: ["field": "document.units", "unit": unit])
    }

    public static func orderCodes(_ codes: [String], facts: [String: TradeCodeFact], seller: String) -> TradeRefusal? {
        let unknown = codes.filter { facts[$0] == nil }
        if !unknown.isEmpty {
            return TradeRefusal(status: 422, code: .codesNotHeld, message: "\(unknown.count) code(s) were never issued; nothing was saved",
                                details: TradeRefusal.codes(unknown).merging(["reason": "unknown"]) { a, _ in a })
        }
        let foreign = codes.filter { facts[$0]!.holder != seller }
        if !foreign.isEmpty {
            return TradeRefusal(status: 422, code: .codesNotHeld,
                                message: "\(foreign.count) code(s) are not held by the seller (another participant's, or already transferred); nothing was saved",
                                details: TradeRefusal.codes(foreign).merging(["reason": "not_held"]) { a, _ in a })
        }
        let inactive = codes.filter { facts[$0]!.status != "activated" }
        if !inactive.isEmpty {
            let statuses = Set(inactive.map { facts[$0]!.status }).sorted().joined(separator: ", ")
            return TradeRefusal(status: 422, code: .codesNotActive,
                                message: "\(inactive.count) code(s) are not in circulation (\(statuses)): only activated products are sold; nothing was saved",
                                details: TradeRefusal.codes(inactive).merging(["statuses": statuses]) { a, _ in a })
        }
        let pending = codes.filter { facts[$0]!.pendingOrder != nil }
        if !pending.isEmpty {
            let orders = Set(pending.compactMap { facts[$0]!.pendingOrder }).sorted()
            return TradeRefusal(status: 409, code: .codesPending,
                                message: "\(pending.count) code(s) are in an order pending signature (cl. 23(3)): \(orders.prefix(3).joined(separator: ", ")); nothing was saved",
                                details: TradeRefusal.codes(pending).merging(["orders": orders.prefix(20).joined(separator: ",")]) { a, _ in a })
        }
        return nil
    }

    /// Whether the seller and buyer accounts allow an order: both exist, neither is blocked, they differ.
    /// - Parameter registrarActs: the registrar performs it (cl. 24(2)): a blocked account does not stop it.
    public static func orderParties(seller: AccountInfo?, buyer: AccountInfo?, sellerID: TaxpayerID, buyerID: TaxpayerID,
                                    registrarActs: Bool = false) -> TradeRefusal? {
        if sellerID == buyerID {
            return TradeRefusal(status: 422, code: .invalidField, message: "buyer: the buyer is the seller", details: ["field": "document.buyer"])
        }
        guard let seller else { return unknownAccount(sellerID, role: "seller") }
        if let block = seller.blocked, !registrarActs {
            var refusal = blocked(seller.participant, block)
            refusal.details["side"] = "seller"
            return refusal
        }
        guard let buyer else { return unknownAccount(buyerID, role: "buyer") }
        if let block = buyer.blocked, !registrarActs {
            return TradeRefusal(status: 409, code: .accountBlocked,
                                message: "the buyer \(buyer.participant)'s account is blocked (\(block.reason)); nothing was saved",
                                details: ["participant": buyer.participant.rawValue, "side": "buyer", "blockedAt": block.at.description])
        }
        return nil
    }

    /// `account_blocked` for a participant's operation.
    public static func blocked(_ participant: TaxpayerID, _ block: AccountBlock) -> TradeRefusal {
        TradeRefusal(status: 403, code: .accountBlocked,
                     message: "the account \(participant) is blocked since \(block.at.astana) (\(block.reason)); operations are refused, reads work (cl. 23(2))",
                     details: ["participant": participant.rawValue, "blockedAt": block.at.description])
    }

    /// `account_unknown`.
    public static func unknownAccount(_ participant: TaxpayerID, role: String) -> TradeRefusal {
        TradeRefusal(status: 422, code: .accountUnknown, message: "no account record for the \(role) \(participant); nothing was saved",
                     details: ["participant": participant.rawValue, "side": role])
    }

    /// Whether an order in `status` (expiring at `expiresAt`) may be signed or cancelled at `at`.
    public static func transition(_ action: String, status: OrderStatus, expiresAt: Timestamp, at: Timestamp, id: String) -> TradeRefusal? {
        switch status {
        case .pending where at >= expiresAt:
            return TradeRefusal(status: 409, code: .orderExpired,
                                message: "order \(id) expired («Жойылды») at \(expiresAt.astana): not signed within 3 working days of saving",
                                details: ["order": id, "expiredAt": expiresAt.description])
        case .pending:
            return nil
        case .expired:
            return TradeRefusal(status: 409, code: .orderExpired, message: "order \(id) expired («Жойылды»); it cannot be \(action)",
                                details: ["order": id, "status": status.rawValue])
        case .signed, .cancelled:
            return TradeRefusal(status: 409, code: .invalidState, message: "order \(id) is \(status.rawValue) («\(status.kazakh)»); it cannot be \(action)",
                                details: ["order": id, "status": status.rawValue])
        }
    }

    /// The report columns that differ.
    public static func differences(_ submission: ReportSubmission, usage: QRUsageReport, activation: QRActivationReport) -> [ReportDifference] {
        var differences = [ReportDifference]()
        func compare(_ column: String, _ submitted: Int?, _ registrar: Int) {
            if submitted != registrar { differences.append(ReportDifference(column: column, submitted: submitted, registrar: registrar)) }
        }
        switch submission.form {
        case .app9:
            compare("received", submission.received, activation.received)
            compare("activated", submission.activated, activation.activated)
        case .app10:
            compare("openingBalance", submission.openingBalance, usage.openingBalance)
            compare("received", submission.received, usage.received)
            compare("used", submission.used, usage.used)
            compare("closingBalance", submission.closingBalance, usage.closingBalance)
        }
        return differences
    }
}

/// The fixed limits of the trade endpoints.
public enum TradeLimits {
    /// The most stamp codes one order transfers (units expanded).
    public static let maxOrderCodes = 100_000
    /// The default and the largest page of the list endpoints.
    public static let defaultPage = 100
    public static let maxPage = 1_000
    /// The default and the largest page of an order's codes.
    public static let defaultCodePage = 1_000
    public static let maxCodePage = 10_000
}

extension TradeRules {
    /// Whether a counter-order answers this order: same seller and buyer, the digest of the seller's document, accepting.
    public static func counterOrder(_ counter: CounterOrder, seller: String, buyer: String, sellerDigest: String) -> TradeRefusal? {
        if counter.seller.rawValue != seller || counter.buyer.rawValue != buyer {
            return TradeRefusal(status: 422, code: .invalidField,
                                message: "document: the counter-order names seller \(counter.seller) and buyer \(counter.buyer), the order \(seller) and \(buyer)",
                                details: ["field": "document.buyer"])
        }
        if counter.orderDigest.lowercased() != sellerDigest {
            return TradeRefusal(status: 422, code: .invalidField,
                                message: "document.orderDigest: not the SHA-256 of the seller's signed order (\(sellerDigest)); the buyer must sign for the order it saw",
                                details: ["field": "document.orderDigest", "expected": sellerDigest])
        }
        if !counter.accept {
            return TradeRefusal(status: 422, code: .invalidField, message: "document.accept: a counter-order accepts the products; to refuse, do not sign",
                                details: ["field": "document.accept"])
        }
        return nil
    }
}

/// A code's history as both stores assemble it from what they keep.
public enum TradeHistory {
    /// Every participant's status for a code: the owner produced it when activated; each signed order makes the seller
    /// «Берілген» and the buyer «Белсенді». In the order they first held it, each with its latest status.
    public static func holdings(owner: String, activatedAt: Int64?, transfers: [(seller: String, buyer: String, at: Int64, order: String)],
                                redemptions: [Redemption] = []) -> [CodeHolding] {
        var order = [String]()
        var latest = [String: CodeHolding]()
        func set(_ participant: String, _ status: ProductStatus, _ at: Int64, _ orderID: String?) {
            if latest[participant] == nil { order.append(participant) }
            latest[participant] = CodeHolding(participant: TaxpayerID(trustedRow: participant), status: status,
                                              since: Timestamp(milliseconds: at), order: orderID)
        }
        if let activatedAt { set(owner, .produced, activatedAt, nil) }
        // Transfers and redemptions in the order they happened (a redemption at a counter-order follows its transfer).
        enum Event { case transfer(seller: String, buyer: String, order: String), redemption(Redemption) }
        let events = transfers.map { (at: $0.at, rank: 0, event: Event.transfer(seller: $0.seller, buyer: $0.buyer, order: $0.order)) }
            + redemptions.map { (at: $0.recordedAt, rank: 1, event: Event.redemption($0)) }
        for (at, _, event) in events.enumerated().sorted(by: { ($0.element.at, $0.element.rank, $0.offset) < ($1.element.at, $1.element.rank, $1.offset) })
            .map(\.element) {
            switch event {
            case .transfer(let seller, let buyer, let orderID):
                set(seller, .transferred, at, orderID)
                set(buyer, .active, at, orderID)
            case .redemption(let redemption) where redemption.restored:
                set(redemption.seller, redemption.seller == owner ? .produced : .active, redemption.at, nil)
            case .redemption(let redemption):
                set(redemption.seller, .redeemed, redemption.at, nil)
            }
        }
        return order.compactMap { latest[$0] }
    }

    /// A code redeemed or restored by a seller.
    public struct Redemption: Sendable {
        public var seller: String
        public var restored: Bool
        public var at: Int64
        public var channel: String
        public var reference: String
        public var actor: String
        /// When the registrar recorded it (a sale may be dated before the counter-order that gave the seller the bottle
        /// was signed: statuses follow the order things reached the registrar).
        public var recordedAt: Int64
        public init(seller: String, restored: Bool, at: Int64, channel: String, reference: String, actor: String, recordedAt: Int64? = nil) {
            self.seller = seller
            self.restored = restored
            self.at = at
            self.channel = channel
            self.reference = reference
            self.actor = actor
            self.recordedAt = recordedAt ?? at
        }

        /// How a code's history shows it.
        public var operation: OperationRecord {
            let how = switch channel {
            case "receipt": "cash-register receipt"
            case "service": "scanned in the Service"
            default: "at the counter-order, under the buyer's consent"
            }
            return OperationRecord(at: Timestamp(milliseconds: at), kind: restored ? .returned : .redeemed, participant: TaxpayerID(trustedRow: seller),
                                   actor: TaxpayerID(trustedRow: actor), reference: reference, detail: how)
        }
    }

    /// The operations an order makes on each of its codes.
    public static func orderEvents(id: String, seller: String, buyer: String, savedAt: Int64, signedAt: Int64?, cancelledAt: Int64?,
                                   expiredAt: Int64?, actor: String, buyerActor: String?, sellerDocument: DocumentReference,
                                   buyerDocument: DocumentReference?) -> [OperationRecord] {
        let s = TaxpayerID(trustedRow: seller), b = TaxpayerID(trustedRow: buyer)
        var events = [OperationRecord(at: Timestamp(milliseconds: savedAt), kind: .orderSaved, participant: s, actor: TaxpayerID(trustedRow: actor),
                                      reference: id, detail: "to \(buyer)", document: sellerDocument)]
        if let signedAt {
            let by = TaxpayerID(trustedRow: buyerActor ?? buyer)
            events.append(OperationRecord(at: Timestamp(milliseconds: signedAt), kind: .transferred, participant: s, actor: by, reference: id,
                                          detail: "to \(buyer)", document: buyerDocument))
            events.append(OperationRecord(at: Timestamp(milliseconds: signedAt), kind: .received, participant: b, actor: by, reference: id,
                                          detail: "from \(seller)", document: buyerDocument))
        }
        if let cancelledAt {
            events.append(OperationRecord(at: Timestamp(milliseconds: cancelledAt), kind: .orderCancelled, participant: s, actor: s, reference: id))
        }
        if let expiredAt {
            events.append(OperationRecord(at: Timestamp(milliseconds: expiredAt), kind: .orderExpired, participant: s, actor: s, reference: id))
        }
        return events
    }

    /// Oldest first; at one instant in the order they were appended. Issue comes first whatever its time: a waybill
    /// may be recorded after the line activated its codes (an activation's time is the bottle's, sent later).
    public static func sorted(_ events: [OperationRecord]) -> [OperationRecord] {
        events.enumerated().sorted { a, b in
            let first = (a.element.kind == .codesIssued ? 0 : 1, a.element.at, a.offset)
            let second = (b.element.kind == .codesIssued ? 0 : 1, b.element.at, b.offset)
            return first < second
        }.map(\.element)
    }
}

extension Result where Failure == TradeRefusal {
    /// The value, or the refusal as ``StoreError/refused(_:)``: a store decides inside its transaction and returns the
    /// refusal (so what the transaction did before deciding, such as expiring an order, commits), then throws it.
    public func refusing() throws(StoreError) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let refusal): throw .refused(refusal)
        }
    }
}

extension TradeRules {
    /// What a store reads about the application a waybill cites.
    public struct ApplicationFact: Sendable {
        public var status: String
        public var date: String
        public var quantity: Int
        public var issued: Int
        public init(status: String, date: String, quantity: Int, issued: Int) {
            self.status = status
            self.date = date
            self.quantity = quantity
            self.issued = issued
        }
    }

    /// cl. 16–17: a waybill cites an approved application of the same recipient, dated as cited, and issues no more
    /// stamps than it approved (counting earlier waybills citing it).
    public static func waybillApplication(_ waybill: WaybillRequest, fact: ApplicationFact?) -> TradeRefusal? {
        let cited = "application \(waybill.application.number) of \(waybill.application.date) by \(waybill.recipient.bin)"
        func refuse(_ why: String, _ details: [String: String] = [:]) -> TradeRefusal {
            TradeRefusal(status: 422, code: .applicationMismatch, message: "\(why); the waybill was not recorded (cl. 16–17)",
                         details: ["application": waybill.application.number, "recipient": waybill.recipient.bin.rawValue].merging(details) { a, _ in a })
        }
        guard let fact else { return refuse("the registrar has no \(cited)") }
        guard fact.date == waybill.application.date.description else {
            return refuse("\(cited): the application is dated \(fact.date)", ["date": fact.date])
        }
        guard fact.status == "approved" else {
            return refuse("\(cited) is \(fact.status), not approved by the revenue body", ["status": fact.status])
        }
        guard fact.issued + waybill.quantity <= fact.quantity else {
            return refuse("\(cited) approved \(fact.quantity) stamps, \(fact.issued) issued before; \(waybill.quantity) more exceed it",
                          ["approved": String(fact.quantity), "issuedBefore": String(fact.issued)])
        }
        return nil
    }
}

extension RegistrarStore {
    /// How the operations log describes an activation batch: a filling line's, or an importer's App. 8 report.
    static func activationDetail(_ command: ActivationCommand) -> String {
        command.affixedStamps == nil ? "line \(command.lineId), \(command.equipmentId)" : "App. 8 report (cl. 20)"
    }
}

extension TradeRules {
    /// The stored form of a submission's differing columns (sorted keys: equal lists are equal texts).
    public static func encode(_ differences: [ReportDifference]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(differences), as: UTF8.self)
    }
}
