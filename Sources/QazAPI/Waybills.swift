import Foundation
import LineCore

/// `POST /v1/waybills`: the Banknote Factory's electronic waybill (seed digest A.4, clause 16).
///
/// Quantity, ranges and the code list must agree: every listed code's stamp lies in exactly one range, every
/// stamp of every range is listed once, and `quantity` is that count. Otherwise the whole waybill is refused.
public struct WaybillRequest: Codable, Sendable, Equatable {
    /// Waybill number (the idempotency key of issuance: the same number with the same body is answered again).
    public var number: String
    /// Date the waybill was drawn up.
    public var date: CalendarDate
    /// Date the stamps were issued (Astana calendar); the month the codes count as received.
    public var issuedOn: CalendarDate
    /// The stamp application this waybill answers.
    public var application: ApplicationReference
    /// The recipient: producer or importer.
    public var recipient: Recipient
    /// The product the stamps are for.
    public var product: WaybillProduct
    /// Stamp number ranges by series.
    public var ranges: [WaybillRange]
    /// Number of stamps issued.
    public var quantity: Int
    /// Every issued code with its stamp's series and nine-digit number.
    public var codes: [IssuedCode]

    public init(number: String, date: CalendarDate, issuedOn: CalendarDate, application: ApplicationReference,
                recipient: Recipient, product: WaybillProduct, ranges: [WaybillRange], quantity: Int, codes: [IssuedCode]) {
        self.number = number
        self.date = date
        self.issuedOn = issuedOn
        self.application = application
        self.recipient = recipient
        self.product = product
        self.ranges = ranges
        self.quantity = quantity
        self.codes = codes
    }

    /// A waybill issuing `codes` on consecutive stamps of one series, numbered from `first` (what the demo plant,
    /// seeding tools and tests submit); nil when the numbers leave the series' range (000000001-999999999; 000000000 is
    /// no stamp's number) or `codes` is empty.
    /// - Parameters:
    ///   - date: the waybill's date, also the issue date.
    ///   - application: the stamp application it answers (default: `APP-<number>` of the same date).
    public static func consecutive(number: String, date: CalendarDate, application: ApplicationReference? = nil,
                                   recipient: Recipient, product: WaybillProduct, series: StampSeries, first: Int = 1,
                                   codes: [String]) -> WaybillRequest? {
        guard !codes.isEmpty, first >= 1, let firstNumber = StampNumber(first), let lastNumber = StampNumber(first + codes.count - 1) else { return nil }
        var issued = [IssuedCode]()
        issued.reserveCapacity(codes.count)
        for (offset, code) in codes.enumerated() {
            guard let number = StampNumber(first + offset) else { return nil }
            issued.append(IssuedCode(code: code, series: series, number: number))
        }
        return WaybillRequest(number: number, date: date, issuedOn: date,
                              application: application ?? ApplicationReference(number: "APP-\(number)", date: date),
                              recipient: recipient, product: product,
                              ranges: [WaybillRange(series: series, first: firstNumber, last: lastNumber)],
                              quantity: codes.count, codes: issued)
    }
}

/// The stamp application a waybill answers (number and date).
public struct ApplicationReference: Codable, Sendable, Equatable {
    public var number: String
    public var date: CalendarDate
    public init(number: String, date: CalendarDate) {
        self.number = number
        self.date = date
    }
}

/// The participant stamps are issued to.
public struct Recipient: Codable, Sendable, Equatable {
    /// IIN/BIN with a valid check digit.
    public var bin: TaxpayerID
    /// Entity name, or surname, first name and patronymic.
    public var name: String
    public init(bin: TaxpayerID, name: String) {
        self.bin = bin
        self.name = name
    }
}

/// Name, type and capacity of the alcohol product (clause 16 item 5).
public struct WaybillProduct: Codable, Sendable, Equatable {
    public var name: String
    public var type: String
    /// Capacity of the consumer container in millilitres.
    public var capacityMl: Int
    public init(name: String, type: String, capacityMl: Int) {
        self.name = name
        self.type = type
        self.capacityMl = capacityMl
    }
}

/// One inclusive range of stamp numbers in one series.
public struct WaybillRange: Codable, Sendable, Equatable {
    public var series: StampSeries
    public var first: StampNumber
    public var last: StampNumber
    public init(series: StampSeries, first: StampNumber, last: StampNumber) {
        self.series = series
        self.first = first
        self.last = last
    }
}

/// One code of a waybill and the stamp that carries it.
public struct IssuedCode: Codable, Sendable, Equatable {
    /// The QR code (bare code form).
    public var code: String
    public var series: StampSeries
    public var number: StampNumber
    public init(code: String, series: StampSeries, number: StampNumber) {
        self.code = code
        self.series = series
        self.number = number
    }
}

/// The answer to an accepted waybill.
public struct WaybillReceipt: Codable, Sendable, Equatable {
    public var number: String
    public var recipient: TaxpayerID
    /// Codes now Issued to the recipient.
    public var issued: Int
    /// The Astana reporting month the codes count as received in.
    public var month: ReportingMonth
    /// When the registrar recorded the waybill.
    public var recordedAt: Timestamp
    public init(number: String, recipient: TaxpayerID, issued: Int, month: ReportingMonth, recordedAt: Timestamp) {
        self.number = number
        self.recipient = recipient
        self.issued = issued
        self.month = month
        self.recordedAt = recordedAt
    }
}
