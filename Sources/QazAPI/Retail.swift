import Foundation
import LineCore

// The registrar's retail half (order No 288 cl. 19, 22, 27; order No 626 on cash registers): receipts from fiscal data
// operators, redemption «Өтелген» through the Service, consumer scan-and-verify, counterfeit analytics.
// docs/registrar-retail.md describes the formats, the ordering rules and the analytics' rules with examples.

// MARK: Receipts from the fiscal data operator (FDO)

/// What a receipt records: a retail sale, or the return of a sale.
public enum ReceiptOperation: String, Codable, Sendable, CaseIterable {
    case sale
    case saleReturn
}

/// One line of a receipt: a national-catalogue product, its quantity and the marking codes scanned at the till
/// (order No 626 cl. 56(7)–(9)). A marked bottle is one unit: `quantity` equals the number of marking codes.
public struct ReceiptLine: Codable, Sendable, Equatable {
    /// The goods' code in the National Catalogue of Goods (ұлттық тауарлар каталогы).
    public var catalogueCode: String
    /// The goods' name as printed (optional).
    public var name: String?
    /// Units sold or returned.
    public var quantity: Int
    /// The marking codes (the stamp's QR text: the code or the whole link) of the units.
    public var markingCodes: [String]
    public init(catalogueCode: String, name: String? = nil, quantity: Int, markingCodes: [String]) {
        self.catalogueCode = catalogueCode
        self.name = name
        self.quantity = quantity
        self.markingCodes = markingCodes
    }
}

/// A cash-register receipt as the fiscal data operator holds it.
public struct FiscalReceipt: Codable, Sendable, Equatable {
    /// The register's registration number in the tax body (РНМ, 12–20 characters; order No 626 cl. 56(5)).
    public var registrationNumber: String
    /// The register's factory number (ЗНМ, cl. 56(4)).
    public var factoryNumber: String
    /// The seller's BIN/IIN (cl. 56(3)).
    public var seller: TaxpayerID
    /// The receipt's sequence number on this register (cl. 56(6)): 1, 2, 3…; the registrar applies a register's
    /// receipts in this order.
    public var number: Int
    /// The fiscal sign the FDO server formed (cl. 80); absent on a receipt formed in autonomous mode.
    public var fiscalSign: String?
    /// The autonomous fiscal sign the register's fiscal accumulator formed offline (App. 13-B item 29.3).
    public var autonomousSign: String?
    /// Whether the receipt was formed in autonomous mode (App. 13-B item 30.3).
    public var autonomous: Bool
    /// The receipt's date and time, Astana time, `YYYY-MM-DDTHH:MM:SS` (an explicit `+05:00` is accepted).
    public var dateTime: String
    public var operation: ReceiptOperation
    public var lines: [ReceiptLine]
    public init(registrationNumber: String, factoryNumber: String, seller: TaxpayerID, number: Int, fiscalSign: String? = nil,
                autonomousSign: String? = nil, autonomous: Bool = false, dateTime: String, operation: ReceiptOperation = .sale,
                lines: [ReceiptLine]) {
        self.registrationNumber = registrationNumber
        self.factoryNumber = factoryNumber
        self.seller = seller
        self.number = number
        self.fiscalSign = fiscalSign
        self.autonomousSign = autonomousSign
        self.autonomous = autonomous
        self.dateTime = dateTime
        self.operation = operation
        self.lines = lines
    }

    /// The sign that identifies the receipt on its register: the FDO's, or the autonomous one.
    public var sign: String? { fiscalSign ?? autonomousSign }
}

/// `POST /v1/fdo/receipts`: up to ``RetailLimits/maxReceiptsPerBatch`` receipts, in any order.
public struct ReceiptBatch: Codable, Sendable, Equatable {
    public var receipts: [FiscalReceipt]
    public init(receipts: [FiscalReceipt]) { self.receipts = receipts }
}

/// What the registrar did with one marking code of a receipt line (or of a redemption through the Service).
public enum RedemptionOutcome: String, Codable, Sendable, CaseIterable {
    /// Redeemed «Өтелген» now.
    case redeemed
    /// Redeemed before (by this sale's earlier answer, or another sale): nothing changed.
    case alreadyRedeemed
    /// Issued but never activated: not in circulation; nothing changed.
    case notActivated
    /// Held by another participant, not the seller: nothing changed.
    case notSellers
    /// Written off: not in circulation; nothing changed.
    case writtenOff
    /// Never issued (or not a code of this registrar): nothing changed.
    case unknown
    /// Not a marking code at all (the text does not parse as a stamp code or its link): nothing changed.
    case malformed
    /// In an order pending signature (cl. 23(3)): nothing changed.
    case inPendingOrder
    /// The same code twice in one receipt or request: the first occurrence is answered, this one is not applied.
    case repeated
    /// A return: the code is the seller's, activated, in circulation again.
    case restored
    /// A return of a code this seller never sold (not redeemed, or redeemed by another seller): nothing changed.
    case notSold
    /// The line is invalid (its `error` says why): none of its codes was applied.
    case lineInvalid

    /// Whether the outcome changed the code.
    public var applied: Bool { self == .redeemed || self == .restored }
}

/// One marking code's answer.
public struct CodeOutcome: Codable, Sendable, Equatable {
    /// The marking code as sent.
    public var markingCode: String
    /// The stamp code it carries, when it parses.
    public var code: String?
    public var outcome: RedemptionOutcome
    public init(markingCode: String, code: String?, outcome: RedemptionOutcome) {
        self.markingCode = markingCode
        self.code = code
        self.outcome = outcome
    }
}

/// One receipt line's answer.
public struct ReceiptLineAnswer: Codable, Sendable, Equatable {
    /// The line's index in the receipt, from 0.
    public var index: Int
    /// Why the line was not applied at all (a negative quantity, a quantity that is not the number of codes…).
    public var error: String?
    public var codes: [CodeOutcome]
    public init(index: Int, error: String? = nil, codes: [CodeOutcome]) {
        self.index = index
        self.error = error
        self.codes = codes
    }
}

/// Where a receipt stands at the registrar.
public enum ReceiptState: String, Codable, Sendable, CaseIterable {
    /// Applied: each line answered.
    case applied
    /// Held until the register's earlier receipts arrive (`waitingFor` names the first missing one); applied in order
    /// when they do, or when the wait runs out and the gap is reported.
    case waiting
    /// Not stored: the receipt itself is invalid (`error` names the field), or its fiscal sign belongs to another receipt.
    case rejected
}

/// Facts the registrar notes on an applied receipt.
public enum ReceiptFlag: String, Codable, Sendable, CaseIterable {
    /// Formed in autonomous mode.
    case autonomous
    /// Its date-time is more than 72 hours before it reached the registrar: the register should have blocked
    /// (order No 626, App. 13-B item 29.6). Applied all the same.
    case beyondAutonomy
    /// Its date-time is in the future by more than the allowed clock skew.
    case futureDated
    /// Applied after the gap before it was reported (its earlier receipts had not all arrived).
    case afterGap
    /// It arrived after a gap that covered its number was reported, and filled it.
    case filledGap
    /// Numbered before the first receipt the registrar saw from its register: applied at once, out of the register's order.
    case beforeFirstReceipt
    /// The seller's account is blocked (cl. 23(2)): the sale is a fiscal fact and is applied, the revenue body sees it.
    case sellerBlocked
    /// The registrar has no account record for the seller.
    case sellerUnknown
}

/// The registrar's answer for one receipt.
public struct ReceiptAnswer: Codable, Sendable, Equatable {
    public var registrationNumber: String
    public var number: Int
    public var state: ReceiptState
    public var flags: [ReceiptFlag]
    /// While `waiting`: the first receipt number of this register not yet received.
    public var waitingFor: Int?
    /// Once `applied`: each line's answer.
    public var lines: [ReceiptLineAnswer]?
    /// When `rejected`: why.
    public var error: ErrorBody?
    /// When the registrar first received it, UTC.
    public var receivedAt: Timestamp?
    public var appliedAt: Timestamp?
    public init(registrationNumber: String, number: Int, state: ReceiptState, flags: [ReceiptFlag] = [], waitingFor: Int? = nil,
                lines: [ReceiptLineAnswer]? = nil, error: ErrorBody? = nil, receivedAt: Timestamp? = nil, appliedAt: Timestamp? = nil) {
        self.registrationNumber = registrationNumber
        self.number = number
        self.state = state
        self.flags = flags
        self.waitingFor = waitingFor
        self.lines = lines
        self.error = error
        self.receivedAt = receivedAt
        self.appliedAt = appliedAt
    }

    /// The codes whose state changed.
    public var appliedCodes: Int { lines?.reduce(0) { $0 + $1.codes.filter(\.outcome.applied).count } ?? 0 }
}

/// The answer to a batch: one answer per receipt, in the order sent.
public struct ReceiptBatchAnswer: Codable, Sendable, Equatable {
    public var receipts: [ReceiptAnswer]
    public init(receipts: [ReceiptAnswer]) { self.receipts = receipts }
}

/// A run of receipt numbers a register skipped: reported when its later receipts had waited the configured time.
public struct ReceiptGap: Codable, Sendable, Equatable {
    public var registrationNumber: String
    public var seller: TaxpayerID
    /// The first and last missing numbers.
    public var from: Int
    public var to: Int
    /// When the receipt after the gap arrived.
    public var waitingSince: Timestamp
    /// When the registrar stopped waiting and applied the later receipts.
    public var reportedAt: Timestamp
    /// Numbers of the gap that arrived afterwards.
    public var filled: [Int]
    public init(registrationNumber: String, seller: TaxpayerID, from: Int, to: Int, waitingSince: Timestamp, reportedAt: Timestamp, filled: [Int] = []) {
        self.registrationNumber = registrationNumber
        self.seller = seller
        self.from = from
        self.to = to
        self.waitingSince = waitingSince
        self.reportedAt = reportedAt
        self.filled = filled
    }
}

/// `GET /v1/fdo/registers/{registrationNumber}`: a register's sequence as the registrar sees it.
public struct CashRegisterState: Codable, Sendable, Equatable {
    public var registrationNumber: String
    public var factoryNumber: String
    public var seller: TaxpayerID
    /// The FDO that sends its receipts.
    public var operatorID: TaxpayerID
    /// The highest receipt number applied in order; the next expected is one more.
    public var lastApplied: Int
    /// Receipts received and waiting for earlier ones.
    public var waiting: [Int]
    public var firstSeen: Timestamp
    public var lastReceivedAt: Timestamp
    public var gaps: [ReceiptGap]
    public init(registrationNumber: String, factoryNumber: String, seller: TaxpayerID, operatorID: TaxpayerID, lastApplied: Int, waiting: [Int],
                firstSeen: Timestamp, lastReceivedAt: Timestamp, gaps: [ReceiptGap]) {
        self.registrationNumber = registrationNumber
        self.factoryNumber = factoryNumber
        self.seller = seller
        self.operatorID = operatorID
        self.lastApplied = lastApplied
        self.waiting = waiting
        self.firstSeen = firstSeen
        self.lastReceivedAt = lastReceivedAt
        self.gaps = gaps
    }
}

// MARK: Redemption through the Service (cl. 22, first way)

/// `POST /v1/redemptions`, signed by the seller: codes scanned in its cabinet on retail sale.
public struct RedemptionRequest: Codable, Sendable, Equatable {
    public var seller: TaxpayerID
    /// The seller's number for this request (1–40 of A–Z a–z 0–9 - _ . /); idempotent per seller and number.
    public var number: String
    /// The marking codes (code or link), up to ``RetailLimits/maxRedemptionCodes``.
    public var codes: [String]
    /// When the products were sold (defaults to the time of receipt).
    public var soldAt: Timestamp?
    public init(seller: TaxpayerID, number: String, codes: [String], soldAt: Timestamp? = nil) {
        self.seller = seller
        self.number = number
        self.codes = codes
        self.soldAt = soldAt
    }
}

/// The answer to a redemption through the Service.
public struct RedemptionAnswer: Codable, Sendable, Equatable {
    public var seller: TaxpayerID
    public var number: String
    public var codes: [CodeOutcome]
    public var receivedAt: Timestamp
    public init(seller: TaxpayerID, number: String, codes: [CodeOutcome], receivedAt: Timestamp) {
        self.seller = seller
        self.number = number
        self.codes = codes
        self.receivedAt = receivedAt
    }
}

/// `POST /v1/accounts/{participant}/redemption-consent`, signed by the participant (cl. 22, second way): whether the
/// Service redeems the codes of products it receives under a signed counter-order when the counter-order is signed.
public struct RedemptionConsent: Codable, Sendable, Equatable {
    public var participant: TaxpayerID
    public var redeemOnCounterOrder: Bool
    public var date: CalendarDate
    public init(participant: TaxpayerID, redeemOnCounterOrder: Bool, date: CalendarDate) {
        self.participant = participant
        self.redeemOnCounterOrder = redeemOnCounterOrder
        self.date = date
    }
}

/// How a code was redeemed or restored.
public enum RedemptionChannel: String, Codable, Sendable, CaseIterable {
    /// A cash-register receipt through the fiscal data operator.
    case receipt
    /// Scanned in the seller's cabinet of the Service.
    case service
    /// At the signing of a counter-order, under the buyer's consent.
    case counterOrder
}

// MARK: Consumer scan-and-verify (cl. 19, 27)

/// Where a scan was made, when the consumer's device shares it.
public struct ScanLocation: Codable, Sendable, Equatable, Hashable {
    /// Degrees, −90…90.
    public var latitude: Double
    /// Degrees, −180…180.
    public var longitude: Double
    /// Metres (radius of 68 % confidence), 0…100 000.
    public var accuracy: Double?
    public init(latitude: Double, longitude: Double, accuracy: Double? = nil) {
        self.latitude = latitude
        self.longitude = longitude
        self.accuracy = accuracy
    }
}

/// `POST /v1/verify` (no token): a consumer's scan of a stamp.
public struct VerifyRequest: Codable, Sendable, Equatable {
    /// The QR's text: the link or the bare code.
    public var code: String
    public var location: ScanLocation?
    public init(code: String, location: ScanLocation? = nil) {
        self.code = code
        self.location = location
    }
}

/// What a buyer may learn from a scan.
public enum VerifyVerdict: String, Codable, Sendable, CaseIterable {
    /// Activated and in circulation: a genuine stamp on a product not yet sold at retail.
    case genuine
    /// Redeemed «Өтелген»: sold at retail. Expected on a bottle just bought; suspicious on a shelf.
    case redeemed
    /// Issued but never activated: the product was not declared produced; do not buy.
    case notActivated
    /// Written off: the stamp should not be on a product.
    case writtenOff
    /// Not a stamp this registrar issued: possibly counterfeit.
    case unknown
}

/// The product information a scan shows.
public struct VerifiedProduct: Codable, Sendable, Equatable {
    /// The product's name as on the waybill.
    public var name: String
    /// The product's ДСН code given at activation.
    public var productCode: String?
    public init(name: String, productCode: String? = nil) {
        self.name = name
        self.productCode = productCode
    }
}

/// The answer to a consumer's scan: never a price, a buyer, an order or a holder, only the product and its stamp.
public struct VerifyAnswer: Codable, Sendable, Equatable {
    /// The stamp code read from the QR.
    public var code: String
    public var verdict: VerifyVerdict
    /// The code's status as printed in the seeds, in Kazakh (e.g. «Белсендірілген», «Өтелген»).
    public var status: String
    public var product: VerifiedProduct?
    /// The producer or importer: BIN and name.
    public var producer: TaxpayerID?
    public var producerName: String?
    /// The Astana calendar day of activation.
    public var activatedOn: CalendarDate?
    public var redeemed: Bool
    /// The Astana calendar day of redemption.
    public var redeemedOn: CalendarDate?
    /// One sentence for the buyer.
    public var message: String
    /// This scan's id: `POST /v1/verify/scans/{scan}/location` adds a location within ``RetailLimits/locationWindow``.
    public var scan: UUID?
    public init(code: String, verdict: VerifyVerdict, status: String, product: VerifiedProduct? = nil, producer: TaxpayerID? = nil,
                producerName: String? = nil, activatedOn: CalendarDate? = nil, redeemed: Bool, redeemedOn: CalendarDate? = nil,
                message: String, scan: UUID? = nil) {
        self.code = code
        self.verdict = verdict
        self.status = status
        self.product = product
        self.producer = producer
        self.producerName = producerName
        self.activatedOn = activatedOn
        self.redeemed = redeemed
        self.redeemedOn = redeemedOn
        self.message = message
        self.scan = scan
    }
}

// MARK: Counterfeit analytics (cl. 27), for the revenue body and the registrar

/// One recorded scan: no client address, no device, no person; the code, the time, the place if shared.
public struct ScanRecord: Codable, Sendable, Equatable {
    public var id: UUID
    /// The stamp code scanned (a text that is not a stamp code is refused, not recorded).
    public var code: String
    public var at: Timestamp
    public var verdict: VerifyVerdict
    public var location: ScanLocation?
    /// The region of the location (see docs/registrar-retail.md), or nil without one.
    public var region: String?
    public init(id: UUID, code: String, at: Timestamp, verdict: VerifyVerdict, location: ScanLocation? = nil, region: String? = nil) {
        self.id = id
        self.code = code
        self.at = at
        self.verdict = verdict
        self.location = location
        self.region = region
    }
}

/// What made an alert.
public enum AlertKind: String, Codable, Sendable, CaseIterable {
    /// A redeemed code scanned after the grace period that follows its sale: the stamp may be on a refilled bottle.
    case redeemedScanned
    /// A code issued but never activated was scanned: the product was not declared produced.
    case notActivatedScanned
    /// A code this registrar never issued was scanned (or a written-off one): a counterfeit stamp.
    case unknownScanned
    /// One code scanned in two places farther apart than travel allows in the time between: the stamp was copied.
    case impossibleTravel
    /// One code scanned more often than genuine use explains in the window.
    case frequentScans
}

/// The facts an alert rests on.
public struct AlertEvidence: Codable, Sendable, Equatable {
    /// The scans concerned, oldest first (for `frequentScans`, the last ones in the window).
    public var scans: [ScanRecord]
    /// `impossibleTravel`: the distance between the two places net of their accuracies, km; the time between, hours;
    /// the speed that would need, km/h; the fastest the rule allows.
    public var distanceKm: Double?
    public var hours: Double?
    public var speedKmh: Double?
    public var maxSpeedKmh: Double?
    /// `frequentScans`: the number of scans in the window and the window, hours.
    public var count: Int?
    public var windowHours: Double?
    /// `redeemedScanned`: when the code was redeemed.
    public var redeemedAt: Timestamp?
    public init(scans: [ScanRecord], distanceKm: Double? = nil, hours: Double? = nil, speedKmh: Double? = nil, maxSpeedKmh: Double? = nil,
                count: Int? = nil, windowHours: Double? = nil, redeemedAt: Timestamp? = nil) {
        self.scans = scans
        self.distanceKm = distanceKm
        self.hours = hours
        self.speedKmh = speedKmh
        self.maxSpeedKmh = maxSpeedKmh
        self.count = count
        self.windowHours = windowHours
        self.redeemedAt = redeemedAt
    }
}

/// One alert for the revenue body.
public struct CounterfeitAlert: Codable, Sendable, Equatable {
    /// Increasing; the alert stream's event id.
    public var id: Int64
    public var kind: AlertKind
    public var code: String
    public var at: Timestamp
    /// The region of the scan that raised it.
    public var region: String?
    /// The code's producer, when the code is known.
    public var producer: TaxpayerID?
    /// One sentence naming what was seen.
    public var message: String
    public var evidence: AlertEvidence
    public init(id: Int64, kind: AlertKind, code: String, at: Timestamp, region: String?, producer: TaxpayerID?, message: String, evidence: AlertEvidence) {
        self.id = id
        self.kind = kind
        self.code = code
        self.at = at
        self.region = region
        self.producer = producer
        self.message = message
        self.evidence = evidence
    }
}

/// `GET /v1/analytics/alerts`.
public struct AlertPage: Codable, Sendable, Equatable {
    public var items: [CounterfeitAlert]
    /// Pass as `before` for older alerts; absent on the last page.
    public var next: Int64?
    public init(items: [CounterfeitAlert], next: Int64?) {
        self.items = items
        self.next = next
    }
}

/// One region's row of the scan report.
public struct RegionScanRow: Codable, Sendable, Equatable {
    /// The region's name (or `unknown` for scans without a location, `abroad` outside Kazakhstan).
    public var region: String
    public var scans: Int
    /// Scans by verdict.
    public var verdicts: [String: Int]
    /// Alerts raised by scans in the region, by kind.
    public var alerts: [String: Int]
    public init(region: String, scans: Int, verdicts: [String: Int], alerts: [String: Int]) {
        self.region = region
        self.scans = scans
        self.verdicts = verdicts
        self.alerts = alerts
    }
}

/// `GET /v1/analytics/report?from=&to=`: scans and alerts by region for a period.
public struct ScanReport: Codable, Sendable, Equatable {
    public var from: Timestamp
    public var to: Timestamp
    public var regions: [RegionScanRow]
    public var totalScans: Int
    public var totalAlerts: Int
    public init(from: Timestamp, to: Timestamp, regions: [RegionScanRow], totalScans: Int, totalAlerts: Int) {
        self.from = from
        self.to = to
        self.regions = regions
        self.totalScans = totalScans
        self.totalAlerts = totalAlerts
    }
}

// MARK: Limits

/// The fixed limits of the retail endpoints.
public enum RetailLimits {
    /// The most receipts in one `POST /v1/fdo/receipts`.
    public static let maxReceiptsPerBatch = 500
    /// The most lines in one receipt, and marking codes in one line.
    public static let maxLinesPerReceipt = 500
    public static let maxCodesPerLine = 1_000
    /// How far past a register's last applied receipt a number may be (a larger jump is refused, not taken for a gap).
    public static let maxReceiptsAhead = 100_000
    /// The most codes in one redemption through the Service.
    public static let maxRedemptionCodes = 10_000
    /// How old a receipt may be when it reaches the registrar before it is flagged `beyondAutonomy` (72 h).
    public static let autonomyLimit: Int64 = 72 * 3_600_000
    /// How long after a scan its location may be added.
    public static let locationWindow: Int64 = 10 * 60_000
}
