// api-bench: activation ingest over loopback HTTP against the same storage work done by a bare SQLite loop.
//
//   swift run -c release --scratch-path .build-api api-bench                      # 2,000,000 codes, 4 clients, 5,000/batch
//   swift run -c release --scratch-path .build-api api-bench --codes 200000 --clients 2 --batch 1000
//
// Both runs start from identical databases holding the issued codes (seeded once, copied with VACUUM INTO).
// HTTP run: a registrar on 127.0.0.1 (ephemeral port); each client is one producer that activates its own codes in
// batches over QazClient. Bare run: one loop doing the statements the SQLite store runs per batch (claim the batch
// id, look up and update each code, bump the monthly counter, store the compact results), no HTTP and no JSON.
import ConfigKit
import Foundation
import GRDB
import Hummingbird
import LineCore
import Logging
import QazAPI
import QazClient
import QazServer
import ServiceLifecycle

struct Options {
    var codes = 2_000_000
    var clients = 4
    var batch = 5_000
    var directory: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--codes": codes = Int(value) ?? codes
            case "--clients": clients = Int(value) ?? clients
            case "--batch": batch = Int(value) ?? batch
            case "--dir": directory = value
            default:
                print("usage: api-bench [--codes N] [--clients N] [--batch N] [--dir DIR]")
                exit(2)
            }
        }
    }
}

func producerBIN(_ index: Int) -> TaxpayerID {
    var digits = Array("9701011\(String(format: "%04d", index))").map { Int(String($0))! }
    while TaxpayerID.checkDigit(digits) == nil { digits[10] = (digits[10] + 1) % 10 }
    return TaxpayerID(digits.map(String.init).joined() + String(TaxpayerID.checkDigit(digits)!))!
}

func code(_ client: Int, _ n: Int) -> String { "QZ\(client)" + String(format: "%017d", n) }



let options = Options(CommandLine.arguments)
let perClient = options.codes / options.clients
let directory = URL(fileURLWithPath: options.directory ?? NSTemporaryDirectory()).appendingPathComponent("api-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let httpPath = directory.appendingPathComponent("http.sqlite").path
let barePath = directory.appendingPathComponent("bare.sqlite").path
let activatedAt = Timestamp(text: "2026-11-21T22:10:05+05:00")!
print("api-bench: \(perClient * options.clients) issued codes, \(options.clients) clients × \(options.batch)-code batches, loopback HTTP 127.0.0.1")

// MARK: Seed
var clock = ContinuousClock.now
let store = try SQLiteRegistrarStore(path: httpPath)
try await store.migrate()
let seeder = RegistrarServer(store: store)
let chunk = 100_000
for client in 0..<options.clients {
    var start = 0
    while start < perClient {
        let count = min(chunk, perClient - start)
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
do {
    let copy = try DatabaseQueue(path: httpPath)
    try copy.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [barePath]) }
    try copy.close()
}
print(String(format: "seed:  %.1f s (two identical databases)", clock.duration(to: .now).inSeconds))

// MARK: HTTP run
var limits = LimitsConfiguration()
limits.requestsPerSecond = 100_000
limits.burst = 100_000
limits.maxBodySize = .init(bytes: 64 << 20)
let server = RegistrarServer(store: store, limits: limits)
var issuedTokens = [String]()
for client in 0..<options.clients {
    issuedTokens.append(try await TokenService(store: store).issue(participant: producerBIN(client), role: .producer).token)
}
let tokens = issuedTokens
var logger = Logger(label: "api-bench")
logger.logLevel = .warning
let (httpElapsed, latencies, httpActivated) = try await server.withLoopbackServer(logger: logger) { port, _ in
    let start = ContinuousClock.now
    let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { clients in
        for client in 0..<options.clients {
            clients.addTask {
                let api = try QazAPIClient(configuration: QazClientConfiguration(
                    baseURL: "http://127.0.0.1:\(port)", token: tokens[client], requestTimeout: .seconds(120),
                    requestsPerSecond: 10_000, burst: 10_000, maxAttempts: 1), logger: Logger(label: "bench"))
                var latencies = [Double]()
                var activated = 0
                var next = 0
                while next < perClient {
                    let count = min(options.batch, perClient - next)
                    let items = (next..<next + count).map { ActivationItem(code: code(client, $0), activatedAt: activatedAt, productCode: "DSN-1") }
                    let batch = ActivationBatch(batchId: UUID(), lineId: "line-\(client)", equipmentId: "cam-\(client)", items: items)
                    let sent = ContinuousClock.now
                    let (receipt, _) = try await api.activate(batch)
                    latencies.append(sent.duration(to: .now).inSeconds * 1000)
                    activated += receipt.summary.activated
                    next += count
                }
                try await api.shutdown()
                return (latencies, activated)
            }
        }
        var all = [Double]()
        var total = 0
        for try await (latencies, activated) in clients {
            all += latencies
            total += activated
        }
        return (all, total)
    }
    let elapsed = start.duration(to: .now).inSeconds
    return (elapsed, results.0.sorted(), results.1)
}
let httpRate = Double(httpActivated) / httpElapsed
print(String(format: "HTTP:  %d activated in %.2f s = %.0f activations/s; batch latency p50 %.1f ms, p99 %.1f ms (%d batches)",
             httpActivated, httpElapsed, httpRate, percentile(ofSorted: latencies, 0.5), percentile(ofSorted: latencies, 0.99), latencies.count))

// MARK: Bare loop
let bare = try DatabasePool(path: barePath, configuration: SQLiteRegistrarStore.configuration())
var bareActivated = 0
clock = ContinuousClock.now
for client in 0..<options.clients {
    let participant = producerBIN(client).rawValue
    var next = 0
    while next < perClient {
        let count = min(options.batch, perClient - next)
        let range = next..<next + count
        bareActivated += try bare.write { db -> Int in
            let batchID = UUID().uuidString.lowercased()
            _ = try Row.fetchOne(db, sql: "SELECT body_hash FROM activation_batch WHERE batch_id = ?", arguments: [batchID])
            try db.execute(sql: """
                INSERT INTO activation_batch (batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results)
                VALUES (?, ?, ?, ?, ?, ?, ?, x'')
                """, arguments: [batchID, participant, "line", "cam", Data(count: 32), count, activatedAt.milliseconds])
            let batchRow = db.lastInsertedRowID
            let lookup = try db.cachedStatement(sql: "SELECT id, owner_bin, status, activated_at FROM code WHERE code = ?")
            let update = try db.cachedStatement(sql: "UPDATE code SET status = 'activated', product_code = ?, activated_at = ?, activation_batch = ? WHERE id = ?")
            var results = [ActivationResult]()
            results.reserveCapacity(count)
            for n in range {
                let text = code(client, n)
                lookup.setUncheckedArguments([text])
                guard let row = try Row.fetchOne(lookup), (row[1] as String) == participant, (row[2] as String) == "issued" else { continue }
                update.setUncheckedArguments(["DSN-1", activatedAt.milliseconds, batchRow, row[0] as Int64])
                try update.execute()
                results.append(ActivationResult(code: text, result: .activated, activatedAt: activatedAt))
            }
            try db.execute(sql: """
                INSERT INTO monthly_counter (participant_bin, month, activated) VALUES (?, ?, ?)
                ON CONFLICT (participant_bin, month) DO UPDATE SET activated = activated + excluded.activated
                """, arguments: [participant, "2026-11", results.count])
            try db.execute(sql: "UPDATE activation_batch SET results = ? WHERE id = ?", arguments: [Data(ReceiptCodec.encode(results)), batchRow])
            return results.count
        }
        next += count
    }
}
let bareElapsed = clock.duration(to: .now).inSeconds
let bareRate = Double(bareActivated) / bareElapsed
print(String(format: "bare:  %d activated in %.2f s = %.0f activations/s (same statements in one loop, no HTTP, no JSON)",
             bareActivated, bareElapsed, bareRate))
print(String(format: "ratio: HTTP / bare = %.2f (goal ≥ 0.60)", httpRate / bareRate))
