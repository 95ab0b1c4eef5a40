import CounterfeitAnalytics
import Foundation
import LineCore
import QazAPI

/// The registrar's retail storage seam (order No 288 cl. 22, 27): cash registers' receipts from fiscal data operators
/// applied in each register's order, redemption «Өтелген» through the Service and at a counter-order, consumers'
/// scans and the alerts they raise. SQLite and PostgreSQL implement it and pass the same tests.
///
/// The HTTP layer validates receipts and parses marking codes (``ReceiptCommand``); a store decides each code's outcome
/// with ``RetailRules`` on the facts it reads under its locks, and writes a receipt's effects, its answer and its
/// operations-log entry in one transaction.
public protocol RetailStore: Sendable {
    /// Records receipts and applies those whose turn has come, in each register's number order (a receipt whose
    /// predecessor has not arrived waits). Answers one ``ReceiptAnswer`` per command, in order, as stored at the end:
    /// `applied` with each line's outcomes, `waiting`, or `rejected` (the same number with another body, a fiscal sign
    /// of another receipt, a factory number that is not the register's).
    func recordReceipts(_ commands: [ReceiptCommand]) async throws(StoreError) -> [ReceiptAnswer]

    /// A stored receipt's answer, or nil.
    func receipt(registration: String, number: Int) async throws(StoreError) -> ReceiptAnswer?

    /// A register's sequence, waiting receipts and reported gaps, or nil when never seen.
    func cashRegister(_ registration: String) async throws(StoreError) -> CashRegisterState?

    /// Reported gaps, newest first, strictly before the cursor, of one register or all.
    func receiptGaps(registration: String?, before: Int64?, limit: Int) async throws(StoreError) -> (items: [ReceiptGap], last: Int64?)

    /// For each register whose first waiting receipt was received at or before `waitedSince`: reports the gap before it
    /// and applies the waiting receipts that follow in order (flagged `afterGap`). Returns the gaps reported.
    func reportReceiptGaps(waitedSince: Timestamp, now: Timestamp) async throws(StoreError) -> [ReceiptGap]

    /// When the oldest waiting receipt was received, or nil when none waits (the gap job sleeps until it is due).
    func oldestWaitingReceipt() async throws(StoreError) -> Timestamp?

    /// Redemption through the Service (cl. 22, first way): idempotent per seller and number (the same document again
    /// answers the stored answer; another under that number is `idempotency_conflict`).
    func redeem(_ command: ServiceRedemptionCommand) async throws(StoreError) -> Stored<RedemptionAnswer>

    /// A stored redemption through the Service, or nil.
    func serviceRedemption(seller: TaxpayerID, number: String) async throws(StoreError) -> RedemptionAnswer?

    /// Records the participant's consent (or its withdrawal) that codes it receives are redeemed when it signs the
    /// counter-order (cl. 22, second way). `account_unknown` without an account record.
    func setRedemptionConsent(_ command: RedemptionConsentCommand) async throws(StoreError) -> AccountInfo

    /// Records a consumer's scan; `evaluate` decides the alerts from the code's facts and its earlier scans and alerts,
    /// inside the transaction that stores them. Answers the code's facts (nil when never issued) and the new alerts.
    func recordScan(_ command: ScanCommand, evaluate: @escaping ScanEvaluator) async throws(StoreError) -> ScanOutcome

    /// A code's facts as a scan would answer them, without recording a scan (nil when never issued).
    func verifyFacts(_ code: String) async throws(StoreError) -> VerifyFacts?

    /// Adds the location a consumer shared to a recent scan and evaluates the travel rule again.
    /// - Throws: `not_found`; `invalid_state` when the scan already has a location or is older than the window.
    func addScanLocation(_ command: ScanLocationCommand, evaluate: @escaping ScanEvaluator) async throws(StoreError) -> ScanOutcome

    /// Alerts newest first, strictly before the cursor (an alert id), filtered.
    func alerts(_ query: AlertQuery) async throws(StoreError) -> (items: [CounterfeitAlert], last: Int64?)

    /// Alerts with ids greater than `after`, oldest first (the alert stream).
    func alerts(after: Int64, limit: Int) async throws(StoreError) -> [CounterfeitAlert]

    /// The scans of a code, oldest first (at most `limit`, the newest).
    func scans(code: String, limit: Int) async throws(StoreError) -> [ScanRecord]

    /// Scans and alerts by region for `from..<to`.
    func scanReport(from: Timestamp, to: Timestamp) async throws(StoreError) -> ScanReport
}

/// Decides alerts for a scan: the code's facts (nil: never issued), its earlier scans, and the alerts raised before for
/// it (kind and time).
public typealias ScanEvaluator = @Sendable (_ scan: ScanRecord, _ facts: VerifyFacts?, _ earlier: [ScanRecord], _ earlierAlerts: [(kind: AlertKind, at: Timestamp)]) -> [NewAlert]

/// An alert to store: what the analytics' engine drafts.
public typealias NewAlert = AlertDraft

/// What a store knows about a scanned code.
public struct VerifyFacts: Sendable, Equatable {
    public var code: String
    public var owner: TaxpayerID
    public var ownerName: String?
    public var productName: String
    public var productCode: String?
    /// `issued`, `activated`, `writtenOff` or `redeemed`.
    public var status: CodeStatus
    public var activatedAt: Timestamp?
    public var redeemedAt: Timestamp?
    public init(code: String, owner: TaxpayerID, ownerName: String?, productName: String, productCode: String?, status: CodeStatus,
                activatedAt: Timestamp?, redeemedAt: Timestamp?) {
        self.code = code
        self.owner = owner
        self.ownerName = ownerName
        self.productName = productName
        self.productCode = productCode
        self.status = status
        self.activatedAt = activatedAt
        self.redeemedAt = redeemedAt
    }
}

/// A scan's result in storage.
public struct ScanOutcome: Sendable {
    public var scan: ScanRecord
    public var facts: VerifyFacts?
    public var alerts: [CounterfeitAlert]
    public init(scan: ScanRecord, facts: VerifyFacts?, alerts: [CounterfeitAlert]) {
        self.scan = scan
        self.facts = facts
        self.alerts = alerts
    }
}

public struct ScanCommand: Sendable {
    public var id: UUID
    /// The stamp code, or (not a code of this registrar's form) the scanned text, truncated.
    public var code: String
    public var at: Timestamp
    public var location: ScanLocation?
    public var region: String?
    public init(id: UUID, code: String, at: Timestamp, location: ScanLocation?, region: String?) {
        self.id = id
        self.code = code
        self.at = at
        self.location = location
        self.region = region
    }
}

public struct ScanLocationCommand: Sendable {
    public var id: UUID
    public var location: ScanLocation
    public var region: String
    public var now: Timestamp
    public init(id: UUID, location: ScanLocation, region: String, now: Timestamp) {
        self.id = id
        self.location = location
        self.region = region
        self.now = now
    }
}

public struct AlertQuery: Sendable {
    public var kind: AlertKind?
    public var code: String?
    public var region: String?
    public var producer: TaxpayerID?
    public var from: Timestamp?
    public var to: Timestamp?
    public var before: Int64?
    public var limit: Int
    public init(kind: AlertKind? = nil, code: String? = nil, region: String? = nil, producer: TaxpayerID? = nil, from: Timestamp? = nil,
                to: Timestamp? = nil, before: Int64? = nil, limit: Int = 100) {
        self.kind = kind
        self.code = code
        self.region = region
        self.producer = producer
        self.from = from
        self.to = to
        self.before = before
        self.limit = limit
    }
}

/// One marking code of a receipt line or a redemption, as the HTTP layer parsed it.
public struct PreparedCode: Codable, Sendable, Equatable {
    /// The text as sent.
    public var marking: String
    /// The stamp code, or nil when the text is not one (`malformed`).
    public var code: String?
    public init(marking: String, code: String?) {
        self.marking = marking
        self.code = code
    }
}

/// A receipt line as the HTTP layer checked it: invalid as a whole (`error`), or its codes.
public struct PreparedLine: Codable, Sendable, Equatable {
    public var error: String?
    public var codes: [PreparedCode]
    public init(error: String?, codes: [PreparedCode]) {
        self.error = error
        self.codes = codes
    }
}

/// A validated receipt for a store.
public struct ReceiptCommand: Sendable {
    public var receipt: FiscalReceipt
    /// The receipt's date-time, UTC.
    public var issuedAt: Timestamp
    /// SHA-256 of the receipt's canonical JSON (idempotency).
    public var bodyHash: [UInt8]
    public var lines: [PreparedLine]
    /// The fiscal data operator that sent it.
    public var operatorID: TaxpayerID
    public var receivedAt: Timestamp
    /// Flags known at receipt: autonomous, beyondAutonomy, futureDated.
    public var flags: [ReceiptFlag]
    /// The registrar sends it (cl. 24(2)): it may send for a register another operator serves.
    public var registrarActs = false
    public init(receipt: FiscalReceipt, issuedAt: Timestamp, bodyHash: [UInt8], lines: [PreparedLine], operatorID: TaxpayerID,
                receivedAt: Timestamp, flags: [ReceiptFlag]) {
        self.receipt = receipt
        self.issuedAt = issuedAt
        self.bodyHash = bodyHash
        self.lines = lines
        self.operatorID = operatorID
        self.receivedAt = receivedAt
        self.flags = flags
    }
}

public struct ServiceRedemptionCommand: Sendable {
    public var registrarActs = false
    public var request: RedemptionRequest
    public var codes: [PreparedCode]
    public var document: SignedRecord
    public var actor: TaxpayerID
    public var receivedAt: Timestamp
    public init(request: RedemptionRequest, codes: [PreparedCode], document: SignedRecord, actor: TaxpayerID, receivedAt: Timestamp) {
        self.request = request
        self.codes = codes
        self.document = document
        self.actor = actor
        self.receivedAt = receivedAt
    }
}

public struct RedemptionConsentCommand: Sendable {
    public var consent: RedemptionConsent
    public var document: SignedRecord
    public var actor: TaxpayerID
    public var at: Timestamp
    public init(consent: RedemptionConsent, document: SignedRecord, actor: TaxpayerID, at: Timestamp) {
        self.consent = consent
        self.document = document
        self.actor = actor
        self.at = at
    }
}

/// What a store reads about a code a receipt or redemption names, under the locks that keep it true until commit.
public struct RetailCodeFact: Sendable, Equatable {
    public var id: Int64
    /// Who holds the product (the owner until transferred).
    public var holder: String
    /// `issued`, `activated`, `writtenOff`.
    public var status: String
    public var pendingOrder: Int64?
    public var redeemedBy: String?
    public init(id: Int64, holder: String, status: String, pendingOrder: Int64?, redeemedBy: String?) {
        self.id = id
        self.holder = holder
        self.status = status
        self.pendingOrder = pendingOrder
        self.redeemedBy = redeemedBy
    }
}

/// The retail rules both stores apply (cl. 22, 23), on facts they read.
public enum RetailRules {
    /// A sale's outcome for one code: redeemed only when the seller holds it, activated, not redeemed, not pending.
    public static func sale(_ fact: RetailCodeFact?, seller: String) -> RedemptionOutcome {
        guard let fact else { return .unknown }
        switch fact.status {
        case "issued": return .notActivated
        case "writtenOff": return .writtenOff
        default: break
        }
        if fact.redeemedBy != nil { return .alreadyRedeemed }
        if fact.holder != seller { return .notSellers }
        if fact.pendingOrder != nil { return .inPendingOrder }
        return .redeemed
    }

    /// A return's outcome for one code: restored only when this seller redeemed it.
    public static func saleReturn(_ fact: RetailCodeFact?, seller: String) -> RedemptionOutcome {
        guard let fact else { return .unknown }
        return fact.redeemedBy == seller ? .restored : .notSold
    }

    /// Applies `decide` to each code of each line in order, answering repeats and malformed codes without facts.
    /// `fact` reads a code's facts; `apply` changes a code whose outcome applies (the store's UPDATE).
    public static func answer(lines: [PreparedLine], operation: ReceiptOperation, seller: String,
                              fact: (String) throws -> RetailCodeFact?, apply: (RetailCodeFact, RedemptionOutcome) throws -> Void) rethrows -> [ReceiptLineAnswer] {
        var seen = Set<String>()
        var answers = [ReceiptLineAnswer]()
        for (index, line) in lines.enumerated() {
            if let error = line.error {
                answers.append(ReceiptLineAnswer(index: index, error: error, codes: line.codes.map {
                    CodeOutcome(markingCode: $0.marking, code: $0.code, outcome: .lineInvalid)
                }))
                continue
            }
            var outcomes = [CodeOutcome]()
            for prepared in line.codes {
                guard let code = prepared.code else {
                    outcomes.append(CodeOutcome(markingCode: prepared.marking, code: nil, outcome: .malformed))
                    continue
                }
                guard seen.insert(code).inserted else {
                    outcomes.append(CodeOutcome(markingCode: prepared.marking, code: code, outcome: .repeated))
                    continue
                }
                let facts = try fact(code)
                let outcome = operation == .sale ? sale(facts, seller: seller) : saleReturn(facts, seller: seller)
                if outcome.applied, let facts { try apply(facts, outcome) }
                outcomes.append(CodeOutcome(markingCode: prepared.marking, code: code, outcome: outcome))
            }
            answers.append(ReceiptLineAnswer(index: index, codes: outcomes))
        }
        return answers
    }

    /// How a receipt is named in the operations log and a code's history.
    public static func reference(registration: String, number: Int) -> String { "\(registration)/\(number)" }

    /// The flags in their stored order (the order of ``ReceiptFlag/allCases``), without repeats.
    public static func normalized(_ flags: [ReceiptFlag]) -> [ReceiptFlag] {
        let set = Set(flags)
        return ReceiptFlag.allCases.filter(set.contains)
    }

    /// The stored text of flags: comma-separated.
    public static func flagsText(_ flags: [ReceiptFlag]) -> String { normalized(flags).map(\.rawValue).joined(separator: ",") }

    public static func flags(_ text: String) -> [ReceiptFlag] { text.split(separator: ",").compactMap { ReceiptFlag(rawValue: String($0)) } }

    /// The stored form of lines and answers (JSON).
    public static func encode<T: Encodable>(_ value: T) throws -> Data { try WireCoding.canonicalEncoder().encode(value) }
    public static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T { try JSONDecoder().decode(type, from: data) }

    /// `rejected` for a receipt a store refuses.
    public static func rejected(_ receipt: FiscalReceipt, _ code: ErrorCode, _ message: String, details: [String: String] = [:]) -> ReceiptAnswer {
        ReceiptAnswer(registrationNumber: receipt.registrationNumber, number: receipt.number, state: .rejected,
                      error: ErrorBody(code: code, message: message, details: details.isEmpty ? nil : details))
    }
}

extension RetailRules {
    /// What a consumer is told about a code from its facts.
    public static func verdict(_ facts: VerifyFacts?) -> VerifyVerdict {
        guard let facts else { return .unknown }
        switch facts.status {
        case .issued: return .notActivated
        case .activated: return .genuine
        case .writtenOff: return .writtenOff
        case .redeemed: return .redeemed
        }
    }

    /// Why a location cannot be added to a scan now: it has one, or the window has passed.
    public static func locationRefusal(_ scan: ScanRecord, now: Timestamp) -> TradeRefusal? {
        if scan.location != nil {
            return TradeRefusal(status: 409, code: .invalidState, message: "scan \(scan.id.uuidString.lowercased()) already has a location",
                                details: ["scan": scan.id.uuidString.lowercased()])
        }
        if now.milliseconds - scan.at.milliseconds > RetailLimits.locationWindow {
            return TradeRefusal(status: 409, code: .invalidState,
                                message: "scan \(scan.id.uuidString.lowercased()) is older than \(RetailLimits.locationWindow / 60_000) minutes; scan the code again",
                                details: ["scan": scan.id.uuidString.lowercased()])
        }
        return nil
    }

    /// Builds the scan report from grouped counts (both stores group in SQL).
    public struct ReportBuilder {
        var rows = [String: RegionScanRow]()
        public init() {}

        public mutating func scans(region: String, verdict: String, count: Int) {
            rows[region, default: RegionScanRow(region: region, scans: 0, verdicts: [:], alerts: [:])].scans += count
            rows[region]!.verdicts[verdict, default: 0] += count
        }

        public mutating func alerts(region: String, kind: String, count: Int) {
            rows[region, default: RegionScanRow(region: region, scans: 0, verdicts: [:], alerts: [:])].alerts[kind, default: 0] += count
        }

        /// Regions by scans, most first, then by name.
        public func report(from: Timestamp, to: Timestamp) -> ScanReport {
            let regions = rows.values.sorted { ($0.scans, $1.region) > ($1.scans, $0.region) }
            return ScanReport(from: from, to: to, regions: regions, totalScans: regions.reduce(0) { $0 + $1.scans },
                              totalAlerts: regions.reduce(0) { $0 + $1.alerts.values.reduce(0, +) })
        }
    }

    /// A code's status as the registrar shows it: `redeemed` when redeemed, else the stored status.
    public static func status(stored: String, redeemed: Bool) -> CodeStatus {
        redeemed ? .redeemed : CodeStatus(rawValue: stored) ?? .issued
    }
}

extension CodeInfo {
    /// The code with its redemption, when it has one.
    func redeemed(at: Int64?, by seller: String?) -> CodeInfo {
        var info = self
        info.redeemedAt = at.map(Timestamp.init(milliseconds:))
        info.redeemedBy = seller.map(TaxpayerID.init(trustedRow:))
        return info
    }
}

extension RetailRules {
    /// Where a register first seen in this batch starts its sequence: at its lowest receipt number in the batch (its
    /// receipts sent out of order in one batch then wait for each other and apply in order).
    ///
    /// A store records a batch's receipts in the order sent, never reordering receipts of different registers: a bottle
    /// returned at one register and sold again at another must reach the registrar in that order.
    public static func sequenceStarts(_ commands: [ReceiptCommand]) -> [String: Int] {
        var starts = [String: Int]()
        for command in commands {
            let r = command.receipt
            starts[r.registrationNumber] = min(starts[r.registrationNumber] ?? r.number, r.number)
        }
        return starts
    }
}

extension RetailRules {
    /// Why a receipt is refused for its register: another fiscal data operator serves it (only the registrar may send for
    /// any), or its number is implausibly far past the last applied one (``RetailLimits/maxReceiptsAhead``).
    public static func registerRefusal(_ r: FiscalReceipt, operatorID: String, command: ReceiptCommand, lastApplied: Int) -> ReceiptAnswer? {
        if operatorID != command.operatorID.rawValue, !command.registrarActs {
            return rejected(r, .forbidden,
                            "register \(r.registrationNumber) sends its receipts through the fiscal data operator \(operatorID); the receipt was not recorded",
                            details: ["registrationNumber": r.registrationNumber, "operator": operatorID])
        }
        if r.number > lastApplied + RetailLimits.maxReceiptsAhead {
            return rejected(r, .invalidField,
                            "number: receipt \(r.number) is more than \(RetailLimits.maxReceiptsAhead) past the register's last applied receipt \(lastApplied); the receipt was not recorded",
                            details: ["field": "number", "lastApplied": String(lastApplied)])
        }
        return nil
    }
}
