import Foundation
import GRDB
import SQLiteBackup
#if canImport(Glibc)
import Glibc
#endif

// Online backup and restore of the registrar's SQLite database (`qazserver backup` / `qazserver restore`).
//
// Backup: SQLite's backup API copies every page in one step inside one read transaction of a separate connection, so
// the copy is one committed state of the live database (WAL: the server keeps writing meanwhile). The copy goes to a
// temporary file beside the target, is switched to a self-contained file (journal_mode DELETE), checked (integrity,
// a registrar database, migrations this binary knows), fsynced and renamed into place.
//
// Restore: the backup is copied beside the live file and checked there. It is refused while any process holds the live
// database open (the kernel's lock table names it: a running server's connections hold SQLite's locks for as long as
// they are open). Otherwise the live file is hard-linked as `<file>.before-restore-<UTC time>`, its `-wal`, `-shm` and
// `-journal` go aside with it (a WAL not yet checkpointed stays with the file it belongs to), and the checked copy is
// renamed over it (the path always names one whole database). The file steps are `SQLiteBackup`'s, shared with the
// agent's outbox.

/// Why a backup or restore of the registrar's SQLite database was refused or failed. Every case names the file.
public enum RegistrarBackupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// There is no database at the configured path.
    case noDatabase(path: String)
    /// The backup file to restore or check is not there.
    case noBackup(path: String)
    /// The target exists and `--force` was not given.
    case targetExists(path: String)
    /// The directory that should hold the file does not exist.
    case noDirectory(path: String)
    /// The target is the live database (or its WAL/shared-memory file).
    case sameFile(target: String, live: String)
    /// SQLite cannot read the file as a database.
    case notADatabase(path: String, detail: String)
    /// `PRAGMA integrity_check` found damage.
    case damaged(path: String, findings: String)
    /// A SQLite database, but not a registrar's (another program's, or a line agent's outbox).
    case wrongKind(path: String, detail: String)
    /// Written by a newer `qazserver`: migrations this binary does not know.
    case newerSchema(path: String, unknown: [String])
    /// A server (or another program) holds the live database open.
    case inUse(path: String, detail: String)
    /// A file operation failed.
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case .noDatabase(let path): "no registrar database at \(path) (storage.path in the configuration): nothing to back up"
        case .noBackup(let path): "there is no backup file \(path)"
        case .targetExists(let path): "\(path) exists: choose another --to or give --force to replace it"
        case .noDirectory(let path): "the directory \(path) does not exist: create it or choose another path"
        case .sameFile(let target, let live):
            "\(target) is the live database \(live): a backup must be another file (ideally on another disk)"
        case .notADatabase(let path, let detail): "\(path) is not a SQLite database (\(detail))"
        case .damaged(let path, let findings): "\(path) is damaged (integrity check: \(findings))"
        case .wrongKind(let path, let detail): "\(path) is not a registrar database: \(detail)"
        case .newerSchema(let path, let unknown):
            "\(path) was written by a newer qazserver (migrations this binary does not know: \(unknown.joined(separator: ", "))); "
                + "restore it with that version"
        case .inUse(let path, let detail):
            "\(path) is in use (\(detail)): stop the registrar (qazserver serve) first, then restore"
        case .io(let path, let detail): "\(path): \(detail)"
        }
    }
}

/// What a registrar database file holds (a backup written, a backup checked, or a database restored).
public struct RegistrarBackupSummary: Sendable, Equatable {
    /// The file.
    public var path: String
    /// Its size in bytes.
    public var bytes: Int64
    /// The newest applied migration (the schema version), e.g. `v8-retail`.
    public var schemaVersion: String
    /// Applied migrations, and how many this binary knows (fewer applied: `serve` migrates it on start).
    public var migrations: Int
    public var knownMigrations: Int
    public var waybills: Int
    public var codes: Int
    /// Codes activated at some time (including those since traded or redeemed).
    public var activatedCodes: Int
    public var activationBatches: Int
    /// How long it took, in seconds.
    public var seconds: Double

    /// `12 waybills, 240,000 codes (180,000 activated), 450 activation batches`.
    public var counts: String {
        "\(waybills) waybill(s), \(codes) code(s) (\(activatedCodes) activated), \(activationBatches) activation batch(es)"
    }
}

/// What ``SQLiteRegistrarStore/restore(database:from:at:)`` did.
public struct RegistrarRestoreSummary: Sendable, Equatable {
    /// The database now in place.
    public var restored: RegistrarBackupSummary
    /// Where the database it replaced was moved (nil when there was none).
    public var movedAside: String?
}

extension SQLiteRegistrarStore {
    /// Backs up the live database at `database` to `target` while a server may be using it.
    /// - Parameters:
    ///   - force: replace an existing `target`.
    /// - Returns: what the backup holds.
    public static func backup(database: String, to target: String, force: Bool = false) throws(RegistrarBackupError) -> RegistrarBackupSummary {
        let started = ContinuousClock.now
        let live = URL(fileURLWithPath: database).standardizedFileURL.path
        let target = URL(fileURLWithPath: target).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: live) else { throw .noDatabase(path: live) }
        try SQLiteBackupFiles.checkTarget(target, live: live, force: force, sameFile: { RegistrarBackupError.sameFile(target: $0, live: $1) },
                                    exists: { RegistrarBackupError.targetExists(path: $0) }, noDirectory: { RegistrarBackupError.noDirectory(path: $0) })
        let temporary = SQLiteBackupFiles.temporaryPath(beside: target)
        defer { SQLiteBackupFiles.remove(temporary) }
        do {
            try SQLiteBackupFiles.onlineCopy(live, to: temporary)
        } catch {
            throw map(error, path: live)
        }
        var summary = try inspect(temporary, reportedAs: target)
        try SQLiteBackupFiles.commit(temporary, to: target, error: { RegistrarBackupError.io(path: $0, detail: $1) })
        summary.bytes = SQLiteBackupFiles.size(target)
        summary.seconds = (ContinuousClock.now - started).backupSeconds
        return summary
    }

    /// Checks a backup file without changing it: readable, undamaged, a registrar database, migrations known.
    public static func check(backup path: String) throws(RegistrarBackupError) -> RegistrarBackupSummary {
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else { throw .noBackup(path: path) }
        let copy = SQLiteBackupFiles.temporaryPath(beside: NSTemporaryDirectory() + "/qazserver-check")
        defer { SQLiteBackupFiles.remove(copy) }
        try SQLiteBackupFiles.copy(path, to: copy, error: { RegistrarBackupError.io(path: $0, detail: $1) })
        return try inspect(copy, reportedAs: path)
    }

    /// Puts the backup at `backup` in place of the database at `database`; refuses while a server holds it open.
    /// The replaced database is kept as `<database>.before-restore-<UTC time>`.
    public static func restore(database: String, from backup: String, at now: Date = Date()) throws(RegistrarBackupError) -> RegistrarRestoreSummary {
        let started = ContinuousClock.now
        let live = URL(fileURLWithPath: database).standardizedFileURL.path
        let backup = URL(fileURLWithPath: backup).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: backup) else { throw .noBackup(path: backup) }
        let directory = URL(fileURLWithPath: live).deletingLastPathComponent().path
        guard SQLiteBackupFiles.isDirectory(directory) else { throw .noDirectory(path: directory) }
        if SQLiteBackupFiles.sameFile(backup, live) { throw .sameFile(target: backup, live: live) }
        // The copy that will become the database is the one checked.
        let staged = SQLiteBackupFiles.temporaryPath(beside: live)
        defer { SQLiteBackupFiles.remove(staged) }
        try SQLiteBackupFiles.copy(backup, to: staged, error: { RegistrarBackupError.io(path: $0, detail: $1) })
        var summary = try inspect(staged, reportedAs: backup)
        let aside = try SQLiteBackupFiles.swap(live: live, staged: staged, now: now,
                                         error: .init(inUse: { RegistrarBackupError.inUse(path: $0, detail: $1) }, io: { RegistrarBackupError.io(path: $0, detail: $1) }))
        summary.path = live
        summary.bytes = SQLiteBackupFiles.size(live)
        summary.seconds = (ContinuousClock.now - started).backupSeconds
        return RegistrarRestoreSummary(restored: summary, movedAside: aside)
    }

    /// Reads a closed database file (never one in use): integrity, kind, migrations, counts.
    private static func inspect(_ file: String, reportedAs path: String) throws(RegistrarBackupError) -> RegistrarBackupSummary {
        do {
            let queue = try DatabaseQueue(path: file, configuration: readConfiguration())
            defer { try? queue.close() }
            return try queue.read { db throws(RegistrarBackupError) -> RegistrarBackupSummary in
                do {
                    let findings = try String.fetchAll(db, sql: "PRAGMA integrity_check(5)")
                    guard findings == ["ok"] else { throw RegistrarBackupError.damaged(path: path, findings: findings.joined(separator: "; ")) }
                    let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
                    let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                    if applicationID == 0x515A_4C4F {
                        throw RegistrarBackupError.wrongKind(path: path, detail: "it is a line agent's outbox (restore it with lineagent restore)")
                    }
                    let applied = tables.contains("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
                    guard applied.contains("v1-registrar"), tables.isSuperset(of: ["waybill", "code", "activation_batch"]) else {
                        let shown = tables.filter { !$0.hasPrefix("sqlite_") }.sorted().prefix(5)
                        throw RegistrarBackupError.wrongKind(path: path, detail: shown.isEmpty ? "it has no tables"
                                                                 : "its tables are \(shown.joined(separator: ", "))")
                    }
                    let schema = RegistrarSchema(applied: applied, known: knownMigrations)
                    guard !schema.isNewer else { throw RegistrarBackupError.newerSchema(path: path, unknown: schema.unknown) }
                    func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
                    return RegistrarBackupSummary(
                        path: path, bytes: SQLiteBackupFiles.size(file), schemaVersion: schema.newestApplied ?? "-",
                        migrations: applied.count, knownMigrations: schema.known.count,
                        waybills: try count("SELECT count(*) FROM waybill"), codes: try count("SELECT count(*) FROM code"),
                        activatedCodes: try count("SELECT count(*) FROM code WHERE activated_at IS NOT NULL"),
                        activationBatches: try count("SELECT count(*) FROM activation_batch"), seconds: 0)
                } catch let error as RegistrarBackupError {
                    throw error
                } catch {
                    throw map(error, path: path)
                }
            }
        } catch let error as RegistrarBackupError {
            throw error
        } catch {
            throw map(error, path: path)
        }
    }

    private static func readConfiguration() -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(10)
        return config
    }

    private static func map(_ error: any Error, path: String) -> RegistrarBackupError {
        if let error = error as? RegistrarBackupError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB: return .notADatabase(path: path, detail: error.message ?? "\(error.resultCode)")
            case .SQLITE_CORRUPT: return .damaged(path: path, findings: error.message ?? "\(error.resultCode)")
            default: return .io(path: path, detail: "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "\(error.resultCode)")")
            }
        }
        return .io(path: path, detail: "\(error)")
    }
}

extension Duration {
    fileprivate var backupSeconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

