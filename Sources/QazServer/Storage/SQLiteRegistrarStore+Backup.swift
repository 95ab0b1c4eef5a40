import Foundation
import GRDB
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
// Restore: the backup is copied beside the live file and checked there. The live database is then locked with SQLite's
// own exclusive lock (`locking_mode = EXCLUSIVE` + `BEGIN EXCLUSIVE`, 1 s busy timeout): a running server holds the file
// open, so the lock is refused and so is the restore. Holding the lock, its WAL is checkpointed and the file leaves WAL
// mode (no `-wal` stays behind), it is hard-linked as `<file>.before-restore-<UTC time>` and the checked copy is renamed
// over it (the path always names one whole database), stale `-shm`/`-journal` files are moved aside with it.

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
        try BackupFiles.checkTarget(target, live: live, force: force, sameFile: { RegistrarBackupError.sameFile(target: $0, live: $1) },
                                    exists: { RegistrarBackupError.targetExists(path: $0) }, noDirectory: { RegistrarBackupError.noDirectory(path: $0) })
        let temporary = BackupFiles.temporaryPath(beside: target)
        defer { BackupFiles.remove(temporary) }
        do {
            let source = try DatabaseQueue(path: live, configuration: readConfiguration())
            let destination = try DatabaseQueue(path: temporary)
            try source.backup(to: destination)
            try source.close()
            try destination.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
            try destination.close()
        } catch {
            throw map(error, path: live)
        }
        var summary = try inspect(temporary, reportedAs: target)
        try BackupFiles.commit(temporary, to: target, error: { RegistrarBackupError.io(path: $0, detail: $1) })
        summary.bytes = BackupFiles.size(target)
        summary.seconds = (ContinuousClock.now - started).backupSeconds
        return summary
    }

    /// Checks a backup file without changing it: readable, undamaged, a registrar database, migrations known.
    public static func check(backup path: String) throws(RegistrarBackupError) -> RegistrarBackupSummary {
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else { throw .noBackup(path: path) }
        let copy = BackupFiles.temporaryPath(beside: NSTemporaryDirectory() + "/qazserver-check")
        defer { BackupFiles.remove(copy) }
        try BackupFiles.copy(path, to: copy, error: { RegistrarBackupError.io(path: $0, detail: $1) })
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
        guard BackupFiles.isDirectory(directory) else { throw .noDirectory(path: directory) }
        if BackupFiles.sameFile(backup, live) { throw .sameFile(target: backup, live: live) }
        // The copy that will become the database is the one checked.
        let staged = BackupFiles.temporaryPath(beside: live)
        defer { BackupFiles.remove(staged) }
        try BackupFiles.copy(backup, to: staged, error: { RegistrarBackupError.io(path: $0, detail: $1) })
        var summary = try inspect(staged, reportedAs: backup)
        let aside = try BackupFiles.swap(live: live, staged: staged, now: now, configuration: lockConfiguration(),
                                         error: BackupFiles.Errors(inUse: { RegistrarBackupError.inUse(path: $0, detail: $1) }, io: { RegistrarBackupError.io(path: $0, detail: $1) }))
        summary.path = live
        summary.bytes = BackupFiles.size(live)
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
                        path: path, bytes: BackupFiles.size(file), schemaVersion: schema.newestApplied ?? "-",
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

    private static func lockConfiguration() -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(1)
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

/// The file steps of a backup and a restore (temporary names beside the target, fsync, rename, the live file's lock).
/// The outbox has its own copy (`Outbox/AgentDatabase+Backup.swift`): the registrar and the agent share no GRDB target.
enum BackupFiles {
    /// The errors a caller's type makes of a path and a detail.
    struct Errors<E: Error> {
        var inUse: (String, String) -> E
        var io: (String, String) -> E
    }

    /// `<target>.partial-<pid>-<random>` in the target's directory (a rename from there is atomic).
    static func temporaryPath(beside target: String) -> String {
        "\(target).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func remove(_ path: String) {
        for file in [path, path + "-journal", path + "-wal", path + "-shm"] { unlink(file) }
    }

    /// Whether two paths name the same file (device and inode), or the same path.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        if URL(fileURLWithPath: a).resolvingSymlinksInPath().path == URL(fileURLWithPath: b).resolvingSymlinksInPath().path { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Refuses a target that is the live database (or its WAL/shm), that exists without `force`, or whose directory
    /// is missing.
    static func checkTarget<E: Error>(_ target: String, live: String, force: Bool, sameFile same: (String, String) -> E,
                                      exists: (String) -> E, noDirectory: (String) -> E) throws(E) {
        for file in [live, live + "-wal", live + "-shm", live + "-journal"] where sameFile(target, file) { throw same(target, live) }
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        guard isDirectory(directory) else { throw noDirectory(directory) }
        if FileManager.default.fileExists(atPath: target) {
            guard force else { throw exists(target) }
            guard !isDirectory(target) else { throw exists(target) }
        }
    }

    static func copy<E: Error>(_ source: String, to destination: String, error: (String, String) -> E) throws(E) {
        do {
            try FileManager.default.copyItem(atPath: source, toPath: destination)
        } catch let failure {
            throw error(source, "cannot copy to \(destination): \(failure.localizedDescription)")
        }
    }

    static func fsync<E: Error>(_ path: String, error: (String, String) -> E) throws(E) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw error(path, "cannot open for fsync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw error(path, "fsync failed: \(String(cString: strerror(errno)))") }
    }

    /// fsyncs `temporary`, renames it to `target` (replacing it) and fsyncs the directory.
    static func commit<E: Error>(_ temporary: String, to target: String, error: (String, String) -> E) throws(E) {
        try fsync(temporary, error: error)
        guard rename(temporary, target) == 0 else { throw error(target, "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))") }
        try fsync(URL(fileURLWithPath: target).deletingLastPathComponent().path, error: error)
    }

    /// `<live>.before-restore-20261204T103000Z`.
    static func asideName(_ live: String, _ now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "\(live).before-restore-\(formatter.string(from: now))"
    }

    /// The process holding SQLite's POSIX locks on a database (its lock bytes, or its `-shm` DMS byte) — for a live
    /// file SQLite itself cannot open. Only other processes are seen (POSIX locks are per process).
    static func lockHolder(_ path: String) -> Int32? {
        for (file, start, length) in [(path, 0x4000_0000, 512), (path + "-shm", 120, 9)] {
            let fd = open(file, O_RDONLY)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            lock.l_start = off_t(start)
            lock.l_len = off_t(length)
            if fcntl(fd, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK) { return lock.l_pid }
        }
        return nil
    }

    /// Replaces the database at `live` by the checked file `staged`, refusing while anything holds `live` open.
    /// Returns where the replaced database went (nil when there was none).
    static func swap<E: Error>(live: String, staged: String, now: Date, configuration: Configuration, error: Errors<E>) throws(E) -> String? {
        try fsync(staged, error: error.io)
        var aside = asideName(live, now)
        for n in 2... where FileManager.default.fileExists(atPath: aside) { aside = asideName(live, now) + "-\(n)" }
        guard FileManager.default.fileExists(atPath: live) else {
            // Nothing to replace, but the WAL of a database removed by hand must not be applied to the new file.
            try moveSidecars(of: live, to: aside, error: error.io)
            try place(staged, at: live, error: error.io)
            return nil
        }
        var placed: E?
        do {
            let lock = try DatabaseQueue(path: live, configuration: configuration)
            try lock.writeWithoutTransaction { db in
                // A running server holds the file open: the exclusive lock is refused (SQLITE_BUSY after 1 s).
                try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
                try db.execute(sql: "BEGIN EXCLUSIVE")
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")
                try db.execute(sql: "COMMIT")
                // Still holding it: fold the WAL in and leave WAL mode, so the file moved aside is whole and no -wal stays.
                _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                do throws(E) {
                    try link(live, aside, error: error.io)
                    unlink(live + "-shm")
                    try place(staged, at: live, error: error.io)
                } catch {
                    placed = error
                }
            }
            try lock.close()
        } catch let failure as DatabaseError where failure.resultCode == .SQLITE_BUSY || failure.resultCode == .SQLITE_LOCKED {
            throw error.inUse(live, "another connection holds it: \(failure.message ?? "database is locked")")
        } catch let failure as DatabaseError where failure.resultCode == .SQLITE_NOTADB || failure.resultCode == .SQLITE_CORRUPT {
            // The live file is damaged (the reason to restore, often): no SQLite lock to take; ask the OS who holds it.
            if let pid = lockHolder(live) { throw error.inUse(live, "process \(pid) holds it open") }
            try link(live, aside, error: error.io)
            try moveSidecars(of: live, to: aside, error: error.io)
            try place(staged, at: live, error: error.io)
            return aside
        } catch let failure {
            throw error.io(live, "cannot lock it for the restore: \(failure)")
        }
        if let placed { throw placed }
        return aside
    }

    private static func link<E: Error>(_ live: String, _ aside: String, error: (String, String) -> E) throws(E) {
        guard Glibc.link(live, aside) == 0 else { throw error(live, "cannot keep it as \(aside): \(String(cString: strerror(errno)))") }
    }

    private static func moveSidecars<E: Error>(of live: String, to aside: String, error: (String, String) -> E) throws(E) {
        for suffix in ["-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: live + suffix) {
            guard rename(live + suffix, aside + suffix) == 0 else {
                throw error(live + suffix, "cannot move it aside: \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func place<E: Error>(_ staged: String, at live: String, error: (String, String) -> E) throws(E) {
        guard rename(staged, live) == 0 else { throw error(live, "cannot rename \(staged) into place: \(String(cString: strerror(errno)))") }
        try fsync(URL(fileURLWithPath: live).deletingLastPathComponent().path, error: error)
    }
}
