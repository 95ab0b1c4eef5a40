import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LineAgentTesting
import LineCore
import QazAPI
import QazServer
@testable import RetailSimulator
import Testing

/// The whole till end against a real registrar (QazServer on SQLite, loopback): codes issued to a producer, activated
/// over HTTP, sold on to a shop, sold at its tills through the relay with the FDO's token, checked code by code.
@Suite("Against the real registrar: receipts through the relay redeem every sold code")
struct RegistrarIntegrationTests {
    static let producer = TaxpayerID.completing("97010100003")
    static let retailer = TaxpayerID.completing("95070722222")
    static let fdo = TaxpayerID.completing("93030300005")

    /// One request with a bearer token (Foundation's client: the test target links no NIOHTTP1 of its own).
    static func call(_ method: String, _ url: String, token: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// The producer's order to the shop and the shop's counter-order, recorded in the registrar's store as its routes
    /// would record them once the signatures were verified (this target links no signing PKI; TradeFlowTests covers
    /// the signed route). Afterwards the shop holds the codes, «Белсенді».
    static func transfer(_ codes: [String], store: any RegistrarStore) async throws {
        let trade = try #require(store as? any TradeStore)
        let now = Timestamp.now
        let order = SaleOrder(number: "SHOP-1", seller: producer, buyer: retailer, codes: codes, volumeLitres: "\(codes.count / 2).000",
                              price: "250000.00")
        let orderJSON = Array(try WireCoding.canonicalEncoder().encode(order))
        let orderDigest = Digests.hex(Digests.sha256(orderJSON))
        func record(_ kind: String, _ participant: TaxpayerID, _ canonical: [UInt8], digest: String) -> SignedRecord {
            SignedRecord(kind: kind, participant: participant, canonical: canonical, signature: [0x30, 0x00],
                         summary: SignatureSummary(subject: "CN=Test,OU=BIN\(participant)", iin: nil, bin: participant.rawValue, certificateSerial: "01",
                                                   signingTime: now, documentDigest: digest),
                         receivedAt: now)
        }
        let saved = try await trade.saveOrder(OrderCommand(
            id: UUID().uuidString.lowercased(), order: order, codes: codes.map { StampCode(trusted: $0) }, units: [],
            document: record("order", producer, orderJSON, digest: orderDigest), actor: producer, savedAt: now,
            expiresAt: Timestamp(milliseconds: now.milliseconds + 3 * 86_400_000)))
        let counter = CounterOrder(order: saved.value.id, seller: producer, buyer: retailer, orderDigest: orderDigest)
        let counterJSON = Array(try WireCoding.canonicalEncoder().encode(counter))
        let signed = try await trade.signOrder(CounterOrderCommand(
            orderId: saved.value.id, counterOrder: counter, document: record("counterOrder", retailer, counterJSON, digest: Digests.hex(Digests.sha256(counterJSON))),
            actor: retailer, at: now))
        #expect(signed.status == .signed && signed.codeCount == codes.count)
    }

    @Test("a shop's tills (one register offline for hours) sell through the relay; every sold code ends redeemed, every returned one not")
    func tillsAgainstRegistrar() async throws {
        let codes = stampCodes(120, prefix: "QZTL")
        try await withSeededRegistrar(codes: codes, producer: Self.producer) { url, producerToken, store in
            // Activated on the line, over HTTP.
            let activation = ActivationBatch(batchId: UUID(), lineId: "L1", equipmentId: "CAM-1",
                                             items: codes.map { ActivationItem(code: $0, activatedAt: .now, productCode: "DSN-0001") })
            let activated = try await Self.call("POST", url + "/v1/activations", token: producerToken, body: try WireCoding.encoder().encode(activation))
            #expect(activated.status == 200, "\(String(decoding: activated.body.prefix(300), as: UTF8.self))")
            let tokens = TokenService(store: store)
            let shopToken = try await tokens.issue(participant: Self.retailer, role: .retailer).token
            let fdoToken = try await tokens.issue(participant: Self.fdo, role: .fiscalDataOperator).token
            try await Self.transfer(codes, store: store)

            // The shop's tills through the relay, the relay to the registrar with the FDO's token.
            let sink = RegistrarReceiptSink(baseURL: url, token: fdoToken)
            let relay = FDORelay(sink: sink, configuration: RelayConfiguration(maxBatch: 20, recheckInterval: .milliseconds(50)), logger: quiet)
            var simulation = try TillSimulation(
                shop: try makeShop(codes, seller: Self.retailer), registers: (1...3).map { CashRegister.sample($0, seller: Self.retailer) },
                schedule: TillSchedule(length: .seconds(10 * 3600), visitsPerHour: 3, bottlesPerSale: 1...2, returnShare: 0.1,
                                       outages: [Outage(register: 2, start: .seconds(3600), length: .seconds(6 * 3600))], seed: 2026),
                logger: quiet)
            let summary: TillSummary
            do {
                summary = try await relay.withRunning { port in
                    try await withHTTPLink(port) { link in await simulation.run(via: link, relay: relay, settleTimeout: .seconds(60)) }
                }
                try await sink.shutdown()
            } catch {
                try? await sink.shutdown()
                throw error
            }

            let counts = try #require(summary.relay)
            #expect(summary.settled && summary.receipts > 40 && summary.autonomousReceipts > 0 && summary.returnReceipts > 0)
            #expect(counts.forwarded == summary.receipts && counts.states[.applied] == summary.receipts && counts.rejections.isEmpty,
                    "\(counts)")
            #expect(summary.codesRedeemed == summary.codesSold && summary.codesRestored == summary.codesReturned, "\(counts.outcomes)")
            #expect(counts.flags[.autonomous] == summary.autonomousReceipts && summary.maxOffline == .seconds(6 * 3600))
            #expect(!summary.expectedRedeemed.isEmpty)

            // Code by code, as the shop sees them.
            for code in codes {
                let answer = try await Self.call("GET", url + "/v1/codes/\(code)", token: shopToken)
                #expect(answer.status == 200, "\(code): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
                let info = try WireCoding.decoder().decode(CodeInfo.self, from: answer.body)
                #expect(info.status == (summary.expectedRedeemed.contains(code) ? .redeemed : .activated), "\(code)")
            }
            // The registrar's view of the register that was offline: everything applied, nothing waiting.
            let register = simulation.registers[2]
            let state = try await Self.call("GET", url + "/v1/fdo/registers/\(register.registrationNumber)", token: fdoToken)
            let seen = try WireCoding.decoder().decode(CashRegisterState.self, from: state.body)
            #expect(seen.lastApplied == register.nextNumber - 1 && seen.waiting.isEmpty && seen.gaps.isEmpty && seen.operatorID == Self.fdo)
        }
    }
}
