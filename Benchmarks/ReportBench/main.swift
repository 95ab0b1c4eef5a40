// report-bench: the App. 10 report's latency over a registrar holding 10,000,000 activations, on SQLite and on
// PostgreSQL. Reports read only the monthly counters, so the benchmark seeds the counters that 10,000,000
// activations (plus issuance and write-offs) leave behind — 2,000 participants × 24 months, one participant holding
// 10,000,000 activations by itself — and times the report through `ReportService` (what the HTTP handler calls).
//
//   swift run -c release --scratch-path .build-api ReportBench [--postgres-url postgres://…] [--reports N]
//   swift run -c release --scratch-path .build-api ReportBench --ingest --postgres-url postgres://… [--codes N]  (Ingest.swift)
import Foundation
import GRDB
import LineCore
import Logging
import PostgresNIO
import QazAPI
import QazServer

func argument(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let index = args.firstIndex(of: name), index + 1 < args.count else { return nil }
    return args[index + 1]
}

func bin(_ n: Int) -> TaxpayerID {
    var digits = String(format: "%011ld", n).utf8.map { Int($0) - 48 }
    while TaxpayerID.checkDigit(digits) == nil { digits[10] = (digits[10] + 1) % 10 }
    return TaxpayerID(digits.map(String.init).joined() + String(TaxpayerID.checkDigit(digits)!))!
}

if CommandLine.arguments.contains("--ingest") {
    guard let url = argument("--postgres-url") else {
        print("usage: ReportBench --ingest --postgres-url postgres://… [--codes N] [--clients N] [--batch N]")
        exit(2)
    }
    try await ingest(url: url, codes: Int(argument("--codes") ?? "2000000")!, clients: Int(argument("--clients") ?? "4")!,
                     batch: Int(argument("--batch") ?? "5000")!)
    exit(0)
}

let participants = 2_000
let months = (0..<24).map { i in ReportingMonth(year: 2025 + i / 12, month: i % 12 + 1)! }
let big = bin(97010120000)
let reports = Int(argument("--reports") ?? "1000")!

/// The counter rows: the big participant's 10,000,000 activations spread over 24 months, and everyone else's.
func counterRows() -> [(String, String, Int64, Int64, Int64)] {
    var rows = [(String, String, Int64, Int64, Int64)]()
    for (i, month) in months.enumerated() {
        let activated: Int64 = i == months.count - 1 ? 10_000_000 - 416_666 * 23 : 416_666
        rows.append((big.rawValue, month.description, 450_000, activated, 1_000))
    }
    for p in 1..<participants {
        let who = bin(97010120000 + p * 10).rawValue
        for month in months { rows.append((who, month.description, 5_000, 4_500, 20)) }
    }
    return rows
}

func time(_ label: String, store: any RegistrarStore) async throws {
    let service = ReportService(store: store)
    let month = months[months.count - 1]
    var samples = [Double]()
    var last: QRUsageReport?
    for i in 0..<reports {
        let start = ContinuousClock.now
        last = try await service.usage(participant: i % 10 == 0 ? bin(97010120000 + (i % participants) * 10) : big, month: month)
        let d = start.duration(to: .now)
        samples.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }
    let big = try await service.usage(participant: big, month: month)
    samples.sort()
    let p = { (q: Double) in samples[min(samples.count - 1, Int(Double(samples.count) * q))] }
    print(String(format: "%@ App. 10 report over 10,000,000 activations: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d reports; goal < 50 ms)",
                 label, p(0.5), p(0.99), samples.last!, samples.count))
    let activatedTotal = try await store.monthlyCounters(participant: big.participant).reduce(0) { $0 + $1.activated }
    print("    \(big.participant) \(big.month): opening \(big.openingBalance), received \(big.received), used \(big.used), closing \(big.closingBalance); activations on record \(activatedTotal)")
    _ = last
}

let rows = counterRows()
print("report-bench: \(participants) participants × \(months.count) months of counters; \(big) alone holds \(10_000_000) activations")

// SQLite
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-bench-\(UUID().uuidString.prefix(8))")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }
let sqlitePath = dir.appendingPathComponent("registrar.sqlite").path
let sqlite = try SQLiteRegistrarStore(path: sqlitePath)
try await sqlite.migrate()
let queue = try DatabaseQueue(path: sqlitePath)
try queue.write { db in
    let insert = try db.makeStatement(sql: "INSERT INTO monthly_counter (participant_bin, month, received, activated, written_off) VALUES (?, ?, ?, ?, ?)")
    for r in rows { try insert.execute(arguments: [r.0, r.1, r.2, r.3, r.4]) }
}
try queue.close()
try await time("sqlite    ", store: sqlite)

// PostgreSQL
if let url = argument("--postgres-url") {
    var logger = Logger(label: "report-bench")
    logger.logLevel = .error
    let store = try PostgresRegistrarStore(url: url, poolSize: 4, logger: logger)
    try await withRunningStore(store) {
    try await store.migrate()
    try await store.client.withConnection { c in
        try await c.query("TRUNCATE monthly_counter", logger: logger)
        try await c.query("""
            INSERT INTO monthly_counter (participant_bin, month, received, activated, written_off)
            SELECT * FROM unnest(\(rows.map(\.0))::text[], \(rows.map(\.1))::text[], \(rows.map(\.2))::int8[], \(rows.map(\.3))::int8[], \(rows.map(\.4))::int8[])
            """, logger: logger)
        try await c.query("ANALYZE monthly_counter", logger: logger)
    }
    try await time("postgres  ", store: store)
    }
} else {
    print("postgres   skipped: pass --postgres-url (scripts/with-postgres.sh starts a throwaway server and passes it)")
}
