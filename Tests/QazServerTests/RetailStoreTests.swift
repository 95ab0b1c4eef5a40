import CounterfeitAnalytics
import Foundation
import LineCore
import Logging
import QazAPI
@testable import QazServer
import Testing

// The RetailStore contract, store level (no HTTP; signed documents are fake bytes with a summary): the same scenarios
// against SQLite (in memory) and PostgreSQL, plus races that only PostgreSQL's concurrent writers can lose (run on
// SQLite too, where they are serialised).

private typealias RetailTestStore = any RegistrarStore & TradeStore & RetailStore

/// The backends of the retail store tests.
private let retailBackends: [TestBackend] = [.sqliteMemory, .postgres]

private let shopR = bin("97070722222")
private let shopS = bin("97080833333")

/// 2026-12-01 10:00 Astana plus `minutes`.
private func retailTime(_ minutes: Int64 = 0) -> Timestamp {
    Timestamp(milliseconds: Timestamp(text: "2026-12-01T10:00:00+05:00")!.milliseconds + minutes * 60_000)
}

/// Runs `body` with a fresh, migrated store of `backend`, with account records for A, R and S.
private func withRetailStore<T: Sendable>(_ backend: TestBackend, _ body: (RetailTestStore) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-retail-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try await backend.makeStore(in: directory)
    return try await withRunningStore(store) {
        try await store.migrate()
        let retail = try #require(store as? RetailTestStore)
        for (who, name, kind) in [(producerA, "Producer A LLP", ParticipantKind.producer), (shopR, "Shop R", .retailer), (shopS, "Shop S", .retailer)] {
            _ = try await retail.putAccount(who, request: AccountRequest(name: name, kind: kind), actor: registrarBIN, at: retailTime(-3 * 24 * 60))
        }
        return try await body(retail)
    }
}

/// A verified signed document as a store keeps it: fake bytes, a summary with `digest`.
private func document(_ kind: String, _ participant: TaxpayerID, digest: String, at: Timestamp = retailTime()) -> SignedRecord {
    SignedRecord(kind: kind, participant: participant, canonical: Array(#"{"kind":"\#(kind)","digest":"\#(digest)"}"#.utf8),
                 signature: [0x30, 0x82, 0x01, 0x02] + Array(digest.utf8.prefix(8)),
                 summary: SignatureSummary(subject: "CN=Signer of \(participant),SERIALNUMBER=IIN870101300123", iin: "870101300123",
                                           bin: participant.rawValue, certificateSerial: "0a1b2c", signingTime: at, documentDigest: digest),
                 receivedAt: at)
}

/// A hex digest made from a label (distinct labels, distinct digests).
private func digest(_ label: String) -> String {
    Array(label.utf8).map { String(format: "%02x", $0) }.joined().padding(toLength: 64, withPad: "0", startingAt: 0)
}

/// Issues `count` codes `prefix…` to A (stamps of the series of the prefix's last two letters), activates them all
/// but the last `inactive`, and sells the first `toShop` of them (all by default) to `shop` under a signed order.
@discardableResult
private func stock(_ store: RetailTestStore, _ count: Int, prefix: String, shop: TaxpayerID = shopR, toShop: Int? = nil, inactive: Int = 0)
    async throws -> [String]
{
    let at = retailTime(-2 * 24 * 60)
    let waybill = makeWaybill(number: "WB-\(prefix)", to: producerA, prefix: prefix, series: String(prefix.suffix(2)), count: count)
    var command = WaybillCommand(waybill: waybill, codes: waybill.codes.map { StampCode(trusted: $0.code) },
                                 bodyHash: Array(digest("WB-\(prefix)").utf8.prefix(32)), recordedAt: at)
    command.actor = factoryBIN
    _ = try await store.recordWaybill(command)
    let codes = waybill.codes.map(\.code)
    let activatedAt = Timestamp(milliseconds: at.milliseconds + 60_000)
    let active = Array(codes.dropLast(inactive))
    let receipt = try await store.activate(ActivationCommand(
        batchId: UUID(), participant: producerA, lineId: "line-1", equipmentId: "eq-1", bodyHash: Array(UUID().uuidString.utf8), receivedAt: activatedAt,
        items: active.map { .code(text: $0, code: StampCode(trusted: $0), activatedAt: activatedAt, productCode: "DSN-0001") }))
    try #require(receipt.value.results.allSatisfy { $0.result == .activated })
    let sold = Array(active.prefix(toShop ?? active.count))
    if !sold.isEmpty { try await sell(store, sold, to: shop, number: "O-\(prefix)") }
    return codes
}

/// A signed order of A's codes to `buyer`.
@discardableResult
private func sell(_ store: RetailTestStore, _ codes: [String], to buyer: TaxpayerID, number: String, at: Timestamp = retailTime(-24 * 60)) async throws -> OrderInfo {
    let order = SaleOrder(number: number, seller: producerA, buyer: buyer, codes: codes, units: [], volumeLitres: "6.000", price: "120000.00", note: nil)
    let saved = try await store.saveOrder(OrderCommand(
        id: UUID().uuidString.lowercased(), order: order, codes: codes.map(StampCode.init(trusted:)), units: [],
        document: document("order", producerA, digest: digest("order \(number)"), at: at), actor: producerA, savedAt: at,
        expiresAt: Timestamp(milliseconds: at.milliseconds + 3 * 24 * 3_600_000))).value
    let signedAt = Timestamp(milliseconds: at.milliseconds + 60_000)
    let counter = CounterOrder(order: saved.id, seller: producerA, buyer: buyer, orderDigest: saved.sellerSignature.documentDigest, accept: true)
    return try await store.signOrder(CounterOrderCommand(orderId: saved.id, counterOrder: counter,
                                                         document: document("counterOrder", buyer, digest: digest("counter \(number)"), at: signedAt),
                                                         actor: buyer, at: signedAt))
}

/// A receipt of register `register` (factory number `ZN-<register>`), one line per code list, as the HTTP layer
/// prepares it (codes taken as parsed).
private func receipt(_ register: String, _ number: Int, _ lines: [[String]], seller: TaxpayerID = shopR, operation: ReceiptOperation = .sale,
                     sign: String? = nil, factory: String? = nil, issuedAt: Timestamp? = nil, receivedAt: Timestamp? = nil) -> ReceiptCommand {
    let issued = issuedAt ?? retailTime(Int64(number))
    let fiscal = FiscalReceipt(registrationNumber: register, factoryNumber: factory ?? "ZN-\(register)", seller: seller, number: number,
                               fiscalSign: sign ?? "FS-\(register)-\(number)", dateTime: String(AstanaTime.iso8601(issued.date).prefix(19)),
                               operation: operation, lines: lines.map { ReceiptLine(catalogueCode: "4870001234567", quantity: $0.count, markingCodes: $0) })
    let prepared = lines.map { codes in
        PreparedLine(error: nil, codes: codes.map { PreparedCode(marking: $0, code: $0.hasPrefix("<") ? nil : $0) })
    }
    return ReceiptCommand(receipt: fiscal, issuedAt: issued, bodyHash: RetailValidation.digest(fiscal, issuedAt: issued, lines: prepared), lines: prepared, operatorID: fdoBIN,
                          receivedAt: receivedAt ?? Timestamp(milliseconds: issued.milliseconds + 1000), flags: [])
}

private func outcomes(_ answer: ReceiptAnswer?) -> [RedemptionOutcome] { (answer?.lines ?? []).flatMap { $0.codes.map(\.outcome) } }

/// A Service redemption by `seller` of `codes`.
private func redemption(_ number: String, _ codes: [String], seller: TaxpayerID = shopR, label: String? = nil, at: Timestamp = retailTime(30))
    -> ServiceRedemptionCommand
{
    ServiceRedemptionCommand(request: RedemptionRequest(seller: seller, number: number, codes: codes, soldAt: Timestamp(milliseconds: at.milliseconds - 60_000)),
                             codes: codes.map { PreparedCode(marking: $0, code: $0.hasPrefix("<") ? nil : $0) },
                             document: document("redemption", seller, digest: digest(label ?? "redemption \(seller) \(number)"), at: at),
                             actor: seller, receivedAt: at)
}

/// The redemption history of a code: (kind, reference).
private func history(_ store: RetailTestStore, _ code: String) async throws -> [String] {
    try await store.codeOperations(StampCode(trusted: code)).filter { $0.kind == .redeemed || $0.kind == .returned }
        .map { "\($0.kind.rawValue) \($0.reference ?? "")" }
}

/// The refusal `body` answers (a failed expectation when it answers anything else).
@discardableResult
private func expectRefused<T>(_ code: ErrorCode, _ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async -> TradeRefusal? {
    do {
        let value = try await body()
        Issue.record("expected \(code.rawValue), got \(value)", sourceLocation: sourceLocation)
    } catch StoreError.refused(let refusal) {
        #expect(refusal.code == code, "expected \(code.rawValue), got \(refusal)", sourceLocation: sourceLocation)
        return refusal
    } catch {
        Issue.record("expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// An evaluator for the store tests: `unknownScanned` for a code never issued (once: not when raised before),
/// `redeemedScanned` for a redeemed one, `frequentScans` from the third scan on, `impossibleTravel` when the scan and
/// an earlier one both have locations.
private let testEvaluator: ScanEvaluator = { scan, facts, earlier, earlierAlerts in
    var alerts = [NewAlert]()
    if facts == nil, !earlierAlerts.contains(where: { $0.kind == .unknownScanned }) {
        alerts.append(NewAlert(kind: .unknownScanned, message: "never issued: \(scan.code)", evidence: AlertEvidence(scans: [scan])))
    }
    if facts?.status == .redeemed {
        alerts.append(NewAlert(kind: .redeemedScanned, message: "redeemed: \(scan.code)", evidence: AlertEvidence(scans: [scan], redeemedAt: facts?.redeemedAt)))
    }
    if earlier.count >= 2 {
        alerts.append(NewAlert(kind: .frequentScans, message: "\(earlier.count + 1) scans", evidence: AlertEvidence(scans: earlier + [scan])))
    }
    if scan.location != nil, let other = earlier.last(where: { $0.location != nil }) {
        alerts.append(NewAlert(kind: .impossibleTravel, message: "travel", evidence: AlertEvidence(scans: [other, scan], distanceKm: 1000)))
    }
    return alerts
}

@Suite("RetailStore: receipts, gaps, redemption, consent, scans and alerts (every backend, store level)")
struct RetailStoreTests {
    // MARK: Receipts

    @Test("receipts out of order in one batch apply in each register's order; a receipt waits for its predecessor", arguments: retailBackends)
    func receiptOrder(_ backend: TestBackend) async throws {
        try await withRetailStore(backend) { store in
            let codes = try await stock(store, 6, prefix: "ROA")
            let register = "ORD000000001"
            // Given the register's first receipt: it starts the sequence and applies at once
            let first = try await store.recordReceipts([receipt(register, 1, [[codes[0]]])])
            #expect(first.map(\.state) == [.applied] && outcomes(first[0]) == [.redeemed] && first[0].flags.isEmpty)
            // When 4, 3, 2 arrive in one batch: 2 sells codes[1], 3 returns it, 4 sells it again
            let batch = try await store.recordReceipts([receipt(register, 4, [[codes[1]]]),
                                                        receipt(register, 3, [[codes[1]]], operation: .saleReturn),
                                                        receipt(register, 2, [[codes[1]]])])
            // Then all are applied, in number order (3's return finds 2's sale; 4 sells the restored bottle)
            #expect(batch.map(\.number) == [4, 3, 2] && batch.map(\.state) == [.applied, .applied, .applied])
            #expect(batch.map(outcomes) == [[.redeemed], [.restored], [.redeemed]])
            #expect(batch.allSatisfy { $0.flags.isEmpty && $0.waitingFor == nil && $0.appliedAt != nil })
            #expect(try await history(store, codes[1]) == ["redeemed \(register)/2", "returned \(register)/3", "redeemed \(register)/4"])
            // When 6 arrives alone: it waits for 5, and is answered so
            let waiting = try await store.recordReceipts([receipt(register, 6, [[codes[2]]])])
            #expect(waiting[0].state == .waiting && waiting[0].waitingFor == 5 && waiting[0].lines == nil && waiting[0].appliedAt == nil)
            #expect(try await store.cashRegister(register)?.waiting == [6])
            #expect(try await store.code(StampCode(trusted: codes[2]))?.status == .activated)
            // When 5 arrives: 5 then 6 apply
            let fifth = try await store.recordReceipts([receipt(register, 5, [[codes[3]]])])
            #expect(fifth[0].state == .applied && outcomes(fifth[0]) == [.redeemed])
            let sixth = try await store.receipt(registration: register, number: 6)
            #expect(sixth?.state == .applied && outcomes(sixth) == [.redeemed] && sixth?.waitingFor == nil)
            // And the register, the code and the seller's log agree
            let state = try #require(try await store.cashRegister(register))
            #expect(state.lastApplied == 6 && state.waiting.isEmpty && state.seller == shopR && state.operatorID == fdoBIN && state.gaps.isEmpty)
            #expect(state.factoryNumber == "ZN-\(register)" && state.firstSeen == retailTime(1).adding(seconds: 1))
            let info = try #require(try await store.code(StampCode(trusted: codes[3])))
            #expect(info.status == .redeemed && info.redeemedBy == shopR && info.redeemedAt == retailTime(5))
            let log = try await store.operations(OperationQuery(participant: shopR)).items.filter { $0.kind == .redeemed || $0.kind == .returned }
            #expect(log.map(\.reference) == ["\(register)/1", "\(register)/2", "\(register)/3", "\(register)/4", "\(register)/5", "\(register)/6"])
            #expect(log.map(\.kind) == [.redeemed, .redeemed, .returned, .redeemed, .redeemed, .redeemed])
            #expect(log.allSatisfy { $0.count == 1 && $0.actor == shopR && $0.detail == "cash-register receipt via fiscal data operator \(fdoBIN)" })
            #expect(try await store.receipt(registration: register, number: 7) == nil)
            #expect(try await store.cashRegister("NONE00000001") == nil)
        }
    }

    @Test("a receipt sent again is the stored answer; other content, another factory number, a reused fiscal sign are refused and not stored",
          arguments: retailBackends)
    func receiptReplayAndConflict(_ backend: TestBackend) async throws {
        try await withRetailStore(backend) { store in
            let codes = try await stock(store, 6, prefix: "RPB", inactive: 1)
            let register = "REP000000001"
            // Given receipt 1 with every outcome a store decides
            let first = receipt(register, 1, [[codes[0], codes[0]], [codes[5]], [makeCode("NONE", 1)], ["<script>"], [codes[1]]])
            let applied = try await store.recordReceipts([first])
            #expect(outcomes(applied[0]) == [.redeemed, .repeated, .notActivated, .unknown, .malformed, .redeemed])
            // When it is sent again: the same answer, nothing applied twice
            #expect(try await store.recordReceipts([first]) == applied)
            #expect(try await history(store, codes[0]) == ["redeemed \(register)/1"])
            // When number 1 comes with other content: refused, the first one stands
            let altered = receipt(register, 1, [[codes[2]]])
            let conflict = try await store.recordReceipts([altered])
            #expect(conflict[0].state == .rejected && conflict[0].error?.code == .idempotencyConflict)
            #expect(conflict[0].error?.details == ["registrationNumber": register, "number": "1"])
            #expect(try await store.code(StampCode(trusted: codes[2]))?.status == .activated)
            // When receipt 2 names another factory number: refused naming the field; not stored
            let foreign = try await store.recordReceipts([receipt(register, 2, [[codes[2]]], factory: "ZN-OTHER")])
            #expect(foreign[0].state == .rejected && foreign[0].error?.code == .invalidField && foreign[0].error?.details?["expected"] == "ZN-\(register)")
            // When receipt 2 reuses receipt 1's fiscal sign: refused naming receipt 1; not stored
            let reused = try await store.recordReceipts([receipt(register, 2, [[codes[2]]], sign: "FS-\(register)-1")])
            #expect(reused[0].state == .rejected && reused[0].error?.code == .fiscalSignReused && reused[0].error?.details?["receipt"] == "1")
            #expect(try await store.receipt(registration: register, number: 2) == nil)
            // And the same refusals inside one batch do not stop the others
            let mixed = try await store.recordReceipts([receipt(register, 2, [[codes[2]]]), altered, receipt(register, 3, [[codes[3]]])])
            #expect(mixed.map(\.state) == [.applied, .rejected, .applied])
            // And a seller without an account record, or a blocked one: applied, flagged
            let stranger = try await store.recordReceipts([receipt("UNK000000001", 1, [[codes[4]]], seller: bin("96010111111"))])
            #expect(stranger[0].flags == [.sellerUnknown] && outcomes(stranger[0]) == [.notSellers])
            _ = try await store.setBlock(shopR, block: AccountBlock(reason: "audit", by: registrarBIN, at: retailTime(10)), actor: registrarBIN,
                                         reason: "audit", at: retailTime(10))
            let blocked = try await store.recordReceipts([receipt(register, 4, [[codes[4]]])])
            #expect(blocked[0].flags == [.sellerBlocked] && outcomes(blocked[0]) == [.redeemed])
        }
    }

    @Test("gaps: waiting receipts are reported when due and applied after the gap; a late receipt fills it; pages of gaps",
          arguments: retailBackends)
    func gaps(_ backend: TestBackend) async throws {
        try await withRetailStore(backend) { store in
            let codes = try await stock(store, 8, prefix: "RGC")
            let register = "GAP000000001"
            // Given 10 (the first seen), then 12, 13, 15 and, much later, 17
            _ = try await store.recordReceipts([receipt(register, 10, [[codes[0]]], receivedAt: retailTime(0))])
            let held = try await store.recordReceipts([receipt(register, 12, [[codes[1]]], receivedAt: retailTime(1)),
                                                       receipt(register, 13, [[codes[2]]], receivedAt: retailTime(1)),
                                                       receipt(register, 15, [[codes[3]]], receivedAt: retailTime(3)),
                                                       receipt(register, 17, [[codes[4]]], receivedAt: retailTime(30))])
            #expect(held.map(\.state) == [.waiting, .waiting, .waiting, .waiting] && held.map(\.waitingFor) == [11, 11, 11, 11])
            #expect(try await store.oldestWaitingReceipt() == retailTime(1))
            // When the job looks before any has waited long enough: nothing
            #expect(try await store.reportReceiptGaps(waitedSince: retailTime(0), now: retailTime(15)).isEmpty)
            // When it looks later: the gaps before 12 and before 15 are reported, 12, 13, 15 applied after them; 17 still waits
            let reported = try await store.reportReceiptGaps(waitedSince: retailTime(5), now: retailTime(20))
            #expect(reported.map { [$0.from, $0.to] } == [[11, 11], [14, 14]])
            #expect(reported.allSatisfy { $0.registrationNumber == register && $0.seller == shopR && $0.reportedAt == retailTime(20) && $0.filled.isEmpty })
            #expect(reported.map(\.waitingSince) == [retailTime(1), retailTime(3)])
            for number in [12, 13, 15] {
                let answer = try await store.receipt(registration: register, number: number)
                #expect(answer?.state == .applied && answer?.flags == [.afterGap] && outcomes(answer) == [.redeemed] && answer?.appliedAt == retailTime(20))
            }
            let state = try #require(try await store.cashRegister(register))
            #expect(state.lastApplied == 15 && state.waiting == [17] && state.gaps.map(\.from) == [14, 11])
            #expect(try await store.oldestWaitingReceipt() == retailTime(30))
            // And a second look finds nothing more
            #expect(try await store.reportReceiptGaps(waitedSince: retailTime(5), now: retailTime(21)).isEmpty)
            // When 11 arrives after all: applied at once, flagged; its gap lists it as filled
            let late = try await store.recordReceipts([receipt(register, 11, [[codes[5]]], receivedAt: retailTime(40))])
            #expect(late[0].state == .applied && late[0].flags == [.filledGap] && outcomes(late[0]) == [.redeemed])
            let page = try await store.receiptGaps(registration: register, before: nil, limit: 1)
            #expect(page.items.map(\.from) == [14] && page.last != nil)
            let next = try await store.receiptGaps(registration: register, before: page.last, limit: 1)
            #expect(next.items.map(\.from) == [11] && next.items.first?.filled == [11])
            #expect(try await store.receiptGaps(registration: nil, before: nil, limit: 10).items.map(\.from) == [14, 11])
            #expect(try await store.receiptGaps(registration: "GAP000000002", before: nil, limit: 10).items.isEmpty)
            // When 16 arrives: 16 and 17 apply in order, no gap
            let sixteenth = try await store.recordReceipts([receipt(register, 16, [[codes[6]]], receivedAt: retailTime(41))])
            #expect(sixteenth[0].state == .applied && sixteenth[0].flags.isEmpty)
            #expect(try await store.receipt(registration: register, number: 17)?.state == .applied)
            #expect(try await store.oldestWaitingReceipt() == nil)
        }
    }

    // MARK: Redemption through the Service and at a counter-order

    @Test("Service redemption: outcomes, replay, conflict, unknown and blocked sellers; redeemed codes in look-ups, extracts and orders",
          arguments: retailBackends)
    func serviceRedemption(_ backend: TestBackend) async throws {
        try await withRetailStore(backend) { store in
            let codes = try await stock(store, 5, prefix: "RSD", toShop: 4)
            // When R redeems two of its codes, a malformed text and an unknown code
            let command = redemption("SR-1", [codes[0], codes[1], "<bad>", makeCode("NONE", 2), codes[4]])
            let stored = try await store.redeem(command)
            #expect(!stored.replayed && stored.value.codes.map(\.outcome) == [.redeemed, .redeemed, .malformed, .unknown, .notSellers])
            #expect(stored.value.seller == shopR && stored.value.number == "SR-1" && stored.value.receivedAt == retailTime(30))
            // Then the same document again is the stored answer; another under the number is a conflict
            let again = try await store.redeem(command)
            #expect(again.replayed && again.value == stored.value)
            await #expect(throws: StoreError.idempotencyConflict("redemption SR-1 of \(shopR)")) {
                try await store.redeem(redemption("SR-1", [codes[2]], label: "another"))
            }
            #expect(try await store.serviceRedemption(seller: shopR, number: "SR-1") == stored.value)
            #expect(try await store.serviceRedemption(seller: shopR, number: "SR-2") == nil)
            // And the code shows its redemption; the log names the document
            let info = try #require(try await store.code(StampCode(trusted: codes[0])))
            #expect(info.status == .redeemed && info.redeemedBy == shopR && info.redeemedAt == retailTime(29))
            let last = try await store.operations(OperationQuery(participant: shopR)).items.last
            #expect(last?.kind == .redeemed && last?.count == 2 && last?.reference == "SR-1" && last?.detail == "scanned in the Service")
            #expect(last?.document == command.document.reference)
            #expect(try await history(store, codes[0]) == ["redeemed SR-1"])
            let holdings = try await store.holdings(StampCode(trusted: codes[0]))?.holdings
            #expect(holdings?.map(\.status) == [.transferred, .redeemed] && holdings?.last?.participant == shopR)
            let extract = try #require(try await store.accountExtract(shopR, now: retailTime(60)))
            #expect(extract.codes.redeemed == 2 && extract.codes.active == 2)
            // And a receipt cannot sell it again; a return by R restores it
            let resold = try await store.recordReceipts([receipt("SRD000000001", 1, [[codes[0]]])])
            #expect(outcomes(resold[0]) == [.alreadyRedeemed])
            let returned = try await store.recordReceipts([receipt("SRD000000001", 2, [[codes[0]], [codes[2]]], operation: .saleReturn,
                                                                issuedAt: retailTime(40))])
            #expect(outcomes(returned[0]) == [.restored, .notSold])
            #expect(try await store.code(StampCode(trusted: codes[0]))?.status == .activated)
            #expect(try await history(store, codes[0]) == ["redeemed SR-1", "returned SRD000000001/2"])
            // And a redeemed code is not in circulation for an order
            let refusal = await expectRefused(.codesNotActive) {
                try await store.saveOrder(OrderCommand(
                    id: UUID().uuidString.lowercased(),
                    order: SaleOrder(number: "R-1", seller: shopR, buyer: shopS, codes: [codes[1]], units: [], volumeLitres: "0.500", price: "1.00", note: nil),
                    codes: [StampCode(trusted: codes[1])], units: [], document: document("order", shopR, digest: digest("R-1")), actor: shopR,
                    savedAt: retailTime(70), expiresAt: retailTime(70 + 3 * 24 * 60)))
            }
            #expect(refusal?.message.contains("redeemed") == true)
            // And a seller without a record is refused; a blocked one too, unless the registrar acts for it
            await expectRefused(.accountUnknown) { try await store.redeem(redemption("SR-9", [codes[2]], seller: bin("96010111111"))) }
            _ = try await store.setBlock(shopR, block: AccountBlock(reason: "audit", by: registrarBIN, at: retailTime(80)), actor: registrarBIN,
                                         reason: "audit", at: retailTime(80))
            await expectRefused(.accountBlocked) { try await store.redeem(redemption("SR-3", [codes[2]])) }
            var acting = redemption("SR-3", [codes[2]])
            acting.registrarActs = true
            #expect(try await store.redeem(acting).value.codes.map(\.outcome) == [.redeemed])
        }
    }

    @Test("consent: a counter-order signed by a consenting buyer redeems its codes; withdrawn, it does not", arguments: retailBackends)
    func consent(_ backend: TestBackend) async throws {
        try await withRetailStore(backend) { store in
            let codes = try await stock(store, 4, prefix: "RCE", toShop: 0)
            func consent(_ given: Bool, _ who: TaxpayerID = shopR, at minutes: Int64) async throws -> AccountInfo {
                try await store.setRedemptionConsent(RedemptionConsentCommand(
                    consent: RedemptionConsent(participant: who, redeemOnCounterOrder: given, date: CalendarDate("2026-12-01")!),
                    document: document("redemptionConsent", who, digest: digest("consent \(who) \(given) \(minutes)"), at: retailTime(minutes)),
                    actor: who, at: retailTime(minutes)))
            }
            #expect(try await store.account(shopR)?.redeemOnCounterOrder == nil)
            await expectRefused(.accountUnknown) { try await consent(true, bin("96010111111"), at: 0) }
            // Given R's consent
            let given = try await consent(true, at: 1)
            #expect(given.redeemOnCounterOrder == true && given.participant == shopR)
            #expect(try await store.account(shopR)?.redeemOnCounterOrder == true)
            // When R signs a counter-order for two codes: they are redeemed by R at the signing
            let order = try await sell(store, [codes[0], codes[1]], to: shopR, number: "C-1", at: retailTime(10))
            #expect(order.status == .signed)
            for code in [codes[0], codes[1]] {
                let info = try #require(try await store.code(StampCode(trusted: code)))
                #expect(info.status == .redeemed && info.redeemedBy == shopR && info.redeemedAt == retailTime(11))
                #expect(try await history(store, code) == ["redeemed \(order.id)"])
                let operations = try await store.codeOperations(StampCode(trusted: code))
                #expect(operations.last?.detail == "at the counter-order, under the buyer's consent")
            }
            let log = try await store.operations(OperationQuery(participant: shopR)).items
            #expect(log.map(\.kind).suffix(2) == [.received, .redeemed])
            #expect(log.last?.count == 2 && log.last?.document?.digest == digest("counter C-1"))
            #expect(try await store.accountExtract(shopR, now: retailTime(60))?.codes.redeemed == 2)
            // When R withdraws it: the next counter-order leaves its codes active
            let withdrawn = try await consent(false, at: 20)
            #expect(withdrawn.redeemOnCounterOrder == nil)
            _ = try await sell(store, [codes[2]], to: shopR, number: "C-2", at: retailTime(30))
            #expect(try await store.code(StampCode(trusted: codes[2]))?.status == .activated)
            let extract = try await store.accountExtract(shopR, now: retailTime(60))?.codes
            #expect(extract?.redeemed == 2 && extract?.active == 1)
            #expect(try await store.operations(OperationQuery(participant: shopR)).items.filter { $0.kind == .redemptionConsent }.map(\.detail)
                == ["given", "withdrawn"])
        }
    }

    // MARK: Scans and alerts

    @Test("scans: facts and verdicts, alerts decided in the transaction, a location added once within the window, alert queries, the report",
          arguments: retailBackends)
    func scansAndAlerts(_ backend: TestBackend) async throws {
        try await withRetailStore(backend) { store in
            let codes = try await stock(store, 3, prefix: "RSF", inactive: 1)
            _ = try await store.redeem(redemption("SR-1", [codes[1]], at: retailTime(0)))
            let unknown = makeCode("FAKE", 1)
            let almaty = ScanLocation(latitude: 43.24, longitude: 76.89, accuracy: 20)
            func scan(_ code: String, at minutes: Int64, location: ScanLocation? = nil, region: String? = nil) async throws -> ScanOutcome {
                try await store.recordScan(ScanCommand(id: UUID(), code: code, at: retailTime(minutes), location: location, region: region),
                                           evaluate: testEvaluator)
            }
            // A genuine code: facts, no alert
            let genuine = try await scan(codes[0], at: 1, location: almaty, region: "Almaty")
            #expect(genuine.scan.verdict == .genuine && genuine.alerts.isEmpty)
            #expect(genuine.facts == VerifyFacts(code: codes[0], owner: producerA, ownerName: "Producer A LLP", productName: "Vodka Test",
                                                 productCode: "DSN-0001", status: .activated, activatedAt: retailTime(-2 * 24 * 60 + 1), redeemedAt: nil))
            // Redeemed, not activated, never issued
            let redeemed = try await scan(codes[1], at: 2, region: "Astana")
            #expect(redeemed.scan.verdict == .redeemed && redeemed.facts?.redeemedAt == retailTime(-1) && redeemed.alerts.map(\.kind) == [.redeemedScanned])
            #expect(redeemed.alerts.first?.producer == producerA && redeemed.alerts.first?.region == "Astana")
            #expect(try await scan(codes[2], at: 3).scan.verdict == .notActivated)
            let fake = try await scan(unknown, at: 4, region: "Astana")
            #expect(fake.facts == nil && fake.scan.verdict == .unknown && fake.alerts.map(\.kind) == [.unknownScanned] && fake.alerts[0].producer == nil)
            // The evaluator sees the earlier scans and alerts: no second unknownScanned; the third scan is frequent
            #expect(try await scan(unknown, at: 5, region: "Astana").alerts.isEmpty)
            let third = try await scan(unknown, at: 6)
            #expect(third.alerts.map(\.kind) == [.frequentScans] && third.alerts[0].evidence.scans.count == 3)
            #expect(try await store.scans(code: unknown, limit: 10).map(\.at) == [retailTime(4), retailTime(5), retailTime(6)])
            #expect(try await store.scans(code: unknown, limit: 2).map(\.at) == [retailTime(5), retailTime(6)])
            // A location added to a recent scan is evaluated again; once only, within the window, of a known scan
            let later = try await scan(codes[0], at: 7)
            let moved = try await store.addScanLocation(ScanLocationCommand(id: later.scan.id, location: ScanLocation(latitude: 51.13, longitude: 71.43),
                                                                            region: "Astana", now: retailTime(8)), evaluate: testEvaluator)
            #expect(moved.alerts.map(\.kind) == [.impossibleTravel] && moved.scan.region == "Astana" && moved.alerts[0].region == "Astana")
            #expect(try await store.scans(code: codes[0], limit: 10).last?.location?.latitude == 51.13)
            await expectRefused(.invalidState) {
                try await store.addScanLocation(ScanLocationCommand(id: later.scan.id, location: almaty, region: "Almaty", now: retailTime(9)),
                                                evaluate: testEvaluator)
            }
            await expectRefused(.invalidState) {
                try await store.addScanLocation(ScanLocationCommand(id: third.scan.id, location: almaty, region: "Almaty", now: retailTime(30)),
                                                evaluate: testEvaluator)
            }
            await expectRefused(.notFound) {
                try await store.addScanLocation(ScanLocationCommand(id: UUID(), location: almaty, region: "Almaty", now: retailTime(9)), evaluate: testEvaluator)
            }
            // Alerts: newest first, filtered, paged; the stream's order
            let all = try await store.alerts(AlertQuery())
            #expect(all.items.map(\.kind) == [.impossibleTravel, .frequentScans, .unknownScanned, .redeemedScanned] && all.last == nil)
            #expect(all.items.map(\.id) == all.items.map(\.id).sorted(by: >))
            #expect(try await store.alerts(AlertQuery(kind: .unknownScanned)).items.map(\.code) == [unknown])
            #expect(try await store.alerts(AlertQuery(code: codes[1])).items.map(\.kind) == [.redeemedScanned])
            #expect(try await store.alerts(AlertQuery(region: "Astana")).items.map(\.kind) == [.impossibleTravel, .unknownScanned, .redeemedScanned])
            #expect(try await store.alerts(AlertQuery(producer: producerA)).items.map(\.kind) == [.impossibleTravel, .redeemedScanned])
            #expect(try await store.alerts(AlertQuery(from: retailTime(4), to: retailTime(7))).items.map(\.kind) == [.frequentScans, .unknownScanned])
            let page = try await store.alerts(AlertQuery(limit: 2))
            #expect(page.items.count == 2 && page.last == page.items.last?.id)
            #expect(try await store.alerts(AlertQuery(before: page.last, limit: 2)).items.map(\.kind) == [.unknownScanned, .redeemedScanned])
            let stream = try await store.alerts(after: 0, limit: 10)
            #expect(stream.map(\.id) == all.items.map(\.id).reversed())
            #expect(try await store.alerts(after: stream[1].id, limit: 1).map(\.id) == [stream[2].id])
            #expect(stream.first?.evidence == redeemed.alerts.first?.evidence)
            // The report by region
            let report = try await store.scanReport(from: retailTime(0), to: retailTime(7))
            #expect(report.totalScans == 6 && report.totalAlerts == 3)
            #expect(report.regions.map(\.region) == ["Astana", "unknown", "Almaty"])
            #expect(report.regions.first?.verdicts == ["redeemed": 1, "unknown": 2] && report.regions.first?.alerts == ["redeemedScanned": 1, "unknownScanned": 1])
        }
    }

    // MARK: Races

    @Test("races: one receipt twice at once; two registers selling the same codes at once; a receipt against the gap job; consecutive receipts at once; a redemption twice at once; two scans of one code at once",
          arguments: retailBackends)
    func races(_ backend: TestBackend) async throws {
        try await withRetailStore(backend) { store in
            let rounds = 10
            let codes = try await stock(store, rounds * 11, prefix: "RRG")
            for round in 0..<rounds {
                let mine = Array(codes[(round * 11)..<(round * 11 + 11)])
                let tag = String(format: "%02d", round)
                // The same receipt twice at once, the register's first: one record, the same answer
                let twin = receipt("TWN00000000\(tag)", 1, [[mine[0]]])
                async let once = store.recordReceipts([twin])
                async let twice = store.recordReceipts([twin])
                let twins = try await [once, twice]
                #expect(twins[0] == twins[1] && outcomes(twins[0].first) == [.redeemed], "\(twins)")
                #expect(try await history(store, mine[0]) == ["redeemed TWN00000000\(tag)/1"])
                // And its next receipt twice at once (the register's row exists: its lock, not its creation, orders them)
                let next = receipt("TWN00000000\(tag)", 2, [[mine[10]]])
                async let nextOnce = store.recordReceipts([next])
                async let nextTwice = store.recordReceipts([next])
                let nextTwins = try await [nextOnce, nextTwice]
                #expect(nextTwins[0] == nextTwins[1] && outcomes(nextTwins[0].first) == [.redeemed], "\(nextTwins)")
                #expect(try await history(store, mine[10]) == ["redeemed TWN00000000\(tag)/2"])

                // Two registers of R selling the same two codes at once (named in opposite orders): each code redeemed once
                async let left = store.recordReceipts([receipt("LFT00000000\(tag)", 1, [[mine[1], mine[2]]])])
                async let right = store.recordReceipts([receipt("RGT00000000\(tag)", 1, [[mine[2]], [mine[1]]])])
                let (l, r) = try await (left, right)
                let byCode = [mine[1]: [outcomes(l[0])[0], outcomes(r[0])[1]], mine[2]: [outcomes(l[0])[1], outcomes(r[0])[0]]]
                for (code, pair) in byCode {
                    #expect(pair.sorted { $0.rawValue < $1.rawValue } == [.alreadyRedeemed, .redeemed], "\(code): \(pair)")
                    #expect(try await history(store, code).count == 1)
                }

                // A missing receipt arriving while the gap job reports it: every receipt applied once
                let gapped = "GPR00000000\(tag)"
                _ = try await store.recordReceipts([receipt(gapped, 1, [[mine[3]]], receivedAt: retailTime(0))])
                _ = try await store.recordReceipts([receipt(gapped, 3, [[mine[4]]], receivedAt: retailTime(1)),
                                                    receipt(gapped, 4, [[mine[5]]], receivedAt: retailTime(1))])
                async let late = store.recordReceipts([receipt(gapped, 2, [[mine[6]]], receivedAt: retailTime(20))])
                async let job = store.reportReceiptGaps(waitedSince: retailTime(15), now: retailTime(20))
                let (arrived, reported) = try await (late, job)
                let gapsHere = reported.filter { $0.registrationNumber == gapped }
                #expect(arrived[0].state == .applied && outcomes(arrived[0]) == [.redeemed])
                #expect(arrived[0].flags == (gapsHere.isEmpty ? [] : [.filledGap]), "\(arrived) \(gapsHere)")
                #expect(gapsHere.map { [$0.from, $0.to] } == (gapsHere.isEmpty ? [] : [[2, 2]]))
                for (number, code) in [(3, mine[4]), (4, mine[5])] {
                    let answer = try await store.receipt(registration: gapped, number: number)
                    #expect(answer?.state == .applied && outcomes(answer) == [.redeemed] && answer?.flags == (gapsHere.isEmpty ? [] : [.afterGap]))
                    #expect(try await history(store, code) == ["redeemed \(gapped)/\(number)"])
                }
                #expect(try await store.cashRegister(gapped)?.lastApplied == 4)

                // Consecutive receipts of one register at once: neither is left waiting
                let pair = "PAR00000000\(tag)"
                _ = try await store.recordReceipts([receipt(pair, 1, [[mine[7]]])])
                async let second = store.recordReceipts([receipt(pair, 2, [[mine[8]]])])
                async let third = store.recordReceipts([receipt(pair, 3, [[mine[9]]])])
                _ = try await (second, third)
                #expect(try await store.cashRegister(pair)?.waiting == [], "round \(round)")
                #expect(try await store.receipt(registration: pair, number: 3)?.state == .applied)

                // The same Service redemption twice at once: one stored, the other its replay
                let command = redemption("SR-R\(tag)", [makeCode("NONE", round + 100)])
                async let first = store.redeem(command)
                async let again = store.redeem(command)
                let both = try await [first, again]
                #expect(both.filter(\.replayed).count == 1 && both[0].value == both[1].value)

                // Two scans of an unknown code at once: its alert raised once
                let fake = makeCode("FAKE", round + 100)
                async let scanA = store.recordScan(ScanCommand(id: UUID(), code: fake, at: retailTime(1), location: nil, region: nil), evaluate: testEvaluator)
                async let scanB = store.recordScan(ScanCommand(id: UUID(), code: fake, at: retailTime(1), location: nil, region: nil), evaluate: testEvaluator)
                _ = try await (scanA, scanB)
                #expect(try await store.alerts(AlertQuery(code: fake)).items.count == 1)
            }
        }
    }

    @Test("PostgreSQL: a receipt inserted meanwhile by a writer that skips the register's lock (unique violation 23505) is answered as a replay or a conflict")
    func uniqueViolationOnTheReceipt() async throws {
        let url = try await PostgresTestServer.shared.makeDatabase()
        let store = try PostgresRegistrarStore(url: url, poolSize: 4, logger: Logger(label: "postgres-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withRunningStore(store) {
            try await store.migrate()
            let register = "EXT000000001"
            _ = try await store.recordReceipts([receipt(register, 1, [[makeCode("NONE", 1)]])])
            for (index, replay) in [true, false].enumerated() {
                let number = index + 2
                let mine = receipt(register, number, [[makeCode("NONE", number)]])
                let hash = replay ? mine.bodyHash : Array(repeating: 7, count: 32)
                // Given another writer's transaction holding an uncommitted receipt under that number, inserted without the
                // register's lock (replica mode skips the foreign key's lock too); it commits in 1.5 s
                let script = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-receipt-\(UUID().uuidString).sql")
                try """
                    BEGIN;
                    SET LOCAL session_replication_role = replica;
                    INSERT INTO receipt (register_id, number, sign, body_hash, seller, operator, operation, issued_at, received_at, state, flags, lines)
                    SELECT id, \(number), 'EXT-\(number)', '\\x\(hash.map { String(format: "%02x", $0) }.joined())', seller, operator, 'sale', 0, 0, 'waiting', '',
                           convert_to('[]', 'UTF8')
                    FROM cash_register WHERE registration = '\(register)';
                    SELECT pg_sleep(1.5);
                    COMMIT;
                    """.write(to: script, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: script) }
                let other = try TradeStoreTests.psql(url, ["-v", "ON_ERROR_STOP=1", "-f", script.path])
                for _ in 0..<100 {
                    let sleeping = try TradeStoreTests.psqlOutput(url, """
                        SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(%' AND pid <> pg_backend_pid()
                        """)
                    if sleeping == "1" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                // When the FDO sends the receipt: its insert waits for the other commit, then violates (register, number)
                let answer = try await store.recordReceipts([mine])[0]
                if replay {
                    // Then the same content is answered as the stored receipt (the other writer's: waiting, received at 0)
                    #expect(answer.state == .waiting && answer.receivedAt == Timestamp(milliseconds: 0), "\(answer)")
                } else {
                    // Then other content is a conflict
                    #expect(answer.state == .rejected && answer.error?.code == .idempotencyConflict, "\(answer)")
                }
                other.waitUntilExit()
                #expect(other.terminationStatus == 0)
                #expect(try TradeStoreTests.psqlOutput(url, "SELECT count(*) FROM receipt WHERE number = \(number)") == "1")
            }
        }
    }
}
