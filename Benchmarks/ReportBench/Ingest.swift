// report-bench --ingest: activation ingest on PostgreSQL over loopback HTTP (4 producers' clients, like api-bench on
// SQLite), printed side by side with the bare rate of the same statements the PostgreSQL store runs per batch (claim
// the batch id, read the codes FOR UPDATE, update them with unnest, upsert the counter, store the compact results)
// in one loop on one connection, no HTTP, no JSON. Both runs start from identical databases (the second is a
// `CREATE DATABASE … TEMPLATE` copy of the seeded one).
import ConfigKit
import Foundation
import Hummingbird
import LineCore
import Logging
import NIOCore
import PostgresNIO
import QazAPI
import QazClient
import QazServer
import ServiceLifecycle

func producerBIN(_ index: Int) -> TaxpayerID { bin(97010110000 + index) }
func code(_ client: Int, _ n: Int) -> String { "QZ\(client)" + String(format: "%017d", n) }

func ingest(url: String, codes total: Int, clients: Int, batch: Int) async throws {
    var logger = Logger(label: "report-bench")
    logger.logLevel = .error
    let perClient = total / clients
    let activatedAt = Timestamp(text: "2026-11-21T22:10:05+05:00")!
    print("ingest-bench (PostgreSQL): \(perClient * clients) issued codes, \(clients) clients × \(batch)-code batches, loopback HTTP 127.0.0.1")
    guard var components = URLComponents(string: url) else { fatalError("bad url") }
    let database = String(components.path.dropFirst())
    let bareDatabase = database + "_bare"

    // Seed through the store (waybills of 100,000 codes), then copy the database.
    var clock = ContinuousClock.now
    do {
        let store = try PostgresRegistrarStore(url: url, poolSize: 2, logger: logger)
        try await withRunningStore(store) {
        try await store.migrate()
        let seeder = RegistrarServer(store: store)
        for client in 0..<clients {
            var start = 0
            while start < perClient {
                let count = min(100_000, perClient - start)
                let series = StampSeries("S\(client)")!
                let waybill = WaybillRequest.consecutive(
                    number: "WB-\(client)-\(start)", date: CalendarDate("2026-11-02")!,
                    application: ApplicationReference(number: "A-\(client)", date: CalendarDate("2026-10-30")!),
                    recipient: Recipient(bin: producerBIN(client), name: "Producer \(client)"),
                    product: WaybillProduct(name: "Vodka", type: "vodka", capacityMl: 500), series: series, first: start + 1,
                    codes: (0..<count).map { code(client, start + $0) })!
                _ = try await store.recordWaybill(try seeder.command(for: waybill))
                start += count
            }
        }
        try await store.client.query("VACUUM ANALYZE", logger: logger)
        }
        components.path = "/postgres"
        let admin = try PostgresRegistrarStore(url: components.string!, poolSize: 1, logger: logger)
        try await withRunningStore(admin) {
            try await admin.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(bareDatabase)"), logger: logger)
            try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(bareDatabase) TEMPLATE \(database)"), logger: logger)
        }
    }
    print(String(format: "seed:  %.1f s (two identical databases)", clock.duration(to: .now).inSeconds))

    // HTTP run
    let store = try PostgresRegistrarStore(url: url, poolSize: clients * 2, logger: logger)
    let (httpElapsed, latencies, httpActivated) = try await withRunningStore(store) {
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    limits.maxBodySize = .init(bytes: 64 << 20)
    let server = RegistrarServer(store: store, limits: limits)
    var tokens = [String]()
    for client in 0..<clients { tokens.append(try await TokenService(store: store).issue(participant: producerBIN(client), role: .producer).token) }
    let issued = tokens
    return try await server.withLoopbackServer(logger: logger) { port, _ in
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for client in 0..<clients {
                group.addTask {
                    let api = try QazAPIClient(configuration: QazClientConfiguration(
                        baseURL: "http://127.0.0.1:\(port)", token: issued[client], requestTimeout: .seconds(120),
                        requestsPerSecond: 10_000, burst: 10_000, maxAttempts: 1), logger: Logger(label: "bench"))
                    var latencies = [Double](), activated = 0, next = 0
                    while next < perClient {
                        let count = min(batch, perClient - next)
                        let items = (next..<next + count).map { ActivationItem(code: code(client, $0), activatedAt: activatedAt, productCode: "DSN-1") }
                        let sent = ContinuousClock.now
                        let (receipt, _) = try await api.activate(ActivationBatch(batchId: UUID(), lineId: "line-\(client)", equipmentId: "cam", items: items))
                        latencies.append(sent.duration(to: .now).inSeconds * 1000)
                        activated += receipt.summary.activated
                        next += count
                    }
                    try await api.shutdown()
                    return (latencies, activated)
                }
            }
            var all = [Double](), total = 0
            for try await (l, a) in group { all += l; total += a }
            return (all, total)
        }
        let elapsed = start.duration(to: .now).inSeconds
        return (elapsed, results.0.sorted(), results.1)
    }
    }
    let httpRate = Double(httpActivated) / httpElapsed
    print(String(format: "HTTP:  %d activated in %.2f s = %.0f activations/s; batch latency p50 %.1f ms, p99 %.1f ms (%d batches)",
                 httpActivated, httpElapsed, httpRate, percentile(ofSorted: latencies, 0.5), percentile(ofSorted: latencies, 0.99), latencies.count))

    // Bare loop: the store's statements, one connection, no HTTP, no JSON.
    components.path = "/" + bareDatabase
    let bare = try PostgresRegistrarStore(url: components.string!, poolSize: 1, logger: logger)
    var bareActivated = 0
    try await withRunningStore(bare) {
    clock = ContinuousClock.now
    for client in 0..<clients {
        let participant = producerBIN(client).rawValue
        var next = 0
        while next < perClient {
            let count = min(batch, perClient - next)
            let texts = (next..<next + count).map { code(client, $0) }
            bareActivated += try await bare.client.withConnection { c -> Int in
                try await c.query("BEGIN", logger: logger)
                let batchText = UUID().uuidString.lowercased()
                let claimed = try await c.query("""
                    INSERT INTO activation_batch (batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results)
                    VALUES (\(batchText), \(participant), 'line', 'cam', \(ByteBuffer(bytes: [UInt8](repeating: 0, count: 32))), \(count),
                            \(activatedAt.milliseconds), ''::bytea) ON CONFLICT (batch_id) DO NOTHING RETURNING id
                    """, logger: logger).collect()
                let batchRow = try claimed[0].decode(Int64.self)
                var ids = [Int64](), results = [ActivationResult]()
                for row in try await c.query("""
                    SELECT code, id, owner_bin, status, activated_at, series, number FROM code WHERE code = ANY(\(texts)::text[]) ORDER BY id FOR UPDATE
                    """, logger: logger).collect() {
                    let (text, id, owner, status, _, _, _) = try row.decode((String, Int64, String, String, Int64?, String, Int64).self)
                    guard owner == participant, status == "issued" else { continue }
                    ids.append(id)
                    results.append(ActivationResult(code: text, result: .activated, activatedAt: activatedAt))
                }
                try await c.query("""
                    UPDATE code SET status = 'activated', product_code = u.p, activated_at = u.t, activation_batch = \(batchRow)
                    FROM unnest(\(ids)::int8[], \([String](repeating: "DSN-1", count: ids.count))::text[],
                                \([Int64](repeating: activatedAt.milliseconds, count: ids.count))::int8[]) AS u(id, p, t) WHERE code.id = u.id
                    """, logger: logger)
                try await c.query("""
                    INSERT INTO monthly_counter (participant_bin, month, activated) VALUES (\(participant), '2026-11', \(Int64(ids.count)))
                    ON CONFLICT (participant_bin, month) DO UPDATE SET activated = monthly_counter.activated + excluded.activated
                    """, logger: logger)
                try await c.query("UPDATE activation_batch SET results = \(ByteBuffer(bytes: ReceiptCodec.encode(results))) WHERE id = \(batchRow)",
                                  logger: logger)
                try await c.query("COMMIT", logger: logger)
                return ids.count
            }
            next += count
        }
    }
    }
    let bareElapsed = clock.duration(to: .now).inSeconds
    let bareRate = Double(bareActivated) / bareElapsed
    print(String(format: "bare:  %d activated in %.2f s = %.0f activations/s (same statements in one loop on one connection, no HTTP, no JSON)",
                 bareActivated, bareElapsed, bareRate))
    print(String(format: "ratio: HTTP / bare = %.2f (goal ≥ 0.60)", httpRate / bareRate))
}
