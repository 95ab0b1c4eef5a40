import Delivery
import Foundation
import LineAgentTesting
import LineCore
import Outbox
import QazAPI
import QazClient
import Testing
@testable import LineAgent

/// An outbox with every kind of row: decisions at 2026-11-22 10:00:0N Astana time on line1 —
/// 1 good → delivered, 2 and 3 good → dead letters (foreign; failed 422), 4 and 5 good → pending in an open batch
/// (one failed attempt), 6 good → not yet batched, 7 no-read, 8 malformed, 9 unknown product.
func filledOutbox(_ fixture: AgentFixture) async throws -> OutboxStore {
    let store = try fixture.store()
    let t0 = UTCTime.parse("2026-11-22T05:00:00Z")!
    let at = { (s: Int) in t0.addingTimeInterval(Double(s)) }
    _ = try await store.append(contentsOf: (1...5).map { goodDecision(UInt64($0), stamp($0), at: at($0)) })
    let batch = try #require(try await store.beginBatch(limit: 10, equipmentId: "line1-top", now: at(6)))
    try await store.complete(batch, outcomes: [
        .delivered(ActivationResult(code: stamp(1).rawValue, result: .activated, activatedAt: Timestamp(at(1)))),
        .rejected(ActivationResult(code: stamp(2).rawValue, result: .foreign, reason: "issued to another participant")),
        .failed(code: ErrorCode(rawValue: "invalid_field"), reason: "registrar answered 422 invalid_field: productCode"),
        .retry(after: nil, reason: "registrar answered 503 unavailable"),
        .retry(after: nil, reason: "registrar answered 503 unavailable"),
    ], at: at(7))
    _ = try await store.append(contentsOf: [
        goodDecision(6, stamp(6), at: at(8)),
        BottleDecision(lineID: "line1", bottleSequence: 7, decidedAt: at(9), product: nil, verdict: .noRead),
        BottleDecision(lineID: "line1", bottleSequence: 8, decidedAt: at(10), product: nil,
                       verdict: .malformed(.hostNotAllowed("evil.example.com"))),
        BottleDecision(lineID: "line1", bottleSequence: 9, decidedAt: at(11), product: nil, verdict: .unknownProduct(recipe: 9)),
    ])
    return store
}

/// The cells of a table row (columns are separated by two or more spaces).
func cells(_ line: String) -> [String] {
    line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

@Suite("lineagent outbox list|retry|export", .serialized)
struct OutboxCommandsTests {
    @Test("list shows pending activations and dead letters with Astana times, batch ids and reasons")
    func list() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let store = try await filledOutbox(fixture)
        let batchId = try #require(try await store.answer(for: stamp(4))?.batchId).uuidString.lowercased()

        let both = try await lineagent(["outbox", "list", "--config", fixture.configPath])
        #expect(both.status == 0, "\(both)")
        let rows = both.stdout.split(separator: "\n").map { cells(String($0)) }
        #expect(rows.first == ["PENDING 3"])
        #expect(rows.contains([stamp(4).rawValue, "line1", "4", "2026-11-22 10:00:04 +05", batchId, "1", "registrar answered 503 unavailable"]))
        #expect(rows.contains([stamp(6).rawValue, "line1", "6", "2026-11-22 10:00:08 +05", "-", "0", "-"]))
        #expect(rows.contains(["DEAD LETTERS 2"]))
        #expect(rows.contains([stamp(2).rawValue, "line1", "2", "2026-11-22 10:00:02 +05", "2026-11-22 10:00:07 +05", "foreign",
                               "issued to another participant"]))
        #expect(rows.contains([stamp(3).rawValue, "line1", "3", "2026-11-22 10:00:03 +05", "2026-11-22 10:00:07 +05", "invalid_field",
                               "registrar answered 422 invalid_field: productCode"]))
        #expect(!both.stdout.contains(stamp(1).rawValue), "delivered rows are neither pending nor dead")

        let dead = try await lineagent(["outbox", "list", "--dead", "--limit", "1", "--config", fixture.configPath])
        #expect(dead.stdout.hasPrefix("DEAD LETTERS 2 (first 1)\n"))
        #expect(dead.stdout.contains(stamp(2).rawValue))
        #expect(!dead.stdout.contains(stamp(3).rawValue))
        #expect(!dead.stdout.contains("PENDING"))

        let json = try await lineagent(["outbox", "list", "--pending", "--json", "--config", fixture.configPath])
        let objects = try json.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.count == 3)
        #expect(objects[0]["kind"] as? String == "pending")
        #expect(objects[0]["code"] as? String == stamp(4).rawValue)
        #expect(objects[0]["decidedAt"] as? String == "2026-11-22T05:00:04.000Z")
        #expect(objects[0]["decidedAtAstana"] as? String == "2026-11-22T10:00:04+05:00")
        #expect(objects[0]["batchId"] as? String == batchId)
        #expect(objects[0]["attempts"] as? Int == 1)
    }

    @Test("retry --code requeues only the named dead letters; a code with none is named, exit 1; retry requeues the rest")
    func retry() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let store = try await filledOutbox(fixture)

        // A bad code: named, nothing requeued
        let bad = try await lineagent(["outbox", "retry", "--config", fixture.configPath, "--code", stamp(2).rawValue, "not-a-code"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\"not-a-code\" is not a stamp code"))
        #expect(bad.stderr.contains("nothing was done"))
        #expect(try await store.depth().deadLetters == 2)

        // Only the named one (URL form accepted), and a code without a dead letter is named
        let some = try await lineagent(["outbox", "retry", "--config", fixture.configPath,
                                        "--code", "https://qr.example.kz/c/\(stamp(2).rawValue)", stamp(4).rawValue])
        #expect(some.status == 1, "\(some)")
        #expect(some.stdout == "requeued 1 of 2 codes\n")
        #expect(some.stderr.contains("\(stamp(4).rawValue): no dead letter waiting for this code"))
        #expect(try await store.depth().deadLetters == 1)
        let requeued = try #require(try await store.answer(for: stamp(2)))
        #expect(requeued.state == .pending && requeued.result == nil && requeued.batchId == nil)
        #expect(try await store.deadLetters().map(\.code) == [stamp(3)])

        // All the rest
        let all = try await lineagent(["outbox", "retry", "--config", fixture.configPath])
        #expect(all.status == 0)
        #expect(all.stdout == "requeued 1 dead letter; the agent sends them in a new batch\n")
        #expect(try await store.depth().deadLetters == 0)
        // And the requeued codes go out in a new batch after the open one
        let open = try #require(try await store.beginBatch(limit: 10, equipmentId: "line1-top"))
        try await store.complete(open, outcomes: open.records.map { .delivered(ActivationResult(code: $0.code.rawValue, result: .activated)) })
        let next = try #require(try await store.beginBatch(limit: 10, equipmentId: "line1-top"))
        #expect(next.records.map(\.code) == [stamp(2), stamp(3), stamp(6)])
        #expect(next.batchId != open.batchId)

        let none = try await lineagent(["outbox", "retry", "--config", fixture.configPath])
        #expect(none.stdout == "requeued 0 dead letters\n")
    }

    @Test("export writes every decision with verdict, code, answer state and result, as CSV or JSON lines")
    func export() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        _ = try await filledOutbox(fixture)

        let csv = try await lineagent(["outbox", "export", "--config", fixture.configPath])
        #expect(csv.status == 0, "\(csv)")
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 10)
        #expect(lines[0] == "id,line,bottle_sequence,decided_at,decided_at_astana,verdict,code,product_code,detail,activation,result,"
            + "batch_id,server_activated_at,answered_at,dead_reason")
        #expect(lines[1].hasPrefix("1,line1,1,2026-11-22T05:00:01.000Z,2026-11-22T10:00:01+05:00,good,\(stamp(1).rawValue),KZ-VDK-0001,,delivered,activated,"))
        #expect(lines[1].hasSuffix(",2026-11-22T05:00:01.000Z,2026-11-22T05:00:07.000Z,"))
        #expect(lines[2].contains(",good,\(stamp(2).rawValue),KZ-VDK-0001,,dead,foreign,"))
        #expect(lines[2].hasSuffix(",issued to another participant"))
        #expect(lines[3].hasSuffix(",registrar answered 422 invalid_field: productCode"))
        #expect(lines[4].contains(",good,\(stamp(4).rawValue),KZ-VDK-0001,,pending,,"))
        #expect(lines[6].contains(",good,\(stamp(6).rawValue),KZ-VDK-0001,,pending,,,,,"))
        #expect(lines[7] == "7,line1,7,2026-11-22T05:00:09.000Z,2026-11-22T10:00:09+05:00,no-read,,,,,,,,,")
        #expect(lines[8].contains(",malformed,,,\"host_not_allowed: "), "quoted: the reason quotes the host")
        #expect(lines[8].contains("\"\"evil.example.com\"\""))
        #expect(lines[9].contains(",unknown-product,,,recipe 9,"))

        // JSON lines to a file, since a time: only the later decisions
        let output = fixture.directory.appendingPathComponent("export.jsonl").path
        let jsonl = try await lineagent(["outbox", "export", "--config", fixture.configPath, "--format", "jsonl",
                                         "--since", "2026-11-22T10:00:08+05:00", "--output", output])
        #expect(jsonl.status == 0, "\(jsonl)")
        #expect(jsonl.stdout.isEmpty)
        #expect(jsonl.stderr == "exported 4 decisions to \(output)\n")
        let rows = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(rows.map { $0["bottleSequence"] as? Int } == [6, 7, 8, 9])
        #expect(rows.map { $0["verdict"] as? String } == ["good", "no-read", "malformed", "unknown-product"])
        #expect(rows[0]["activation"] as? String == "pending")
        #expect(rows[0]["code"] as? String == stamp(6).rawValue)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).filter { $0.contains(".partial") }
        #expect(leftovers.isEmpty)

        // A day in Astana time; a later day exports only the header
        let later = try await lineagent(["outbox", "export", "--config", fixture.configPath, "--since", "2026-11-23"])
        #expect(later.stdout.split(separator: "\n").count == 1)
        let badSince = try await lineagent(["outbox", "export", "--config", fixture.configPath, "--since", "yesterday"])
        #expect(badSince.status != 0)
        #expect(badSince.stderr.contains("--since: expected YYYY-MM-DD"))
    }

    @Test("reading commands refuse a missing outbox naming the file and setting, and create nothing")
    func missingOutbox() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        for command in [["outbox", "list"], ["outbox", "retry"], ["outbox", "export"]] {
            let run = try await lineagent(command + ["--config", fixture.configPath])
            #expect(run.status == 1)
            #expect(run.stderr == "lineagent \(command.joined(separator: " ")): no outbox at \(fixture.outboxPath) (outbox.path in "
                + "\(fixture.configPath)): the agent has not recorded anything yet\n")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.outboxPath))
    }

    @Test("a corrupt outbox file is refused with one line naming it, never a stack trace")
    func corruptOutbox() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        try FileManager.default.createDirectory(atPath: fixture.directory.appendingPathComponent("data").path, withIntermediateDirectories: true)
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try garbage.write(to: URL(fileURLWithPath: fixture.outboxPath))
        let run = try await lineagent(["outbox", "list", "--config", fixture.configPath])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("lineagent outbox list: "), "\(run)")
        #expect(run.stderr.contains("\(fixture.outboxPath) is corrupt"), "\(run)")
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.outboxPath)) == garbage)
    }
}
