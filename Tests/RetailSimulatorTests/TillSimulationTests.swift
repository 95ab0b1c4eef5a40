import Foundation
import LineCore
import QazAPI
@testable import RetailSimulator
import Testing

@Suite("Till simulation: hours of trade in simulated time, through the relay, reconciled against the sink")
struct TillSimulationTests {
    static func holdings(_ codes: [String]) -> [String: TaxpayerID] {
        Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) })
    }

    /// Per code, the operations of the receipts that carry it, in the order the sink applied them.
    static func history(_ sink: InMemoryReceiptSink) async -> [String: [ReceiptOperation]] {
        var history: [String: [ReceiptOperation]] = [:]
        let applied = await sink.applied
        let receipts = await sink.receipts
        var ordered: [(Int, FiscalReceipt)] = []
        for (register, numbers) in applied {
            let byNumber = Dictionary(uniqueKeysWithValues: (receipts[register] ?? []).map { ($0.number, $0) })
            ordered += numbers.enumerated().map { ($0.offset, byNumber[$0.element]!) }
        }
        // Times order receipts across registers (a register's own are in number order already).
        for (_, receipt) in ordered.sorted(by: { ($0.1.dateTime, $0.1.number) < ($1.1.dateTime, $1.1.number) }) {
            for line in receipt.lines {
                for marking in line.markingCodes { history[MarkingCodes.code(in: marking)!, default: []].append(receipt.operation) }
            }
        }
        return history
    }

    @Test("a day with an outage: every sale and return applied, autonomous receipts in order, sold minus returned = redeemed")
    func dayWithOutage() async throws {
        let codes = stampCodes(600)
        let sink = InMemoryReceiptSink(holdings: Self.holdings(codes))
        let relay = FDORelay(sink: sink, configuration: RelayConfiguration(maxBatch: 25), logger: quiet)
        let registers = (1...3).map { CashRegister.sample($0, seller: shopBIN) }
        var simulation = try TillSimulation(
            shop: try makeShop(codes), registers: registers,
            schedule: TillSchedule(start: at(hours: 0), length: .seconds(12 * 3600), visitsPerHour: 12, returnShare: 0.08,
                                   outages: [Outage(register: 1, start: .seconds(2 * 3600), length: .seconds(5 * 3600))], seed: 42),
            logger: quiet)
        let summary = try await relay.withRunning { _ in await simulation.run(via: relay, relay: relay) }

        #expect(summary.settled && summary.receipts > 300 && summary.returnReceipts > 0 && summary.autonomousReceipts > 0)
        #expect(summary.maxOffline == .seconds(5 * 3600) && summary.stillAutonomous == 0 && summary.blockedVisits == 0 && summary.refused == 0)
        #expect(summary.receipts == summary.saleReceipts + summary.returnReceipts)
        let counts = try #require(summary.relay)
        #expect(counts.forwarded == summary.receipts && counts.states[.applied] == summary.receipts && counts.receivedAutonomous == summary.autonomousReceipts)
        #expect(summary.codesRedeemed == summary.codesSold && summary.codesRestored == summary.codesReturned)
        #expect(summary.codesRedeemed - summary.codesRestored == summary.expectedRedeemed.count)
        #expect(await sink.redeemedCodes == summary.expectedRedeemed)
        // Each register's receipts applied 1, 2, 3… with no gap.
        for register in registers {
            let applied = await sink.applied[register.registrationNumber] ?? []
            #expect(applied == Array(1...applied.count))
        }
        let cutOff = await sink.receipts[registers[1].registrationNumber] ?? []
        #expect(cutOff.contains { $0.autonomous })
        // Marking codes were sent both ways.
        let markings = (await sink.receipts).values.flatMap { $0 }.flatMap(\.lines).flatMap(\.markingCodes)
        #expect(markings.contains { $0.hasPrefix("https://") } && markings.contains { !$0.hasPrefix("https://") })
    }

    @Test("no bottle sold twice: sales and returns of each code alternate, starting with a sale")
    func neverSoldTwice() async throws {
        let codes = stampCodes(80)  // few bottles, many customers: the shelf runs out and returns refill it
        let sink = InMemoryReceiptSink(holdings: Self.holdings(codes))
        let relay = FDORelay(sink: sink, logger: quiet)
        var simulation = try TillSimulation(
            shop: try makeShop(codes), registers: (1...2).map { CashRegister.sample($0, seller: shopBIN) },
            schedule: TillSchedule(start: at(hours: 0), length: .seconds(10 * 3600), visitsPerHour: 30, returnShare: 0.25, seed: 9), logger: quiet)
        let summary = try await relay.withRunning { _ in await simulation.run(via: relay, relay: relay) }
        #expect(summary.settled && summary.emptyShelf > 0 && summary.returnReceipts > 0)
        let history = await Self.history(sink)
        for (code, operations) in history {
            let alternating = operations.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 0 ? .sale : .saleReturn) }
            #expect(alternating, "\(code): \(operations)")
            #expect((operations.last == .sale) == summary.expectedRedeemed.contains(code))
        }
        #expect(summary.relay?.outcomes[.alreadyRedeemed] == nil && summary.relay?.outcomes[.notSold] == nil)
        #expect(await sink.redeemedCodes == summary.expectedRedeemed)
        #expect(simulation.shop.stock.count + summary.expectedRedeemed.count == codes.count)
    }

    @Test("returns at an autonomous register stay off the shelf until it reconnects: no re-sale overtakes a return")
    func returnsWhileAutonomous() async throws {
        let codes = stampCodes(40)  // a small shelf: returned bottles are soon sold again
        let sink = InMemoryReceiptSink(holdings: Self.holdings(codes))
        let relay = FDORelay(sink: sink, logger: quiet)
        var simulation = try TillSimulation(
            shop: try makeShop(codes), registers: (1...2).map { CashRegister.sample($0, seller: shopBIN) },
            schedule: TillSchedule(start: at(hours: 0), length: .seconds(10 * 3600), visitsPerHour: 12, bottlesPerSale: 1...2, returnShare: 0.35,
                                   outages: [Outage(register: 0, start: .seconds(3600), length: .seconds(8 * 3600))], seed: 17),
            logger: quiet)
        let summary = try await relay.withRunning { _ in await simulation.run(via: relay, relay: relay) }
        let counts = try #require(summary.relay)
        #expect(summary.settled && summary.autonomousReceipts > 0 && summary.emptyShelf > 0)
        let autonomousReturns = (await sink.receipts[simulation.registers[0].registrationNumber] ?? []).filter { $0.autonomous && $0.operation == .saleReturn }
        #expect(!autonomousReturns.isEmpty)
        #expect(counts.outcomes[.alreadyRedeemed] == nil && counts.outcomes[.notSold] == nil, "\(counts.outcomes)")
        #expect(await sink.redeemedCodes == summary.expectedRedeemed)
    }

    @Test("an outage over 72 hours: the register blocks and turns customers away, then sends everything when the link returns")
    func longOutage() async throws {
        let codes = stampCodes(1_000)
        let sink = InMemoryReceiptSink(holdings: Self.holdings(codes))
        let relay = FDORelay(sink: sink, logger: quiet)
        var simulation = try TillSimulation(
            shop: try makeShop(codes), registers: [CashRegister.sample(1, seller: shopBIN)],
            schedule: TillSchedule(start: at(hours: 0), length: .seconds(100 * 3600), visitsPerHour: 4, returnShare: 0,
                                   outages: [Outage(register: 0, start: .seconds(3600), length: .seconds(80 * 3600))], seed: 5),
            logger: quiet)
        let summary = try await relay.withRunning { _ in await simulation.run(via: relay, relay: relay) }
        #expect(summary.settled && summary.blockedVisits > 0 && summary.maxOffline == .seconds(80 * 3600))
        let receipts = await sink.receipts[simulation.registers[0].registrationNumber] ?? []
        let autonomous = receipts.filter(\.autonomous)
        #expect(!autonomous.isEmpty && autonomous.allSatisfy { $0.dateTime <= "2026-11-23T11:00:00" })  // ≤ 72 h after the loss at 11:00
        #expect(receipts.last.map { !$0.autonomous } == true && receipts.map(\.number) == Array(1...receipts.count))
        #expect(await sink.redeemedCodes == summary.expectedRedeemed)
    }

    @Test("a register cut off at the end keeps its receipts when told not to reconnect")
    func stillAutonomousAtEnd() async throws {
        let codes = stampCodes(100)
        let relay = FDORelay(sink: InMemoryReceiptSink(holdings: Self.holdings(codes)), logger: quiet)
        var simulation = try TillSimulation(
            shop: try makeShop(codes), registers: [CashRegister.sample(1, seller: shopBIN)],
            schedule: TillSchedule(start: at(hours: 0), length: .seconds(4 * 3600), visitsPerHour: 10, returnShare: 0,
                                   outages: [Outage(register: 0, start: .seconds(3600), length: .seconds(10 * 3600))],
                                   reconnectAtEnd: false, seed: 2),
            logger: quiet)
        let summary = try await relay.withRunning { _ in await simulation.run(via: relay, relay: relay) }
        #expect(summary.stillAutonomous == 1 && summary.maxOffline == .seconds(3 * 3600))
        #expect(simulation.registers[0].accumulator.count == summary.autonomousReceipts && summary.autonomousReceipts > 0)
        #expect(summary.relay?.received == summary.receipts - summary.autonomousReceipts)
    }

    @Test("over HTTP: the same day through HTTPFDOLink to the relay on loopback")
    func overHTTP() async throws {
        let codes = stampCodes(200)
        let sink = InMemoryReceiptSink(holdings: Self.holdings(codes))
        let relay = FDORelay(sink: sink, logger: quiet)
        var simulation = try TillSimulation(
            shop: try makeShop(codes), registers: (1...2).map { CashRegister.sample($0, seller: shopBIN) },
            schedule: TillSchedule(start: at(hours: 0), length: .seconds(6 * 3600), visitsPerHour: 8,
                                   outages: [Outage(register: 0, start: .seconds(3600), length: .seconds(2 * 3600))], seed: 11),
            logger: quiet)
        let summary = try await relay.withRunning { port in
            try await withHTTPLink(port) { link in await simulation.run(via: link, relay: relay) }
        }
        #expect(summary.settled && summary.autonomousReceipts > 0 && summary.relay?.forwarded == summary.receipts)
        #expect(await sink.redeemedCodes == summary.expectedRedeemed)
    }

    @Test("set-up refusals name what is wrong")
    func setUp() throws {
        let shop = try makeShop(stampCodes(3))
        #expect(throws: TillError.noRegisters) { try TillSimulation(shop: shop, registers: [], schedule: TillSchedule(), logger: quiet) }
        #expect(throws: TillError.registerOfAnotherSeller("620000000001")) {
            try TillSimulation(shop: shop, registers: [CashRegister.sample(1, seller: otherBIN)], schedule: TillSchedule(), logger: quiet)
        }
        #expect(throws: TillError.invalidSchedule("outages[0].register: no register 4")) {
            try TillSimulation(shop: shop, registers: [CashRegister.sample(1, seller: shopBIN)],
                               schedule: TillSchedule(outages: [Outage(register: 4, start: .zero, length: .seconds(1))]), logger: quiet)
        }
    }
}
