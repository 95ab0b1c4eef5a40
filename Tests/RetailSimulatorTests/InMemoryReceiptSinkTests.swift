import LineCore
import QazAPI
@testable import RetailSimulator
import Testing

@Suite("In-memory receipt sink: the registrar's ordering and redemption rules, simply")
struct InMemoryReceiptSinkTests {
    let register = "620000000001"

    @Test("the first receipt seen starts the sequence; a later one waits for its predecessor and is applied when it arrives")
    func ordering() async throws {
        let codes = stampCodes(4)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        let first = try await sink.submit(ReceiptBatch(receipts: [signed(handReceipt(register, 5, codes: [codes[0]]))]))
        #expect(first.receipts.map(\.state) == [.applied])
        let gap = try await sink.submit(ReceiptBatch(receipts: [signed(handReceipt(register, 7, codes: [codes[2]]))]))
        #expect(gap.receipts[0].state == .waiting && gap.receipts[0].waitingFor == 6)
        // In one batch, out of order: both applied by the end of the batch.
        let filled = try await sink.submit(ReceiptBatch(receipts: [signed(handReceipt(register, 9, codes: [codes[3]])),
                                                                   signed(handReceipt(register, 6, codes: [codes[1]]))]))
        #expect(filled.receipts.map(\.state) == [.waiting, .applied] && filled.receipts[0].waitingFor == 8)
        #expect(try await sink.answer(registrationNumber: register, number: 7).state == .applied)
        #expect(await sink.applied[register] == [5, 6, 7])
    }

    @Test("idempotent per register and number; another body under a stored number is rejected idempotency_conflict")
    func idempotency() async throws {
        let codes = stampCodes(2)
        let sink = InMemoryReceiptSink(holdings: [codes[0]: shopBIN, codes[1]: shopBIN])
        let receipt = signed(handReceipt(register, 1, codes: [codes[0]]))
        let once = try await sink.submit(ReceiptBatch(receipts: [receipt]))
        let twice = try await sink.submit(ReceiptBatch(receipts: [receipt]))
        #expect(once == twice)
        #expect(await sink.applied[register] == [1])
        let other = try await sink.submit(ReceiptBatch(receipts: [signed(handReceipt(register, 1, codes: [codes[1]]))]))
        #expect(other.receipts[0].state == .rejected && other.receipts[0].error?.code == .idempotencyConflict)
        #expect(await sink.state(of: codes[1]) == .inCirculation(holder: shopBIN))
    }

    @Test("outcomes: redeemed, alreadyRedeemed, notSellers, unknown, malformed, repeated; restored, notSold")
    func outcomes() async throws {
        let codes = stampCodes(3)
        let sink = InMemoryReceiptSink(holdings: [codes[0]: shopBIN, codes[1]: otherBIN])
        let sale = handReceipt(register, 1, codes: [RetailSimulator.qrLinkPrefix + codes[0], codes[0], codes[1], codes[2], "garbage"])
        let answer = try await sink.submit(ReceiptBatch(receipts: [signed(sale)]))
        #expect(answer.receipts[0].lines?[0].codes.map(\.outcome) == [.redeemed, .repeated, .notSellers, .unknown, .malformed])
        #expect(answer.receipts[0].appliedCodes == 1)
        let again = try await sink.submit(ReceiptBatch(receipts: [signed(handReceipt(register, 2, codes: [codes[0]]))]))
        #expect(again.receipts[0].lines?[0].codes.map(\.outcome) == [.alreadyRedeemed])
        let back = try await sink.submit(ReceiptBatch(receipts: [signed(handReceipt(register, 3, codes: [codes[0], codes[1]], operation: .saleReturn))]))
        #expect(back.receipts[0].lines?[0].codes.map(\.outcome) == [.restored, .notSold])
        #expect(await sink.state(of: codes[0]) == .inCirculation(holder: shopBIN))
        #expect(await sink.redeemedCodes.isEmpty)
    }

    @Test("scripted failures come first and touch nothing")
    func scripted() async throws {
        let sink = InMemoryReceiptSink()
        await sink.failNext([.connection("refused")])
        await #expect(throws: ReceiptSinkError.connection("refused")) {
            _ = try await sink.submit(ReceiptBatch(receipts: [signed(handReceipt(register, 1, codes: stampCodes(1)))]))
        }
        #expect(await sink.batches.isEmpty)
        #expect(await sink.attempts == 1)
    }
}
