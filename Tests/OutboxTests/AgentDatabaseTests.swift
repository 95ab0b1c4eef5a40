import Foundation
import GRDB
import LineCore
@testable import Outbox
import Testing

@Suite struct AgentDatabaseTests {
    @Test func garbageFileIsRefusedAndLeftUntouched() throws {
        // Given a file of random bytes where the outbox should be
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0..<16_384).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try garbage.write(to: URL(fileURLWithPath: path))

        // When the agent opens it
        let error = #expect(throws: OutboxError.self) { _ = try AgentDatabase(path: path) }
        // Then it refuses with a clear message naming the file
        guard case .corrupt(let errorPath, _) = error else { Issue.record("expected corrupt, got \(String(describing: error))"); return }
        #expect(errorPath == path)
        #expect("\(error!)".contains("refusing to start"))
        // And the file is exactly as it was: nothing recreated or truncated
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test func damagedOutboxIsRefusedByTheIntegrityCheck() async throws {
        // Given an outbox with rows whose pages are then overwritten in the middle of the file
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        do {
            let store = OutboxStore(database: try AgentDatabase(path: path))
            _ = try await store.append(contentsOf: (0..<3000).map { good(UInt64($0), $0) })
        }
        // Checkpoint the WAL into the main file so that the damage hits real rows.
        try await DatabaseQueue(path: path).writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 8192))
        try handle.close()

        // When it is opened, then it is refused as corrupt
        let error = #expect(throws: OutboxError.self) { _ = try AgentDatabase(path: path) }
        guard case .corrupt(let errorPath, _) = error else { Issue.record("expected corrupt, got \(String(describing: error))"); return }
        #expect(errorPath == path)
    }

    @Test func anotherApplicationsDatabaseIsRefused() throws {
        // Given a SQLite file of some other program
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("other.sqlite")
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY)") }

        // When it is opened as an outbox, then it is refused, naming its tables
        let error = #expect(throws: OutboxError.self) { _ = try AgentDatabase(path: path) }
        guard case .notAnOutbox(let errorPath, let detail) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(errorPath == path)
        #expect(detail.contains("invoices"))
    }

    @Test func rowsAndTheSeenSetSurviveARestart() async throws {
        // Given decisions recorded in a file
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        do {
            let store = OutboxStore(database: try AgentDatabase(path: path))
            _ = try await store.append(good(1, 1))
            _ = try await store.append(decision(2, .noRead))
        }
        // When the agent starts again and the same code comes by
        let store = OutboxStore(database: try AgentDatabase(path: path))
        let again = try await store.append(good(3, 1))

        // Then it is a duplicate, and the queue still holds the first activation
        #expect(try store.hasSeen(code(1)))
        #expect(again.decision.verdict == .duplicate(code(1)))
        #expect(!again.activationQueued)
        #expect(try await store.depth().pending == 1)
        #expect(try await store.decisionCounts() == [.good: 1, .noRead: 1, .duplicate: 1])
    }
}
