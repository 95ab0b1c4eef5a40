import Foundation
import GRDB

extension AgentDatabase {
    /// The outbox migrations this lineagent knows, in order (the newest last).
    public static var knownMigrations: [String] { migrator.migrations }

    /// The migrations applied to an outbox file (a backup, say), in version order, read without changing the file:
    /// opened read-only, nothing is migrated. Names not in ``knownMigrations`` were written by a newer lineagent.
    public static func appliedMigrations(path: String) throws(OutboxError) -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { throw .cannotOpen(path: path, detail: "no such file") }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in try appliedMigrations(db) }
        } catch {
            throw map(error, path: path)
        }
    }

    /// GRDB's record of applied migrations (none in an empty file), in version order.
    static func appliedMigrations(_ db: Database) throws -> [String] {
        guard try db.tableExists("grdb_migrations") else { return [] }
        return versionOrdered(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
    }

    /// The refusal for a file a newer lineagent migrated (applied names this binary does not know), else nil.
    static func newerSchemaRefusal(applied: [String], path: String) -> OutboxError? {
        let known = knownMigrations
        let unknown = applied.filter { !known.contains($0) }
        return unknown.isEmpty ? nil : .newerSchema(path: path, unknown: versionOrdered(unknown), newestKnown: known.last ?? "none")
    }

    /// Names in version order (`v9-…` before `v10-…`), names without a version number last.
    static func versionOrdered(_ names: [String]) -> [String] {
        func number(_ name: String) -> Int { Int(name.dropFirst().prefix { $0.isNumber }) ?? .max }
        return names.sorted { (number($0), $0) < (number($1), $1) }
    }
}
