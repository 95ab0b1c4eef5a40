// PostgreSQL: a fresh database created on the given server (dropped at the end), migrated through
// PostgresRegistrarStore.migrate(), seeded by direct SQL, and a `CREATE DATABASE … TEMPLATE` copy for the bare loop.
import Foundation
import LineCore
import Logging
import PostgresNIO
import QazAPI
import QazServer

func runPostgres(_ settings: Settings, url: String, logger: Logger) async throws -> Bool {
    guard var components = URLComponents(string: url) else { throw BenchError("not a URL: \(url)") }
    let database = "retail_bench_\(getpid())"
    let bareDatabase = database + "_bare"
    components.path = "/" + database
    let mainURL = components.string!
    components.path = "/" + bareDatabase
    let bareURL = components.string!
    // The given URL's database only hosts the CREATE/DROP DATABASE statements.
    let admin = try PostgresRegistrarStore(url: url, poolSize: 1, logger: logger)
    return try await withRunningStore(admin) {
        func execute(_ sql: String) async throws {
            try await admin.client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
        try await execute("DROP DATABASE IF EXISTS \(database)")
        try await execute("DROP DATABASE IF EXISTS \(bareDatabase)")
        try await execute("CREATE DATABASE \(database)")
        do {
            let ok = try await measurePostgres(settings, mainURL: mainURL, bareURL: bareURL, logger: logger) {
                // The template must have no connections: the seeding pool has just stopped, its sessions may still be closing.
                for attempt in 1...50 {
                    do {
                        try await execute("CREATE DATABASE \(bareDatabase) TEMPLATE \(database)")
                        return
                    } catch where attempt < 50 {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            try await drop(database, bareDatabase, execute)
            return ok
        } catch {
            try? await drop(database, bareDatabase, execute)
            throw error
        }
    }
}

private func drop(_ database: String, _ bareDatabase: String, _ execute: (String) async throws -> Void) async throws {
    for name in [database, bareDatabase] {
        for attempt in 1...50 {
            do {
                try await execute("DROP DATABASE IF EXISTS \(name)")
                break
            } catch where attempt < 50 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

private func measurePostgres(_ settings: Settings, mainURL: String, bareURL: String, logger: Logger,
                             copy: () async throws -> Void) async throws -> Bool {
    let total = 2 * settings.lines
    let clock = ContinuousClock.now
    do {
        let seeding = try PostgresRegistrarStore(url: mainURL, poolSize: 1, logger: logger)
        try await withRunningStore(seeding) {
            try await seeding.migrate()
            try await seeding.client.withConnection { c in
                let now = Timestamp.now.milliseconds
                let (producerBIN, retailerBIN) = (producer.rawValue, retailer.rawValue)
                let waybill = try await c.query("""
                    INSERT INTO waybill (number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name,
                                         product_name, product_type, capacity_ml, quantity, recorded_at)
                    VALUES ('WB-RETAIL-BENCH', decode('00', 'hex'), '2026-11-02', '2026-11-02', '2026-11', 'A-RETAIL-BENCH', '2026-10-30', \(producerBIN),
                            'Bench Distillery', 'Vodka', 'vodka', 500, \(Int32(total)), \(now)) RETURNING id
                    """, logger: logger).collect()[0].decode(Int64.self)
                try await c.query("INSERT INTO waybill_range (waybill_id, series, first, last) VALUES (\(waybill), 'RB', 1, \(Int64(total)))", logger: logger)
                try await c.query("""
                    INSERT INTO code (code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_seq, holder_bin)
                    SELECT 'RB' || lpad(i::text, 18, '0'), 'RB', i + 1, \(producerBIN), \(waybill), 'activated', \(catalogueCode), \(now), i + 1, \(retailerBIN)
                    FROM generate_series(0::int8, \(Int64(total)) - 1) AS i
                    """, logger: logger)
                try await c.query("UPDATE activation_sequence SET last = \(Int64(total)) WHERE id = 1", logger: logger)
                try await c.query("""
                    INSERT INTO account (participant, name, kind, created_at)
                    VALUES (\(producerBIN), 'Bench Distillery', 'producer', \(now)), (\(retailerBIN), 'Bench Shop', 'retailer', \(now))
                    """, logger: logger)
                try await c.query("VACUUM ANALYZE", logger: logger)
            }
        }
    }
    try await copy()
    print(String(format: "[postgres] seed: %@ activated codes held by retailer %@ in %.1f s — direct SQL (migrated through PostgresRegistrarStore.migrate(), then waybill, codes, accounts INSERTed; not the API); databases %@ and its TEMPLATE copy %@_bare (dropped at the end)",
                 grouped(total), retailer.rawValue, clock.duration(to: .now).inSeconds, String(mainURL.split(separator: "/").last!), String(mainURL.split(separator: "/").last!)))

    let store = try PostgresRegistrarStore(url: mainURL, poolSize: settings.clients * 2 + 2, logger: logger)
    let bare = try PostgresRegistrarStore(url: bareURL, poolSize: 2, logger: logger)
    return try await withRunningStore(bare) {
        try await withRunningStore(store) {
            let backend = Backend(
                name: "postgres", store: store,
                bare: { phase in try await postgresBare(bare.client, phase: phase, logger: logger) },
                size: { try await postgresSize(store.client, logger: logger) },
                bareSize: { try await postgresSize(bare.client, logger: logger) },
                redeemed: { range, isBare in try await postgresRedeemed(isBare ? bare.client : store.client, range, logger: logger) })
            return try await runPhases(backend, settings: settings, logger: logger)
        }
    }
}

/// The bare loop on one connection: per line one statement (the UPDATE of the code and its redemption row, joined by
/// the code's id), one transaction per batch — the store's schema and durability (`synchronous_commit` as the server
/// has it).
func postgresBare(_ client: PostgresClient, phase: Phase, logger: Logger) async throws -> Int {
    let seller = retailer.rawValue, soldAt = phase.issuedAt.milliseconds
    return try await client.withConnection { c in
        var written = 0
        for batch in phase.batches() {
            let recordedAt = Timestamp.now.milliseconds
            try await c.query("BEGIN", logger: logger)
            for j in batch {
                let reference = "\(phase.register(j % phase.settings.registers))/\(j / phase.settings.registers + 1)"
                for i in phase.codes(j) {
                    let rows = try await c.query("""
                        WITH u AS (UPDATE code SET redeemed_at = \(soldAt), redeemed_by = \(seller) WHERE code = \(codeText(i)) RETURNING id)
                        INSERT INTO redemption (code_id, seller, kind, channel, reference, at, recorded_at, actor)
                        SELECT id, \(seller), 'redeemed', 'receipt', \(reference), \(soldAt), \(recordedAt), \(seller) FROM u RETURNING id
                        """, logger: logger).collect()
                    written += rows.count
                }
            }
            try await c.query("COMMIT", logger: logger)
        }
        return written
    }
}

func postgresSize(_ client: PostgresClient, logger: Logger) async throws -> Int64 {
    try await client.query("SELECT pg_database_size(current_database())", logger: logger).collect()[0].decode(Int64.self)
}

func postgresRedeemed(_ client: PostgresClient, _ range: Range<Int>, logger: Logger) async throws -> (codes: Int, rows: Int) {
    let (low, high, seller) = (codeText(range.lowerBound), codeText(range.upperBound - 1), retailer.rawValue)
    let codes = try await client.query("SELECT COUNT(*) FROM code WHERE code BETWEEN \(low) AND \(high) AND redeemed_by = \(seller)",
                                       logger: logger).collect()[0].decode(Int64.self)
    let rows = try await client.query("""
        SELECT COUNT(*) FROM redemption r JOIN code c ON c.id = r.code_id WHERE c.code BETWEEN \(low) AND \(high) AND r.kind = 'redeemed'
        """, logger: logger).collect()[0].decode(Int64.self)
    return (Int(codes), Int(rows))
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
