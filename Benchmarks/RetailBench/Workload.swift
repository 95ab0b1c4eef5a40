// The benchmark's receipts: who sells, which codes, which registers, and the commands the store gets.
import Foundation
import LineCore
import QazAPI
import QazServer

/// The figures a run is asked for (flags of the command line).
struct Settings: Sendable {
    var lines = 200_000
    var linesPerReceipt = 5
    var receiptsPerBatch = 100
    var registers = 50
    var clients = 4
    var postgresURL: String?

    /// Receipts of a phase: the last one shorter when `lines` is not a multiple of `linesPerReceipt`.
    var receipts: Int { (lines + linesPerReceipt - 1) / linesPerReceipt }
    /// Lines of one phase's batch (the bare loop commits this many per transaction).
    var linesPerBatch: Int { receiptsPerBatch * linesPerReceipt }
}

/// A BIN with a valid check digit, from an 11-digit stem.
func bin(_ n: Int) -> TaxpayerID {
    var digits = String(format: "%011ld", n).utf8.map { Int($0) - 48 }
    while TaxpayerID.checkDigit(digits) == nil { digits[10] = (digits[10] + 1) % 10 }
    return TaxpayerID(digits.map(String.init).joined() + String(TaxpayerID.checkDigit(digits)!))!
}

let producer = bin(97010140000)
let retailer = bin(97010140010)
let fiscalDataOperator = bin(97010140020)
let catalogueCode = "KZ-VDK-0500"

/// The stamp code of seeded code `i` (20 of 0-9 A-Z: a bare code the default payload rules accept).
func codeText(_ i: Int) -> String { "RB" + String(format: "%018ld", i) }

/// One phase's receipts: receipt `j` is register `j % R`'s receipt number `j / R + 1` and sells codes
/// `first + j*K ..< first + (j+1)*K`, one marked bottle per line. Registers of different phases have different
/// registration numbers (`tag`), so each phase starts every register at 1.
struct Phase: Sendable {
    let tag: String
    let firstCode: Int
    let settings: Settings
    let dateTime: String
    let issuedAt: Timestamp

    init(tag: String, firstCode: Int, settings: Settings) {
        self.tag = tag
        self.firstCode = firstCode
        self.settings = settings
        // Five minutes ago, Astana time (UTC+5): neither autonomous-late nor future-dated.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 5 * 3600)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        dateTime = formatter.string(from: Date().addingTimeInterval(-300))
        issuedAt = Timestamp(text: dateTime + "+05:00")!
    }

    func register(_ r: Int) -> String { "RB" + tag + String(format: "%09ld", r + 1) }

    /// The codes receipt `j` sells.
    func codes(_ j: Int) -> Range<Int> {
        let start = j * settings.linesPerReceipt
        return firstCode + start ..< firstCode + min(start + settings.linesPerReceipt, settings.lines)
    }

    func receipt(_ j: Int) -> FiscalReceipt {
        let r = j % settings.registers, number = j / settings.registers + 1
        return FiscalReceipt(registrationNumber: register(r), factoryNumber: "ZNM-\(tag)-\(r + 1)", seller: retailer, number: number,
                             fiscalSign: "FS\(tag)\(r + 1)N\(number)", dateTime: dateTime, operation: .sale,
                             lines: codes(j).map { ReceiptLine(catalogueCode: catalogueCode, name: "Vodka 0.5 l", quantity: 1, markingCodes: [codeText($0)]) })
    }

    /// The phase's receipts in batches of `receiptsPerBatch`, in receipt order, of the receipts `include` keeps.
    func batches(where include: (Int) -> Bool = { _ in true }) -> [[Int]] {
        let kept = (0..<settings.receipts).filter(include)
        return stride(from: 0, to: kept.count, by: settings.receiptsPerBatch).map { Array(kept[$0..<min($0 + settings.receiptsPerBatch, kept.count)]) }
    }
}

/// The command `RegistrarServer.command(_:issuedAt:operatorID:now:)` builds for a valid online receipt (that function
/// and `RetailValidation` are internal to QazServer): no flags, each line without a problem, each marking code parsed
/// by the payload rules into a `PreparedCode`, and the body hash of `RetailValidation.digest` — SHA-256 of the canonical
/// JSON of the receipt with its date-time as an instant, each marking code as its stamp code, no printed names
/// (`TokenService.hash` is the same SHA-256 over the same UTF-8 bytes).
func command(_ receipt: FiscalReceipt, issuedAt: Timestamp, now: Timestamp, rules: PayloadRules = .default) throws -> ReceiptCommand {
    let lines = receipt.lines.map { line in
        PreparedLine(error: nil, codes: line.markingCodes.map { marking in
            guard marking.utf8.count <= rules.maxPayloadBytes, case .success(let code) = rules.parse(marking) else {
                return PreparedCode(marking: String(marking.prefix(rules.maxPayloadBytes)), code: nil)
            }
            return PreparedCode(marking: marking, code: code.rawValue)
        })
    }
    var normal = receipt
    normal.dateTime = String(issuedAt.milliseconds)
    for (index, line) in lines.enumerated() {
        normal.lines[index].name = nil
        normal.lines[index].markingCodes = line.codes.map { $0.code ?? $0.marking }
    }
    let canonical = try WireCoding.canonicalEncoder().encode(normal)
    return ReceiptCommand(receipt: receipt, issuedAt: issuedAt, bodyHash: TokenService.hash(String(decoding: canonical, as: UTF8.self)),
                          lines: lines, operatorID: fiscalDataOperator, receivedAt: now, flags: [])
}

/// Counts the lines an answer redeemed; anything else (a receipt not applied, a code not `redeemed`) is a failure.
func redeemedLines(_ answers: [ReceiptAnswer], expected receipts: [FiscalReceipt]) -> (lines: Int, failures: [String]) {
    var lines = 0, failures = [String]()
    guard answers.count == receipts.count else { return (0, ["\(answers.count) answers to \(receipts.count) receipts"]) }
    for (answer, receipt) in zip(answers, receipts) {
        guard answer.state == .applied, answer.registrationNumber == receipt.registrationNumber, answer.number == receipt.number else {
            failures.append("\(answer.registrationNumber)/\(answer.number): \(answer.state.rawValue)\(answer.waitingFor.map { " waiting for \($0)" } ?? "")\(answer.error.map { " \($0.message)" } ?? "")")
            continue
        }
        for line in answer.lines ?? [] {
            for code in line.codes {
                if code.outcome == .redeemed { lines += 1 } else { failures.append("\(answer.registrationNumber)/\(answer.number) \(code.markingCode): \(code.outcome.rawValue)") }
            }
        }
    }
    return (lines, failures)
}

// MARK: Printing

func grouped(_ n: Int) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.groupingSeparator = ","
    formatter.usesGroupingSeparator = true
    return formatter.string(from: NSNumber(value: n)) ?? String(n)
}

func grouped(_ x: Double) -> String { grouped(Int(x.rounded())) }

func mebibytes(_ bytes: Double) -> String { String(format: "%.1f MiB", bytes / 1_048_576) }
