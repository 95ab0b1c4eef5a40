import Foundation
import GRDB
import LineCore
@testable import Outbox
import Testing

// Upgrades of the agent's outbox (docs/upgrades.md): every Tests/Fixtures/schema/outbox-vN.sqlite — written by the
// simulated plant of an older version (scripts/schema-fixture.sh) — opens with the current AgentDatabase, migrates to
// whatever migrations this code has, and keeps every decision and every activation's state (pending still pending,
// delivered still delivered with its answer, dead still dead); new decisions queue and batch as usual. A file a newer
// lineagent migrated is refused, unchanged.

/// The outbox fixtures, found beside this file (not SwiftPM resources), oldest first.
enum OutboxFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schema")

    static func version(_ name: String) -> Int? {
        guard let range = name.range(of: #"-v[0-9]+\."#, options: .regularExpression) else { return nil }
        return Int(name[range].dropFirst(2).dropLast())
    }

    static let all: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasPrefix("outbox-v") && $0.hasSuffix(".sqlite") && version($0) != nil }
        .sorted { version($0)! < version($1)! }
}

/// What the old code wrote, read with plain SQL.
private struct OldOutbox: Equatable {
    var activations: [String: [String?]] = [:]  // code → [state, result]
    var kinds: [String: Int] = [:]
    var deadLetters = 0
    var migrations: Set<String> = []
    var tableRows: [String: Int] = [:]

    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        try queue.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT code, state, result FROM activation") {
                activations[row["code"]] = [row["state"], row["result"]]
            }
            for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM decision GROUP BY kind") { kinds[row["kind"]] = row["n"] }
            deadLetters = try Int.fetchOne(db, sql: "SELECT count(*) FROM dead_letter WHERE requeued_at IS NULL") ?? 0
            migrations = try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations")
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                tableRows[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"")
            }
        }
    }
}

@Suite("Outbox schema upgrades")
struct OutboxSchemaUpgradeTests {
    @Test("the fixtures cover every outbox schema version before the newest this code has", .enabled(if: !OutboxFixtures.all.isEmpty))
    func fixturesCoverOlderVersions() throws {
        let newest = try #require(AgentDatabase.knownMigrations.compactMap { Int($0.dropFirst().prefix { $0.isNumber }) }.max())
        let have = Set(OutboxFixtures.all.compactMap(OutboxFixtures.version))
        let missing = (1..<newest).filter { !have.contains($0) }
        #expect(missing.isEmpty, """
            no outbox fixture for schema version(s) \(missing.map { "v\($0)" }.joined(separator: ", ")): write one with \
            scripts/schema-fixture.sh (see docs/upgrades.md)
            """)
    }

    @Test("an old outbox migrates: decisions and activation states as written, new decisions queue", arguments: OutboxFixtures.all)
    func upgrade(_ file: String) async throws {
        // Given a copy of an outbox an older lineagent wrote
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        try FileManager.default.copyItem(atPath: OutboxFixtures.directory.appendingPathComponent(file).path, toPath: path)
        let old = try OldOutbox(path: path)
        let version = try #require(OutboxFixtures.version(file))
        #expect(old.migrations.contains { $0.hasPrefix("v\(version)-") } && !old.migrations.contains { $0.hasPrefix("v\(version + 1)-") },
                "\(file) has migrations \(old.migrations.sorted())")
        #expect(!old.activations.isEmpty && old.activations.values.contains { $0[0] == "delivered" }, "\(file) has no delivered activation")

        // When the current code opens it (which migrates it)
        let store = OutboxStore(database: try AgentDatabase(path: path))

        // Then every activation keeps its state and answer, and every decision is still there
        #expect(Set(try await store.database.schemaMigrations()) == Set(AgentDatabase.knownMigrations))
        for (text, row) in old.activations {
            let answer = try #require(try await store.answer(for: StampCode(trusted: text)), "activation of \(text) is gone")
            #expect(answer.state.rawValue == row[0] && answer.result == row[1], "\(text): \(row) before, \(answer) after")
        }
        let kinds = try await store.decisionCounts()
        #expect(Dictionary(uniqueKeysWithValues: kinds.map { ($0.key.rawValue, $0.value) }) == old.kinds)
        let depth = try await store.depth()
        #expect(depth.pending == old.activations.values.filter { $0[0] == "pending" }.count && depth.deadLetters == old.deadLetters)
        for table in old.tableRows.keys where table != "grdb_migrations" {
            #expect(try await store.database.rowCount(table) == old.tableRows[table], "table \(table)")
        }
        if old.activations.values.contains(where: { $0[0] == "pending" }) {
            // Pending activations written by the old code are delivered by the new one: they batch.
            let batch = try #require(try await store.beginBatch(limit: 1000, equipmentId: "cam-upgrade"))
            let pending = Set(old.activations.filter { $0.value[0] == "pending" }.keys)
            #expect(!pending.isDisjoint(with: batch.records.map(\.code.rawValue)))
        }

        // And a new decision queues as pending and is seen as used
        let fresh = StampCode(trusted: "QZU000000000000000077")
        _ = try await store.append(decision(1_000_000, .good(fresh), line: "line-upgrade"))
        #expect(try await store.answer(for: fresh)?.state == .pending)
        #expect(try store.hasSeen(fresh))
    }

    @Test("an outbox a newer lineagent wrote is refused, naming its unknown migrations and this code's newest; the file is untouched")
    func downgradeRefused() async throws {
        // Given an outbox with a decision, then migrated by a "newer" lineagent
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        do {
            let store = OutboxStore(database: try AgentDatabase(path: path))
            _ = try await store.append(good(1, 1))
        }
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v12-later'), ('v4-jobs-next')") }
            try queue.close()
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))

        // When this lineagent opens it
        let error = #expect(throws: OutboxError.self) { _ = try AgentDatabase(path: path) }

        // Then it is refused with the names, and the file is byte for byte as it was
        guard case .newerSchema(let errorPath, let unknown, let newestKnown) = error else {
            Issue.record("expected newerSchema, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path && unknown == ["v4-jobs-next", "v12-later"] && newestKnown == AgentDatabase.knownMigrations.last)
        let message = "\(error!)"
        #expect(message.contains("written by a newer lineagent") && message.contains("v4-jobs-next, v12-later")
                && message.contains("schema up to \(AgentDatabase.knownMigrations.last!)"), "\(message)")
        #expect(error!.stopsTheLine)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "the refused outbox was changed")
        #expect(try AgentDatabase.appliedMigrations(path: path).suffix(2) == ["v4-jobs-next", "v12-later"])
    }

    @Test("an old outbox with a newer migration is refused before its pending migrations run", .enabled(if: OutboxFixtures.all.count > 1))
    func refusedBeforePendingMigrations() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        try FileManager.default.copyItem(atPath: OutboxFixtures.directory.appendingPathComponent(OutboxFixtures.all[0]).path, toPath: path)
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')") }
            try queue.close()
        }
        let before = try OldOutbox(path: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: OutboxError.self) { _ = try AgentDatabase(path: path) }
        #expect(error == .newerSchema(path: path, unknown: ["v99-future"], newestKnown: AgentDatabase.knownMigrations.last!))
        #expect(try OldOutbox(path: path) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "the refused outbox was changed (not even switched to WAL)")
    }
}

extension AgentDatabase {
    /// The applied migrations (tests).
    func schemaMigrations() async throws -> [String] { try await writer.read { db in try AgentDatabase.appliedMigrations(db) } }
    /// Rows of a table (tests).
    func rowCount(_ table: String) async throws -> Int { try await writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0 } }
}
