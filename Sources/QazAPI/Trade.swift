import Foundation
import LineCore

// The registrar's trade half (order No 288 chapters 3–4): stamp applications and the revenue body's decision
// (cl. 11–17), sale orders and counter-orders signed with EDS (cl. 21), the status model and the forbidden and allowed
// operations (cl. 23–24), account blocking, history and extracts (cl. 25), signed report submission (cl. 28).
// docs/registrar-trade.md draws the state diagrams.

// MARK: Signed documents

/// Every signed document on the wire: the document as a JSON object and a detached CMS (PKCS#7) SignedData in DER,
/// base64, over the RFC 8785 canonical bytes of `document` (docs/signatures.md). The server keeps both, so the
/// document an operation rests on can be shown and verified again later.
public struct Signed<Document: Codable & Sendable>: Codable, Sendable {
    public var document: Document
    /// Base64 of the DER CMS SignedData (detached content).
    public var signature: String
    public init(document: Document, signature: String) {
        self.document = document
        self.signature = signature
    }
}

/// What the registrar read from a verified signature: the signer's certificate and when it signed.
public struct SignatureSummary: Codable, Sendable, Equatable {
    /// The certificate's subject (RFC 2253).
    public var subject: String
    /// The person's IIN from the subject's serialNumber (`IIN…`), when present.
    public var iin: String?
    /// The organisation's BIN from the subject's OU (`BIN…`), when present.
    public var bin: String?
    /// The certificate's serial number (hex).
    public var certificateSerial: String
    /// The CMS signing time, when the signature carries one.
    public var signingTime: Timestamp?
    /// SHA-256 of the canonical document, hex.
    public var documentDigest: String
    public init(subject: String, iin: String?, bin: String?, certificateSerial: String, signingTime: Timestamp?, documentDigest: String) {
        self.subject = subject
        self.iin = iin
        self.bin = bin
        self.certificateSerial = certificateSerial
        self.signingTime = signingTime
        self.documentDigest = documentDigest
    }
}

// MARK: Accounts and blocking

/// What kind of participant an account record is (cl. 4, the first clause numbered 4).
public enum ParticipantKind: String, Codable, Sendable, CaseIterable {
    case producer, importer, wholesaler, retailer
}

/// `PUT /v1/accounts/{participant}` (registrar): creates or renames an account record (есептік жазба).
public struct AccountRequest: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ParticipantKind
    public init(name: String, kind: ParticipantKind) {
        self.name = name
        self.kind = kind
    }
}

/// Why and by whom an account is blocked (cl. 23(2)).
public struct AccountBlock: Codable, Sendable, Equatable {
    public var reason: String
    /// Who blocked it (the registrar's or revenue body's BIN).
    public var by: TaxpayerID
    public var at: Timestamp
    public init(reason: String, by: TaxpayerID, at: Timestamp) {
        self.reason = reason
        self.by = by
        self.at = at
    }
}

/// `GET /v1/accounts/{participant}`.
public struct AccountInfo: Codable, Sendable, Equatable {
    public var participant: TaxpayerID
    public var name: String
    public var kind: ParticipantKind
    public var createdAt: Timestamp
    /// Present while the account is blocked: every operation of the participant is refused with `account_blocked`.
    public var blocked: AccountBlock?
    /// The participant agreed that the Service redeems the codes it receives when it signs a counter-order (cl. 22).
    public var redeemOnCounterOrder: Bool?
    public init(participant: TaxpayerID, name: String, kind: ParticipantKind, createdAt: Timestamp, blocked: AccountBlock? = nil,
                redeemOnCounterOrder: Bool? = nil) {
        self.participant = participant
        self.name = name
        self.kind = kind
        self.createdAt = createdAt
        self.blocked = blocked
        self.redeemOnCounterOrder = redeemOnCounterOrder
    }
}

/// `POST /v1/accounts/{participant}/block` and `/unblock` (registrar or revenue body).
public struct BlockRequest: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

// MARK: Stamp applications (App. 3, App. 4, with the App. 5 obligation)

/// Domestic production (App. 3, decided within 2 working days) or import (App. 4, within 15).
public enum ApplicationKind: String, Codable, Sendable, CaseIterable {
    case domestic, `import`

    /// Working days the revenue body has for its decision (cl. 14).
    public var decisionWorkingDays: Int { self == .domestic ? 2 : 15 }
}

/// A payment the application cites (funds for the stamps, the excise): amount in tenge as a decimal text.
public struct PaymentReference: Codable, Sendable, Equatable {
    /// Tenge, a decimal with at most two fractional digits: `"125000.00"`.
    public var amount: String
    public var bankAccount: String
    public var document: String
    public var date: CalendarDate
    public init(amount: String, bankAccount: String, document: String, date: CalendarDate) {
        self.amount = amount
        self.bankAccount = bankAccount
        self.document = document
        self.date = date
    }
}

/// The producer's licence (App. 3).
public struct Licence: Codable, Sendable, Equatable {
    public var authority: String
    public var number: String
    public var date: CalendarDate
    public init(authority: String, number: String, date: CalendarDate) {
        self.authority = authority
        self.number = number
        self.date = date
    }
}

/// The product the stamps are for: its national-catalogue (ДСН) code, or name, type, capacity and strength.
public struct ApplicationProduct: Codable, Sendable, Equatable {
    public var catalogueCode: String?
    public var name: String
    public var type: String
    public var capacityMl: Int
    /// Alcohol by volume, percent, a decimal text: `"40.0"`.
    public var strength: String
    public init(catalogueCode: String? = nil, name: String, type: String, capacityMl: Int, strength: String) {
        self.catalogueCode = catalogueCode
        self.name = name
        self.type = type
        self.capacityMl = capacityMl
        self.strength = strength
    }
}

/// The conformity certificate (App. 3–4).
public struct ConformityCertificate: Codable, Sendable, Equatable {
    public var number: String
    public var body: String
    public var validUntil: CalendarDate
    public init(number: String, body: String, validUntil: CalendarDate) {
        self.number = number
        self.body = body
        self.validUntil = validUntil
    }
}

/// How the obligation on targeted use is secured (App. 5).
public enum SecurityMethod: String, Codable, Sendable, CaseIterable {
    case payment, bankGuarantee, surety, pledge
}

/// App. 5: the obligation on targeted use of the stamps, attached to the application (cl. 12).
public struct TargetedUseObligation: Codable, Sendable, Equatable {
    /// Tenge, decimal text.
    public var securityAmount: String
    public var method: SecurityMethod
    public var instrumentNumber: String
    public var instrumentDate: CalendarDate
    public var legalAddress: String
    public var bankDetails: String
    public init(securityAmount: String, method: SecurityMethod, instrumentNumber: String, instrumentDate: CalendarDate,
                legalAddress: String, bankDetails: String) {
        self.securityAmount = securityAmount
        self.method = method
        self.instrumentNumber = instrumentNumber
        self.instrumentDate = instrumentDate
        self.legalAddress = legalAddress
        self.bankDetails = bankDetails
    }
}

/// The foreign-trade contract an import application is for (App. 4; cl. 18(2)).
public struct ForeignTradeContract: Codable, Sendable, Equatable {
    public var number: String
    public var date: CalendarDate
    public init(number: String, date: CalendarDate) {
        self.number = number
        self.date = date
    }
}

/// The applicant's confirmations and undertakings printed on the forms; each must be `true`.
public struct ApplicationUndertakings: Codable, Sendable, Equatable {
    /// "I undertake to submit the QR activation information and the usage report through the API-service."
    public var apiReports: Bool
    /// The data is accurate and complete; consent to the use of protected secrets.
    public var dataAccurate: Bool
    /// "I have read the Rules" («…таныстым»).
    public var rulesRead: Bool
    /// App. 4 only: no arrears of taxes and other payments, no unfulfilled notifications (art. 114 para 2).
    public var noArrears: Bool?
    public init(apiReports: Bool = true, dataAccurate: Bool = true, rulesRead: Bool = true, noArrears: Bool? = nil) {
        self.apiReports = apiReports
        self.dataAccurate = dataAccurate
        self.rulesRead = rulesRead
        self.noArrears = noArrears
    }
}

/// How the stamps are received.
public enum ReceiptMethod: String, Codable, Sendable, CaseIterable {
    case delivery, pickup
}

/// The signed document of `POST /v1/applications`: App. 3 (domestic) or App. 4 (import) with App. 5.
public struct StampApplication: Codable, Sendable, Equatable {
    /// The applicant's number for it (1–40 of A–Z a–z 0–9 - _ . /), unique per applicant; waybills cite it.
    public var number: String
    public var date: CalendarDate
    public var kind: ApplicationKind
    public var applicant: TaxpayerID
    public var name: String
    public var address: String
    /// App. 3 (domestic) only.
    public var licence: Licence?
    public var quantity: Int
    public var product: ApplicationProduct
    /// The filling period, first and last month (App. 3); the import period (App. 4).
    public var periodFrom: ReportingMonth
    public var periodTo: ReportingMonth
    public var certificate: ConformityCertificate
    /// СЭҚ ТН (HS) code, 4–10 digits.
    public var hsCode: String
    public var stampPayment: PaymentReference
    public var excisePayment: PaymentReference
    public var receiptMethod: ReceiptMethod
    /// App. 4 only.
    public var contract: ForeignTradeContract?
    public var obligation: TargetedUseObligation
    public var undertakings: ApplicationUndertakings

    public init(number: String, date: CalendarDate, kind: ApplicationKind, applicant: TaxpayerID, name: String, address: String,
                licence: Licence?, quantity: Int, product: ApplicationProduct, periodFrom: ReportingMonth, periodTo: ReportingMonth,
                certificate: ConformityCertificate, hsCode: String, stampPayment: PaymentReference, excisePayment: PaymentReference,
                receiptMethod: ReceiptMethod, contract: ForeignTradeContract?, obligation: TargetedUseObligation,
                undertakings: ApplicationUndertakings) {
        self.number = number
        self.date = date
        self.kind = kind
        self.applicant = applicant
        self.name = name
        self.address = address
        self.licence = licence
        self.quantity = quantity
        self.product = product
        self.periodFrom = periodFrom
        self.periodTo = periodTo
        self.certificate = certificate
        self.hsCode = hsCode
        self.stampPayment = stampPayment
        self.excisePayment = excisePayment
        self.receiptMethod = receiptMethod
        self.contract = contract
        self.obligation = obligation
        self.undertakings = undertakings
    }
}

/// Where an application stands.
public enum ApplicationStatus: String, Codable, Sendable, CaseIterable {
    case submitted, approved, refused
}

/// The cl. 15 grounds for refusing an application.
public enum RefusalGround: String, Codable, Sendable, CaseIterable {
    /// cl. 15(1): the cl. 12 documents are not submitted.
    case documentsMissing = "documents_missing"
    /// cl. 15(2): the information submitted is inaccurate.
    case informationInaccurate = "information_inaccurate"
    /// cl. 15(2): excise not paid.
    case exciseUnpaid = "excise_unpaid"
    /// cl. 15(2): the amounts paid do not match the revenue body's data after reconciliation.
    case paymentMismatch = "payment_mismatch"
    /// cl. 15(3): taxes or other mandatory or social payments incompletely paid, notifications unfulfilled.
    case taxArrears = "tax_arrears"

    /// The clause, for people.
    public var clause: String {
        switch self {
        case .documentsMissing: "cl. 15(1)"
        case .informationInaccurate, .exciseUnpaid, .paymentMismatch: "cl. 15(2)"
        case .taxArrears: "cl. 15(3)"
        }
    }
}

/// `POST /v1/applications/{applicant}/{number}/decision` (revenue body or registrar).
public struct ApplicationDecision: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable { case approve, refuse }
    public var decision: Verdict
    /// Required (at least one) for `refuse`, absent for `approve`.
    public var grounds: [RefusalGround]?
    public var comment: String?
    public init(decision: Verdict, grounds: [RefusalGround]? = nil, comment: String? = nil) {
        self.decision = decision
        self.grounds = grounds
        self.comment = comment
    }
}

/// `GET /v1/applications/{applicant}/{number}` and the answer of a submission or decision.
public struct ApplicationInfo: Codable, Sendable, Equatable {
    public var number: String
    public var date: CalendarDate
    public var applicant: TaxpayerID
    public var name: String
    public var kind: ApplicationKind
    public var quantity: Int
    public var productName: String
    public var status: ApplicationStatus
    public var submittedAt: Timestamp
    /// The end of the revenue body's decision period (cl. 14), in working days of Kazakhstan's calendar.
    public var decisionDue: Timestamp
    /// True while undecided past `decisionDue`.
    public var overdue: Bool
    public var decidedAt: Timestamp?
    public var decidedBy: TaxpayerID?
    public var grounds: [RefusalGround]?
    public var comment: String?
    /// Stamps issued against it so far (waybills citing it).
    public var issued: Int
    public var signature: SignatureSummary
    public init(number: String, date: CalendarDate, applicant: TaxpayerID, name: String, kind: ApplicationKind, quantity: Int,
                productName: String, status: ApplicationStatus, submittedAt: Timestamp, decisionDue: Timestamp, overdue: Bool,
                decidedAt: Timestamp? = nil, decidedBy: TaxpayerID? = nil, grounds: [RefusalGround]? = nil, comment: String? = nil,
                issued: Int = 0, signature: SignatureSummary) {
        self.number = number
        self.date = date
        self.applicant = applicant
        self.name = name
        self.kind = kind
        self.quantity = quantity
        self.productName = productName
        self.status = status
        self.submittedAt = submittedAt
        self.decisionDue = decisionDue
        self.overdue = overdue
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
        self.grounds = grounds
        self.comment = comment
        self.issued = issued
        self.signature = signature
    }
}

/// `GET /v1/applications`: one page, newest first.
public struct ApplicationPage: Codable, Sendable, Equatable {
    public var items: [ApplicationInfo]
    /// Pass as `before` for the next page; absent on the last.
    public var next: String?
    public init(items: [ApplicationInfo], next: String?) {
        self.items = items
        self.next = next
    }
}

// MARK: Sale orders and counter-orders (cl. 21, App. 1–2)

/// The signed document of `POST /v1/orders` (App. 1): the seller's order to transfer products to a buyer.
public struct SaleOrder: Codable, Sendable, Equatable {
    /// The seller's number for it (1–40 of A–Z a–z 0–9 - _ . /), unique per seller: a re-send is answered from storage.
    public var number: String
    public var seller: TaxpayerID
    public var buyer: TaxpayerID
    /// Stamp codes (bare or as the QR's link); may be left out when `units` names some.
    public var codes: [String]
    /// Case and pallet codes: every code packed in them now (aggregation); may be left out.
    public var units: [String]
    /// Litres, a decimal text with at most three fractional digits: `"600.000"`.
    public var volumeLitres: String
    /// Tenge, a decimal text with at most two fractional digits: `"1250000.00"`.
    public var price: String
    public var note: String?
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        number = try c.decode(String.self, forKey: .number)
        seller = try c.decode(TaxpayerID.self, forKey: .seller)
        buyer = try c.decode(TaxpayerID.self, forKey: .buyer)
        codes = try c.decodeIfPresent([String].self, forKey: .codes) ?? []
        units = try c.decodeIfPresent([String].self, forKey: .units) ?? []
        volumeLitres = try c.decode(String.self, forKey: .volumeLitres)
        price = try c.decode(String.self, forKey: .price)
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }

    public init(number: String, seller: TaxpayerID, buyer: TaxpayerID, codes: [String], units: [String] = [], volumeLitres: String,
                price: String, note: String? = nil) {
        self.number = number
        self.seller = seller
        self.buyer = buyer
        self.codes = codes
        self.units = units
        self.volumeLitres = volumeLitres
        self.price = price
        self.note = note
    }
}

/// The signed document of `POST /v1/orders/{id}/counter-order` (App. 2): the buyer accepts the products.
public struct CounterOrder: Codable, Sendable, Equatable {
    /// The order's id.
    public var order: String
    public var seller: TaxpayerID
    public var buyer: TaxpayerID
    /// SHA-256 (hex) of the seller's canonical order document: the buyer signs for exactly what it saw.
    public var orderDigest: String
    /// Must be true: «өнімді қабылдау» (acceptance of products).
    public var accept: Bool
    public init(order: String, seller: TaxpayerID, buyer: TaxpayerID, orderDigest: String, accept: Bool = true) {
        self.order = order
        self.seller = seller
        self.buyer = buyer
        self.orderDigest = orderDigest
        self.accept = accept
    }
}

/// An order's status (cl. 21).
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    /// «Қол қоюда»: saved and signed by the seller, waiting for the buyer.
    case pending
    /// «Қол қойылған»: signed by the buyer; the products are the buyer's.
    case signed
    /// Cancelled by the seller before the buyer signed (cl. 21(1) «күшін жою»).
    case cancelled
    /// «Жойылды»: not signed by the buyer within 3 working days of saving.
    case expired

    /// The status as the seeds print it (Kazakh), or a description where they name none.
    public var kazakh: String {
        switch self {
        case .pending: "Қол қоюда"
        case .signed: "Қол қойылған"
        case .cancelled: "Күші жойылды"
        case .expired: "Жойылды"
        }
    }
}

/// `POST /v1/orders/{id}/cancel` (the seller, before the buyer signs).
public struct OrderCancellation: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// `GET /v1/orders/{id}`.
public struct OrderInfo: Codable, Sendable, Equatable {
    public var id: String
    public var number: String
    public var seller: TaxpayerID
    public var buyer: TaxpayerID
    public var status: OrderStatus
    /// The status as printed in the seeds.
    public var statusText: String
    public var savedAt: Timestamp
    /// When a pending order becomes «Жойылды»: 3 working days after saving (Kazakhstan's calendar, Astana time).
    public var expiresAt: Timestamp
    public var signedAt: Timestamp?
    public var cancelledAt: Timestamp?
    public var cancelReason: String?
    public var expiredAt: Timestamp?
    /// Stamp codes the order transfers (units expanded).
    public var codeCount: Int
    public var units: [String]
    public var volumeLitres: String
    public var price: String
    public var note: String?
    public var sellerSignature: SignatureSummary
    public var buyerSignature: SignatureSummary?
    /// Who saved the order when not the seller itself (the registrar, cl. 24(2)).
    public var actor: TaxpayerID?
    public init(id: String, number: String, seller: TaxpayerID, buyer: TaxpayerID, status: OrderStatus, savedAt: Timestamp,
                expiresAt: Timestamp, signedAt: Timestamp? = nil, cancelledAt: Timestamp? = nil, cancelReason: String? = nil,
                expiredAt: Timestamp? = nil, codeCount: Int, units: [String], volumeLitres: String, price: String, note: String?,
                sellerSignature: SignatureSummary, buyerSignature: SignatureSummary? = nil, actor: TaxpayerID? = nil) {
        self.id = id
        self.number = number
        self.seller = seller
        self.buyer = buyer
        self.status = status
        self.statusText = status.kazakh
        self.savedAt = savedAt
        self.expiresAt = expiresAt
        self.signedAt = signedAt
        self.cancelledAt = cancelledAt
        self.cancelReason = cancelReason
        self.expiredAt = expiredAt
        self.codeCount = codeCount
        self.units = units
        self.volumeLitres = volumeLitres
        self.price = price
        self.note = note
        self.sellerSignature = sellerSignature
        self.buyerSignature = buyerSignature
        self.actor = actor
    }
}

/// `GET /v1/orders`: one page, newest first.
public struct OrderPage: Codable, Sendable, Equatable {
    public var items: [OrderInfo]
    public var next: String?
    public init(items: [OrderInfo], next: String?) {
        self.items = items
        self.next = next
    }
}

// MARK: The status model (cl. 19–24)

/// A product's status in one participant's cabinet.
public enum ProductStatus: String, Codable, Sendable, CaseIterable {
    /// «Өндірілген»: activated on the producer's line (or put into operation by an importer's App. 8), still held.
    case produced
    /// «Белсенді»: received under a signed counter-order, held.
    case active
    /// «Берілген»: handed to a buyer under a signed counter-order (the seller's view).
    case transferred
    /// «Өтелген»: sold at retail by this participant, the code redeemed (cl. 22).
    case redeemed

    /// As printed in the seeds.
    public var kazakh: String {
        switch self {
        case .produced: "Өндірілген"
        case .active: "Белсенді"
        case .transferred: "Берілген"
        case .redeemed: "Өтелген"
        }
    }
}

/// One participant's status for a code.
public struct CodeHolding: Codable, Sendable, Equatable {
    public var participant: TaxpayerID
    public var status: ProductStatus
    public var since: Timestamp
    /// The order that gave or took it.
    public var order: String?
    public init(participant: TaxpayerID, status: ProductStatus, since: Timestamp, order: String? = nil) {
        self.participant = participant
        self.status = status
        self.since = since
        self.order = order
    }
}

// MARK: History and extracts (cl. 25)

/// What an operation was.
public enum OperationKind: String, Codable, Sendable, CaseIterable {
    case waybillRecorded, codesIssued, activated, writtenOff, casePacked, caseDissolved
    case orderSaved, orderSigned, orderCancelled, orderExpired, transferred, received
    case applicationSubmitted, applicationApproved, applicationRefused
    case accountCreated, accountBlocked, accountUnblocked, reportSubmitted
    /// Retail (cl. 22): codes redeemed by a receipt, in the cabinet or at a counter-order; codes restored by a return;
    /// the redemption consent given or withdrawn.
    case redeemed, returned, redemptionConsent
}

/// The signed document an operation rests on.
public struct DocumentReference: Codable, Sendable, Equatable {
    /// `application`, `order`, `counterOrder`, `report`.
    public var kind: String
    /// SHA-256 of its canonical bytes, hex.
    public var digest: String
    public var signer: String
    public init(kind: String, digest: String, signer: String) {
        self.kind = kind
        self.digest = digest
        self.signer = signer
    }
}

/// One registered operation (the cl. 25 lists): on an account or on a code.
public struct OperationRecord: Codable, Sendable, Equatable {
    public var at: Timestamp
    public var kind: OperationKind
    /// The account the operation is on.
    public var participant: TaxpayerID
    /// Who performed it (the registrar when it acted for the participant, cl. 24(2)).
    public var actor: TaxpayerID
    /// The order, application, waybill, batch or event it belongs to.
    public var reference: String?
    /// How many codes it concerned.
    public var count: Int?
    public var detail: String?
    public var document: DocumentReference?
    public init(at: Timestamp, kind: OperationKind, participant: TaxpayerID, actor: TaxpayerID, reference: String? = nil,
                count: Int? = nil, detail: String? = nil, document: DocumentReference? = nil) {
        self.at = at
        self.kind = kind
        self.participant = participant
        self.actor = actor
        self.reference = reference
        self.count = count
        self.detail = detail
        self.document = document
    }
}

/// `GET /v1/accounts/{participant}/operations` and `GET /v1/codes/{code}/operations`: one page, oldest first.
public struct OperationPage: Codable, Sendable, Equatable {
    public var items: [OperationRecord]
    /// Pass as `after` for the next page; absent on the last.
    public var next: String?
    public init(items: [OperationRecord], next: String?) {
        self.items = items
        self.next = next
    }
}

/// `GET /v1/codes/{code}/extract`: the extract on a QR code (cl. 25(3)).
public struct CodeExtract: Codable, Sendable, Equatable {
    public var code: CodeInfo
    /// Who holds the product now.
    public var holder: TaxpayerID
    /// Every participant's status for it, in the order they held it.
    public var holdings: [CodeHolding]
    /// The pending order it is in, if any (no operation on it meanwhile, cl. 23(3)).
    public var pendingOrder: String?
    public var operations: [OperationRecord]
    public var generatedAt: Timestamp
    public init(code: CodeInfo, holder: TaxpayerID, holdings: [CodeHolding], pendingOrder: String?, operations: [OperationRecord],
                generatedAt: Timestamp) {
        self.code = code
        self.holder = holder
        self.holdings = holdings
        self.pendingOrder = pendingOrder
        self.operations = operations
        self.generatedAt = generatedAt
    }
}

/// Counts of an account's codes by status (the general extract, cl. 25(2)).
public struct AccountCodeCounts: Codable, Sendable, Equatable {
    /// Issued to it, not yet activated («Берілген» codes).
    public var issued: Int
    /// Its own activated products still held («Өндірілген»).
    public var produced: Int
    /// Received under counter-orders, held («Белсенді»).
    public var active: Int
    /// Handed over under counter-orders («Берілген» products).
    public var transferred: Int
    public var writtenOff: Int
    /// Codes of its products in its pending outgoing orders.
    public var inPendingOrders: Int
    /// Sold at retail by it («Өтелген»), no longer counted as produced or active.
    public var redeemed: Int
    public init(issued: Int, produced: Int, active: Int, transferred: Int, writtenOff: Int, inPendingOrders: Int, redeemed: Int = 0) {
        self.issued = issued
        self.produced = produced
        self.active = active
        self.transferred = transferred
        self.writtenOff = writtenOff
        self.inPendingOrders = inPendingOrders
        self.redeemed = redeemed
    }
}

/// `GET /v1/accounts/{participant}/extract`: the general extract on the account record (cl. 25(2)).
public struct AccountExtract: Codable, Sendable, Equatable {
    public var account: AccountInfo
    public var codes: AccountCodeCounts
    /// Orders by status, as seller and as buyer.
    public var ordersAsSeller: [String: Int]
    public var ordersAsBuyer: [String: Int]
    /// Applications by status.
    public var applications: [String: Int]
    public var lastOperation: OperationRecord?
    public var generatedAt: Timestamp
    public init(account: AccountInfo, codes: AccountCodeCounts, ordersAsSeller: [String: Int], ordersAsBuyer: [String: Int],
                applications: [String: Int], lastOperation: OperationRecord?, generatedAt: Timestamp) {
        self.account = account
        self.codes = codes
        self.ordersAsSeller = ordersAsSeller
        self.ordersAsBuyer = ordersAsBuyer
        self.applications = applications
        self.lastOperation = lastOperation
        self.generatedAt = generatedAt
    }
}

// MARK: Signed report submission (cl. 28)

/// Which form a submission is.
public enum ReportForm: String, Codable, Sendable, CaseIterable {
    /// App. 9: information on activating QR codes.
    case app9
    /// App. 10: report on using the received QR codes.
    case app10
}

/// The signed document of `POST /v1/reports/submissions`: a producer's or importer's App. 9 or App. 10 for a month,
/// with its own figures. The registrar compares them with its own.
public struct ReportSubmission: Codable, Sendable, Equatable {
    public var participant: TaxpayerID
    public var form: ReportForm
    public var month: ReportingMonth
    /// App. 9 columns 2–3 and App. 10 column 3.
    public var received: Int
    /// App. 9 column 3.
    public var activated: Int?
    /// App. 10 columns 2, 4, 5.
    public var openingBalance: Int?
    public var used: Int?
    public var closingBalance: Int?
    /// App. 9 column 4.
    public var note: String?
    public init(participant: TaxpayerID, form: ReportForm, month: ReportingMonth, received: Int, activated: Int? = nil,
                openingBalance: Int? = nil, used: Int? = nil, closingBalance: Int? = nil, note: String? = nil) {
        self.participant = participant
        self.form = form
        self.month = month
        self.received = received
        self.activated = activated
        self.openingBalance = openingBalance
        self.used = used
        self.closingBalance = closingBalance
        self.note = note
    }
}

/// A column whose submitted figure differs from the registrar's.
public struct ReportDifference: Codable, Sendable, Equatable {
    public var column: String
    public var submitted: Int?
    public var registrar: Int
    public init(column: String, submitted: Int?, registrar: Int) {
        self.column = column
        self.submitted = submitted
        self.registrar = registrar
    }
}

/// The answer to a submission: accepted when every figure agrees, otherwise the differing columns.
public struct ReportSubmissionResult: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable { case accepted, differs }
    public var id: String
    public var participant: TaxpayerID
    public var form: ReportForm
    public var month: ReportingMonth
    public var result: Verdict
    public var differences: [ReportDifference]
    public var receivedAt: Timestamp
    public var signature: SignatureSummary
    public init(id: String, participant: TaxpayerID, form: ReportForm, month: ReportingMonth, result: Verdict,
                differences: [ReportDifference], receivedAt: Timestamp, signature: SignatureSummary) {
        self.id = id
        self.participant = participant
        self.form = form
        self.month = month
        self.result = result
        self.differences = differences
        self.receivedAt = receivedAt
        self.signature = signature
    }
}

// MARK: Error codes of the trade half

extension ErrorCode {
    /// The participant's account is blocked (cl. 23(2)): every operation is refused; reads work.
    public static let accountBlocked = ErrorCode(rawValue: "account_blocked")
    /// No account record for that IIN/BIN.
    public static let accountUnknown = ErrorCode(rawValue: "account_unknown")
    /// The signature does not verify, or the CMS blob is garbled (details name which).
    public static let signatureInvalid = ErrorCode(rawValue: "signature_invalid")
    /// The signer's certificate is not the participant's (another BIN/IIN).
    public static let signerMismatch = ErrorCode(rawValue: "signer_mismatch")
    /// The server has no trust anchors configured: signed operations are unavailable.
    public static let signaturesNotConfigured = ErrorCode(rawValue: "signatures_not_configured")
    /// The operation is not allowed in the order's or application's current status.
    public static let invalidState = ErrorCode(rawValue: "invalid_state")
    /// The order expired («Жойылды») before this operation.
    public static let orderExpired = ErrorCode(rawValue: "order_expired")
    /// Codes the seller does not hold (not its own, or already transferred).
    public static let codesNotHeld = ErrorCode(rawValue: "codes_not_held")
    /// Codes already in another order pending signature (cl. 23(3)).
    public static let codesPending = ErrorCode(rawValue: "codes_pending")
    /// Codes not in a tradeable status (issued and not activated, written off, redeemed).
    public static let codesNotActive = ErrorCode(rawValue: "codes_not_active")
    /// A waybill cites no approved application of its recipient, or more stamps than it approved (cl. 16–17).
    public static let applicationMismatch = ErrorCode(rawValue: "application_mismatch")
    /// The calendar does not cover the year a deadline falls in.
    public static let calendarNotCovered = ErrorCode(rawValue: "calendar_not_covered")
}
