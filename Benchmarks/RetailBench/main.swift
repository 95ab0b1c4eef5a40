// retail-bench: the registrar's retail throughput (issue 17: a national day's receipts, 1,000,000 marked lines a day,
// peaks 10× the average = 116 lines/s) against bare storage in the same run. On SQLite (a file in a temporary
// directory, WAL as the store opens it) and, given a URL, on PostgreSQL (a fresh database it creates and drops):
//
//   1. seed: 2×N activated codes held by one retailer — migrated through the store's public API, then the waybill, the
//      codes and the accounts INSERTed directly with SQL (fast; said in the output);
//   2. bare: the minimum writes of N redemptions — per line `UPDATE code SET redeemed_at, redeemed_by WHERE code = ?`
//      plus one `INSERT INTO redemption` — in transactions of one batch's lines, on a copy of the seeded database;
//   3. store: `RetailStore.recordReceipts` with N lines as receipts of K lines, B receipts per call, R registers each
//      numbering its receipts 1, 2, 3…, commands built as the HTTP layer builds them; every answer checked;
//   4. HTTP: a real `RegistrarServer` on 127.0.0.1, C clients (each its own registers) POSTing `/v1/fdo/receipts`
//      batches of the other N codes with AsyncHTTPClient; lines/s and the p50/p99 batch latency;
//   5. the verdict (a day's 1,000,000 lines in minutes, the headroom over the peak) and the database's growth per
//      million lines (what a year of retail costs on disk).
//
//   swift run -c release --scratch-path .build-api retail-bench [--lines N] [--lines-per-receipt K] [--receipts-per-batch B] [--registers R] [--clients C] [--postgres-url postgres://…]
//   scripts/with-postgres.sh swift run -c release --scratch-path .build-api retail-bench --postgres-url '$QAZ_PG_URL'
//
// Defaults: N = 200,000, K = 5 (the average receipt), B = 100, R = 50, C = 4.
import Foundation
import LineCore
import Logging
import QazAPI

let usage = "usage: retail-bench [--lines N] [--lines-per-receipt K] [--receipts-per-batch B] [--registers R] [--clients C] [--postgres-url postgres://…]"
var settings = Settings()
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard let value = arguments.next() else {
        print(usage)
        exit(2)
    }
    switch flag {
    case "--lines": settings.lines = Int(value) ?? 0
    case "--lines-per-receipt": settings.linesPerReceipt = Int(value) ?? 0
    case "--receipts-per-batch": settings.receiptsPerBatch = Int(value) ?? 0
    case "--registers": settings.registers = Int(value) ?? 0
    case "--clients": settings.clients = Int(value) ?? 0
    case "--postgres-url": settings.postgresURL = value
    default:
        print(usage)
        exit(2)
    }
}
for (name, value, range) in [("--lines", settings.lines, 1...100_000_000), ("--lines-per-receipt", settings.linesPerReceipt, 1...RetailLimits.maxLinesPerReceipt),
                             ("--receipts-per-batch", settings.receiptsPerBatch, 1...RetailLimits.maxReceiptsPerBatch),
                             ("--registers", settings.registers, 1...999_999_999), ("--clients", settings.clients, 1...256)]
    where !range.contains(value) {
    print("retail-bench: \(name) must be \(range.lowerBound)-\(range.upperBound)\n\(usage)")
    exit(2)
}
if settings.clients > settings.registers {
    print("retail-bench: --clients \(settings.clients) > --registers \(settings.registers): each client needs registers of its own")
    exit(2)
}

var logger = Logger(label: "retail-bench")
logger.logLevel = .error
print("retail-bench: \(grouped(settings.lines)) lines per phase = \(grouped(settings.receipts)) receipts of \(settings.linesPerReceipt) lines (one marked bottle each), \(settings.receiptsPerBatch) receipts per batch, \(settings.registers) registers; target: \(grouped(dailyLines)) lines a day, peak \(String(format: "%.0f", peakRate)) lines/s")

var ok = try await runSQLite(settings, logger: logger)
if let url = settings.postgresURL {
    ok = try await runPostgres(settings, url: url, logger: logger) && ok
} else {
    print("[postgres] skipped: pass --postgres-url (scripts/with-postgres.sh starts a throwaway server and passes it as '$QAZ_PG_URL')")
}
exit(ok ? 0 : 1)
