import Foundation
import Hummingbird
import NIOCore
import LineCore
import QazAPI

/// Checks the trade documents' fields before a store sees them: each problem a `422` naming the field.
enum TradeValidation {
    /// 1–40 of A–Z a–z 0–9 - _ . / (application and order numbers).
    static func isDocumentNumber(_ text: String) -> Bool {
        (1...40).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95 || byte == 46 || byte == 47
        } && text != "." && text != ".."
    }

    /// A decimal text: digits, optionally a point and at most `fraction` digits; at most `integer` integer digits.
    static func isDecimal(_ text: String, integer: Int, fraction: Int) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), (1...integer).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if parts.count == 2 { return (1...fraction).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && $0.isNumber } }
        return true
    }

    static func number(_ text: String, _ field: String) throws(RegistrarError) {
        guard isDocumentNumber(text) else { throw .invalidField(field, "expected 1-40 of A-Z a-z 0-9 - _ . /") }
    }

    static func text(_ value: String, _ field: String, max: Int = 300) throws(RegistrarError) {
        let count = value.unicodeScalars.count
        guard (1...max).contains(count), !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
              value.trimmingCharacters(in: .whitespaces) == value else {
            throw .invalidField(field, "expected 1-\(max) printable characters without leading or trailing spaces")
        }
    }

    static func money(_ text: String, _ field: String) throws(RegistrarError) {
        guard isDecimal(text, integer: 15, fraction: 2) else { throw .invalidField(field, "expected tenge as a decimal text such as \"125000.00\"") }
    }

    static func application(_ a: StampApplication, applicantRole: Role?) throws(RegistrarError) {
        let d = "document."
        try number(a.number, d + "number")
        try text(a.name, d + "name")
        try text(a.address, d + "address")
        guard (1...10_000_000).contains(a.quantity) else { throw .invalidField(d + "quantity", "expected 1-10000000 stamps") }
        if let role = applicantRole {
            if role == .producer, a.kind != .domestic {
                throw .invalidField(d + "kind", "a producer applies with App. 3 (domestic); App. 4 (import) is the importer's")
            }
            if role == .importer, a.kind != .import {
                throw .invalidField(d + "kind", "an importer applies with App. 4 (import); App. 3 (domestic) is the producer's")
            }
        }
        switch a.kind {
        case .domestic:
            guard let licence = a.licence else { throw .missingField(d + "licence") }
            try text(licence.authority, d + "licence.authority")
            try text(licence.number, d + "licence.number", max: 60)
            if a.contract != nil { throw .invalidField(d + "contract", "App. 3 (domestic) has no foreign-trade contract") }
        case .import:
            guard let contract = a.contract else { throw .missingField(d + "contract") }
            try text(contract.number, d + "contract.number", max: 60)
            if a.licence != nil { throw .invalidField(d + "licence", "App. 4 (import) has no licence") }
            guard a.undertakings.noArrears == true else {
                throw .invalidField(d + "undertakings.noArrears", "App. 4 requires the confirmation of no arrears (cl. 13)")
            }
        }
        if let code = a.product.catalogueCode { try text(code, d + "product.catalogueCode", max: 40) }
        try text(a.product.name, d + "product.name")
        try text(a.product.type, d + "product.type", max: 100)
        guard (50...50_000).contains(a.product.capacityMl) else { throw .invalidField(d + "product.capacityMl", "expected 50-50000 ml") }
        guard isDecimal(a.product.strength, integer: 2, fraction: 2), let strength = Double(a.product.strength), strength > 0, strength <= 96 else {
            throw .invalidField(d + "product.strength", "expected percent by volume as a decimal text such as \"40.0\" (0-96)")
        }
        guard a.periodFrom <= a.periodTo else { throw .invalidField(d + "periodTo", "the period ends before it begins") }
        try text(a.certificate.number, d + "certificate.number", max: 60)
        try text(a.certificate.body, d + "certificate.body")
        guard (4...10).contains(a.hsCode.count), a.hsCode.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalidField(d + "hsCode", "expected the СЭҚ ТН (HS) code, 4-10 digits")
        }
        for (name, payment) in [("stampPayment", a.stampPayment), ("excisePayment", a.excisePayment)] {
            try money(payment.amount, d + name + ".amount")
            try text(payment.bankAccount, d + name + ".bankAccount", max: 40)
            try text(payment.document, d + name + ".document", max: 60)
        }
        try money(a.obligation.securityAmount, d + "obligation.securityAmount")
        try text(a.obligation.instrumentNumber, d + "obligation.instrumentNumber", max: 60)
        try text(a.obligation.legalAddress, d + "obligation.legalAddress")
        try text(a.obligation.bankDetails, d + "obligation.bankDetails")
        let u = a.undertakings
        for (name, value) in [("apiReports", u.apiReports), ("dataAccurate", u.dataAccurate), ("rulesRead", u.rulesRead)] where !value {
            throw .invalidField(d + "undertakings." + name, "the form's undertaking must be given (true)")
        }
    }

    static func decision(_ decision: ApplicationDecision) throws(RegistrarError) {
        switch decision.decision {
        case .approve:
            if let grounds = decision.grounds, !grounds.isEmpty { throw .invalidField("grounds", "an approval has no refusal grounds") }
        case .refuse:
            guard let grounds = decision.grounds, !grounds.isEmpty else {
                throw .invalidField("grounds", "a refusal names its cl. 15 grounds: \(RefusalGround.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if Set(grounds).count != grounds.count { throw .invalidField("grounds", "a ground is named twice") }
        }
        if let comment = decision.comment { try text(comment, "comment", max: 1000) }
    }

    /// The order's fields, and its stamp codes and units parsed (no repeats).
    static func order(_ order: SaleOrder, validator: Validator) throws(RegistrarError) -> ([StampCode], [UnitCode]) {
        let d = "document."
        try number(order.number, d + "number")
        guard TradeValidation.isDecimal(order.volumeLitres, integer: 9, fraction: 3), (Double(order.volumeLitres) ?? 0) > 0 else {
            throw .invalidField(d + "volumeLitres", "expected litres as a decimal text such as \"600.000\", more than 0")
        }
        try money(order.price, d + "price")
        if let note = order.note { try text(note, d + "note", max: 500) }
        if order.codes.isEmpty, order.units.isEmpty { throw .invalidField(d + "codes", "an order names at least one code, case or pallet") }
        if order.codes.count > TradeLimits.maxOrderCodes {
            throw .batchTooLarge(count: order.codes.count, limit: TradeLimits.maxOrderCodes, what: "codes")
        }
        if order.units.count > 10_000 { throw .batchTooLarge(count: order.units.count, limit: 10_000, what: "units") }
        var codes = [StampCode]()
        var seen = Set<String>()
        for (index, text) in order.codes.enumerated() {
            let field = "\(d)codes[\(index)]"
            let code = try validator.parseCode(text, field: field)
            guard seen.insert(code.rawValue).inserted else {
                throw RegistrarError(.unprocessableContent, .duplicateCode, "\(field): \(code) is named twice", details: ["field": field])
            }
            codes.append(code)
        }
        var units = [UnitCode]()
        var seenUnits = Set<String>()
        for (index, text) in order.units.enumerated() {
            let field = "\(d)units[\(index)]"
            guard text.utf8.count <= 100, let unit = try? UnitCode(parsing: text) else { throw .invalidField(field, "not a case or pallet code") }
            guard seenUnits.insert(unit.rawValue).inserted else { throw .invalidField(field, "\(unit) is named twice") }
            units.append(unit)
        }
        return (codes, units)
    }

    static func report(_ submission: ReportSubmission, now: Timestamp) throws(RegistrarError) {
        let d = "document."
        guard submission.month < now.reportingMonth || submission.month == now.reportingMonth else {
            throw .invalidField(d + "month", "a report is for a month that has begun")
        }
        let figures: [(String, Int?)] = [("received", submission.received), ("activated", submission.activated),
                                         ("openingBalance", submission.openingBalance), ("used", submission.used),
                                         ("closingBalance", submission.closingBalance)]
        for (name, value) in figures { if let value, value < 0 { throw .invalidField(d + name, "expected 0 or more") } }
        switch submission.form {
        case .app9:
            if submission.activated == nil { throw .missingField(d + "activated") }
            for (name, value) in [("openingBalance", submission.openingBalance), ("used", submission.used), ("closingBalance", submission.closingBalance)]
            where value != nil { throw .invalidField(d + name, "not a column of App. 9") }
        case .app10:
            for (name, value) in [("openingBalance", submission.openingBalance), ("used", submission.used), ("closingBalance", submission.closingBalance)]
            where value == nil { throw .missingField(d + name) }
            if submission.activated != nil { throw .invalidField(d + "activated", "not a column of App. 10 (it reports `used`)") }
        }
        if let note = submission.note { try text(note, d + "note", max: 500) }
    }
}

extension Validator {
    /// A stamp code (bare or the QR's link), or `422` naming the field.
    func parseCode(_ text: String, field: String) throws(RegistrarError) -> StampCode {
        if text.utf8.count > maxCodeBytes {
            throw RegistrarError(.unprocessableContent, .codeTooLong, "\(field): no stamp code is longer than \(maxCodeBytes) bytes",
                                 details: ["field": field, "limit": String(maxCodeBytes)])
        }
        switch rules.parse(text) {
        case .success(let code): return code
        case .failure(let why): throw .invalidField(field, "not a stamp code (\(why.code): \(why))")
        }
    }
}

extension BodyReader {
    /// The body's bytes within the size limit (a signed envelope is verified over what was sent, so it is not decoded first).
    static func raw(_ request: Request, limit: Int) async throws(RegistrarError) -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw .bodyTooLarge(limit: limit) }
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw RegistrarError(.unsupportedMediaType, .unsupportedMediaType, "expected Content-Type application/json, got \(contentType.prefix(64))")
        }
        do {
            return Data(try await request.body.collect(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(limit: limit)
        } catch {
            throw .invalidJSON("the body could not be read")
        }
    }

    /// Decodes an embedded object (a signed envelope's document): errors name fields under `prefix`.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, prefix: String) throws(RegistrarError) -> T {
        do { return try decode(type, from: data) } catch {
            var error = error
            if let field = error.body.details?["field"] {
                let prefixed = field == "(body)" ? prefix : "\(prefix).\(field)"
                error.body = ErrorBody(code: error.body.code, message: error.body.message.replacingOccurrences(of: field, with: prefixed),
                                       details: (error.body.details ?? [:]).merging(["field": prefixed]) { _, new in new })
            }
            throw error
        }
    }
}
