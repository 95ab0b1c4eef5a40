import Foundation
import LineCore
import Logging
import QazAPI
@testable import QazServer
import Testing

// The TradeStore contract, store level (no HTTP, no real signatures: signed documents are fake bytes with a summary):
// the same scenarios against SQLite (in memory) and PostgreSQL, plus races that only PostgreSQL's concurrent writers
// can lose (run on SQLite too, where they are serialised).

private typealias TradeTestStore = any RegistrarStore & TradeStore

/// The backends of the trade store tests.
private let tradeBackends: [TestBackend] = [.sqliteMemory, .postgres]

private let tradeW = bin("97060611111")
private let tradeR = bin("97070722222")

/// 2026-12-01 10:00 Astana plus `minutes`.
private func tradeTime(_ minutes: Int64 = 0) -> Timestamp {
    Timestamp(milliseconds: Timestamp(text: "2026-12-01T10:00:00+05:00")!.milliseconds + minutes * 60_000)
}

/// Runs `body` with a fresh, migrated store of `backend`.
private func withTradeStore<T: Sendable>(_ backend: TestBackend, _ body: (TradeTestStore) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-trade-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try await backend.makeStore(in: directory)
    return try await withRunningStore(store) {
        try await store.migrate()
        return try await body(try #require(store as? TradeTestStore))
    }
}

/// A verified signed document as a store keeps it: fake bytes, a summary with `digest`.
private func signedRecord(_ kind: String, _ participant: TaxpayerID, digest: String, at: Timestamp = tradeTime()) -> SignedRecord {
    SignedRecord(kind: kind, participant: participant, canonical: Array(#"{"kind":"\#(kind)","digest":"\#(digest)"}"#.utf8),
                 signature: [0x30, 0x82, 0x01, 0x02] + Array(digest.utf8.prefix(8)),
                 summary: SignatureSummary(subject: "CN=Signer of \(participant),SERIALNUMBER=IIN870101300123", iin: "870101300123",
                                           bin: participant.rawValue, certificateSerial: "0a1b2c", signingTime: at, documentDigest: digest),
                 receivedAt: at)
}

/// A hex digest made from a label (distinct labels, distinct digests).
private func fakeDigest(_ label: String) -> String {
    Array(label.utf8).map { String(format: "%02x", $0) }.joined().padding(toLength: 64, withPad: "0", startingAt: 0)
}

/// Issues `count` codes `prefix…` (on stamps of the series of its last two letters) to `owner`, recorded by the factory, (recorded at `at`) and activates all but the last `inactive` (at `at` + 1 min).
@discardableResult
private func seedCodes(_ store: TradeTestStore, _ count: Int, to owner: TaxpayerID, prefix: String, inactive: Int = 0,
                       at: Timestamp = tradeTime(-24 * 60), activatedBy: TaxpayerID? = nil) async throws -> [String] {
    let waybill = makeWaybill(number: "WB-\(prefix)", to: owner, prefix: prefix, series: String(prefix.suffix(2)), count: count)
    var command = WaybillCommand(waybill: waybill, codes: waybill.codes.map { StampCode(trusted: $0.code) },
                                 bodyHash: Array(fakeDigest("WB-\(prefix)").utf8.prefix(32)), recordedAt: at)
    command.actor = factoryBIN
    _ = try await store.recordWaybill(command)
    let codes = waybill.codes.map(\.code)
    let active = Array(codes.dropLast(inactive))
    let activatedAt = Timestamp(milliseconds: at.milliseconds + 60_000)
    let receipt = try await store.activate(ActivationCommand(
        batchId: UUID(), participant: owner, lineId: "line-1", equipmentId: "eq-1", bodyHash: Array(UUID().uuidString.utf8), receivedAt: activatedAt,
        items: active.map { .code(text: $0, code: StampCode(trusted: $0), activatedAt: activatedAt, productCode: "DSN-0001") }, actor: activatedBy))
    try #require(receipt.value.results.allSatisfy { $0.result == .activated })
    return codes
}

/// Creates account records for the usual trade parties (producers' records come with their waybills; created here too
/// so that every test has them).
private func seedAccounts(_ store: TradeTestStore, at: Timestamp = tradeTime(-2 * 24 * 60)) async throws {
    for (who, name, kind) in [(producerA, "Producer A LLP", ParticipantKind.producer), (producerB, "Producer B LLP", .producer),
                              (tradeW, "Wholesaler W LLP", .wholesaler), (tradeR, "Retailer R", .retailer)] {
        _ = try await store.putAccount(who, request: AccountRequest(name: name, kind: kind), actor: registrarBIN, at: at)
    }
}

private func orderCommand(_ number: String, seller: TaxpayerID = producerA, buyer: TaxpayerID = tradeW, codes: [String], units: [UnitCode] = [],
                  digest: String? = nil, at: Timestamp = tradeTime(), expiresAt: Timestamp? = nil, id: String = UUID().uuidString.lowercased(),
                  actor: TaxpayerID? = nil) -> OrderCommand {
    let order = SaleOrder(number: number, seller: seller, buyer: buyer, codes: codes, units: units.map(\.rawValue), volumeLitres: "6.000",
                          price: "120000.00", note: "test \(number)")
    return OrderCommand(id: id, order: order, codes: codes.map(StampCode.init(trusted:)), units: units,
                        document: signedRecord("order", seller, digest: digest ?? fakeDigest("order \(seller) \(number)"), at: at),
                        actor: actor ?? seller, savedAt: at, expiresAt: expiresAt ?? Timestamp(milliseconds: at.milliseconds + 3 * 24 * 3_600_000))
}

/// A counter-order; `document` tells documents of other content apart (the same document again is a re-send).
private func counterCommand(_ order: OrderInfo, digest: String? = nil, seller: TaxpayerID? = nil, buyer: TaxpayerID? = nil, accept: Bool = true,
                    at: Timestamp = tradeTime(60), document: String = "") -> CounterOrderCommand {
    let counter = CounterOrder(order: order.id, seller: seller ?? order.seller, buyer: buyer ?? order.buyer,
                               orderDigest: digest ?? order.sellerSignature.documentDigest, accept: accept)
    return CounterOrderCommand(orderId: order.id, counterOrder: counter,
                               document: signedRecord("counterOrder", order.buyer, digest: fakeDigest("\(document)counter \(order.id)"), at: at),
                               actor: order.buyer, at: at)
}

private func applicationCommand(_ number: String, applicant: TaxpayerID = producerA, kind: ApplicationKind = .domestic, quantity: Int = 1000,
                        digest: String? = nil, at: Timestamp = tradeTime(), due: Timestamp? = nil) -> ApplicationCommand {
    let date = CalendarDate("2026-12-01")!
    let payment = PaymentReference(amount: "125000.00", bankAccount: "KZ000000000000000001", document: "PP-1", date: date)
    let application = StampApplication(
        number: number, date: date, kind: kind, applicant: applicant, name: "Producer LLP", address: "Astana",
        licence: kind == .domestic ? Licence(authority: "MinAgri", number: "L-1", date: date) : nil, quantity: quantity,
        product: ApplicationProduct(name: "Vodka Test", type: "vodka", capacityMl: 500, strength: "40.0"),
        periodFrom: ReportingMonth("2026-12")!, periodTo: ReportingMonth("2027-01")!,
        certificate: ConformityCertificate(number: "KZ.C-1", body: "NCS", validUntil: CalendarDate("2027-12-31")!), hsCode: "2208",
        stampPayment: payment, excisePayment: payment, receiptMethod: .pickup,
        contract: kind == .import ? ForeignTradeContract(number: "FT-1", date: date) : nil,
        obligation: TargetedUseObligation(securityAmount: "100000.00", method: .payment, instrumentNumber: "I-1", instrumentDate: date,
                                          legalAddress: "Astana", bankDetails: "KZ00"),
        undertakings: ApplicationUndertakings(noArrears: kind == .import ? true : nil))
    return ApplicationCommand(application: application,
                              document: signedRecord("application", applicant, digest: digest ?? fakeDigest("application \(number)"), at: at),
                              actor: applicant, submittedAt: at, decisionDue: due ?? Timestamp(milliseconds: at.milliseconds + 2 * 24 * 3_600_000))
}

/// The refusal `body` answers (a failed expectation when it answers anything else).
@discardableResult
private func expectRefusal<T>(_ code: ErrorCode, _ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async -> TradeRefusal? {
    do {
        let value = try await body()
        Issue.record("expected \(code.rawValue), got \(value)", sourceLocation: sourceLocation)
    } catch StoreError.refused(let refusal) {
        #expect(refusal.code == code, "expected \(code.rawValue), got \(refusal)", sourceLocation: sourceLocation)
        #expect(refusal.message.count > 10, sourceLocation: sourceLocation)
        return refusal
    } catch {
        Issue.record("expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

private func tradeUnit(_ serial: Int64) -> UnitCode { try! SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: serial) }

private func pack(_ store: TradeTestStore, _ events: [(kind: AggregationKind, unit: UnitCode, contents: AggregationContents)],
          owner: TaxpayerID = producerA, at: Timestamp = tradeTime(-60)) async throws {
    let receipt = try await store.aggregate(AggregationCommand(
        participant: owner, lineId: "pack-1", equipmentId: "case-packer-1", receivedAt: at,
        events: events.map { AggregationEventCommand(eventId: UUID(), kind: $0.kind, unit: $0.unit, at: at, digest: Array(UUID().uuidString.utf8),
                                                     contents: $0.contents) }))
    try #require(receipt.results.allSatisfy { $0.result == .applied }, "\(receipt.results)")
}

private func stampCodes(_ codes: [String]) -> AggregationContents { .stampCodes(codes.map { (text: $0, code: StampCode(trusted: $0)) }) }

@Suite("TradeStore: accounts, applications, orders, history (every backend, store level)")
struct TradeStoreTests {
    // MARK: Accounts

    @Test("accounts: create, rename, block, unblock; a second block or unblock is invalid_state; unknown is account_unknown",
          arguments: tradeBackends)
    func accounts(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            // Given no record for W
            #expect(try await store.account(tradeW) == nil)
            // When the registrar creates it
            let created = try await store.putAccount(tradeW, request: AccountRequest(name: "W LLP", kind: .wholesaler), actor: registrarBIN,
                                                     at: tradeTime())
            #expect(created == AccountInfo(participant: tradeW, name: "W LLP", kind: .wholesaler, createdAt: tradeTime()))
            #expect(try await store.account(tradeW) == created)
            // When renamed: same record, new name, creation time kept
            let renamed = try await store.putAccount(tradeW, request: AccountRequest(name: "W Trading LLP", kind: .wholesaler),
                                                     actor: registrarBIN, at: tradeTime(5))
            #expect(renamed.name == "W Trading LLP" && renamed.createdAt == tradeTime() && renamed.blocked == nil)
            // When blocked
            let block = AccountBlock(reason: "court order 12", by: registrarBIN, at: tradeTime(10))
            let blocked = try await store.setBlock(tradeW, block: block, actor: registrarBIN, reason: "court order 12", at: tradeTime(10))
            #expect(blocked.blocked == block)
            #expect(try await store.account(tradeW)?.blocked == block)
            // Then blocking again is invalid_state and changes nothing
            await expectRefusal(.invalidState) {
                try await store.setBlock(tradeW, block: AccountBlock(reason: "again", by: registrarBIN, at: tradeTime(11)), actor: registrarBIN,
                                         reason: "again", at: tradeTime(11))
            }
            #expect(try await store.account(tradeW)?.blocked == block)
            // When unblocked; unblocking again is invalid_state
            let unblocked = try await store.setBlock(tradeW, block: nil, actor: registrarBIN, reason: "lifted", at: tradeTime(20))
            #expect(unblocked.blocked == nil && unblocked.name == "W Trading LLP")
            await expectRefusal(.invalidState) {
                try await store.setBlock(tradeW, block: nil, actor: registrarBIN, reason: "lifted", at: tradeTime(21))
            }
            // And an unknown participant cannot be blocked
            let unknown = await expectRefusal(.accountUnknown) {
                try await store.setBlock(tradeR, block: block, actor: registrarBIN, reason: "x", at: tradeTime(22))
            }
            #expect(unknown?.status == 422)
            // And the log has one creation (the rename is not one), the block and the unblock, with who and why
            let log = try await store.operations(OperationQuery(participant: tradeW))
            #expect(log.items.map(\.kind) == [.accountCreated, .accountBlocked, .accountUnblocked])
            #expect(log.items.map(\.actor) == [registrarBIN, registrarBIN, registrarBIN])
            #expect(log.items.map(\.detail) == ["wholesaler: W LLP", "court order 12", "lifted"])
            #expect(log.items.map(\.at) == [tradeTime(), tradeTime(10), tradeTime(20)])
            // And wholesalers and retailers may hold API tokens (v7-trade widened the role check)
            for (index, role) in [Role.wholesaler, .retailer].enumerated() {
                try await store.saveToken(TokenRecord(id: "qz_trade\(index)", hash: Array(repeating: UInt8(index), count: 32), participant: tradeW,
                                                      role: role, createdAt: tradeTime()))
            }
            #expect(try await store.tokens().map(\.role.rawValue).sorted() == ["retailer", "wholesaler"])
        }
    }

    // MARK: Applications

    @Test("applications: submit, replay, conflict, decide once, overdue, filters and paging", arguments: tradeBackends)
    func applications(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            // When A submits an application
            let command = applicationCommand("APP-1", due: tradeTime(120))
            let first = try await store.submitApplication(command)
            #expect(!first.replayed)
            #expect(first.value.status == .submitted && first.value.number == "APP-1" && first.value.applicant == producerA)
            #expect(first.value.quantity == 1000 && first.value.kind == .domestic && first.value.productName == "Vodka Test")
            #expect(first.value.date == CalendarDate("2026-12-01")! && first.value.issued == 0 && !first.value.overdue)
            #expect(first.value.signature == command.document.summary && first.value.decisionDue == tradeTime(120))
            // Then the same document again is a replay; another under that number a conflict
            let replay = try await store.submitApplication(applicationCommand("APP-1", at: tradeTime(1), due: tradeTime(121)))
            #expect(replay.replayed && replay.value == first.value)
            await #expect(throws: StoreError.idempotencyConflict("application APP-1")) {
                try await store.submitApplication(applicationCommand("APP-1", digest: fakeDigest("another"), at: tradeTime(2)))
            }
            // And an unknown or blocked applicant is refused
            await expectRefusal(.accountUnknown) { try await store.submitApplication(applicationCommand("APP-X", applicant: importerC)) }
            _ = try await store.setBlock(producerB, block: AccountBlock(reason: "arrears", by: registrarBIN, at: tradeTime()), actor: registrarBIN,
                                         reason: "arrears", at: tradeTime())
            let blocked = await expectRefusal(.accountBlocked) { try await store.submitApplication(applicationCommand("APP-B", applicant: producerB)) }
            #expect(blocked?.status == 403)
            // Overdue is computed against the reader's now
            #expect(try await store.application(applicant: producerA, number: "APP-1", now: tradeTime(119))?.overdue == false)
            #expect(try await store.application(applicant: producerA, number: "APP-1", now: tradeTime(121))?.overdue == true)
            #expect(try await store.application(applicant: producerA, number: "APP-9", now: tradeTime()) == nil)
            // When the revenue body approves it
            let approved = try await store.decideApplication(ApplicationDecisionCommand(
                applicant: producerA, number: "APP-1", decision: ApplicationDecision(decision: .approve, comment: "ok"), actor: registrarBIN,
                at: tradeTime(130)))
            #expect(approved.status == .approved && approved.decidedAt == tradeTime(130) && approved.decidedBy == registrarBIN)
            #expect(approved.comment == "ok" && approved.grounds == nil && !approved.overdue)
            // Then a second decision is invalid_state, and the first stands
            await expectRefusal(.invalidState) {
                try await store.decideApplication(ApplicationDecisionCommand(
                    applicant: producerA, number: "APP-1", decision: ApplicationDecision(decision: .refuse, grounds: [.exciseUnpaid]),
                    actor: registrarBIN, at: tradeTime(131)))
            }
            #expect(try await store.application(applicant: producerA, number: "APP-1", now: tradeTime(200))?.status == .approved)
            await expectRefusal(.notFound) {
                try await store.decideApplication(ApplicationDecisionCommand(
                    applicant: producerA, number: "APP-404", decision: ApplicationDecision(decision: .approve), actor: registrarBIN, at: tradeTime()))
            }
            // When more are submitted (import ones too) and one refused with grounds
            for (index, number) in ["APP-2", "APP-3", "APP-4"].enumerated() {
                _ = try await store.submitApplication(applicationCommand(number, kind: index == 1 ? .import : .domestic, at: tradeTime(Int64(10 + index)),
                                                                          due: tradeTime(Int64(100 + 100 * index))))
            }
            let refused = try await store.decideApplication(ApplicationDecisionCommand(
                applicant: producerA, number: "APP-2", decision: ApplicationDecision(decision: .refuse, grounds: [.exciseUnpaid, .taxArrears],
                                                                                     comment: "see letter"),
                actor: registrarBIN, at: tradeTime(140)))
            #expect(refused.status == .refused && refused.grounds == [.exciseUnpaid, .taxArrears] && refused.comment == "see letter")
            // Then the list is newest first, filtered, and pages with `before`
            let all = try await store.applications(ApplicationQuery(applicant: producerA, now: tradeTime(250)))
            #expect(all.items.map(\.number) == ["APP-4", "APP-3", "APP-2", "APP-1"])
            let page1 = try await store.applications(ApplicationQuery(applicant: producerA, now: tradeTime(250), limit: 3))
            #expect(page1.items.map(\.number) == ["APP-4", "APP-3", "APP-2"])
            let page2 = try await store.applications(ApplicationQuery(applicant: producerA, now: tradeTime(250), before: page1.last, limit: 3))
            #expect(page2.items.map(\.number) == ["APP-1"])
            let page3 = try await store.applications(ApplicationQuery(applicant: producerA, now: tradeTime(250), before: page2.last, limit: 3))
            #expect(page3.items.isEmpty && page3.last == nil)
            #expect(try await store.applications(ApplicationQuery(status: .submitted, now: tradeTime(250))).items.map(\.number) == ["APP-4", "APP-3"])
            #expect(try await store.applications(ApplicationQuery(status: .refused, now: tradeTime(250))).items.map(\.number) == ["APP-2"])
            // APP-3 is due at +200, APP-4 at +300: at +250 only APP-3 is overdue (APP-1 was decided, APP-2 too)
            let overdue = try await store.applications(ApplicationQuery(overdueOnly: true, now: tradeTime(250)))
            #expect(overdue.items.map(\.number) == ["APP-3"] && overdue.items[0].overdue)
            #expect(try await store.applications(ApplicationQuery(applicant: producerB, now: tradeTime(250))).items.isEmpty)
            // And the log names the documents the submissions rest on
            let log = try await store.operations(OperationQuery(participant: producerA))
            #expect(log.items.map(\.kind) == [.accountCreated, .applicationSubmitted, .applicationApproved, .applicationSubmitted,
                                              .applicationSubmitted, .applicationSubmitted, .applicationRefused])
            #expect(log.items[1].document == command.document.reference && log.items[1].count == 1000 && log.items[1].reference == "APP-1")
            #expect(log.items[6].detail == "excise_unpaid,tax_arrears")
        }
    }

    // MARK: Orders

    @Test("orders: refusals write nothing; save, replay, conflict; sign moves the codes; the buyer sells them on", arguments: tradeBackends)
    func orders(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            let codes = try await seedCodes(store, 10, to: producerA, prefix: "QZA", inactive: 2)
            let foreign = try await seedCodes(store, 2, to: producerB, prefix: "QZB")
            let never = makeCode("QZN", 1)
            // Refusals: unknown, not held, not activated, the seller is the buyer, the buyer unknown, blocked parties
            let unknown = await expectRefusal(.codesNotHeld) { try await store.saveOrder(orderCommand("R-1", codes: [codes[0], never])) }
            #expect(unknown?.details["reason"] == "unknown" && unknown?.details["codes"] == never && unknown?.status == 422)
            let notHeld = await expectRefusal(.codesNotHeld) { try await store.saveOrder(orderCommand("R-2", codes: [foreign[0], codes[0]])) }
            #expect(notHeld?.details["reason"] == "not_held" && notHeld?.details["codes"] == foreign[0])
            let inactive = await expectRefusal(.codesNotActive) { try await store.saveOrder(orderCommand("R-3", codes: [codes[0], codes[9]])) }
            #expect(inactive?.details["codes"] == codes[9] && inactive?.details["statuses"] == "issued")
            await expectRefusal(.invalidField) { try await store.saveOrder(orderCommand("R-4", buyer: producerA, codes: [codes[0]])) }
            let buyerUnknown = await expectRefusal(.accountUnknown) { try await store.saveOrder(orderCommand("R-5", buyer: importerC, codes: [codes[0]])) }
            #expect(buyerUnknown?.details["side"] == "buyer")
            _ = try await store.setBlock(tradeR, block: AccountBlock(reason: "licence revoked", by: registrarBIN, at: tradeTime(-5)),
                                         actor: registrarBIN, reason: "licence revoked", at: tradeTime(-5))
            let buyerBlocked = await expectRefusal(.accountBlocked) { try await store.saveOrder(orderCommand("R-6", buyer: tradeR, codes: [codes[0]])) }
            #expect(buyerBlocked?.details["side"] == "buyer" && buyerBlocked?.status == 409)
            _ = try await store.setBlock(producerA, block: AccountBlock(reason: "audit", by: registrarBIN, at: tradeTime(-4)), actor: registrarBIN,
                                         reason: "audit", at: tradeTime(-4))
            let sellerBlocked = await expectRefusal(.accountBlocked) { try await store.saveOrder(orderCommand("R-7", codes: [codes[0]])) }
            #expect(sellerBlocked?.status == 403 && sellerBlocked?.details["participant"] == producerA.rawValue)
            _ = try await store.setBlock(producerA, block: nil, actor: registrarBIN, reason: "audit closed", at: tradeTime(-3))
            #expect(try await store.orders(OrderQuery(participant: nil)).items.isEmpty, "a refusal saves nothing")
            #expect(try await store.holdings(StampCode(trusted: codes[0]))?.pendingOrder == nil)

            // When A saves an order of 4 codes to W
            let command = orderCommand("ORD-1", codes: Array(codes[0..<4]))
            let saved = try await store.saveOrder(command)
            let order = saved.value
            #expect(!saved.replayed && order.id == command.id && order.number == "ORD-1" && order.status == .pending)
            #expect(order.seller == producerA && order.buyer == tradeW && order.codeCount == 4 && order.units.isEmpty)
            #expect(order.savedAt == tradeTime() && order.expiresAt == command.expiresAt && order.signedAt == nil && order.actor == nil)
            #expect(order.volumeLitres == "6.000" && order.price == "120000.00" && order.note == "test ORD-1")
            #expect(order.sellerSignature == command.document.summary && order.buyerSignature == nil)
            #expect(try await store.order(id: order.id) == order)
            // Then its codes are pending in it, page by page in code order
            #expect(try await store.holdings(StampCode(trusted: codes[0]))?.pendingOrder == order.id)
            #expect(try await store.orderCodes(id: order.id, after: nil, limit: 3) == Array(codes[0..<3]))
            #expect(try await store.orderCodes(id: order.id, after: codes[2], limit: 3) == [codes[3]])
            // And a code in it cannot go into another order
            let pending = await expectRefusal(.codesPending) { try await store.saveOrder(orderCommand("ORD-2", codes: [codes[3], codes[4]])) }
            #expect(pending?.details["orders"] == order.id && pending?.details["codes"] == codes[3] && pending?.status == 409)
            // And the same document again is a replay, another one under that number a conflict
            let replay = try await store.saveOrder(orderCommand("ORD-1", codes: Array(codes[0..<4]), at: tradeTime(1)))
            #expect(replay.replayed && replay.value == order)
            await #expect(throws: StoreError.idempotencyConflict("order ORD-1")) {
                try await store.saveOrder(orderCommand("ORD-1", codes: [codes[5]], digest: fakeDigest("other")))
            }
            // And a counter-order for another document, other parties or refusing is invalid_field (and changes nothing)
            let wrongDigest = await expectRefusal(.invalidField) { try await store.signOrder(counterCommand(order, digest: fakeDigest("x"))) }
            #expect(wrongDigest?.details["field"] == "document.orderDigest")
            await expectRefusal(.invalidField) { try await store.signOrder(counterCommand(order, seller: producerB)) }
            await expectRefusal(.invalidField) { try await store.signOrder(counterCommand(order, buyer: tradeR)) }
            await expectRefusal(.invalidField) { try await store.signOrder(counterCommand(order, accept: false)) }
            await expectRefusal(.notFound) {
                var missing = counterCommand(order)
                missing.orderId = "no-such-order"
                return try await store.signOrder(missing)
            }
            #expect(try await store.order(id: order.id)?.status == .pending)

            // When W signs the counter-order
            let counter = counterCommand(order, at: tradeTime(60))
            let signed = try await store.signOrder(counter)
            #expect(signed.status == .signed && signed.statusText == "Қол қойылған" && signed.signedAt == tradeTime(60))
            #expect(signed.buyerSignature == counter.document.summary)
            // Then the codes are W's: A produced then transferred them, W holds them active
            let holdings = try #require(try await store.holdings(StampCode(trusted: codes[0])))
            #expect(holdings.holder == tradeW && holdings.pendingOrder == nil)
            #expect(holdings.holdings == [
                CodeHolding(participant: producerA, status: .transferred, since: tradeTime(60), order: order.id),
                CodeHolding(participant: tradeW, status: .active, since: tradeTime(60), order: order.id),
            ])
            #expect(try await store.holdings(StampCode(trusted: codes[4]))?.holdings == [
                CodeHolding(participant: producerA, status: .produced, since: tradeTime(-24 * 60 + 1)),
            ])
            #expect(try await store.holdings(StampCode(trusted: never)) == nil)
            // And both signed documents are kept
            let documents = try await store.orderDocuments(id: order.id)
            #expect(documents.map(\.kind) == ["order", "counterOrder"] && documents.map(\.participant) == [producerA, tradeW])
            #expect(documents[0].document == String(decoding: command.document.canonical, as: UTF8.self))
            #expect(documents[0].signature == Data(command.document.signature).base64EncodedString())
            #expect(documents[1].summary == counter.document.summary && documents[1].receivedAt == tradeTime(60))
            // And a signed order can be neither signed (by another document) nor cancelled again; the same counter-order
            // again (its answer lost) is answered with the signed order, unchanged
            #expect(try await store.signOrder(counterCommand(order, at: tradeTime(61))) == (try await store.order(id: order.id)))
            await expectRefusal(.invalidState) { try await store.signOrder(counterCommand(order, at: tradeTime(61), document: "again ")) }
            await expectRefusal(.invalidState) { try await store.cancelOrder(id: order.id, actor: producerA, reason: "late", at: tradeTime(62)) }
            // And A no longer holds them
            let gone = await expectRefusal(.codesNotHeld) { try await store.saveOrder(orderCommand("ORD-3", buyer: producerB, codes: [codes[0]])) }
            #expect(gone?.details["reason"] == "not_held")

            // When W sells two of them on to B (the registrar saving for W)
            _ = try await store.setBlock(tradeR, block: nil, actor: registrarBIN, reason: "restored", at: tradeTime(70))
            let onward = try await store.saveOrder(orderCommand("W-1", seller: tradeW, buyer: tradeR, codes: [codes[0], codes[1]],
                                                                at: tradeTime(80), actor: registrarBIN)).value
            #expect(onward.actor == registrarBIN)
            let onwardSigned = try await store.signOrder(counterCommand(onward, at: tradeTime(90)))
            #expect(onwardSigned.status == .signed)
            // Then the chain shows every holder
            #expect(try await store.holdings(StampCode(trusted: codes[0]))?.holdings == [
                CodeHolding(participant: producerA, status: .transferred, since: tradeTime(60), order: order.id),
                CodeHolding(participant: tradeW, status: .transferred, since: tradeTime(90), order: onward.id),
                CodeHolding(participant: tradeR, status: .active, since: tradeTime(90), order: onward.id),
            ])
            #expect(try await store.holdings(StampCode(trusted: codes[2]))?.holder == tradeW)

            // And the lists: newest first, by side and status, paged by `before`
            let mine = try await store.orders(OrderQuery(participant: tradeW))
            #expect(mine.items.map(\.number) == ["W-1", "ORD-1"])
            #expect(try await store.orders(OrderQuery(participant: tradeW, side: .seller)).items.map(\.number) == ["W-1"])
            #expect(try await store.orders(OrderQuery(participant: tradeW, side: .buyer)).items.map(\.number) == ["ORD-1"])
            #expect(try await store.orders(OrderQuery(participant: producerA, side: .buyer)).items.isEmpty)
            #expect(try await store.orders(OrderQuery(participant: nil, status: .pending)).items.isEmpty)
            let first = try await store.orders(OrderQuery(participant: nil, limit: 1))
            #expect(first.items.map(\.number) == ["W-1"])
            let second = try await store.orders(OrderQuery(participant: nil, before: first.last, limit: 1))
            #expect(second.items.map(\.number) == ["ORD-1"])
            #expect(try await store.orders(OrderQuery(participant: nil, before: second.last, limit: 1)).items.isEmpty)
        }
    }

    @Test("expiry: a late counter-order is order_expired and the order is expired in storage with its codes free; cancel",
          arguments: tradeBackends)
    func lateCounterOrderAndCancel(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            let codes = try await seedCodes(store, 6, to: producerA, prefix: "QZA")
            // Given an order expiring at +60
            let order = try await store.saveOrder(orderCommand("E-1", codes: Array(codes[0..<3]), expiresAt: tradeTime(60))).value
            #expect(try await store.nextOrderExpiry() == tradeTime(60))
            // When W signs at +60 (the expiry instant itself is late)
            let late = await expectRefusal(.orderExpired) { try await store.signOrder(counterCommand(order, at: tradeTime(60))) }
            #expect(late?.status == 409 && late?.details["order"] == order.id)
            // Then the order is expired at its expiry instant, in storage, and its codes are free
            let stored = try #require(try await store.order(id: order.id))
            #expect(stored.status == .expired && stored.expiredAt == tradeTime(60) && stored.signedAt == nil && stored.buyerSignature == nil)
            #expect(try await store.holdings(StampCode(trusted: codes[0]))?.pendingOrder == nil)
            #expect(try await store.holdings(StampCode(trusted: codes[0]))?.holder == producerA)
            #expect(try await store.nextOrderExpiry() == nil)
            #expect(try await store.orderDocuments(id: order.id).count == 1, "the late counter-order is not kept")
            // And signing or cancelling it again is order_expired; expiring finds nothing more
            await expectRefusal(.orderExpired) { try await store.signOrder(counterCommand(order, at: tradeTime(61))) }
            await expectRefusal(.orderExpired) { try await store.cancelOrder(id: order.id, actor: producerA, reason: "x", at: tradeTime(61)) }
            #expect(try await store.expireOrders(now: tradeTime(1000)).isEmpty)
            // And the expiry is logged once on both accounts, by the seller, at the expiry instant
            let expiries = try await store.operations(OperationQuery(participant: tradeW)).items.filter { $0.kind == .orderExpired }
            #expect(expiries == [OperationRecord(at: tradeTime(60), kind: .orderExpired, participant: tradeW, actor: producerA, reference: order.id,
                                                 count: 3, detail: "not signed by the buyer within 3 working days")])
            #expect(try await store.operations(OperationQuery(participant: producerA)).items.filter { $0.kind == .orderExpired }.count == 1)

            // When the codes go into a new order, which A cancels
            let again = try await store.saveOrder(orderCommand("E-2", codes: Array(codes[0..<3]), at: tradeTime(70), expiresAt: tradeTime(200))).value
            let cancelled = try await store.cancelOrder(id: again.id, actor: producerA, reason: "wrong price", at: tradeTime(80))
            #expect(cancelled.status == .cancelled && cancelled.cancelledAt == tradeTime(80) && cancelled.cancelReason == "wrong price")
            #expect(cancelled.statusText == "Күші жойылды")
            // Then its codes are free, and it can be neither cancelled nor signed again
            #expect(try await store.holdings(StampCode(trusted: codes[1]))?.pendingOrder == nil)
            // (cancelling again answers the cancelled order, unchanged)
            #expect(try await store.cancelOrder(id: again.id, actor: producerA, reason: "again", at: tradeTime(81)) == cancelled)
            await expectRefusal(.invalidState) { try await store.signOrder(counterCommand(again, at: tradeTime(82))) }
            await expectRefusal(.notFound) { try await store.cancelOrder(id: "no-such-order", actor: producerA, reason: "x", at: tradeTime(83)) }
            // When a third order is cancelled after its expiry instant
            let third = try await store.saveOrder(orderCommand("E-3", codes: Array(codes[0..<3]), at: tradeTime(90), expiresAt: tradeTime(100))).value
            await expectRefusal(.orderExpired) { try await store.cancelOrder(id: third.id, actor: producerA, reason: "late", at: tradeTime(100)) }
            // Then it is expired, not cancelled
            let thirdStored = try await store.order(id: third.id)
            #expect(thirdStored?.status == .expired && thirdStored?.expiredAt == tradeTime(100) && thirdStored?.cancelledAt == nil)
            // And the signed order W could sign works after all that
            let fourth = try await store.saveOrder(orderCommand("E-4", codes: Array(codes[0..<3]), at: tradeTime(110), expiresAt: tradeTime(300))).value
            #expect(try await store.signOrder(counterCommand(fourth, at: tradeTime(299))).status == .signed)
            let kinds = try await store.operations(OperationQuery(participant: producerA, from: tradeTime(-1))).items.map(\.kind)
            #expect(kinds == [.orderSaved, .orderExpired, .orderSaved, .orderCancelled, .orderSaved, .orderExpired, .orderSaved, .transferred])
        }
    }

    @Test("expireOrders expires only the due orders, each at its own expiry; nextOrderExpiry follows", arguments: tradeBackends)
    func expireOrders(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            let codes = try await seedCodes(store, 4, to: producerA, prefix: "QZA")
            #expect(try await store.nextOrderExpiry() == nil)
            // Given three orders expiring at +30, +10 and +20, and a fourth signed before its +5
            let a = try await store.saveOrder(orderCommand("X-1", codes: [codes[0]], expiresAt: tradeTime(30))).value
            let b = try await store.saveOrder(orderCommand("X-2", codes: [codes[1]], expiresAt: tradeTime(10))).value
            let c = try await store.saveOrder(orderCommand("X-3", codes: [codes[2]], expiresAt: tradeTime(20))).value
            let d = try await store.saveOrder(orderCommand("X-4", codes: [codes[3]], expiresAt: tradeTime(5))).value
            _ = try await store.signOrder(counterCommand(d, at: tradeTime(4)))
            #expect(try await store.nextOrderExpiry() == tradeTime(10))
            // When expiring at +9: nothing is due
            #expect(try await store.expireOrders(now: tradeTime(9)).isEmpty)
            // When expiring at +20: the two due ones, earliest first, each expired at its own expiry instant
            #expect(try await store.expireOrders(now: tradeTime(20)) == [b.id, c.id])
            #expect(try await store.order(id: b.id)?.expiredAt == tradeTime(10))
            #expect(try await store.order(id: c.id)?.expiredAt == tradeTime(20))
            #expect(try await store.order(id: a.id)?.status == .pending)
            #expect(try await store.order(id: d.id)?.status == .signed)
            #expect(try await store.holdings(StampCode(trusted: codes[1]))?.pendingOrder == nil)
            #expect(try await store.holdings(StampCode(trusted: codes[0]))?.pendingOrder == a.id)
            #expect(try await store.nextOrderExpiry() == tradeTime(30))
            // Then again at +20 nothing; at +30 the last one
            #expect(try await store.expireOrders(now: tradeTime(20)).isEmpty)
            #expect(try await store.expireOrders(now: tradeTime(30)) == [a.id])
            #expect(try await store.nextOrderExpiry() == nil)
            #expect(try await store.orders(OrderQuery(participant: producerA, status: .expired)).items.map(\.number) == ["X-3", "X-2", "X-1"])
        }
    }

    // MARK: Units

    @Test("units: an order naming a packed case and a pallet carries their codes; an unpacked or dissolved unit is refused",
          arguments: tradeBackends)
    func units(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            let codes = try await seedCodes(store, 12, to: producerA, prefix: "QZA")
            // Given case 1 (codes 0..<4) alone, cases 2 (4..<7) and 3 (7..<9) on pallet 10, and case 4 (9..<11) dissolved
            try await pack(store, [(.casePacked, tradeUnit(1), stampCodes(Array(codes[0..<4]))),
                                   (.casePacked, tradeUnit(2), stampCodes(Array(codes[4..<7]))),
                                   (.casePacked, tradeUnit(3), stampCodes(Array(codes[7..<9]))),
                                   (.palletBuilt, tradeUnit(10), .units([tradeUnit(2), tradeUnit(3)].map { (text: $0.rawValue, code: $0) })),
                                   (.casePacked, tradeUnit(4), stampCodes(Array(codes[9..<11]))),
                                   (.caseDissolved, tradeUnit(4), .none)])
            // When an order names case 1, the pallet, a loose code and a code of case 1 again
            let saved = try await store.saveOrder(orderCommand("U-1", codes: [codes[11], codes[0]], units: [tradeUnit(1), tradeUnit(10)])).value
            // Then it carries each of their codes once
            #expect(saved.codeCount == 10 && saved.units == [tradeUnit(1).rawValue, tradeUnit(10).rawValue])
            #expect(try await store.orderCodes(id: saved.id, after: nil, limit: 100) == (Array(codes[0..<9]) + [codes[11]]).sorted())
            #expect(try await store.holdings(StampCode(trusted: codes[5]))?.pendingOrder == saved.id)
            #expect(try await store.holdings(StampCode(trusted: codes[9]))?.pendingOrder == nil)
            // And a dissolved case or a code never packed is not a unit of an order
            let dissolved = await expectRefusal(.invalidField) { try await store.saveOrder(orderCommand("U-2", codes: [], units: [tradeUnit(4)])) }
            #expect(dissolved?.details["unit"] == tradeUnit(4).rawValue)
            await expectRefusal(.invalidField) { try await store.saveOrder(orderCommand("U-3", codes: [codes[9]], units: [tradeUnit(99)])) }
            // And signing moves the cases' codes
            _ = try await store.signOrder(counterCommand(saved))
            #expect(try await store.holdings(StampCode(trusted: codes[8]))?.holder == tradeW)
        }
    }

    // MARK: History

    @Test("operations: an account's log oldest first, within a period, paged after an id", arguments: tradeBackends)
    func operationsLog(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            let codes = try await seedCodes(store, 6, to: producerA, prefix: "QZA")
            var orders = [OrderInfo]()
            for index in 0..<5 {
                let at = tradeTime(Int64(index) * 100)
                orders.append(try await store.saveOrder(orderCommand("L-\(index)", codes: [codes[index]], at: at)).value)
                _ = try await store.signOrder(counterCommand(orders[index], at: Timestamp(milliseconds: at.milliseconds + 600_000)))
            }
            // W's log: its creation, then per order saved and received
            let all = try await store.operations(OperationQuery(participant: tradeW))
            #expect(all.items.map(\.kind) == [.accountCreated] + Array(repeating: [OperationKind.orderSaved, .received], count: 5).flatMap { $0 })
            #expect(all.items.map(\.at) == all.items.map(\.at).sorted())
            #expect(all.items[1].reference == orders[0].id && all.items[1].detail == "from \(producerA)" && all.items[1].count == 1)
            #expect(all.items[1].document == DocumentReference(kind: "order", digest: orders[0].sellerSignature.documentDigest,
                                                               signer: orders[0].sellerSignature.subject))
            #expect(all.items[2].document?.kind == "counterOrder" && all.items[2].actor == tradeW)
            // Paging after the last id of each page gives every entry once
            var paged = [OperationRecord]()
            var after: Int64?
            repeat {
                let page = try await store.operations(OperationQuery(participant: tradeW, after: after, limit: 3))
                paged += page.items
                after = page.items.count == 3 ? page.last : nil
                #expect(page.items.count <= 3)
            } while after != nil
            #expect(paged == all.items)
            // A period: orders 1 and 2 (saved at +100 and +200, received at +110 and +210), `to` exclusive
            let period = try await store.operations(OperationQuery(participant: tradeW, from: tradeTime(100), to: tradeTime(300)))
            #expect(period.items.map(\.reference) == [orders[1].id, orders[1].id, orders[2].id, orders[2].id])
            let edge = try await store.operations(OperationQuery(participant: tradeW, from: tradeTime(100), to: tradeTime(110)))
            #expect(edge.items.map(\.kind) == [.orderSaved])
            let periodPage = try await store.operations(OperationQuery(participant: tradeW, from: tradeTime(100), to: tradeTime(300), limit: 3))
            let rest = try await store.operations(OperationQuery(participant: tradeW, from: tradeTime(100), to: tradeTime(300),
                                                                 after: periodPage.last, limit: 3))
            #expect(periodPage.items + rest.items == period.items && rest.items.count == 1)
            #expect(try await store.operations(OperationQuery(participant: tradeR)).items.map(\.kind) == [.accountCreated])
            #expect(try await store.operations(OperationQuery(participant: importerC)).items.isEmpty)
        }
    }

    @Test("codeOperations: issued, activated, packed, orders saved, cancelled, signed, written off; oldest first, each with who did it", arguments: tradeBackends)
    func codeOperations(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            // Given codes recorded by the factory and activated by the registrar acting for A (cl. 24(2)), one left issued
            let codes = try await seedCodes(store, 3, to: producerA, prefix: "QZA", inactive: 1, at: tradeTime(-1000), activatedBy: registrarBIN)
            _ = try await store.writeOff(WriteOffCommand(participant: nil, requester: registrarBIN, writtenOffAt: tradeTime(-800), reason: "damaged",
                                                         items: [.code(text: codes[2], code: StampCode(trusted: codes[2]), activatedAt: tradeTime(),
                                                                       productCode: "")]))
            try await pack(store, [(.casePacked, tradeUnit(1), stampCodes(Array(codes[0..<2])))], at: tradeTime(-500))
            let cancelled = try await store.saveOrder(orderCommand("C-1", codes: [codes[0]], at: tradeTime(-100))).value
            _ = try await store.cancelOrder(id: cancelled.id, actor: producerA, reason: "typo", at: tradeTime(-90))
            let order = try await store.saveOrder(orderCommand("C-2", codes: [codes[0]], at: tradeTime(0))).value
            _ = try await store.signOrder(counterCommand(order, at: tradeTime(10)))
            let operations = try await store.codeOperations(StampCode(trusted: codes[0]))
            #expect(operations.map(\.kind) == [.codesIssued, .activated, .casePacked, .orderSaved, .orderCancelled, .orderSaved, .transferred, .received])
            #expect(operations.map(\.at) == [tradeTime(-1000), tradeTime(-999), tradeTime(-500), tradeTime(-100), tradeTime(-90), tradeTime(0),
                                             tradeTime(10), tradeTime(10)])
            #expect(operations[0].reference == "WB-QZA" && operations[2].reference == tradeUnit(1).rawValue)
            #expect(operations[0].actor == factoryBIN && operations[1].actor == registrarBIN && operations[2].actor == producerA)
            #expect(try await store.codeOperations(StampCode(trusted: codes[2])).map { "\($0.kind.rawValue) by \($0.actor)" }
                == ["codesIssued by \(factoryBIN)", "writtenOff by \(registrarBIN)"])
            #expect(operations[6].participant == producerA && operations[7].participant == tradeW && operations[7].actor == tradeW)
            #expect(operations[7].document?.kind == "counterOrder" && operations[5].document?.kind == "order")
            #expect(try await store.codeOperations(StampCode(trusted: makeCode("QZN", 1))).isEmpty)
        }
    }

    @Test("accountExtract: codes by status, orders by side and status, applications, last operation", arguments: tradeBackends)
    func accountExtract(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            // Given A with 10 codes: 2 issued, 1 of them written off; 8 activated, of which 3 sold to W, 2 pending to W, 1 cancelled
            let codes = try await seedCodes(store, 10, to: producerA, prefix: "QZA", inactive: 2)
            _ = try await store.writeOff(WriteOffCommand(participant: producerA, requester: producerA, writtenOffAt: tradeTime(-10), reason: "damaged",
                                                         items: [.code(text: codes[9], code: StampCode(trusted: codes[9]), activatedAt: tradeTime(),
                                                                       productCode: "")]))
            let sold = try await store.saveOrder(orderCommand("A-1", codes: Array(codes[0..<3]))).value
            _ = try await store.signOrder(counterCommand(sold))
            _ = try await store.saveOrder(orderCommand("A-2", codes: Array(codes[3..<5]), at: tradeTime(70)))
            let cancelled = try await store.saveOrder(orderCommand("A-3", codes: [codes[5]], at: tradeTime(80))).value
            _ = try await store.cancelOrder(id: cancelled.id, actor: producerA, reason: "no", at: tradeTime(90))
            // And W sold one of its three on to R
            let onward = try await store.saveOrder(orderCommand("W-1", seller: tradeW, buyer: tradeR, codes: [codes[0]], at: tradeTime(100))).value
            _ = try await store.signOrder(counterCommand(onward, at: tradeTime(110)))
            _ = try await store.submitApplication(applicationCommand("APP-1"))
            _ = try await store.submitApplication(applicationCommand("APP-2"))
            _ = try await store.decideApplication(ApplicationDecisionCommand(applicant: producerA, number: "APP-2",
                                                                             decision: ApplicationDecision(decision: .approve), actor: registrarBIN,
                                                                             at: tradeTime(120)))
            // Then A's extract
            let a = try #require(try await store.accountExtract(producerA, now: tradeTime(200)))
            #expect(a.account.participant == producerA && a.generatedAt == tradeTime(200))
            #expect(a.codes == AccountCodeCounts(issued: 1, produced: 5, active: 0, transferred: 3, writtenOff: 1, inPendingOrders: 2))
            #expect(a.ordersAsSeller == ["signed": 1, "pending": 1, "cancelled": 1] && a.ordersAsBuyer.isEmpty)
            #expect(a.applications == ["submitted": 1, "approved": 1])
            #expect(a.lastOperation?.kind == .applicationApproved && a.lastOperation?.at == tradeTime(120))
            // And W's: two active, one transferred on
            let w = try #require(try await store.accountExtract(tradeW, now: tradeTime(200)))
            #expect(w.codes == AccountCodeCounts(issued: 0, produced: 0, active: 2, transferred: 1, writtenOff: 0, inPendingOrders: 0))
            #expect(w.ordersAsBuyer == ["signed": 1, "pending": 1, "cancelled": 1] && w.ordersAsSeller == ["signed": 1])
            #expect(w.lastOperation?.kind == .transferred && w.applications.isEmpty)
            let r = try #require(try await store.accountExtract(tradeR, now: tradeTime(200)))
            #expect(r.codes.active == 1 && r.codes.transferred == 0 && r.lastOperation?.kind == .received)
            #expect(try await store.accountExtract(importerC, now: tradeTime(200)) == nil)
        }
    }

    @Test("report submissions are stored with their document and logged", arguments: tradeBackends)
    func reportSubmission(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            let submission = ReportSubmission(participant: producerA, form: .app9, month: ReportingMonth("2026-11")!, received: 10, activated: 8)
            let difference = ReportDifference(column: "activated", submitted: 8, registrar: 7)
            let command = ReportSubmissionCommand(id: "rs-1", submission: submission,
                                                  document: signedRecord("report", producerA, digest: fakeDigest("report")), actor: producerA,
                                                  result: .differs, differences: [difference], at: tradeTime(5))
            let result = try await store.recordReportSubmission(command)
            #expect(result.result == .differs && result.differences == [difference] && result.signature == command.document.summary)
            let last = try await store.operations(OperationQuery(participant: producerA)).items.last
            #expect(last?.kind == .reportSubmitted && last?.reference == "rs-1" && last?.detail == "app9 2026-11: differs")
            #expect(last?.document == command.document.reference)
        }
    }

    // MARK: Races

    @Test("races: two counter-orders on one order, exactly one signs; two orders of overlapping codes, exactly one saves; a re-send during the first is a replay; signing against expiring, exactly one wins",
          arguments: tradeBackends)
    func races(_ backend: TestBackend) async throws {
        try await withTradeStore(backend) { store in
            try await seedAccounts(store)
            let rounds = 12
            let codes = try await seedCodes(store, rounds * 8, to: producerA, prefix: "QZA")
            for round in 0..<rounds {
                let mine = Array(codes[(round * 8)..<(round * 8 + 8)])
                // Two counter-orders on one order
                let order = try await store.saveOrder(orderCommand("S-\(round)", codes: Array(mine[0..<2]))).value
                async let first = Self.outcome { try await store.signOrder(counterCommand(order, at: tradeTime(60), document: "1 ")) }
                async let second = Self.outcome { try await store.signOrder(counterCommand(order, at: tradeTime(61), document: "2 ")) }
                let signs = await [first, second]
                #expect(signs.filter { $0 == "ok" }.count == 1 && signs.filter { $0 == ErrorCode.invalidState.rawValue }.count == 1, "\(signs)")
                #expect(try await store.operations(OperationQuery(participant: tradeW)).items
                    .filter { $0.kind == .received && $0.reference == order.id }.count == 1)
                #expect(try await store.orderDocuments(id: order.id).count == 2)

                // Two orders sharing one code (in opposite orders, so the rows are locked in the opposite order of naming)
                async let left = Self.outcome { try await store.saveOrder(orderCommand("P-\(round)", codes: [mine[2], mine[3], mine[4]])) }
                async let right = Self.outcome {
                    try await store.saveOrder(orderCommand("Q-\(round)", buyer: producerB, codes: [mine[5], mine[4]]))
                }
                let saves = await [left, right]
                #expect(saves.filter { $0 == "ok" }.count == 1 && saves.filter { $0 == ErrorCode.codesPending.rawValue }.count == 1, "\(saves)")
                let pendingIn = try await store.holdings(StampCode(trusted: mine[4]))?.pendingOrder
                let winner = try await store.orders(OrderQuery(participant: producerA, status: .pending)).items
                #expect(winner.count == 1 && winner.first?.id == pendingIn)
                #expect(try await store.holdings(StampCode(trusted: saves[0] == "ok" ? mine[5] : mine[2]))?.pendingOrder == nil, "the loser wrote nothing")
                _ = try await store.cancelOrder(id: try #require(pendingIn), actor: producerA, reason: "race done", at: tradeTime(70))

                // The same order twice at once: one saves, the other is answered as a replay
                let twin = orderCommand("T-\(round)", codes: [mine[6]])
                async let once = store.saveOrder(twin)
                async let twice = store.saveOrder(twin)
                let twins = try await [once, twice]
                #expect(twins.filter(\.replayed).count == 1 && twins[0].value == twins[1].value)
                _ = try await store.cancelOrder(id: twin.id, actor: producerA, reason: "twins done", at: tradeTime(70))

                // Signing while the expiry job runs past the expiry: exactly one of them wins
                let racing = try await store.saveOrder(orderCommand("Z-\(round)", codes: [mine[7]], expiresAt: tradeTime(100))).value
                async let sign = Self.outcome { try await store.signOrder(counterCommand(racing, at: tradeTime(99))) }
                async let expire = store.expireOrders(now: tradeTime(100))
                let (signed, expired) = try await (sign, expire)
                #expect((signed == "ok") != expired.contains(racing.id), "signed: \(signed), expired: \(expired)")
                let status = try await store.order(id: racing.id)?.status
                #expect(status == (signed == "ok" ? .signed : .expired))
                if signed != "ok" { #expect(signed == ErrorCode.orderExpired.rawValue) }
            }
        }
    }

    @Test("PostgreSQL: an order number taken meanwhile by a writer that skips the key lock (unique violation 23505) is answered as a replay or a conflict")
    func uniqueViolationOnTheKey() async throws {
        let url = try await PostgresTestServer.shared.makeDatabase()
        let store = try PostgresRegistrarStore(url: url, poolSize: 4, logger: Logger(label: "postgres-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withRunningStore(store) {
            try await store.migrate()
            try await seedAccounts(store)
            let codes = try await seedCodes(store, 2, to: producerA, prefix: "QZA")
            for (index, replay) in [true, false].enumerated() {
                let number = "K-\(index)"
                // Given another writer's transaction holding an uncommitted order under A's number (it commits in 1.5 s)
                let script = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-key-\(UUID().uuidString).sql")
                try """
                    BEGIN;
                    WITH d AS (INSERT INTO signed_document (kind, participant, canonical, signature, digest, subject, certificate_serial, received_at)
                               VALUES ('order', '\(producerA)', '\\x00', '\\x00', '\(fakeDigest(number))', 'CN=other', '01', 0) RETURNING id)
                    INSERT INTO trade_order (id, number, seller, buyer, status, saved_at, expires_at, code_count, units, volume, price, seller_document, actor)
                    SELECT 'external-\(number)', '\(number)', '\(producerA)', '\(tradeW)', 'pending', 0, 1, 0, '[]', '1.000', '1.00', d.id, '\(producerA)' FROM d;
                    SELECT pg_sleep(1.5);
                    COMMIT;
                    """.write(to: script, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(at: script) }
                let other = try Self.psql(url, ["-v", "ON_ERROR_STOP=1", "-f", script.path])
                // (its insert is done once it sleeps)
                for _ in 0..<100 {
                    let sleeping = try Self.psqlOutput(url, """
                        SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(%' AND pid <> pg_backend_pid()
                        """)
                    if sleeping == "1" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                // When A saves its order under that number: the insert waits for the other commit, then violates the key
                let command = orderCommand(number, codes: [codes[index]], digest: replay ? fakeDigest(number) : fakeDigest("mine"))
                if replay {
                    // Then the same document is answered as the stored order
                    let stored = try await store.saveOrder(command)
                    #expect(stored.replayed && stored.value.id == "external-\(number)")
                } else {
                    // Then another document is a conflict
                    await #expect(throws: StoreError.idempotencyConflict("order \(number)")) { try await store.saveOrder(command) }
                }
                other.waitUntilExit()
                #expect(other.terminationStatus == 0)
                // And nothing of A's attempt was kept
                #expect(try await store.holdings(StampCode(trusted: codes[index]))?.pendingOrder == nil)
                #expect(try Self.psqlOutput(url, "SELECT count(*) FROM signed_document") == String(index + 1))
            }
        }
    }

    /// Starts `psql` on the database (output discarded).
    static func psql(_ url: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(PostgresTestServer.binDirectory()) + "/psql")
        process.arguments = ["-q", url] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// One value `psql` answers.
    static func psqlOutput(_ url: String, _ sql: String) throws -> String {
        let output = try PostgresTestServer.run(try #require(PostgresTestServer.binDirectory()) + "/psql", ["-qtA", url, "-c", sql], asPostgres: false)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// "ok", or the refusal's code, or the error.
    static func outcome<T>(_ body: () async throws -> T) async -> String {
        do {
            _ = try await body()
            return "ok"
        } catch StoreError.refused(let refusal) {
            return refusal.code.rawValue
        } catch {
            return "\(error)"
        }
    }
}
