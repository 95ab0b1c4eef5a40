import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

// The file steps shared by the registrar's and the agent's backup and restore (`qazserver backup|restore`,
// `lineagent backup|restore`): an online copy through SQLite's backup API, temporary names beside the target, fsync and
// rename, and the restore's swap, which refuses while any process holds the live database open.
//
// Who holds a database open is read from the kernel's lock table (`/proc/locks`), never by opening the live file: a
// SQLite connection in WAL mode holds a shared POSIX lock on its `-shm` file's "DMS" byte for as long as it is open, and
// any connection inside a transaction holds a lock on the database file's lock bytes (from 0x40000000). Taking SQLite's
// own exclusive lock instead does not conflict with idle WAL readers, and opening the file to ask with `F_GETLK` would
// release this process's own SQLite locks on it when closed (POSIX locks belong to the process, not the descriptor).

/// A process that holds SQLite locks on a database file or its `-shm` file.
package struct SQLiteLockHolder: Sendable, Equatable, CustomStringConvertible {
    /// Its process id (this process's own when the caller itself holds the database open).
    package var pid: Int32
    /// Its command name from `/proc/<pid>/comm`, when readable.
    package var command: String?

    /// `process 1234 (lineagent)`, or `this process` for the caller's own connections.
    package var description: String {
        if pid == getpid() { return "this process (\(pid))" }
        return command.map { "process \(pid) (\($0))" } ?? "process \(pid)"
    }
}

/// The file steps of a backup and a restore. Each step reports failures through the caller's error type: `io` for a file
/// operation that failed, `inUse` for a live database some process holds open.
package enum SQLiteBackupFiles {
    /// The errors a caller's type makes of a path and a detail.
    package struct Errors<E: Error> {
        package var inUse: (String, String) -> E
        package var io: (String, String) -> E

        package init(inUse: @escaping (String, String) -> E, io: @escaping (String, String) -> E) {
            self.inUse = inUse
            self.io = io
        }
    }

    /// `<target>.partial-<pid>-<random>` in the target's directory (a rename from there is atomic).
    package static func temporaryPath(beside target: String) -> String {
        "\(target).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    package static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    package static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Removes a database file and its journal, WAL and shared-memory files.
    package static func remove(_ path: String) {
        for file in [path, path + "-journal", path + "-wal", path + "-shm"] { unlink(file) }
    }

    /// Whether two paths name the same file (device and inode), or the same path.
    package static func sameFile(_ a: String, _ b: String) -> Bool {
        if URL(fileURLWithPath: a).resolvingSymlinksInPath().path == URL(fileURLWithPath: b).resolvingSymlinksInPath().path { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Refuses a target that is the live database (or its WAL/shm), that exists without `force`, or whose directory
    /// is missing.
    package static func checkTarget<E: Error>(_ target: String, live: String, force: Bool, sameFile same: (String, String) -> E,
                                              exists: (String) -> E, noDirectory: (String) -> E) throws(E) {
        for file in [live, live + "-wal", live + "-shm", live + "-journal"] where sameFile(target, file) { throw same(target, live) }
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        guard isDirectory(directory) else { throw noDirectory(directory) }
        if FileManager.default.fileExists(atPath: target) {
            guard force else { throw exists(target) }
            guard !isDirectory(target) else { throw exists(target) }
        }
    }

    /// Copies the database at `live` into the new file `temporary` with SQLite's backup API: every page in one step
    /// inside one read transaction of a separate connection, so the copy is one committed state while writers go on (WAL).
    /// The copy leaves WAL mode (one self-contained file). Errors are SQLite's, for the caller to name.
    package static func onlineCopy(_ live: String, to temporary: String, busyTimeout: TimeInterval = 10) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        let source = try DatabaseQueue(path: live, configuration: configuration)
        let destination = try DatabaseQueue(path: temporary)
        try source.backup(to: destination)
        try source.close()
        try destination.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
        try destination.close()
    }

    package static func copy<E: Error>(_ source: String, to destination: String, error: (String, String) -> E) throws(E) {
        do {
            try FileManager.default.copyItem(atPath: source, toPath: destination)
        } catch let failure {
            throw error(source, "cannot copy to \(destination): \(failure.localizedDescription)")
        }
    }

    package static func fsync<E: Error>(_ path: String, error: (String, String) -> E) throws(E) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw error(path, "cannot open for fsync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw error(path, "fsync failed: \(String(cString: strerror(errno)))") }
    }

    /// fsyncs `temporary`, renames it to `target` (replacing it) and fsyncs the directory.
    package static func commit<E: Error>(_ temporary: String, to target: String, error: (String, String) -> E) throws(E) {
        try fsync(temporary, error: error)
        guard rename(temporary, target) == 0 else { throw error(target, "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))") }
        try fsync(URL(fileURLWithPath: target).deletingLastPathComponent().path, error: error)
    }

    /// `<live>.before-restore-20261204T103000Z`.
    package static func asideName(_ live: String, _ now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "\(live).before-restore-\(formatter.string(from: now))"
    }

    /// The processes holding SQLite's (POSIX record) locks on the database at `path` (its lock bytes from 0x40000000) or
    /// on its `-shm` file (any byte: a WAL connection's shared lock on the DMS byte lasts as long as it is open), from
    /// `/proc/locks`.
    /// Includes this process when one of its own connections holds the database. Throws when the lock table cannot be read.
    package static func lockHolders(_ path: String, locks: String = "/proc/locks") throws(LockTableUnreadable) -> [SQLiteLockHolder] {
        var files: [(device: UInt64, inode: UInt64, from: UInt64)] = []
        for (file, from) in [(path, UInt64(0x4000_0000)), (path + "-shm", UInt64(0))] {
            var info = stat()
            guard stat(file, &info) == 0 else { continue }
            files.append((UInt64(info.st_dev), UInt64(info.st_ino), from))
        }
        guard !files.isEmpty else { return [] }
        guard let table = try? String(contentsOfFile: locks, encoding: .utf8) else { throw LockTableUnreadable(path: locks) }
        var pids: [Int32] = []
        for entry in LockTableEntry.parse(table) {
            guard entry.kind == "POSIX", files.contains(where: { $0.inode == entry.inode && $0.device == entry.device && entry.end >= $0.from }) else { continue }
            if !pids.contains(entry.pid) { pids.append(entry.pid) }
        }
        return pids.map { pid in
            let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
            return SQLiteLockHolder(pid: pid, command: comm?.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// `/proc/locks` (or the file given) could not be read: without it, a live database's holders are unknown.
    package struct LockTableUnreadable: Error, CustomStringConvertible {
        package var path: String
        package var description: String { "cannot read the kernel's lock table \(path) to see whether the database is open" }
    }

    /// Replaces the database at `live` by the checked file `staged`, refusing while any process holds `live` open.
    /// The replaced database goes to `<live>.before-restore-<UTC>` with its `-wal` (a WAL not yet checkpointed stays with
    /// the file it belongs to), `-shm` and `-journal`. Returns where it went (nil when there was none).
    package static func swap<E: Error>(live: String, staged: String, now: Date, error: Errors<E>) throws(E) -> String? {
        try fsync(staged, error: error.io)
        let first = asideName(live, now)
        var aside = first, n = 1
        while FileManager.default.fileExists(atPath: aside) || FileManager.default.fileExists(atPath: aside + "-wal") {
            n += 1
            aside = first + "-\(n)"
        }
        try refuseIfHeld(live, error: error)
        guard FileManager.default.fileExists(atPath: live) else {
            // Nothing to replace, but the WAL of a database removed by hand must not be applied to the new file.
            try moveSidecars(of: live, to: aside, error: error.io)
            try place(staged, at: live, error: error.io)
            return nil
        }
        // Shut out a process starting between the check and the rename: SQLite cannot read the file while this
        // descriptor holds a write lock on the shared range (an open-file-description lock, so closing other
        // descriptors of this process does not drop it). It is released when the old file has been moved aside.
        let fd = open(live, O_RDWR)
        guard fd >= 0 else { throw error.io(live, "cannot open it to lock it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(0x4000_0000)
        lock.l_len = off_t(512)
        lock.l_pid = 0
        guard fcntl(fd, fcntlOFDSetLock, &lock) == 0 else {
            throw error.inUse(live, "a connection holds a lock on it (\(String(cString: strerror(errno))))")
        }
        try refuseIfHeld(live, error: error)
        try link(live, aside, error: error.io)
        try moveSidecars(of: live, to: aside, error: error.io)
        try place(staged, at: live, error: error.io)
        return aside
    }

    /// `F_OFD_SETLK` (Linux; Glibc's module does not export it).
    private static let fcntlOFDSetLock: Int32 = 37

    private static func refuseIfHeld<E: Error>(_ live: String, error: Errors<E>) throws(E) {
        let holders: [SQLiteLockHolder]
        do { holders = try lockHolders(live) } catch let failure { throw error.io(live, failure.description) }
        guard holders.isEmpty else {
            throw error.inUse(live, holders.map(\.description).joined(separator: ", ") + (holders.count == 1 ? " holds it open" : " hold it open"))
        }
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

/// One line of `/proc/locks`: `1: POSIX  ADVISORY  READ 7294 fe:00:16224313 128 128` (an `->` marks a waiter; OFD locks
/// show pid -1).
package struct LockTableEntry: Sendable, Equatable {
    /// `POSIX` (SQLite's, and any `fcntl` record lock), `OFDLCK` (open-file-description locks) or `FLOCK`.
    package var kind: String
    package var pid: Int32
    package var device: UInt64
    package var inode: UInt64
    package var start: UInt64
    /// The last byte (`EOF` → the largest value).
    package var end: UInt64

    /// The entries of a lock table; lines that are not POSIX/OFD/FLOCK entries of this form are skipped.
    package static func parse(_ table: String) -> [LockTableEntry] {
        table.split(separator: "\n").compactMap { line in
            var fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if fields.count > 1, fields[1] == "->" { fields.remove(at: 1) }
            guard fields.count >= 8, let pid = Int32(fields[4]) else { return nil }
            let id = fields[5].split(separator: ":")
            guard id.count == 3, let major = UInt64(id[0], radix: 16), let minor = UInt64(id[1], radix: 16), let inode = UInt64(id[2]),
                  let start = UInt64(fields[6]) else { return nil }
            let end = fields[7] == "EOF" ? UInt64.max : (UInt64(fields[7]) ?? UInt64.max)
            return LockTableEntry(kind: fields[1], pid: pid, device: makedev(major: major, minor: minor), inode: inode, start: start, end: end)
        }
    }

    /// Glibc's `makedev` (a macro Swift does not import): the kernel's encoding of `st_dev`.
    static func makedev(major: UInt64, minor: UInt64) -> UInt64 {
        ((major & 0xFFFF_F000) << 32) | ((major & 0x0000_0FFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0x0000_00FF)
    }
}
