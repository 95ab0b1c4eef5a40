import LineCore
import Logging
import QazAPI
import QazServer

/// A real registrar for the agent's tests: QazServer on SQLite in memory, on 127.0.0.1 with a free port, with `codes`
/// issued to `producer` on one waybill. `body` gets the base URL, a producer token and the store; the server shuts
/// down gracefully afterwards, whether `body` returns or throws. `trade`: the trade half's settings (a verifier with
/// trust anchors for signed documents such as App. 9/10 submissions; by default none, so signed operations answer
/// `503 signatures_not_configured`).
public func withSeededRegistrar<T: Sendable>(codes: [String], producer: TaxpayerID, trade: TradeSettings = TradeSettings(),
                                             _ body: (_ url: String, _ token: String, _ store: any RegistrarStore) async throws -> T)
    async throws -> T
{
    let store = try SQLiteRegistrarStore()
    try await store.migrate()
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    let server = RegistrarServer(store: store, limits: limits, trade: trade)
    let waybill = WaybillRequest.consecutive(
        number: "WB-TEST-1", date: CalendarDate("2026-11-02")!, recipient: Recipient(bin: producer, name: "Test Distillery LLP"),
        product: WaybillProduct(name: "Vodka Test", type: "vodka", capacityMl: 500), series: StampSeries("AB")!, codes: codes)
    if let waybill { _ = try await store.recordWaybill(try server.command(for: waybill)) }
    let token = try await TokenService(store: store).issue(participant: producer, role: .producer).token
    var logger = Logger(label: "registrar-test")
    logger.logLevel = .warning
    return try await server.withLoopbackServer(logger: logger) { port, _ in
        try await body("http://127.0.0.1:\(port)", token, store)
    }
}
