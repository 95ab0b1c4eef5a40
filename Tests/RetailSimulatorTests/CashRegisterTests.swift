import Foundation
import LineCore
import QazAPI
@testable import RetailSimulator
import Testing

@Suite("Cash register: numbering, fiscal signs, autonomous mode, the 72-hour block")
struct CashRegisterTests {
    let relay = FDORelay(sink: InMemoryReceiptSink(), logger: quiet)

    @Test("a registration number is 12–20 of A–Z 0–9; a factory number 1–40 of A–Z a–z 0–9 - _ . /")
    func numbers() throws {
        #expect(throws: CashRegisterError.invalidRegistrationNumber("6200-0000-0001")) {
            try CashRegister(registrationNumber: "6200-0000-0001", factoryNumber: "ZNM1", seller: shopBIN)
        }
        #expect(throws: CashRegisterError.invalidFactoryNumber("ZNM 1")) {
            try CashRegister(registrationNumber: "620000000001", factoryNumber: "ZNM 1", seller: shopBIN)
        }
        #expect(throws: CashRegisterError.invalidRegistrationNumber("62000001")) {
            try CashRegister(registrationNumber: "62000001", factoryNumber: "ZNM1", seller: shopBIN)
        }
        #expect(throws: CashRegisterError.invalidFactoryNumber("")) {
            try CashRegister(registrationNumber: "620000000001", factoryNumber: "", seller: shopBIN)
        }
        let register = CashRegister.sample(7, seller: shopBIN)
        #expect(register.registrationNumber == "620000000007" && register.factoryNumber == "ZNM000007" && register.nextNumber == 1)
    }

    @Test("online: receipts numbered 1, 2, 3…, Astana date-time, the FDO's fiscal sign")
    func online() async throws {
        var register = CashRegister.sample(1, seller: shopBIN)
        let codes = stampCodes(3)
        let first = try await register.sale(bottles([codes[0], codes[1]]), at: at(hours: 0), via: relay)
        let second = try await register.saleReturn(bottles([codes[1]], as: .bare), at: at(hours: 0.5), via: relay)
        #expect(first.number == 1 && second.number == 2 && register.nextNumber == 3)
        #expect(first.dateTime == "2026-11-20T10:00:00" && second.dateTime == "2026-11-20T10:30:00")
        #expect(first.operation == .sale && second.operation == .saleReturn)
        #expect(first.lines.map(\.quantity) == [2] && second.lines[0].markingCodes == [codes[1]])
        var unsigned = first
        unsigned.fiscalSign = nil
        #expect(first.fiscalSign == FiscalSigns.fiscalSign(for: unsigned) && !first.autonomous && first.autonomousSign == nil)
        #expect(relay.snapshot().received == 2 && !register.isAutonomous)
    }

    @Test("link lost: autonomous receipts with signs unique over the register's life, kept until sent in order on reconnection")
    func autonomous() async throws {
        var register = CashRegister.sample(2, seller: shopBIN)
        let codes = stampCodes(6)
        _ = try await register.sale(bottles([codes[0]]), at: at(hours: 0), via: relay)
        register.linkLost(at: at(hours: 1))
        var signs = Set<String>()
        for (index, code) in codes[1...3].enumerated() {
            let receipt = try await register.sale(bottles([code]), at: at(hours: 2 + Double(index)), via: relay)
            #expect(receipt.autonomous && receipt.fiscalSign == nil && receipt.number == 2 + index)
            signs.insert(try #require(receipt.autonomousSign))
        }
        #expect(signs.count == 3 && register.accumulator.map(\.number) == [2, 3, 4])
        #expect(register.pendingUpload(at: at(hours: 5))?.autonomousSeconds == 4 * 3600)

        let offline = try await register.reconnect(at: at(hours: 5), via: relay)
        #expect(offline == .seconds(4 * 3600) && !register.isAutonomous && register.accumulator.isEmpty)
        #expect(relay.snapshot().received == 4 && relay.snapshot().receivedAutonomous == 3 && relay.snapshot().uploads == 1)

        // A second outage: the accumulator's counter goes on, so no sign repeats.
        register.linkLost(at: at(hours: 6))
        let later = try await register.sale(bottles([codes[4]]), at: at(hours: 6), via: relay)
        #expect(later.autonomousSign.map { !signs.contains($0) } == true && register.autonomousSignsFormed == 4)
    }

    @Test("no answer from the FDO: the same receipt, same number, goes autonomous; if the FDO had it, the upload finds a duplicate")
    func noAnswer() async throws {
        var register = CashRegister.sample(3, seller: shopBIN)
        let link = ScriptedLink(relay)
        let codes = stampCodes(3)
        link.setDown(true)
        let first = try await register.sale(bottles([codes[0]]), at: at(hours: 0), via: link)
        #expect(first.number == 1 && first.autonomous && register.isAutonomous)
        link.setDown(false)
        try await register.reconnect(at: at(hours: 1), via: link)
        #expect(!register.isAutonomous)

        // Delivered, but the answer was lost.
        link.loseNextAnswers(1)
        let second = try await register.sale(bottles([codes[1]]), at: at(hours: 2), via: link)
        #expect(second.number == 2 && second.autonomous)
        try await register.reconnect(at: at(hours: 3), via: link)
        let counts = relay.snapshot()
        #expect(counts.received == 2 && counts.duplicates == 1 && register.accumulator.isEmpty)
    }

    @Test("blocks after more than 72 hours autonomous (item 29.6), until its receipts are sent")
    func block() async throws {
        var register = CashRegister.sample(4, seller: shopBIN)
        let codes = stampCodes(3)
        register.linkLost(at: at(hours: 0))
        _ = try await register.sale(bottles([codes[0]]), at: at(hours: 72), via: relay)
        #expect(register.isBlocked(at: at(hours: 72)) == false && register.isBlocked(at: at(hours: 72.001)))
        await #expect(throws: CashRegisterError.blocked(autonomousSince: at(hours: 0))) {
            _ = try await register.sale(bottles([codes[1]]), at: at(hours: 73), via: relay)
        }
        #expect(register.nextNumber == 2)
        try await register.reconnect(at: at(hours: 80), via: relay)
        let receipt = try await register.sale(bottles([codes[1]]), at: at(hours: 80), via: relay)
        #expect(receipt.number == 2 && !receipt.autonomous)
    }

    @Test("refusals: an empty receipt, a bottle twice, a clock set back, a receipt the FDO refuses (its number stays free)")
    func refusals() async throws {
        var register = CashRegister.sample(5, seller: shopBIN)
        let codes = stampCodes(2)
        #expect(throws: CashRegisterError.emptyReceipt) { try register.form(.sale, [], at: at(hours: 0)) }
        #expect(throws: CashRegisterError.repeatedCode(codes[0])) { try register.form(.sale, bottles([codes[0], codes[0]]), at: at(hours: 0)) }
        _ = try register.form(.sale, bottles([codes[0]]), at: at(hours: 1))
        #expect(throws: CashRegisterError.clockBehind(lastDocument: at(hours: 1))) { try register.form(.sale, bottles([codes[1]]), at: at(hours: 0.5)) }

        // The FDO already holds number 2 of this register with another sale.
        var impostor = handReceipt(register.registrationNumber, 2, codes: [codes[0]])
        impostor.factoryNumber = register.factoryNumber
        _ = try await relay.send(impostor)
        await #expect {
            _ = try await register.sale(bottles([codes[1]]), at: at(hours: 2), via: relay)
        } throws: { error in
            guard case CashRegisterError.refused(.refused(409, let body)) = error else { return false }
            return body.code == .idempotencyConflict
        }
        #expect(register.nextNumber == 2 && !register.isAutonomous)
    }
}
