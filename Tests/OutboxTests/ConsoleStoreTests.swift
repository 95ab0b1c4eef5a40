import Foundation
import GRDB
import LineCore
import Testing
@testable import Outbox

@Suite("Jobs, console users, audit log and write-offs in the agent's database")
struct ConsoleStoreTests {
    /// The decision times of `decision(_:_:)`: 1_795_000_000 s plus the sequence in milliseconds.
    static func at(_ sequence: Double) -> Date { Date(timeIntervalSince1970: 1_795_000_000 + sequence / 1000) }

    @Test("Decisions carry the job open on their line when they were decided, even when written later")
    func decisionsCarryTheirJob() async throws {
        let store = try memoryStore()
        _ = try await store.append(contentsOf: [good(1, 1), good(2, 2)])  // before any job
        let job = try await store.startJob(NewJob(lineID: "line1", recipe: 1, lot: "L1", planned: 100), by: "op", at: Self.at(3))
        // Bottle 4 decided while the job ran; bottle 2's late twin decided before it: only the first counts.
        _ = try await store.append(contentsOf: [good(4, 4), decision(5, .noRead), decision(6, .duplicate(code(4))),
                                                decision(2, .noRead), good(7, 7, line: "line2")])
        _ = try await store.endJob(line: "line1", id: job.id, by: "op", at: Self.at(8))
        _ = try await store.append(contentsOf: [good(9, 9)])
        let report = try await store.jobReport(job.id)
        #expect(report.bottles == 3)
        #expect(report.good == 1)
        #expect(report.rejectedByKind == ["no-read": 1, "duplicate": 1])
        #expect(report.codesUsed == 1)
        #expect(report.job.endedBy == "op")
    }

    @Test("A line has at most one open job; ending names the open one; bad lots are refused with the reason")
    func oneOpenJobPerLine() async throws {
        let store = try memoryStore()
        let first = try await store.startJob(NewJob(lineID: "line1", lot: "A"), by: "op")
        await #expect(throws: OutboxError.refused(path: ":memory:", reason: "line line1 already has job 1 open (lot A): end it first")) {
            try await store.startJob(NewJob(lineID: "line1", lot: "B"), by: "op")
        }
        _ = try await store.startJob(NewJob(lineID: "line2", lot: "B"), by: "op")
        await #expect(throws: OutboxError.refused(path: ":memory:", reason: "job 2 is not the open job of line line1 (that is job 1)")) {
            try await store.endJob(line: "line1", id: 2, by: "op")
        }
        _ = try await store.endJob(line: "line1", id: first.id, by: "op")
        await #expect(throws: OutboxError.refused(path: ":memory:", reason: "line line1 has no open job")) {
            try await store.endJob(line: "line1", by: "op")
        }
        await #expect(throws: OutboxError.refused(path: ":memory:", reason: "the lot number is empty")) {
            try await store.startJob(NewJob(lineID: "line1", lot: "  "), by: "op")
        }
        await #expect(throws: OutboxError.refused(path: ":memory:", reason: "the lot number contains control characters")) {
            try await store.startJob(NewJob(lineID: "line1", lot: "A\u{7}"), by: "op")
        }
        // Markup is not refused: the console escapes it wherever it shows a lot.
        let marked = try await store.startJob(NewJob(lineID: "line1", lot: "<b>L</b>"), by: "op")
        #expect(marked.lot == "<b>L</b>")
        #expect(try await store.jobs().map(\.id) == [3, 2, 1])
        await #expect(throws: OutboxError.refused(path: ":memory:", reason: "there is no job 99")) { try await store.jobReport(99) }
    }

    @Test("Users: unique names (any case), valid names only, password changes and disabling")
    func users() async throws {
        let store = try memoryStore()
        try await store.addUser("Alice", role: .operator, passwordHash: "$2b$04$x")
        await #expect(throws: OutboxError.self) { try await store.addUser("alice", role: .engineer, passwordHash: "$2b$04$y") }
        await #expect(throws: OutboxError.self) { try await store.addUser("a b", role: .engineer, passwordHash: "$2b$04$y") }
        #expect(try await store.account(named: "ALICE")?.role == .operator)
        try await store.disableUser("alice")
        #expect(try await store.account(named: "alice")?.disabled == true)
        try await store.setPassword("alice", passwordHash: "$2b$04$z")
        let account = try await store.account(named: "alice")
        #expect(account?.disabled == false && account?.passwordHash == "$2b$04$z")
        await #expect(throws: OutboxError.refused(path: ":memory:", reason: "there is no user bob")) {
            try await store.setPassword("bob", passwordHash: "h")
        }
    }

    @Test("The audit log keeps every action, newest first; write-offs count in the open job")
    func auditAndWriteOffs() async throws {
        let store = try memoryStore()
        try await store.audit(user: "op", action: "login")
        try await store.audit(user: "op", action: "alarm-ack", target: "alarm 3", detail: "[l1] reject-missed")
        #expect(try await store.auditLog().map(\.action) == ["alarm-ack", "login"])
        let job = try await store.startJob(NewJob(lineID: "line1", lot: "W"), by: "op")
        try await store.recordWriteOffs([(code(1), "written-off"), (code(2), "already-activated"), (code(1), "written-off")],
                                        reason: "damaged", user: "eng")
        #expect(try await store.jobReport(job.id).codesWrittenOff == 1)
    }

    @Test("An outbox of the first schema opens and gains the console's tables without losing a row")
    func migratesFromFirstSchema() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("v1.sqlite")
        // Write a file with only the first migration, as the previous release did.
        do {
            let queue = try DatabaseQueue(path: path)
            try AgentDatabase.migrator.migrate(queue, upTo: "v1-outbox")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO decision (line_id, bottle_sequence, decided_at, kind, code, product_code, verdict)
                    VALUES ('line1', 1, 0, 'no-read', NULL, NULL, '{}')
                    """)
            }
        }
        let store = OutboxStore(database: try AgentDatabase(path: path))
        #expect(try await store.decisionCounts()[.noRead] == 1)
        _ = try await store.startJob(NewJob(lineID: "line1", lot: "after upgrade"), by: "op")
        #expect(try await store.jobs().count == 1)
    }
}
