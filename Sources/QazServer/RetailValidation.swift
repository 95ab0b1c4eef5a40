import Crypto
import Foundation
import LineCore
import QazAPI

/// Checks receipts before a store sees them: a receipt whose own fields are wrong is `rejected` naming the field; a
/// line that is wrong (a negative quantity, a quantity that is not its number of codes) is answered `lineInvalid`
/// while the receipt's other lines apply; a marking code that is not a stamp code is answered `malformed`.
enum RetailValidation {
    /// How far in the future a receipt's date-time may be before it is flagged `futureDated` (clock skew).
    static let futureSkew: Int64 = 5 * 60_000

    /// A receipt's date-time, Astana local `YYYY-MM-DDTHH:MM:SS` (optionally `+05:00`), as UTC; nil when it is not one.
    static func astanaDateTime(_ text: String) -> Timestamp? {
        var body = Substring(text)
        if body.hasSuffix("+05:00") { body = body.dropLast(6) }
        let bytes = Array(body.utf8)
        guard bytes.count == 19, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58, bytes[16] == 58 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19),
              (2000...2100).contains(year), (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              let date = CalendarDate(String(text.prefix(10))), date.day == day else { return nil }
        let days = CivilDateTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(AstanaTime.utcOffsetSeconds)
        return Timestamp(milliseconds: seconds * 1000)
    }

    /// 12–20 of A–Z 0–9 (the registration number the tax body gives a register; order No 626 asks for at least 12).
    static func isRegistrationNumber(_ text: String) -> Bool {
        (12...20).contains(text.utf8.count) && text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) }
    }

    /// 1–64 of A–Z a–z 0–9 and `-`.
    static func isSign(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 }
    }

    /// Validates a receipt's own fields; the first problem as a `RegistrarError` naming the field under `prefix`.
    static func receipt(_ r: FiscalReceipt, prefix p: String) throws(RegistrarError) -> Timestamp {
        guard isRegistrationNumber(r.registrationNumber) else {
            throw .invalidField(p + "registrationNumber", "expected the register's registration number, 12-20 of A-Z 0-9")
        }
        guard TradeValidation.isDocumentNumber(r.factoryNumber) else {
            throw .invalidField(p + "factoryNumber", "expected the register's factory number, 1-40 of A-Z a-z 0-9 - _ . /")
        }
        guard (1...Int(Int32.max)).contains(r.number) else { throw .invalidField(p + "number", "expected the receipt's sequence number, 1-2147483647") }
        if r.autonomous {
            guard let sign = r.autonomousSign else {
                throw .missingField(p + "autonomousSign")
            }
            guard isSign(sign) else { throw .invalidField(p + "autonomousSign", "expected 1-64 of A-Z a-z 0-9 -") }
            if r.fiscalSign != nil {
                throw .invalidField(p + "fiscalSign", "a receipt formed in autonomous mode carries the autonomous fiscal sign, not the FDO's")
            }
        } else {
            guard let sign = r.fiscalSign else {
                throw r.autonomousSign != nil
                    ? .invalidField(p + "autonomous", "a receipt with an autonomous fiscal sign is marked autonomous: true")
                    : .missingField(p + "fiscalSign")
            }
            guard isSign(sign) else { throw .invalidField(p + "fiscalSign", "expected 1-64 of A-Z a-z 0-9 -") }
            if r.autonomousSign != nil {
                throw .invalidField(p + "autonomousSign", "an online receipt carries the FDO's fiscal sign only")
            }
        }
        guard let issuedAt = astanaDateTime(r.dateTime) else {
            throw .invalidField(p + "dateTime", "expected Astana time YYYY-MM-DDTHH:MM:SS (e.g. 2026-12-04T15:42:07), got \(r.dateTime.prefix(40))")
        }
        guard (1...RetailLimits.maxLinesPerReceipt).contains(r.lines.count) else {
            throw .invalidField(p + "lines", "expected 1-\(RetailLimits.maxLinesPerReceipt) lines")
        }
        return issuedAt
    }

    /// A line's problem, or nil: it is then applied code by code.
    static func lineProblem(_ line: ReceiptLine) -> String? {
        if !(1...40).contains(line.catalogueCode.utf8.count)
            || !line.catalogueCode.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 }) {
            return "catalogueCode: expected the National Catalogue of Goods code, 1-40 of A-Z a-z 0-9 -"
        }
        if line.quantity < 1 {
            return "quantity \(line.quantity): expected a positive number of units (a return is a saleReturn receipt, not a negative quantity)"
        }
        if line.markingCodes.count > RetailLimits.maxCodesPerLine {
            return "markingCodes: \(line.markingCodes.count) codes, at most \(RetailLimits.maxCodesPerLine) per line"
        }
        if !line.markingCodes.isEmpty, line.quantity != line.markingCodes.count {
            return "quantity \(line.quantity) but \(line.markingCodes.count) marking code(s): each marked unit carries its own code"
        }
        return nil
    }

    /// The receipt's identity for idempotency: SHA-256 of what it means, not how it was written — the date-time as an
    /// instant (with or without `+05:00`), each marking code as the stamp code it carries (link or bare code), without
    /// the goods' printed names; every other field as sent, in canonical JSON.
    static func digest(_ receipt: FiscalReceipt, issuedAt: Timestamp, lines: [PreparedLine]) -> [UInt8] {
        var normal = receipt
        normal.dateTime = String(issuedAt.milliseconds)
        for (index, line) in lines.enumerated() where index < normal.lines.count {
            normal.lines[index].name = nil
            normal.lines[index].markingCodes = line.codes.map { $0.code ?? $0.marking }
        }
        let data = (try? WireCoding.canonicalEncoder().encode(normal)) ?? Data()
        return Array(SHA256.hash(data: data))
    }
}
