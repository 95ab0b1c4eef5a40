import Foundation
import GRDB

/// The agent's SQLite database: WAL, `synchronous = FULL` (a committed decision survives a power cut), named
/// append-only migrations run when it is opened. Opening refuses a damaged or foreign file with an ``OutboxError``
/// and never recreates, truncates or "repairs" it: rows already recorded are never dropped silently.
public struct AgentDatabase: Sendable {
    /// `PRAGMA application_id` of every outbox ("QZLO").
    public static let applicationID: Int32 = 0x515A_4C4F

    /// How thoroughly the file is checked when it is opened.
    public enum IntegrityCheck: Sendable {
        /// `PRAGMA quick_check` (reads every page; about a second per few hundred MB).
        case quick
        /// Only what opening and migrating touch.
        case none
    }

    /// The file's path (`:memory:` for an in-memory database).
    public let path: String
    let writer: any DatabaseWriter

    /// Opens (or creates) the outbox file and migrates it.
    /// - Parameters:
    ///   - path: the SQLite file; its directory is created if missing.
    ///   - integrityCheck: what to verify before use.
    public init(path: String, integrityCheck: IntegrityCheck = .quick) throws(OutboxError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: path, detail: "\(error.localizedDescription)")
        }
        // A file a newer lineagent migrated is refused before it is opened for writing (opening switches a file to WAL),
        // so it stays byte for byte as it was; a damaged or foreign file is left to the checks in `prepare`.
        if FileManager.default.fileExists(atPath: path),
           let refusal = Self.newerSchemaRefusal(applied: (try? Self.appliedMigrations(path: path)) ?? [], path: path) {
            throw refusal
        }
        do {
            writer = try DatabasePool(path: path, configuration: Self.configuration())
        } catch {
            throw Self.map(error, path: path)
        }
        try Self.prepare(writer, path: path, integrityCheck: integrityCheck)
    }

    /// An in-memory database (tests).
    public init() throws(OutboxError) {
        path = ":memory:"
        do { writer = try DatabaseQueue(configuration: Self.configuration()) } catch { throw Self.map(error, path: path) }
        try Self.prepare(writer, path: path, integrityCheck: .none)
    }

    /// The connection settings: `synchronous = FULL`, a busy timeout, foreign keys on.
    static func configuration() -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return config
    }

    private static func prepare(_ writer: any DatabaseWriter, path: String, integrityCheck: IntegrityCheck) throws(OutboxError) {
        do {
            try writer.writeWithoutTransaction { db in
                if integrityCheck == .quick {
                    let findings = try String.fetchAll(db, sql: "PRAGMA quick_check(5)")
                    if findings != ["ok"] {
                        throw OutboxError.corrupt(path: path, detail: "integrity check: " + findings.joined(separator: "; "))
                    }
                }
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if applicationID != Self.applicationID, !tables.isEmpty {
                    throw OutboxError.notAnOutbox(
                        path: path, detail: "application_id is \(applicationID), tables \(tables.prefix(5).joined(separator: ", "))")
                }
                // A file a newer lineagent migrated is refused before anything is written to it (docs/upgrades.md).
                if let refusal = newerSchemaRefusal(applied: try appliedMigrations(db), path: path) { throw refusal }
            }
            try migrator.migrate(writer)
        } catch let error as OutboxError {
            throw error
        } catch {
            throw map(error, path: path)
        }
    }

    /// The named, append-only migrations. Never edit a registered migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-outbox") { db in
            try db.execute(sql: """
                PRAGMA application_id = \(AgentDatabase.applicationID);
                CREATE TABLE decision (
                    id INTEGER PRIMARY KEY,
                    line_id TEXT NOT NULL,
                    bottle_sequence INTEGER NOT NULL,
                    decided_at INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('good', 'no-read', 'malformed', 'duplicate', 'foreign',
                                                       'unknown-product', 'ambiguous', 'timeout')),
                    code TEXT,
                    product_code TEXT,
                    verdict TEXT NOT NULL
                );
                CREATE INDEX decision_line ON decision(line_id, bottle_sequence);
                CREATE TABLE seen_code (
                    code TEXT NOT NULL PRIMARY KEY,
                    decision_id INTEGER NOT NULL REFERENCES decision(id)
                ) WITHOUT ROWID;
                CREATE TABLE delivery_batch (
                    id INTEGER PRIMARY KEY,
                    batch_id TEXT NOT NULL UNIQUE,
                    line_id TEXT NOT NULL,
                    equipment_id TEXT NOT NULL,
                    formed_at INTEGER NOT NULL,
                    item_count INTEGER NOT NULL CHECK (item_count > 0),
                    state TEXT NOT NULL CHECK (state IN ('open', 'done')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_attempt_at INTEGER,
                    last_error TEXT
                );
                CREATE INDEX delivery_batch_open ON delivery_batch(id) WHERE state = 'open';
                CREATE TABLE activation (
                    id INTEGER PRIMARY KEY,
                    decision_id INTEGER NOT NULL REFERENCES decision(id),
                    code TEXT NOT NULL UNIQUE,
                    product_code TEXT NOT NULL,
                    activated_at INTEGER NOT NULL,
                    line_id TEXT NOT NULL,
                    bottle_sequence INTEGER NOT NULL,
                    batch INTEGER REFERENCES delivery_batch(id),
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
                    result TEXT,
                    server_activated_at INTEGER,
                    answered_at INTEGER
                );
                CREATE INDEX activation_unbatched ON activation(line_id, id) WHERE batch IS NULL;
                CREATE INDEX activation_by_batch ON activation(batch, id);
                CREATE INDEX activation_pending ON activation(id) WHERE state = 'pending';
                CREATE TABLE dead_letter (
                    id INTEGER PRIMARY KEY,
                    activation_id INTEGER NOT NULL REFERENCES activation(id),
                    code TEXT NOT NULL,
                    batch_id TEXT NOT NULL,
                    result TEXT,
                    reason TEXT NOT NULL,
                    dead_at INTEGER NOT NULL,
                    requeued_at INTEGER
                );
                CREATE TABLE pool_code (code TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;
                CREATE TABLE pool_import (
                    id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    imported_at INTEGER NOT NULL,
                    added INTEGER NOT NULL,
                    total INTEGER NOT NULL
                );
                """)
        }
        // Production jobs (every decision carries the job open on its line when it was decided), the console's
        // users (bcrypt hashes), the audit log of operator actions, and write-offs made from this agent.
        migrator.registerMigration("v2-console") { db in
            try db.execute(sql: """
                CREATE TABLE job (
                    id INTEGER PRIMARY KEY,
                    line_id TEXT NOT NULL,
                    product_code TEXT,
                    recipe INTEGER,
                    lot TEXT NOT NULL,
                    planned INTEGER CHECK (planned IS NULL OR planned > 0),
                    started_at INTEGER NOT NULL,
                    started_by TEXT NOT NULL,
                    ended_at INTEGER,
                    ended_by TEXT,
                    CHECK (ended_at IS NULL OR ended_at >= started_at)
                );
                CREATE UNIQUE INDEX job_open ON job(line_id) WHERE ended_at IS NULL;
                CREATE INDEX job_line_start ON job(line_id, started_at);
                ALTER TABLE decision ADD COLUMN job_id INTEGER REFERENCES job(id);
                CREATE INDEX decision_job ON decision(job_id, kind) WHERE job_id IS NOT NULL;
                CREATE TABLE console_user (
                    name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
                    role TEXT NOT NULL CHECK (role IN ('operator', 'engineer')),
                    password_hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE audit_event (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    user TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT,
                    detail TEXT
                );
                CREATE TABLE write_off (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    user TEXT NOT NULL,
                    job_id INTEGER REFERENCES job(id),
                    result TEXT NOT NULL
                );
                CREATE INDEX write_off_job ON write_off(job_id);
                """)
        }
        // Aggregation and rework: `reworked` decisions (the decision table is rebuilt for its CHECK), codes that may
        // pass once more (rework), case and pallet codes (SSCC serials), cases with their contents and current
        // members, pallets, and the queue of aggregation events for the registrar.
        migrator.registerMigration("v3-aggregation") { db in
            try db.execute(sql: """
                CREATE TABLE decision_v3 (
                    id INTEGER PRIMARY KEY,
                    line_id TEXT NOT NULL,
                    bottle_sequence INTEGER NOT NULL,
                    decided_at INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('good', 'no-read', 'malformed', 'duplicate', 'foreign',
                                                       'unknown-product', 'ambiguous', 'timeout', 'reworked')),
                    code TEXT,
                    product_code TEXT,
                    verdict TEXT NOT NULL,
                    job_id INTEGER REFERENCES job(id)
                );
                INSERT INTO decision_v3 (id, line_id, bottle_sequence, decided_at, kind, code, product_code, verdict, job_id)
                    SELECT id, line_id, bottle_sequence, decided_at, kind, code, product_code, verdict, job_id FROM decision;
                DROP TABLE decision;
                ALTER TABLE decision_v3 RENAME TO decision;
                CREATE INDEX decision_line ON decision(line_id, bottle_sequence);
                CREATE INDEX decision_job ON decision(job_id, kind) WHERE job_id IS NOT NULL;
                CREATE TABLE rework (
                    code TEXT NOT NULL PRIMARY KEY,
                    reason TEXT NOT NULL CHECK (reason IN ('rejected-after-activation', 'fail-safe-reject', 'case-dissolved', 'operator')),
                    source TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    used_decision_id INTEGER REFERENCES decision(id),
                    used_at INTEGER
                ) WITHOUT ROWID;
                CREATE TABLE unit_serial (
                    prefix TEXT NOT NULL PRIMARY KEY,
                    next INTEGER NOT NULL CHECK (next >= 0)
                ) WITHOUT ROWID;
                CREATE TABLE pallet (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL,
                    line_id TEXT NOT NULL,
                    station_id TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('built', 'dissolved')),
                    built_at INTEGER NOT NULL,
                    built_by TEXT NOT NULL,
                    case_count INTEGER NOT NULL,
                    dissolved_at INTEGER,
                    dissolved_by TEXT,
                    dissolve_reason TEXT
                );
                CREATE UNIQUE INDEX pallet_built ON pallet(code) WHERE status = 'built';
                CREATE INDEX pallet_code ON pallet(code, id);
                CREATE TABLE case_unit (
                    id INTEGER PRIMARY KEY,
                    code TEXT,
                    line_id TEXT NOT NULL,
                    station_id TEXT NOT NULL,
                    case_sequence INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('packed', 'rejected', 'dissolved')),
                    packed_ok INTEGER NOT NULL,
                    reasons TEXT,
                    detail TEXT,
                    at INTEGER NOT NULL,
                    bottle_count INTEGER NOT NULL,
                    job_id INTEGER REFERENCES job(id),
                    pallet_id INTEGER REFERENCES pallet(id),
                    dissolved_at INTEGER,
                    dissolved_by TEXT,
                    dissolve_reason TEXT
                );
                CREATE UNIQUE INDEX case_unit_packed ON case_unit(code) WHERE status = 'packed';
                CREATE INDEX case_unit_code ON case_unit(code, id);
                CREATE INDEX case_unit_station ON case_unit(station_id, case_sequence);
                CREATE INDEX case_unit_pallet ON case_unit(pallet_id) WHERE pallet_id IS NOT NULL;
                CREATE TABLE case_content (
                    case_id INTEGER NOT NULL REFERENCES case_unit(id),
                    position INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    PRIMARY KEY (case_id, position)
                ) WITHOUT ROWID;
                CREATE TABLE case_member (
                    code TEXT NOT NULL PRIMARY KEY,
                    case_id INTEGER NOT NULL REFERENCES case_unit(id)
                ) WITHOUT ROWID;
                CREATE INDEX case_member_case ON case_member(case_id);
                CREATE TABLE aggregation_event (
                    id INTEGER PRIMARY KEY,
                    event_id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('casePacked', 'caseDissolved', 'palletBuilt', 'palletDissolved')),
                    unit TEXT NOT NULL,
                    contents TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    line_id TEXT NOT NULL,
                    equipment_id TEXT NOT NULL,
                    after_activation INTEGER NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    result TEXT,
                    answered_at INTEGER
                );
                CREATE INDEX aggregation_event_pending ON aggregation_event(id) WHERE state = 'pending';
                """)
        }
        return migrator
    }

    /// Maps a GRDB/SQLite failure to an ``OutboxError`` naming the file.
    static func map(_ error: any Error, path: String) -> OutboxError {
        if let error = error as? OutboxError { return error }
        if let refused = error as? AggregationRefused { return .refused(path: path, reason: refused.description) }
        guard let error = error as? DatabaseError else {
            return .storage(path: path, code: -1, message: "\(error)")
        }
        let message = error.message ?? "\(error)"
        switch error.resultCode {
        case .SQLITE_FULL: return .diskFull(path: path, detail: message)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .corrupt(path: path, detail: message)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY: return .cannotOpen(path: path, detail: message)
        case .SQLITE_IOERR where error.extendedResultCode.rawValue & 0xFF == 10 && message.contains("No space"):
            return .diskFull(path: path, detail: message)
        default: return .storage(path: path, code: error.extendedResultCode.rawValue, message: message)
        }
    }

    /// Free bytes for an unprivileged writer on the file system holding the outbox (nil for in-memory).
    public func freeBytes() -> Int64? {
        guard path != ":memory:" else { return nil }
        var stats = statvfs()
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard statvfs(directory, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}
