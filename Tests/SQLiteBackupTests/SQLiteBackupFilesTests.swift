import Foundation
import GRDB
@testable import SQLiteBackup
import Testing

/// A fresh directory under the system's temporary directory, removed by ``cleanup()``.
private struct Directory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "sqlite-backup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

private enum Failure: Error, Equatable {
    case inUse(String, String)
    case io(String, String)
}

private var errors: SQLiteBackupFiles.Errors<Failure> { SQLiteBackupFiles.Errors<Failure>(inUse: { Failure.inUse($0, $1) }, io: { Failure.io($0, $1) }) }

/// A WAL database at `path` with `rows` rows in `t`.
private func makeDatabase(_ path: String, rows: Int) throws {
    var configuration = Configuration()
    configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    try queue.write { db in
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS t (x INTEGER)")
        for n in 0..<rows { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [n]) }
    }
    try queue.close()
}

private func count(_ path: String) throws -> Int {
    try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") ?? -1 }
}

/// Another process holding the database open in WAL mode (Python's sqlite3: the same C library, the same locks) until
/// its standard input closes. Returns when it has opened and read the database.
private final class HolderProcess {
    let process = Process()
    private let input = Pipe(), output = Pipe()

    init(database: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT count(*) FROM t').fetchall()
            print('open', flush=True); sys.stdin.read()
            """, database]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = output.fileHandleForReading.availableData
        guard String(decoding: line, as: UTF8.self).hasPrefix("open") else { throw Failure.io(database, "the holder did not open it") }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// SIGKILL, as a crash: its connection never closes, so its WAL is never checkpointed away.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite("SQLite backup files: who holds a database open, and a restore's swap")
struct SQLiteBackupFilesTests {
    @Test("the kernel's lock table is read as entries: POSIX and OFD kinds, waiters, EOF ends, device numbers as stat gives them")
    func lockTableParsing() {
        let table = """
            1: POSIX  ADVISORY  READ 7294 fe:00:16224313 128 128
            2: POSIX  ADVISORY  READ 7294 fe:00:16224301 1073741826 1073742335
            3: OFDLCK ADVISORY  WRITE -1 08:11:42 0 EOF
            3: -> POSIX  ADVISORY  WRITE 8000 08:11:42 0 EOF
            4: FLOCK  ADVISORY  WRITE 99 103:02:7 0 EOF
            garbage line
            """
        let entries = LockTableEntry.parse(table)
        #expect(entries.count == 5)
        #expect(entries[0] == LockTableEntry(kind: "POSIX", pid: 7294, device: 0xFE00, inode: 16_224_313, start: 128, end: 128))
        #expect(entries[1].start == 0x4000_0002 && entries[1].end == 0x4000_01FF)
        #expect(entries[2].kind == "OFDLCK" && entries[2].pid == -1 && entries[2].end == .max)
        #expect(entries[3].kind == "POSIX" && entries[3].pid == 8000 && entries[3].device == 0x0811)
        // Major 259 (0x103) needs glibc's wider encoding: 259 << 8 | 2
        #expect(entries[4].device == (259 << 8) | 2)
    }

    @Test("a database this process holds open is named as held by this process; closed, nobody holds it")
    func heldByThisProcess() throws {
        let dir = try Directory()
        defer { dir.cleanup() }
        let path = dir.file("db.sqlite")
        try makeDatabase(path, rows: 3)
        #expect(try SQLiteBackupFiles.lockHolders(path).isEmpty)
        let pool = try DatabasePool(path: path)
        _ = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") }
        let holders = try SQLiteBackupFiles.lockHolders(path)
        #expect(holders.map(\.pid) == [getpid()])
        #expect(holders.first?.description == "this process (\(getpid()))")
        try pool.close()
        #expect(try SQLiteBackupFiles.lockHolders(path).isEmpty)
    }

    @Test("a restore's swap is refused while another process holds the database open (named with its command), and the live file is untouched; after it exits, the old file goes aside with its WAL, whole")
    func swapRefusedWhileHeldByAnotherProcess() throws {
        let dir = try Directory()
        defer { dir.cleanup() }
        let live = dir.file("live.sqlite"), staged = dir.file("staged.sqlite")
        try makeDatabase(live, rows: 5)
        try makeDatabase(staged, rows: 2)
        // The live database's last rows are only in its WAL: a connection kept open stops the checkpoint at close
        let writer = try DatabasePool(path: live)
        try writer.write { db in for n in 0..<7 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [100 + n]) } }
        let holder = try HolderProcess(database: live)
        try writer.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: live))

        do {
            _ = try SQLiteBackupFiles.swap(live: live, staged: staged, now: Date(timeIntervalSince1970: 1_796_000_000), error: errors)
            Issue.record("swapped a database another process holds open")
        } catch {
            guard case .inUse(let path, let detail) = error else { Issue.record("expected inUse, got \(error)"); holder.stop(); return }
            #expect(path == live)
            #expect(detail == "process \(holder.process.processIdentifier) (python3) holds it open")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: live)) == before)
        #expect(FileManager.default.fileExists(atPath: staged))

        holder.kill()
        // A stale WAL beside the live file, as after a crash: it must go aside with the file it belongs to
        #expect(FileManager.default.fileExists(atPath: live + "-wal"))
        let aside = try #require(try SQLiteBackupFiles.swap(live: live, staged: staged, now: Date(timeIntervalSince1970: 1_796_000_000), error: errors))
        #expect(aside == live + ".before-restore-20261130T005320Z")
        #expect(!FileManager.default.fileExists(atPath: live + "-wal") && !FileManager.default.fileExists(atPath: staged))
        #expect(try count(live) == 2)
        #expect(try count(aside) == 12)
    }

    @Test("with no live database the staged file is put in place and a stray WAL is moved aside, never applied to it")
    func swapWithoutLiveDatabase() throws {
        let dir = try Directory()
        defer { dir.cleanup() }
        let live = dir.file("live.sqlite"), staged = dir.file("staged.sqlite")
        try makeDatabase(staged, rows: 4)
        try Data(repeating: 0x44, count: 4096).write(to: URL(fileURLWithPath: live + "-wal"))
        #expect(try SQLiteBackupFiles.swap(live: live, staged: staged, now: Date(), error: errors) == nil)
        #expect(try count(live) == 4)
        #expect(!FileManager.default.fileExists(atPath: live + "-wal"))
    }

    @Test("an online copy taken while another connection writes is one committed state, self-contained (no WAL)")
    func onlineCopyWhileWriting() async throws {
        let dir = try Directory()
        defer { dir.cleanup() }
        let live = dir.file("live.sqlite"), copy = dir.file("copy.sqlite")
        try makeDatabase(live, rows: 0)
        let pool = try DatabasePool(path: live)
        let writing = Task.detached {
            for _ in 0..<200 {
                try await pool.write { db in for n in 0..<10 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [n]) } }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        try SQLiteBackupFiles.onlineCopy(live, to: copy)
        try await writing.value
        try pool.close()
        let copied = try count(copy)
        #expect(copied % 10 == 0 && copied <= 2000)
        let mode = try await DatabaseQueue(path: copy).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "delete")
    }

    @Test("a lock table that cannot be read is an error naming it, not an empty answer")
    func unreadableLockTable() throws {
        let dir = try Directory()
        defer { dir.cleanup() }
        let live = dir.file("live.sqlite")
        try makeDatabase(live, rows: 1)
        #expect(throws: SQLiteBackupFiles.LockTableUnreadable.self) {
            try SQLiteBackupFiles.lockHolders(live, locks: dir.file("no-such-locks"))
        }
    }
}
