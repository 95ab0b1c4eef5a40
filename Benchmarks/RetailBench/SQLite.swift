// SQLite: a store file in a temporary directory (WAL, as SQLiteRegistrarStore opens it), seeded by direct SQL, and a
// file copy of it for the bare loop.
import Foundation
import GRDB
import LineCore
import Logging
import QazAPI
import QazServer

/// Seeds a migrated registrar database with `count` activated codes held by the retailer, a waybill and the accounts,
/// by direct SQL (fast; not the API's way to them).
func seedSQLite(path: String, count: Int) throws {
    let queue = try DatabaseQueue(path: path)
    let now = Timestamp.now.milliseconds
    try queue.write { db in
        try db.execute(sql: """
            INSERT INTO waybill (number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name,
                                 product_name, product_type, capacity_ml, quantity, recorded_at)
            VALUES ('WB-RETAIL-BENCH', x'00', '2026-11-02', '2026-11-02', '2026-11', 'A-RETAIL-BENCH', '2026-10-30', ?, 'Bench Distillery',
                    'Vodka', 'vodka', 500, ?, ?)
            """, arguments: [producer.rawValue, count, now])
        let waybill = db.lastInsertedRowID
        try db.execute(sql: "INSERT INTO waybill_range (waybill_id, series, first, last) VALUES (?, 'RB', 1, ?)", arguments: [waybill, count])
        try db.execute(sql: """
            WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?)
            INSERT INTO code (code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_seq, holder_bin)
            SELECT printf('RB%018d', i), 'RB', i + 1, ?, ?, 'activated', ?, ?, i + 1, ? FROM s
            """, arguments: [count, producer.rawValue, waybill, catalogueCode, now, retailer.rawValue])
        try db.execute(sql: "UPDATE activation_sequence SET last = ? WHERE id = 1", arguments: [count])
        try db.execute(sql: """
            INSERT INTO account (participant, name, kind, created_at) VALUES (?, 'Bench Distillery', 'producer', ?), (?, 'Bench Shop', 'retailer', ?)
            """, arguments: [producer.rawValue, now, retailer.rawValue, now])
    }
    try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    try queue.close()
}

/// Pages in use (page_count − freelist_count) × page_size: what the rows and indexes take, WAL included.
func sqliteUsedBytes(path: String) throws -> Int64 {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
        let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count")!, free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count")!
        return (pages - free) * (try Int64.fetchOne(db, sql: "PRAGMA page_size")!)
    }
}

func sqliteRedeemed(path: String, _ range: Range<Int>) throws -> (codes: Int, rows: Int) {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
        let bounds: StatementArguments = [codeText(range.lowerBound), codeText(range.upperBound - 1)]
        let codes = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM code WHERE code BETWEEN ? AND ? AND redeemed_by = ?",
                                     arguments: bounds + [retailer.rawValue])!
        let rows = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM redemption r JOIN code c ON c.id = r.code_id WHERE c.code BETWEEN ? AND ? AND r.kind = 'redeemed'
            """, arguments: bounds)!
        return (codes, rows)
    }
}

/// The bare loop: per line the UPDATE of the code and one redemption row, one transaction per batch, with the store's
/// connection settings (WAL, `synchronous = FULL`, the same page cache).
func sqliteBare(path: String, phase: Phase) async throws -> Int {
    let pool = try DatabasePool(path: path, configuration: SQLiteRegistrarStore.configuration())
    defer { try? pool.close() }
    let seller = retailer.rawValue, soldAt = phase.issuedAt.milliseconds
    var written = 0
    for batch in phase.batches() {
        let recordedAt = Timestamp.now.milliseconds
        written += try await pool.write { db in
            let update = try db.cachedStatement(sql: "UPDATE code SET redeemed_at = ?, redeemed_by = ? WHERE code = ? RETURNING id")
            let insert = try db.cachedStatement(sql: """
                INSERT INTO redemption (code_id, seller, kind, channel, reference, at, recorded_at, actor) VALUES (?, ?, 'redeemed', 'receipt', ?, ?, ?, ?)
                """)
            var lines = 0
            for j in batch {
                let reference = "\(phase.register(j % phase.settings.registers))/\(j / phase.settings.registers + 1)"
                for i in phase.codes(j) {
                    guard let id = try Int64.fetchOne(update, arguments: [soldAt, seller, codeText(i)]) else { continue }
                    try insert.execute(arguments: [id, seller, reference, soldAt, recordedAt, seller])
                    lines += 1
                }
            }
            return lines
        }
    }
    return written
}

func runSQLite(_ settings: Settings, logger: Logger) async throws -> Bool {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("retail-bench-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("registrar.sqlite").path
    let barePath = directory.appendingPathComponent("bare.sqlite").path
    let total = 2 * settings.lines

    let clock = ContinuousClock.now
    do {
        let store = try SQLiteRegistrarStore(path: path)
        try await store.migrate()
    }  // closed: the seed and the copy see the only connection
    try seedSQLite(path: path, count: total)
    try FileManager.default.copyItem(atPath: path, toPath: barePath)
    print(String(format: "[sqlite] seed: %@ activated codes held by retailer %@ in %.1f s — direct SQL (migrated through SQLiteRegistrarStore.migrate(), then waybill, codes, accounts INSERTed; not the API); store file %@, bare copy %@ (%@ each)",
                 grouped(total), retailer.rawValue, clock.duration(to: .now).inSeconds, path, "bare.sqlite", mebibytes(Double(try sqliteUsedBytes(path: path)))))

    let store = try SQLiteRegistrarStore(path: path)
    let backend = Backend(
        name: "sqlite", store: store,
        bare: { phase in try await sqliteBare(path: barePath, phase: phase) },
        size: { try sqliteUsedBytes(path: path) },
        bareSize: { try sqliteUsedBytes(path: barePath) },
        redeemed: { range, bare in try sqliteRedeemed(path: bare ? barePath : path, range) })
    return try await runPhases(backend, settings: settings, logger: logger)
}
