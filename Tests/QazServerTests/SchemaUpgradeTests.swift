import Foundation
import LineCore
import Logging
import QazAPI
@testable import QazServer
import Testing

// Upgrades (docs/upgrades.md): every registrar fixture in Tests/Fixtures/schema — a database written by the code of an
// older schema version (scripts/schema-fixture.sh) — is copied, opened with the current store, migrated to whatever
// migrations this code has, and must then answer what the old code wrote the same way; a new operation works on it.
// A database with migrations this code does not know (written by a newer qazserver) is refused, unchanged.

/// The schema fixtures, found beside this file (not SwiftPM resources).
enum SchemaFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schema")

    /// The version number of a fixture's name (`registrar-sqlite-v5.sqlite` → 5).
    static func version(_ name: String) -> Int? {
        guard let range = name.range(of: #"-v[0-9]+\."#, options: .regularExpression) else { return nil }
        return Int(name[range].dropFirst(2).dropLast())
    }

    /// The version number of a migration's name (`v9-cluster` → 9).
    static func migrationVersion(_ name: String) -> Int? { Int(name.dropFirst().prefix { $0.isNumber }) }

    /// The fixture files named `prefix-vN.ext`, oldest first.
    static func files(prefix: String, ext: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix + "-v") && $0.hasSuffix("." + ext) && version($0) != nil }
            .sorted { version($0)! < version($1)! }
    }

    /// `role bin token` lines issued by the fixture's own code, beside it (`….tokens`).
    static func tokens(for file: String) -> [(role: String, bin: String, token: String)] {
        let base = (file as NSString).deletingPathExtension
        guard let text = try? String(contentsOf: directory.appendingPathComponent(base + ".tokens"), encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: " ").map(String.init)
            return parts.count == 3 ? (parts[0], parts[1], parts[2]) : nil
        }
    }
}

/// A registrar fixture and the backend it was written for.
struct RegistrarFixture: CustomStringConvertible, Sendable {
    let file: String
    var version: Int { SchemaFixtures.version(file)! }
    var postgres: Bool { file.hasPrefix("registrar-postgres-") }
    var description: String { file }

    static let all: [RegistrarFixture] =
        (SchemaFixtures.files(prefix: "registrar-sqlite", ext: "sqlite") + SchemaFixtures.files(prefix: "registrar-postgres", ext: "sql"))
            .map(RegistrarFixture.init(file:))
}

/// Plain SQL on a database, outside the store (what the old code wrote, read before and after the upgrade): the
/// `sqlite3` and `psql` command-line tools, rows as JSON objects.
struct RawDatabase: Sendable {
    enum Location: Sendable {
        case sqlite(path: String)
        case postgres(port: Int, database: String)
    }
    let location: Location

    var isPostgres: Bool { if case .postgres = location { true } else { false } }

    /// Rows of `sql` (the PostgreSQL text when the dialects differ) as JSON objects.
    func rows(_ sql: String, postgres: String? = nil) throws -> [[String: Any]] {
        let output: String
        switch location {
        case .sqlite(let path):
            output = try Self.run("/usr/bin/sqlite3", ["-json", "-readonly", path, sql])
        case .postgres(let port, let database):
            output = try Self.run(Self.psql(), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-At", "-v", "ON_ERROR_STOP=1",
                                                "-c", "SELECT COALESCE(json_agg(t), '[]') FROM (\(postgres ?? sql)) t"])
        }
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return [] }
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not rows: \(text.prefix(300))")
    }

    /// Runs SQL statements (the PostgreSQL text when the dialects differ).
    func execute(_ sql: String, postgres: String? = nil) throws {
        switch location {
        case .sqlite(let path): _ = try Self.run("/usr/bin/sqlite3", [path, sql])
        case .postgres(let port, let database):
            _ = try Self.run(Self.psql(), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-q", "-v", "ON_ERROR_STOP=1",
                                           "-c", postgres ?? sql])
        }
    }

    /// Restores a plain `pg_dump` into a new database of the test server.
    static func restore(_ dump: URL) async throws -> (url: String, raw: RawDatabase) {
        let url = try await PostgresTestServer.shared.makeDatabase()
        let components = try #require(URLComponents(string: url))
        let raw = RawDatabase(location: .postgres(port: try #require(components.port), database: String(components.path.dropFirst())))
        guard case .postgres(let port, let database) = raw.location else { throw CancellationError() }
        _ = try run(try psql(), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-q", "-v", "ON_ERROR_STOP=1",
                                 "-f", dump.path])
        return (url, raw)
    }

    static func psql() throws -> String {
        try #require(PostgresTestServer.binDirectory(), "PostgreSQL binaries not found (apt-get install -y postgresql)") + "/psql"
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PostgresTestServer.Failure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(message.prefix(1500))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What the old code wrote, read with plain SQL before the upgrade.
struct OldRegistrarData {
    struct Code { let code: String, status: String, owner: String }
    struct Waybill { let number: String, bodyHash: [UInt8], recipient: String, quantity: Int, month: String }
    struct Counter { let participant: String, month: String, received: Int, activated: Int, writtenOff: Int }
    struct Token { let id: String, hash: [UInt8], participant: String, role: String, revoked: Bool }
    var codes: [Code] = []
    var waybills: [Waybill] = []
    var batches: [(id: String, items: Int)] = []
    var counters: [Counter] = []
    var tokens: [Token] = []
    var migrations: [String] = []
    var tableRows: [String: Int] = [:]

    init(_ raw: RawDatabase) throws {
        func hex(_ text: String) -> [UInt8] {
            var bytes = [UInt8](), index = text.startIndex
            while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
                bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
                index = next
            }
            return bytes
        }
        func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? Int(value as? String ?? "") ?? -1 }
        // A code redeemed at retail (v8-retail) is stored `activated` with `redeemed_by` set and answered `redeemed`.
        codes = try raw.rows("SELECT * FROM code ORDER BY code").map {
            let redeemed = $0["redeemed_by"].map { !($0 is NSNull) } ?? false
            return Code(code: $0["code"] as! String, status: redeemed ? "redeemed" : $0["status"] as! String, owner: $0["owner_bin"] as! String)
        }
        waybills = try raw.rows("SELECT number, lower(hex(body_hash)) AS h, recipient_bin, quantity, month FROM waybill ORDER BY number",
                                postgres: "SELECT number, encode(body_hash, 'hex') AS h, recipient_bin, quantity, month FROM waybill ORDER BY number").map {
            Waybill(number: $0["number"] as! String, bodyHash: hex($0["h"] as! String), recipient: $0["recipient_bin"] as! String,
                    quantity: int($0["quantity"]), month: $0["month"] as! String)
        }
        batches = try raw.rows("SELECT batch_id, item_count FROM activation_batch ORDER BY id").map { ($0["batch_id"] as! String, int($0["item_count"])) }
        counters = try raw.rows("SELECT participant_bin, month, received, activated, written_off FROM monthly_counter ORDER BY participant_bin, month").map {
            Counter(participant: $0["participant_bin"] as! String, month: $0["month"] as! String, received: int($0["received"]),
                    activated: int($0["activated"]), writtenOff: int($0["written_off"]))
        }
        tokens = try raw.rows("SELECT id, lower(hex(hash)) AS h, participant_bin, role, revoked_at FROM api_token ORDER BY id",
                              postgres: "SELECT id, encode(hash, 'hex') AS h, participant_bin, role, revoked_at FROM api_token ORDER BY id").map {
            Token(id: $0["id"] as! String, hash: hex($0["h"] as! String), participant: $0["participant_bin"] as! String,
                  role: $0["role"] as! String, revoked: !($0["revoked_at"] is NSNull || $0["revoked_at"] == nil))
        }
        migrations = try raw.rows("SELECT identifier AS name FROM grdb_migrations", postgres: "SELECT name FROM schema_migration")
            .map { $0["name"] as! String }
        let tables = try raw.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                                  postgres: "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'").map { $0["name"] as! String }
        for table in tables {
            tableRows[table] = int(try raw.rows("SELECT COUNT(*) AS n FROM \"\(table)\"").first?["n"])
        }
    }
}

@Suite("Schema upgrades", .serialized)
struct SchemaUpgradeTests {
    /// Copies (SQLite) or restores (PostgreSQL) a fixture; runs `body` with the store, not yet migrated, and plain SQL.
    private func withFixture<T: Sendable>(_ fixture: RegistrarFixture,
                                         _ body: (any RegistrarStore, RawDatabase) async throws -> T) async throws -> T {
        let source = SchemaFixtures.directory.appendingPathComponent(fixture.file)
        if fixture.postgres {
            let (url, raw) = try await RawDatabase.restore(source)
            let store = try PostgresRegistrarStore(url: url, poolSize: 4, logger: Logger(label: "schema-test", factory: { _ in SwiftLogNoOpLogHandler() }))
            return try await withRunningStore(store) { try await body(store, raw) }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registrar.sqlite").path
        try FileManager.default.copyItem(atPath: source.path, toPath: path)
        let store = try SQLiteRegistrarStore(path: path)
        return try await body(store, RawDatabase(location: .sqlite(path: path)))
    }

    private static var known: [String] { SQLiteRegistrarStore.knownMigrations }

    @Test("the fixtures cover every schema version before the newest this code has", .enabled(if: !RegistrarFixture.all.isEmpty))
    func fixturesCoverOlderVersions() throws {
        #expect(SQLiteRegistrarStore.knownMigrations == PostgresRegistrarStore.knownMigrations,
                "the SQLite and PostgreSQL migration lists must have the same names in the same order")
        let newest = try #require(Self.known.compactMap(SchemaFixtures.migrationVersion).max())
        let sqlite = Set(RegistrarFixture.all.filter { !$0.postgres }.map(\.version))
        let missing = (1..<newest).filter { !sqlite.contains($0) }
        #expect(missing.isEmpty, """
            no registrar-sqlite fixture for schema version(s) \(missing.map { "v\($0)" }.joined(separator: ", ")): write one with \
            scripts/schema-fixture.sh vN COMMIT (the last commit whose newest migration is vN), see docs/upgrades.md
            """)
        #expect(!RegistrarFixture.all.filter(\.postgres).isEmpty, "no registrar-postgres fixture at all")
    }

    @Test("an old registrar database migrates and answers what the old code wrote", arguments: RegistrarFixture.all)
    func upgrade(_ fixture: RegistrarFixture) async throws {
        try await withFixture(fixture) { store, raw in
            let old = try OldRegistrarData(raw)
            // Given what the fixture's own code wrote (its newest migration is the fixture's version)…
            #expect(RegistrarSchema.versionOrdered(old.migrations).last?.hasPrefix("v\(fixture.version)-") == true,
                    "\(fixture.file) has migrations \(old.migrations)")
            #expect(!old.codes.isEmpty && !old.waybills.isEmpty && !old.batches.isEmpty && !old.tokens.isEmpty,
                    "\(fixture.file) holds too little to check an upgrade")

            // …when the current code migrates it…
            try await store.migrate()
            let after = try OldRegistrarData(raw)
            #expect(Set(after.migrations) == Set(Self.known), "after migrate(): \(after.migrations), this code has \(Self.known)")
            for (table, count) in old.tableRows where !["grdb_migrations", "schema_migration"].contains(table) {
                #expect(after.tableRows[table] == count, "\(table) had \(count) rows before the upgrade, \(after.tableRows[table] ?? -1) after")
            }

            // …then every code, waybill, batch, monthly counter and token answers as written.
            for code in old.codes {
                let info = try #require(try await store.code(StampCode(trusted: code.code)), "code \(code.code) is gone")
                #expect(info.status.rawValue == code.status, "code \(code.code) was \(code.status), now \(info.status)")
                #expect(info.owner.rawValue == code.owner)
            }
            for waybill in old.waybills {
                let request = makeWaybill(number: waybill.number, to: TaxpayerID(waybill.recipient)!, prefix: "QZX", count: 1)
                let stored = try await store.recordWaybill(WaybillCommand(waybill: request, codes: [], bodyHash: waybill.bodyHash,
                                                                          recordedAt: .now))
                #expect(stored.replayed, "waybill \(waybill.number) was not answered from storage")
                #expect(stored.value.issued == waybill.quantity && stored.value.month.description == waybill.month
                        && stored.value.recipient.rawValue == waybill.recipient)
            }
            for batch in old.batches {
                let id = try #require(UUID(uuidString: batch.id))
                let receipt = try #require(try await store.activation(batchId: id), "batch \(batch.id) is gone")
                #expect(receipt.results.count == batch.items, "batch \(batch.id): \(receipt.results.count) results, \(batch.items) items")
            }
            for participant in Set(old.counters.map(\.participant)) {
                let counters = try await store.monthlyCounters(participant: TaxpayerID(participant)!)
                for counter in old.counters where counter.participant == participant {
                    let now = counters.first { $0.month.description == counter.month }
                    #expect(now?.received == counter.received && now?.activated == counter.activated && now?.writtenOff == counter.writtenOff,
                            "\(participant) \(counter.month): \(counter) before, \(String(describing: now)) after")
                }
            }
            for token in old.tokens {
                let record = try #require(try await store.token(hash: token.hash), "token \(token.id) is gone")
                #expect(record.id == token.id && record.participant.rawValue == token.participant && record.role.rawValue == token.role)
                #expect((record.revokedAt != nil) == token.revoked)
            }
            let issued = SchemaFixtures.tokens(for: fixture.file)
            #expect(!issued.isEmpty, "\(fixture.file) has no .tokens file beside it")
            for (role, bin, token) in issued {
                let record = try #require(try await store.token(hash: TokenService.hash(token)), "the \(role) token of \(bin) no longer authenticates")
                #expect(record.role.rawValue == role && record.participant.rawValue == bin && record.revokedAt == nil)
            }

            // A new waybill and activation batch work on the migrated database.
            let producer = producerA
            let waybill = makeWaybill(number: "WB-UPGRADE-\(fixture.version)", to: producer, prefix: "QZU", series: "UZ", count: 6,
                                      issuedOn: "2026-12-01")
            let recorded = try await store.recordWaybill(WaybillCommand(
                waybill: waybill, codes: waybill.codes.map { StampCode(trusted: $0.code) }, bodyHash: Array(repeating: 7, count: 32), recordedAt: .now))
            #expect(!recorded.replayed && recorded.value.issued == 6)
            let at = Timestamp(text: "2026-12-01T12:00:00+05:00")!
            let batch = try await store.activate(ActivationCommand(
                batchId: UUID(), participant: producer, lineId: "line-1", equipmentId: "cam-1", bodyHash: Array(repeating: 9, count: 32),
                receivedAt: at, items: waybill.codes.prefix(4).map { .code(text: $0.code, code: StampCode(trusted: $0.code), activatedAt: at, productCode: "DSN-0001") },
                actor: nil))
            #expect(batch.value.results.map(\.result) == Array(repeating: .activated, count: 4))
            #expect(try await store.code(StampCode(trusted: waybill.codes[0].code))?.status == .activated)
            let december = try await store.monthlyCounters(participant: producer).first { $0.month.description == "2026-12" }
            let before = old.counters.first { $0.participant == producer.rawValue && $0.month == "2026-12" }
            #expect(december?.received == (before?.received ?? 0) + 6 && december?.activated == (before?.activated ?? 0) + 4)

            // Migrating again changes nothing.
            try await store.migrate()
            #expect(Set(try OldRegistrarData(raw).migrations) == Set(Self.known))
        }
    }

    @Test("a database a newer qazserver wrote is refused, naming its unknown migrations and this code's newest; it is not changed",
          arguments: [TestBackend.sqliteFile, .postgres])
    func downgradeRefused(_ backend: TestBackend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let newest = try #require(Self.known.last)
        // Given a database of this code's schema, with data, that a "newer" qazserver then migrated further…
        let url: String?
        let raw: RawDatabase
        if backend == .postgres {
            url = try await PostgresTestServer.shared.makeDatabase()
            let components = try #require(URLComponents(string: url!))
            raw = RawDatabase(location: .postgres(port: components.port!, database: String(components.path.dropFirst())))
        } else {
            url = nil
            raw = RawDatabase(location: .sqlite(path: directory.appendingPathComponent("registrar.sqlite").path))
        }
        func open() throws -> any RegistrarStore {
            if let url { return try PostgresRegistrarStore(url: url, poolSize: 2, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })) }
            guard case .sqlite(let path) = raw.location else { fatalError() }
            return try SQLiteRegistrarStore(path: path)
        }
        do {
            let store = try open()
            try await withRunningStore(store) {
                try await store.migrate()
                let waybill = makeWaybill(number: "WB-NEWER", to: producerA, prefix: "QZN", count: 3)
                _ = try await store.recordWaybill(WaybillCommand(waybill: waybill, codes: waybill.codes.map { StampCode(trusted: $0.code) },
                                                                 bodyHash: Array(repeating: 1, count: 32), recordedAt: .now))
            }
        }
        try raw.execute("INSERT INTO grdb_migrations (identifier) VALUES ('v10-x'), ('v99-jobs-future')",
                        postgres: "INSERT INTO schema_migration (name, applied_at) VALUES ('v10-x', 1), ('v99-jobs-future', 2)")
        let before = try OldRegistrarData(raw)
        let bytes: Data? = if case .sqlite(let path) = raw.location { try Data(contentsOf: URL(fileURLWithPath: path)) } else { nil }

        // …when this code opens and migrates it…
        // (SQLite refuses at open, reading the file read-only first; PostgreSQL at migrate().)
        var error: StoreError?
        do {
            let store = try open()
            error = try await withRunningStore(store) { () async -> StoreError? in
                do { try await store.migrate(); return nil } catch let error as StoreError { return error } catch { return .failure("\(error)") }
            }
        } catch let refused as StoreError {
            error = refused
        }

        // …then it is refused with both versions named, and the database is as it was.
        guard case .newerSchema(let database, let unknown, let newestKnown) = try #require(error, "migrate() accepted a newer schema") else {
            Issue.record("expected newerSchema, got \(String(describing: error))")
            return
        }
        #expect(unknown == ["v10-x", "v99-jobs-future"] && newestKnown == newest)
        #expect(backend == .postgres ? database.hasPrefix("PostgreSQL database qaz_") : database.hasSuffix("registrar.sqlite"))
        let message = error!.description
        #expect(message.contains("written by a newer qazserver") && message.contains("v10-x, v99-jobs-future")
                && message.contains("schema up to \(newest)") && message.contains("restore a backup"), "\(message)")
        let after = try OldRegistrarData(raw)
        #expect(after.tableRows == before.tableRows && Set(after.migrations) == Set(before.migrations))
        if case .sqlite(let path) = raw.location {
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "the refused file was changed")
            #expect(try SQLiteRegistrarStore.schema(path: path).unknown == ["v10-x", "v99-jobs-future"])
        }
    }

    @Test("an old fixture with a newer migration is refused before any of its pending migrations runs")
    func refusedBeforePendingMigrations() async throws {
        let fixture = try #require(RegistrarFixture.all.first { !$0.postgres && $0.version < (Self.known.compactMap(SchemaFixtures.migrationVersion).max() ?? 0) },
                                   "no SQLite fixture older than this code's schema")
        try await withFixture(fixture) { store, raw in
            try raw.execute("INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')")
            let before = try OldRegistrarData(raw)
            await #expect(throws: StoreError.self) { try await store.migrate() }
            let after = try OldRegistrarData(raw)
            #expect(Set(after.migrations) == Set(before.migrations) && after.tableRows == before.tableRows)
            guard case .sqlite(let path) = raw.location else { return }
            let schema = try SQLiteRegistrarStore.schema(path: path)
            #expect(schema.unknown == ["v999-from-the-future"] && schema.isNewer && !schema.pending.isEmpty)
        }
    }

    @Test("a newer file not yet in WAL mode (a restored backup) is refused at open, byte for byte unchanged",
          .enabled(if: !RegistrarFixture.all.isEmpty))
    func refusedAtOpenUnchanged() throws {
        let fixture = try #require(RegistrarFixture.all.first { !$0.postgres })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("registrar.sqlite").path
        try FileManager.default.copyItem(atPath: SchemaFixtures.directory.appendingPathComponent(fixture.file).path, toPath: path)
        try RawDatabase(location: .sqlite(path: path)).execute("INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { _ = try SQLiteRegistrarStore(path: path) }
        #expect(error == .newerSchema(database: path, unknown: ["v999-from-the-future"], newestKnown: Self.known.last!))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "the refused file was changed")
    }

    @Test("schema(path:) reads a fixture's version without changing the file", .enabled(if: !RegistrarFixture.all.isEmpty))
    func schemaOfAFile() throws {
        for fixture in RegistrarFixture.all where !fixture.postgres {
            let path = SchemaFixtures.directory.appendingPathComponent(fixture.file).path
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let schema = try SQLiteRegistrarStore.schema(path: path)
            #expect(schema.newestApplied?.hasPrefix("v\(fixture.version)-") == true && !schema.isNewer)
            #expect(schema.pending == Array(Self.known.drop { schema.applied.contains($0) }))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        }
        #expect(throws: StoreError.self) { try SQLiteRegistrarStore.schema(path: "/nonexistent/registrar.sqlite") }
    }
}
