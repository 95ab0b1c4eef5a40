import Foundation

/// Why the outbox could not do what was asked. Every case names the database file, so an operator knows which
/// disk or file to look at.
public enum OutboxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not a SQLite database, or SQLite found it damaged: the agent refuses to start rather than drop
    /// rows. `detail` is SQLite's own message (or the integrity check's first finding).
    case corrupt(path: String, detail: String)
    /// The file is a SQLite database but not a QazLine outbox (another application's tables).
    case notAnOutbox(path: String, detail: String)
    /// The disk (or the file system holding the file) is full: nothing of the failed write was stored.
    case diskFull(path: String, detail: String)
    /// Free space fell below the configured minimum: appends are refused before the disk actually fills.
    case lowDiskSpace(path: String, freeBytes: Int64, minimumBytes: Int64)
    /// The file cannot be opened or created (permissions, missing directory, read-only file system).
    case cannotOpen(path: String, detail: String)
    /// Any other SQLite failure: the raw result code and message.
    case storage(path: String, code: Int32, message: String)
    /// A pool file line is not a code; nothing of the file was imported.
    case invalidPoolFile(path: String, line: Int, reason: String)
    /// An operator action the outbox's rules refuse (a second open job on a line, an unknown user, …).
    case refused(path: String, reason: String)
    /// The file was migrated by a newer lineagent: it has migrations this binary does not know (`unknown`, in version
    /// order; `newestKnown` is this binary's newest). Nothing was changed; see docs/upgrades.md.
    case newerSchema(path: String, unknown: [String], newestKnown: String)

    public var description: String {
        switch self {
        case .corrupt(let path, let detail):
            "outbox \(path) is corrupt (\(detail)); refusing to start so that no recorded decision is lost. "
                + "Keep the file for analysis, restore it from a backup or move it aside to start with an empty outbox"
        case .notAnOutbox(let path, let detail): "\(path) is not a QazLine outbox: \(detail)"
        case .diskFull(let path, let detail): "disk full writing outbox \(path): \(detail)"
        case .lowDiskSpace(let path, let free, let minimum):
            "outbox \(path): only \(free) bytes free on its file system, below the minimum of \(minimum)"
        case .cannotOpen(let path, let detail): "cannot open outbox \(path): \(detail)"
        case .storage(let path, let code, let message): "outbox \(path): SQLite error \(code): \(message)"
        case .invalidPoolFile(let path, let line, let reason): "\(path):\(line): \(reason); nothing was imported"
        case .refused(_, let reason): reason
        case .newerSchema(let path, let unknown, let newestKnown):
            "outbox \(path) was written by a newer lineagent: its schema has \(unknown.joined(separator: ", ")), which this lineagent "
                + "(schema up to \(newestKnown)) does not know; run the newer lineagent (a backup taken before the upgrade lacks "
                + "the decisions recorded since)"
        }
    }

    /// Whether bottles must stop being acknowledged (the line must stop until an operator acts).
    public var stopsTheLine: Bool {
        switch self {
        case .invalidPoolFile, .refused: false
        default: true
        }
    }
}
