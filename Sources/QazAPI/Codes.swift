import Foundation
import LineCore

/// A code's status at the registrar.
public enum CodeStatus: String, Codable, Sendable, CaseIterable {
    /// «Берілген»: issued to a producer or importer, not yet activated.
    case issued
    /// «Белсендірілген»: activated on a filling line (the product is Produced).
    case activated
    /// Written off as damaged or unused (App. 5): counts as used.
    case writtenOff
    /// «Өтелген»: redeemed on retail sale (cl. 22), withdrawn from circulation. Counts as activated in App. 9/10.
    case redeemed
}

/// `GET /v1/codes/{code}`: the code's record, and the case and pallet it is packed in (aggregation).
public struct CodeInfo: Codable, Sendable, Equatable {
    public var code: String
    public var status: CodeStatus
    /// The participant the code was issued to.
    public var owner: TaxpayerID
    public var series: StampSeries
    public var number: StampNumber
    /// The waybill that issued it.
    public var waybillNumber: String
    public var issuedOn: CalendarDate
    /// The product named on the waybill.
    public var productName: String
    /// The ДСН code given at activation.
    public var productCode: String?
    /// Activation time, UTC.
    public var activatedAt: Timestamp?
    /// Activation time in Astana time, for people.
    public var activatedAtAstana: String?
    public var lineId: String?
    public var equipmentId: String?
    public var batchId: UUID?
    public var writtenOffAt: Timestamp?
    public var writeOffReason: String?
    /// The packed case the bottle is in now (absent when it is in none, or its case was dissolved).
    public var `case`: UnitCode?
    /// The packed pallet that case is on now (absent when the case is on none).
    public var pallet: UnitCode?
    /// Who activated the code when it was not the owner: the registrar, acting on the owner's behalf (cl. 24(2)).
    public var activatedBy: TaxpayerID?
    /// Who wrote the code off when it was not the owner: the registrar (cl. 24(2)).
    public var writtenOffBy: TaxpayerID?
    /// When the product was sold at retail and the code redeemed «Өтелген» (cl. 22), UTC.
    public var redeemedAt: Timestamp?
    /// The seller that redeemed it.
    public var redeemedBy: TaxpayerID?

    public init(code: String, status: CodeStatus, owner: TaxpayerID, series: StampSeries, number: StampNumber,
                waybillNumber: String, issuedOn: CalendarDate, productName: String, productCode: String? = nil,
                activatedAt: Timestamp? = nil, lineId: String? = nil, equipmentId: String? = nil, batchId: UUID? = nil,
                writtenOffAt: Timestamp? = nil, writeOffReason: String? = nil, case: UnitCode? = nil, pallet: UnitCode? = nil,
                activatedBy: TaxpayerID? = nil, writtenOffBy: TaxpayerID? = nil) {
        self.code = code
        self.status = status
        self.owner = owner
        self.series = series
        self.number = number
        self.waybillNumber = waybillNumber
        self.issuedOn = issuedOn
        self.productName = productName
        self.productCode = productCode
        self.activatedAt = activatedAt
        self.activatedAtAstana = activatedAt?.astana
        self.lineId = lineId
        self.equipmentId = equipmentId
        self.batchId = batchId
        self.writtenOffAt = writtenOffAt
        self.writeOffReason = writeOffReason
        self.case = `case`
        self.pallet = pallet
        self.activatedBy = activatedBy == owner ? nil : activatedBy
        self.writtenOffBy = writtenOffBy == owner ? nil : writtenOffBy
    }
}

/// One code of a participant's pool.
public struct PoolCode: Codable, Sendable, Equatable {
    public var code: String
    public var series: StampSeries
    public var number: StampNumber
    public init(code: String, series: StampSeries, number: StampNumber) {
        self.code = code
        self.series = series
        self.number = number
    }
}

/// `GET /v1/pools/{bin}/codes`: one page of a participant's codes in code order.
public struct CodePage: Codable, Sendable, Equatable {
    public var items: [PoolCode]
    /// Pass as `after` to get the next page; absent on the last page.
    public var next: String?
    public init(items: [PoolCode], next: String?) {
        self.items = items
        self.next = next
    }
}

/// `POST /v1/write-offs`: damaged or unused stamps written off (App. 5 obliges their return). They count as used.
public struct WriteOffRequest: Codable, Sendable, Equatable {
    /// When the stamps were written off.
    public var writtenOffAt: Timestamp
    /// Why (e.g. `damaged`, `unused`), up to 200 characters.
    public var reason: String
    /// The codes, at most 10,000, no repeats.
    public var codes: [String]
    /// The registrar's token only: write off only this participant's codes (cl. 24(2)); without it the registrar
    /// writes off anyone's. A producer or importer may name only itself.
    public var participant: TaxpayerID?
    public init(writtenOffAt: Timestamp, reason: String, codes: [String], participant: TaxpayerID? = nil) {
        self.writtenOffAt = writtenOffAt
        self.reason = reason
        self.codes = codes
        self.participant = participant
    }
}

/// What happened to one written-off code.
public enum WriteOffOutcome: String, Codable, Sendable, CaseIterable {
    /// Issued and now written off.
    case writtenOff
    /// Written off earlier: nothing changed.
    case alreadyWrittenOff
    /// Already activated: cannot be written off.
    case activated
    /// Never issued.
    case unknown
    /// Not a stamp code.
    case malformed
}

/// One result of a write-off, in request order.
public struct WriteOffResult: Codable, Sendable, Equatable {
    public var code: String
    public var result: WriteOffOutcome
    public init(code: String, result: WriteOffOutcome) {
        self.code = code
        self.result = result
    }
}

/// The answer to `POST /v1/write-offs`.
public struct WriteOffReceipt: Codable, Sendable, Equatable {
    public var participant: TaxpayerID
    public var results: [WriteOffResult]
    public init(participant: TaxpayerID, results: [WriteOffResult]) {
        self.participant = participant
        self.results = results
    }
}

/// `GET /health` and `GET /ready`.
public struct HealthStatus: Codable, Sendable, Equatable {
    /// `ok`, or the reason the server is not ready.
    public var status: String
    public init(status: String) { self.status = status }
}
