import Foundation
import GRDB
import PostgresNIO

/// Which of the registrar's named migrations a database has, against the ones this qazserver knows
/// (docs/upgrades.md). Migrations are append-only and named `vN-…`; a name this binary does not know was written by
/// a newer qazserver, and such a database is refused (``StoreError/newerSchema(database:unknown:newestKnown:)``).
public struct RegistrarSchema: Sendable, Equatable {
    /// The migrations applied to the database, in version order.
    public let applied: [String]
    /// This binary's migrations, in order (``SQLiteRegistrarStore/knownMigrations``).
    public let known: [String]

    public init(applied: [String], known: [String]) {
        self.applied = Self.versionOrdered(applied)
        self.known = known
    }

    /// Applied migrations this binary does not know (written by a newer qazserver), oldest first.
    public var unknown: [String] { Self.versionOrdered(applied.filter { !known.contains($0) }) }
    /// This binary's migrations not yet applied: what ``RegistrarStore/migrate()`` would run.
    public var pending: [String] { known.filter { !applied.contains($0) } }
    /// The newest migration applied that this binary knows (nil for an empty database).
    public var newestApplied: String? { known.last { applied.contains($0) } }
    /// Whether a newer qazserver wrote the database (this binary refuses to open it).
    public var isNewer: Bool { !unknown.isEmpty }

    /// The refusal for a database a newer qazserver wrote, nil when this binary may migrate and use it.
    /// - Parameter database: how the message names the database (a path, or the PostgreSQL database).
    public func refusal(database: String) -> StoreError? {
        isNewer ? .newerSchema(database: database, unknown: unknown, newestKnown: known.last ?? "none") : nil
    }

    /// Names in version order (`v9-…` before `v10-…`), names without a version number last.
    static func versionOrdered(_ names: [String]) -> [String] {
        func number(_ name: String) -> Int { Int(name.dropFirst().prefix { $0.isNumber }) ?? .max }
        return names.sorted { (number($0), $0) < (number($1), $1) }
    }
}

extension SQLiteRegistrarStore {
    /// The migrations this qazserver knows, in order (the newest last).
    public static var knownMigrations: [String] { migrator.migrations }

    /// The schema of a registrar SQLite file (a backup, say), read without changing the file: opened read-only,
    /// nothing is migrated.
    /// - Throws: ``StoreError/failure(_:)`` when the file is missing or not a SQLite database.
    public static func schema(path: String) throws(StoreError) -> RegistrarSchema {
        guard FileManager.default.fileExists(atPath: path) else { throw .failure("\(path) does not exist") }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let applied = try queue.read { db in try appliedMigrations(db) }
            try queue.close()
            return RegistrarSchema(applied: applied, known: knownMigrations)
        } catch {
            throw map(error)
        }
    }

    /// The schema of this store's database.
    public func schema() async throws(StoreError) -> RegistrarSchema {
        do { return RegistrarSchema(applied: try await writer.read { db in try Self.appliedMigrations(db) }, known: Self.knownMigrations) } catch {
            throw Self.map(error)
        }
    }

    /// GRDB's record of applied migrations (its table `grdb_migrations`; none in an empty database).
    static func appliedMigrations(_ db: Database) throws -> [String] {
        guard try db.tableExists("grdb_migrations") else { return [] }
        return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
    }
}

extension PostgresRegistrarStore {
    /// The migrations this qazserver knows, in order (the newest last); the same names as SQLite's.
    public static var knownMigrations: [String] { migrations.map(\.0) }

    /// The schema of this store's database (`schema_migration`), nothing changed. The store must be running.
    public func schema() async throws(StoreError) -> RegistrarSchema {
        let applied = try await connection { connection in
            let exists = try await connection.query("SELECT to_regclass('schema_migration') IS NOT NULL", logger: self.logger)
                .collect().first?.decode(Bool.self) ?? false
            guard exists else { return [String]() }
            return try await connection.query("SELECT name FROM schema_migration", logger: self.logger)
                .collect().map { try $0.decode(String.self) }
        }
        return RegistrarSchema(applied: applied, known: Self.knownMigrations)
    }
}
