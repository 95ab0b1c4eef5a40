import Foundation
import LineAgentTesting
import LineCore
import Logging
import QazAPI
@testable import RetailSimulator
import Synchronization

let shopBIN = TaxpayerID.completing("99050100001")
let otherBIN = TaxpayerID.completing("98040200002")

/// A quiet logger for tests.
let quiet: Logger = {
    var logger = Logger(label: "retail-test")
    logger.logLevel = .critical
    return logger
}()

/// `count` stamp-shaped codes (20 of 0-9 A-Z).
func stampCodes(_ count: Int, prefix: String = "QZRS") -> [String] {
    (1...max(count, 1)).prefix(count).map { prefix + String($0).leftPadded(20 - prefix.count) }
}

/// A shop holding `codes` of two products.
func makeShop(_ codes: [String], seller: TaxpayerID = shopBIN) throws -> Shop {
    try Shop(seller: seller, stock: codes.enumerated().map { StockItem(code: $0.element, product: .sample($0.offset % 2)) })
}

/// Bottles of product 0 for a receipt.
func bottles(_ codes: [String], as form: MarkingForm = .link) -> [ScannedBottle] {
    codes.map { ScannedBottle(StockItem(code: $0, product: .sample(0)), as: form) }
}

/// Astana 2026-11-20 10:00 plus `hours`.
func at(hours: Double) -> Date {
    Date(timeIntervalSince1970: 1_795_150_800 + hours * 3600)  // 2026-11-20T05:00:00Z = 10:00 in Astana
}

/// An ``FDOLink`` for fault tests: while `down` every message fails `unreachable`; `loseNext` answers are lost after the
/// target got the message (as a timeout after delivery would).
final class ScriptedLink: FDOLink {
    private struct State {
        var down = false
        var loseNext = 0
        var sent: [FiscalReceipt] = []
    }
    private let target: any FDOLink
    private let state = Mutex(State())

    init(_ target: any FDOLink) { self.target = target }

    func setDown(_ down: Bool) { state.withLock { $0.down = down } }
    func loseNextAnswers(_ count: Int) { state.withLock { $0.loseNext += count } }
    /// Receipts that reached the target.
    var sent: [FiscalReceipt] { state.withLock { $0.sent } }

    func send(_ receipt: FiscalReceipt) async throws(FDOLinkError) -> SignedReceipt {
        let lose = try admit([receipt])
        let answer = try await target.send(receipt)
        if lose { throw .unreachable("answer lost (scripted)") }
        return answer
    }

    func sendAutonomous(_ upload: AutonomousUpload) async throws(FDOLinkError) -> AutonomousUploadAnswer {
        let lose = try admit(upload.receipts)
        let answer = try await target.sendAutonomous(upload)
        if lose { throw .unreachable("answer lost (scripted)") }
        return answer
    }

    private func admit(_ receipts: [FiscalReceipt]) throws(FDOLinkError) -> Bool {
        try state.withLock { state throws(FDOLinkError) -> Bool in
            if state.down { throw .unreachable("link down (scripted)") }
            state.sent += receipts
            guard state.loseNext > 0 else { return false }
            state.loseNext -= 1
            return true
        }
    }
}

/// A receipt made by hand (for relay and sink tests that bypass a register).
func handReceipt(_ register: String, _ number: Int, codes: [String], operation: ReceiptOperation = .sale, seller: TaxpayerID = shopBIN,
                 autonomous: Bool = false) -> FiscalReceipt {
    var receipt = FiscalReceipt(
        registrationNumber: register, factoryNumber: "ZNM000001", seller: seller, number: number, autonomous: autonomous,
        dateTime: "2026-11-20T10:00:\(String(number % 60).leftPadded(2))", operation: operation,
        lines: [ReceiptLine(catalogueCode: CatalogueProduct.sample(0).catalogueCode, quantity: codes.count, markingCodes: codes)])
    if autonomous { receipt.autonomousSign = FiscalSigns.autonomousSign(for: receipt, counter: number) }
    return receipt
}

/// The receipt as the relay forwards it (with the FDO's sign).
func signed(_ receipt: FiscalReceipt) -> FiscalReceipt {
    var receipt = receipt
    if !receipt.autonomous { receipt.fiscalSign = FiscalSigns.fiscalSign(for: receipt) }
    return receipt
}

/// An ``HTTPFDOLink`` to a relay on `port`, shut down afterwards whether `body` returns or throws.
func withHTTPLink<T>(_ port: Int, _ body: (HTTPFDOLink) async throws -> T) async throws -> T {
    let link = HTTPFDOLink(baseURL: "http://127.0.0.1:\(port)")
    do {
        let value = try await body(link)
        try await link.shutdown()
        return value
    } catch {
        try? await link.shutdown()
        throw error
    }
}
