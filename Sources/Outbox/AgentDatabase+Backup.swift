import Foundation
import GRDB
import SQLiteBackup
#if canImport(Glibc)
import Glibc
#endif

// Online backup and restore of the agent's outbox (`lineagent backup` / `lineagent restore`); the file steps are
// `SQLiteBackup`'s, shared with the registrar's SQLite store.
//
// Backup: SQLite's backup API copies one committed state in one step from a separate connection while the agent
// records decisions (WAL); the copy goes to a temporary file beside the target, leaves WAL mode (one self-contained
// file), is checked (integrity, an outbox, migrations this binary knows), fsynced and renamed into place.
//
// Restore: the backup is copied beside the outbox and checked there. It is refused while any process holds the outbox
// open (the kernel's lock table names it: a running agent's connections hold SQLite's locks for as long as they are
// open). Otherwise the outbox is kept as `<file>.before-restore-<UTC time>` with its WAL and the copy renamed over it.
// A restored outbox may list as pending what the registrar already holds: it re-sends those in their batches (same
// batch ids, answered from the registrar's storage) or, never batched, in new ones answered `alreadyActivated`.

/// Why a backup or restore of the outbox was refused or failed. Every case names the file.
public enum OutboxBackupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// There is no outbox at the configured path.
    case noDatabase(path: String)
    /// The backup file to restore or check is not there.
    case noBackup(path: String)
    /// The target exists and `--force` was not given.
    case targetExists(path: String)
    /// The directory that should hold the file does not exist.
    case noDirectory(path: String)
    /// The target is the live outbox (or its WAL/shared-memory file).
    case sameFile(target: String, live: String)
    /// SQLite cannot read the file as a database.
    case notADatabase(path: String, detail: String)
    /// `PRAGMA integrity_check` found damage.
    case damaged(path: String, findings: String)
    /// A SQLite database, but not an outbox (another program's, or a registrar's database).
    case wrongKind(path: String, detail: String)
    /// Written by a newer `lineagent`: migrations this binary does not know.
    case newerSchema(path: String, unknown: [String])
    /// The agent (or another program) holds the outbox open.
    case inUse(path: String, detail: String)
    /// A file operation failed.
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case .noDatabase(let path): "no outbox at \(path) (outbox.path in the configuration): nothing to back up"
        case .noBackup(let path): "there is no backup file \(path)"
        case .targetExists(let path): "\(path) exists: choose another --to or give --force to replace it"
        case .noDirectory(let path): "the directory \(path) does not exist: create it or choose another path"
        case .sameFile(let target, let live): "\(target) is the live outbox \(live): a backup must be another file (ideally on another disk)"
        case .notADatabase(let path, let detail): "\(path) is not a SQLite database (\(detail))"
        case .damaged(let path, let findings): "\(path) is damaged (integrity check: \(findings))"
        case .wrongKind(let path, let detail): "\(path) is not a line agent's outbox: \(detail)"
        case .newerSchema(let path, let unknown):
            "\(path) was written by a newer lineagent (migrations this binary does not know: \(unknown.joined(separator: ", "))); "
                + "restore it with that version"
        case .inUse(let path, let detail): "\(path) is in use (\(detail)): stop the agent (lineagent run) first, then restore"
        case .io(let path, let detail): "\(path): \(detail)"
        }
    }
}

/// What an outbox file holds (a backup written, a backup checked, or an outbox restored).
public struct OutboxBackupSummary: Sendable, Equatable {
    public var path: String
    /// Its size in bytes.
    public var bytes: Int64
    /// The newest applied migration (the schema version), e.g. `v3-aggregation`.
    public var schemaVersion: String
    /// Applied migrations, and how many this binary knows (fewer applied: the agent migrates it on start).
    public var migrations: Int
    public var knownMigrations: Int
    public var decisions: Int
    /// Activations waiting for the registrar (in an open batch or not yet batched).
    public var pending: Int
    /// Activations the registrar answered.
    public var delivered: Int
    /// Dead letters not requeued.
    public var dead: Int
    /// Batches formed and not yet answered in full (re-sent under the same batch id).
    public var openBatches: Int
    /// Aggregation events waiting for the registrar.
    public var pendingAggregationEvents: Int
    /// How long it took, in seconds.
    public var seconds: Double

    /// `1,200 decisions; activations: 200 pending (1 open batch), 1,000 delivered, 0 dead; 3 aggregation events pending`.
    public var counts: String {
        "\(decisions) decision(s); activations: \(pending) pending (\(openBatches) open batch(es)), \(delivered) delivered, "
            + "\(dead) dead letter(s); \(pendingAggregationEvents) aggregation event(s) pending"
    }
}

/// What ``AgentDatabase/restore(outbox:from:at:)`` did.
public struct OutboxRestoreSummary: Sendable, Equatable {
    /// The outbox now in place.
    public var restored: OutboxBackupSummary
    /// Where the outbox it replaced was moved (nil when there was none).
    public var movedAside: String?
}

extension AgentDatabase {
    /// Backs up the outbox at `outbox` to `target` while the agent may be using it.
    /// - Parameter force: replace an existing `target`.
    public static func backup(outbox: String, to target: String, force: Bool = false) throws(OutboxBackupError) -> OutboxBackupSummary {
        let started = ContinuousClock.now
        let live = URL(fileURLWithPath: outbox).standardizedFileURL.path
        let target = URL(fileURLWithPath: target).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: live) else { throw .noDatabase(path: live) }
        try SQLiteBackupFiles.checkTarget(target, live: live, force: force, sameFile: { OutboxBackupError.sameFile(target: $0, live: $1) },
                                          exists: { OutboxBackupError.targetExists(path: $0) }, noDirectory: { OutboxBackupError.noDirectory(path: $0) })
        let temporary = SQLiteBackupFiles.temporaryPath(beside: target)
        defer { SQLiteBackupFiles.remove(temporary) }
        do {
            try SQLiteBackupFiles.onlineCopy(live, to: temporary)
        } catch {
            throw map(error, path: live)
        }
        var summary = try inspect(temporary, reportedAs: target)
        try SQLiteBackupFiles.commit(temporary, to: target, error: { OutboxBackupError.io(path: $0, detail: $1) })
        summary.bytes = SQLiteBackupFiles.size(target)
        summary.seconds = (ContinuousClock.now - started).outboxSeconds
        return summary
    }

    /// Checks a backup file without changing it: readable, undamaged, an outbox, migrations known.
    public static func check(backup path: String) throws(OutboxBackupError) -> OutboxBackupSummary {
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else { throw .noBackup(path: path) }
        let copy = SQLiteBackupFiles.temporaryPath(beside: NSTemporaryDirectory() + "/lineagent-check")
        defer { SQLiteBackupFiles.remove(copy) }
        try SQLiteBackupFiles.copy(path, to: copy, error: { OutboxBackupError.io(path: $0, detail: $1) })
        return try inspect(copy, reportedAs: path)
    }

    /// Puts the backup at `backup` in place of the outbox at `outbox`; refuses while the agent holds it open. The
    /// replaced outbox is kept as `<outbox>.before-restore-<UTC time>`.
    public static func restore(outbox: String, from backup: String, at now: Date = Date()) throws(OutboxBackupError) -> OutboxRestoreSummary {
        let started = ContinuousClock.now
        let live = URL(fileURLWithPath: outbox).standardizedFileURL.path
        let backup = URL(fileURLWithPath: backup).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: backup) else { throw .noBackup(path: backup) }
        let directory = URL(fileURLWithPath: live).deletingLastPathComponent().path
        guard SQLiteBackupFiles.isDirectory(directory) else { throw .noDirectory(path: directory) }
        if SQLiteBackupFiles.sameFile(backup, live) { throw .sameFile(target: backup, live: live) }
        let staged = SQLiteBackupFiles.temporaryPath(beside: live)
        defer { SQLiteBackupFiles.remove(staged) }
        try SQLiteBackupFiles.copy(backup, to: staged, error: { OutboxBackupError.io(path: $0, detail: $1) })
        var summary = try inspect(staged, reportedAs: backup)
        let aside = try SQLiteBackupFiles.swap(
            live: live, staged: staged, now: now,
            error: .init(inUse: { OutboxBackupError.inUse(path: $0, detail: $1) }, io: { OutboxBackupError.io(path: $0, detail: $1) }))
        summary.path = live
        summary.bytes = SQLiteBackupFiles.size(live)
        summary.seconds = (ContinuousClock.now - started).outboxSeconds
        return OutboxRestoreSummary(restored: summary, movedAside: aside)
    }

    /// Reads a closed database file (never one in use): integrity, kind, migrations, counts.
    private static func inspect(_ file: String, reportedAs path: String) throws(OutboxBackupError) -> OutboxBackupSummary {
        do {
            let queue = try DatabaseQueue(path: file, configuration: readConfiguration())
            defer { try? queue.close() }
            return try queue.read { db throws(OutboxBackupError) -> OutboxBackupSummary in
                do {
                    let findings = try String.fetchAll(db, sql: "PRAGMA integrity_check(5)")
                    guard findings == ["ok"] else { throw OutboxBackupError.damaged(path: path, findings: findings.joined(separator: "; ")) }
                    let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
                    let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                    let applied = tables.contains("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
                    guard applicationID == AgentDatabase.applicationID, applied.contains("v1-outbox") else {
                        if applied.contains("v1-registrar") {
                            throw OutboxBackupError.wrongKind(path: path, detail: "it is a registrar database (restore it with qazserver restore)")
                        }
                        let shown = tables.filter { !$0.hasPrefix("sqlite_") }.sorted().prefix(5)
                        throw OutboxBackupError.wrongKind(
                            path: path, detail: "application_id is \(applicationID), " + (shown.isEmpty ? "no tables" : "tables \(shown.joined(separator: ", "))"))
                    }
                    let known = knownMigrations
                    let unknown = applied.filter { !known.contains($0) }.sorted()
                    guard unknown.isEmpty else { throw OutboxBackupError.newerSchema(path: path, unknown: unknown) }
                    func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
                    let aggregation = tables.contains("aggregation_event")
                        ? try count("SELECT count(*) FROM aggregation_event WHERE state = 'pending'") : 0
                    return OutboxBackupSummary(
                        path: path, bytes: SQLiteBackupFiles.size(file), schemaVersion: known.last(where: applied.contains) ?? "-",
                        migrations: applied.count, knownMigrations: known.count,
                        decisions: try count("SELECT count(*) FROM decision"),
                        pending: try count("SELECT count(*) FROM activation WHERE state = 'pending'"),
                        delivered: try count("SELECT count(*) FROM activation WHERE state = 'delivered'"),
                        dead: try count("SELECT count(*) FROM dead_letter WHERE requeued_at IS NULL"),
                        openBatches: try count("SELECT count(*) FROM delivery_batch WHERE state = 'open'"),
                        pendingAggregationEvents: aggregation, seconds: 0)
                } catch let error as OutboxBackupError {
                    throw error
                } catch {
                    throw map(error, path: path)
                }
            }
        } catch let error as OutboxBackupError {
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

    private static func map(_ error: any Error, path: String) -> OutboxBackupError {
        if let error = error as? OutboxBackupError { return error }
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
    fileprivate var outboxSeconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}


/// What ``OutboxStore/requeueDelivered(since:)`` put back in the queue.
public struct Requeued: Sendable, Equatable {
    /// Activations the registrar had answered at or after the time, pending again (sent in new batches).
    public var activations: Int
    /// Aggregation events likewise.
    public var aggregationEvents: Int
}

extension OutboxStore {
    /// After the registrar was restored from a backup, it lacks what it accepted after that backup, while this outbox
    /// has it as delivered. This puts every activation (and aggregation event) the registrar answered at or after
    /// `since` back in the queue: the drainer sends them again, in new batches; the registrar activates the codes it
    /// lacks and answers the others `alreadyActivated` (events it holds are answered from storage), so nothing is
    /// counted twice. Pick `since` a few minutes before the registrar's backup (the agent's clock may differ).
    @discardableResult
    public func requeueDelivered(since: Date) async throws(OutboxError) -> Requeued {
        let cutoff = Self.millis(since)
        return try await write { db in
            try db.execute(sql: """
                UPDATE activation SET state = 'pending', batch = NULL, result = NULL, server_activated_at = NULL, answered_at = NULL
                WHERE state = 'delivered' AND answered_at >= ?
                """, arguments: [cutoff])
            let activations = db.changesCount
            try db.execute(sql: """
                UPDATE aggregation_event SET state = 'pending', result = NULL, answered_at = NULL, attempts = 0, last_error = NULL
                WHERE state = 'delivered' AND answered_at >= ?
                """, arguments: [cutoff])
            return Requeued(activations: activations, aggregationEvents: db.changesCount)
        }
    }
}
