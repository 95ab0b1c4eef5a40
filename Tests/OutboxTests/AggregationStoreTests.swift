import Delivery
import Foundation
import GRDB
import LineCore
@testable import Outbox
import QazAPI
import Testing

// MARK: Fixtures

/// A case code: an SSCC of a test company prefix (extension digit 0).
func caseCode(_ serial: Int64) -> UnitCode { try! SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: serial) }

/// A pallet code (extension digit 1).
func palletCode(_ serial: Int64) -> UnitCode { try! SSCC.make(extensionDigit: 1, companyPrefix: "4870001", serial: serial) }

let packedAt = Date(timeIntervalSince1970: 1_795_000_100)

/// A packed case of these codes at station `case1` of `line1`.
func packed(_ unit: UnitCode, _ numbers: some Sequence<Int>, sequence: UInt64 = 1, station: String = "case1") -> CaseRecord {
    let codes = numbers.map { code($0) }
    return CaseRecord(code: unit, lineID: "line1", stationID: station, sequence: sequence, good: true, at: packedAt, contents: codes,
                      bottleCount: codes.count)
}

/// A rejected case that holds `held` (of `numbers`) until it is dissolved.
func rejected(_ unit: UnitCode?, _ numbers: some Sequence<Int>, held: some Sequence<Int>, reasons: [String], sequence: UInt64 = 1) -> CaseRecord {
    let codes = numbers.map { code($0) }
    return CaseRecord(code: unit, lineID: "line1", stationID: "case1", sequence: sequence, good: false, reasons: reasons,
                      detail: "test", at: packedAt, contents: codes, held: held.map { code($0) }, bottleCount: codes.count)
}

/// The store on a real outbox file in a fresh temporary directory.
struct FileStore {
    let dir = TempDir()
    let store: OutboxStore
    init() throws { store = OutboxStore(database: try AgentDatabase(path: dir.path("outbox.sqlite"))) }
    func cleanup() { dir.cleanup() }
}

extension OutboxStore {
    /// Records good bottles `numbers` (sequence = code number) on line1.
    @discardableResult
    func pass(_ numbers: some Sequence<Int>, line: String = "line1") async throws -> [RecordedDecision] {
        try await append(contentsOf: numbers.map { good(UInt64($0), $0, line: line) })
    }

    /// Sends every queued activation and answers it `activated`.
    func deliverAllActivations() async throws {
        while let batch = try await beginBatch(limit: 1000, equipmentId: "cam1") {
            try await complete(batch, outcomes: batch.records.map { .delivered(ActivationResult(code: $0.code.rawValue, result: .activated)) })
        }
    }

    /// The recorded id of a case, or fails the test.
    func record(_ record: CaseRecord, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int64 {
        let outcome = try await recordCase(record)
        guard case .recorded(let id) = outcome else {
            Issue.record("expected the case recorded, got \(outcome)", sourceLocation: sourceLocation)
            throw OutboxError.refused(path: "test", reason: "not recorded")
        }
        return id
    }

    func state(_ number: Int) async throws -> CaseCodeState {
        try await caseState(of: [code(number)], unit: nil).codes[code(number)]!
    }

    /// Rows of one SQL query (what no API shows: raw columns).
    func rows(_ sql: String, _ arguments: StatementArguments = []) async throws -> [Fields] {
        try await read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Fields.init) }
    }
}

/// One row's columns, taken off the database's queue.
struct Fields: Sendable {
    let values: [String: DatabaseValue]
    init(_ row: Row) { values = Dictionary(row.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first }) }
    /// The column's value (nil: NULL, or no such column).
    subscript<T: DatabaseValueConvertible>(_ column: String) -> T? { values[column].flatMap { T.fromDatabaseValue($0) } }
}

/// What ``OutboxStore/failSafeRejected(line:station:first:last:at:)`` did, comparable.
struct Outcome: Equatable, CustomStringConvertible {
    var bottles: Int, cases: Int
    init(_ bottles: Int, _ cases: Int) { (self.bottles, self.cases) = (bottles, cases) }
    init(_ outcome: (bottles: Int, cases: Int)) { self.init(outcome.bottles, outcome.cases) }
    var description: String { "\(bottles) bottle(s), \(cases) case(s)" }
}

/// The message of the refusal `body` throws (nil, and an issue, if it does not refuse).
func refusal<T>(_ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async -> String? {
    do {
        _ = try await body()
        Issue.record("expected a refusal", sourceLocation: sourceLocation)
        return nil
    } catch {
        guard case .refused(_, let reason)? = error as? OutboxError else {
            Issue.record("expected a refusal, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
        return reason
    }
}

@Suite("Aggregation in the agent's database: cases, pallets, rework, the event queue")
struct AggregationStoreTests {
    // MARK: Migration

    @Test("a v2 outbox migrates: its rows, seen codes, jobs and queue survive, and a reworked decision can be stored")
    func migrationFromV2() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        // Given an outbox written by the previous version (migrations up to v2) with a job, decisions and a queue
        do {
            let pool = try DatabasePool(path: path, configuration: AgentDatabase.configuration())
            try AgentDatabase.migrator.migrate(pool, upTo: "v2-console")
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO job (id, line_id, product_code, recipe, lot, started_at, started_by) VALUES (1, 'line1', 'DSN-0001', 7, 'LOT-1', 0, 'op');
                    INSERT INTO decision (id, line_id, bottle_sequence, decided_at, kind, code, product_code, verdict, job_id)
                        VALUES (1, 'line1', 1, 1000, 'good', 'QZA000000000000000001', 'DSN-0001', '{"good":{"_0":"QZA000000000000000001"}}', 1),
                               (2, 'line1', 2, 1001, 'no-read', NULL, 'DSN-0001', '{"noRead":{}}', 1);
                    INSERT INTO seen_code (code, decision_id) VALUES ('QZA000000000000000001', 1);
                    INSERT INTO activation (id, decision_id, code, product_code, activated_at, line_id, bottle_sequence)
                        VALUES (1, 1, 'QZA000000000000000001', 'DSN-0001', 1000, 'line1', 1);
                    """)
            }
            let applied = try await pool.read { db in try AgentDatabase.migrator.appliedIdentifiers(db) }
            #expect(applied == ["v1-outbox", "v2-console"])
        }

        // When the current agent opens it
        let store = OutboxStore(database: try AgentDatabase(path: path))

        // Then every row is still there, with its job, and nothing dangles
        #expect(try await store.decisionCounts() == [.good: 1, .noRead: 1])
        #expect(try store.hasSeen(code(1)))
        #expect(try await store.depth().pending == 1)
        let jobs = try await store.rows("SELECT job_id FROM decision ORDER BY id").map { $0["job_id"] as Int64? }
        #expect(jobs == [1, 1])
        #expect(try await store.rows("PRAGMA foreign_key_check").isEmpty)
        let indexes = try await store.rows("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decision'").map { $0["name"] as String? }
        #expect(Set(indexes).isSuperset(of: ["decision_line", "decision_job"]))
        let migrated = try await store.read { db in try AgentDatabase.migrator.appliedIdentifiers(db) }
        #expect(migrated.contains("v3-aggregation"))

        // And the bottle of code 1, rejected fail-safe and put back, is stored as reworked (the new kind)
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: nil, first: 1, last: 1)) == Outcome(1, 0))
        let again = try await store.append(good(3, 1))
        #expect(again.decision.verdict == .reworked(code(1)))
        let row = try #require(try await store.rows("SELECT kind, job_id FROM decision WHERE id = ?", [again.id]).first)
        #expect(row["kind"] as String? == "reworked")
        #expect(row["job_id"] as Int64? == 1, "the reworked decision joins the open job")
        #expect(try await store.decisionCounts() == [.good: 1, .noRead: 1, .reworked: 1])
    }

    // MARK: Recording cases

    @Test("a packed case: its members, its contents in cap order, and its casePacked event queued after the activations before it")
    func packedCase() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...12)
        // When the case is recorded
        let id = try await store.record(packed(caseCode(1), [12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))
        // Then it is packed with every code as a member
        let detail = try #require(try await store.caseDetail(id: id))
        #expect(detail.status == "packed")
        #expect(detail.wasPacked)
        #expect(detail.code == caseCode(1).rawValue)
        #expect(detail.contents == ([12] + Array(1...11)).map { code($0).rawValue }, "contents keep the cap order")
        #expect(Set(detail.members) == Set((1...12).map { code($0).rawValue }))
        #expect(detail.bottleCount == 12)
        #expect(detail.events == ["casePacked: pending"])
        // And its event waits for the 12 activations queued before it
        let events = try await store.rows("SELECT kind, unit, contents, after_activation, line_id, equipment_id FROM aggregation_event")
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event["kind"] as String? == "casePacked")
        #expect(event["unit"] as String? == caseCode(1).rawValue)
        #expect(event["after_activation"] as Int64? == 12)
        #expect(event["line_id"] as String? == "line1")
        #expect(event["equipment_id"] as String? == "case1")
        #expect(try await store.nextAggregationEvents(limit: 10).isEmpty)
        #expect(try await store.aggregationDepth() == AggregationDepth(pending: 1, dead: 0, delivered: 0, waitingForActivations: 1))
        #expect(try await store.caseCounts()["packed"] == 1)
        #expect(try await store.caseCounts()["bottles-in-cases"] == 12)
    }

    @Test("case facts: passed here (and not physically rejected since), and the case holding a code")
    func caseFacts() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        let recorded = try await store.pass(1...14)
        _ = try await store.append(decision(99, .foreign(code(99))))
        // A code never passed, a foreign one, a passed one
        #expect(try await store.state(50) == CaseCodeState(passedHere: false, inCase: nil))
        #expect(try await store.state(99) == CaseCodeState(passedHere: false, inCase: nil))
        #expect(try await store.state(1) == CaseCodeState(passedHere: true, inCase: nil))
        // A code whose bottle was rejected after its activation was batched: not passed (it is off the line)
        let batch = try #require(try await store.beginBatch(limit: 1000, equipmentId: "cam1"))
        #expect(batch.records.count == 14)
        #expect(try await store.withdraw(decisionID: recorded[12].id) == .alreadyBatched(code(13)))
        #expect(try await store.state(13) == CaseCodeState(passedHere: false, inCase: nil))
        // A code whose bottle the PLC rejected fail-safe: not passed either
        try await store.failSafeRejected(line: "line1", station: nil, first: 14, last: 14)
        #expect(try await store.state(14) == CaseCodeState(passedHere: false, inCase: nil))
        // Once such a bottle passes the line again (reworked), it is passed here again
        #expect(try await store.append(good(113, 13)).decision.verdict == .reworked(code(13)))
        #expect(try await store.state(13) == CaseCodeState(passedHere: true, inCase: nil))
        // A packed code names its case; the case code is in use
        try await store.record(packed(caseCode(1), 1...12))
        let facts = try await store.caseState(of: [code(1), code(13)], unit: caseCode(1))
        #expect(facts.codes[code(1)] == CaseCodeState(passedHere: true, inCase: caseCode(1)))
        #expect(facts.codes[code(13)] == CaseCodeState(passedHere: true, inCase: nil))
        #expect(facts.unitInUse)
        #expect(try await store.caseState(of: [], unit: caseCode(2)).unitInUse == false)
    }

    @Test("a good case that storage refuses as it stands: a code in another case, a case code in use, no case code; nothing written")
    func conflicts() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...24)
        try await store.record(packed(caseCode(1), 1...12))
        // A code of the first case in a second one (another station raced it)
        let taken = try await store.recordCase(packed(caseCode(2), 12...23, sequence: 2))
        #expect(taken == .conflict("\(code(12)) is in case \(caseCode(1))"))
        // The first case's code on another case (a duplicated label)
        let inUse = try await store.recordCase(packed(caseCode(1), 13...24, sequence: 2))
        #expect(inUse == .conflict("case code \(caseCode(1)) is already on a packed case"))
        var noCode = packed(caseCode(3), 13...24, sequence: 2)
        noCode.code = nil
        #expect(try await store.recordCase(noCode) == .conflict("a packed case needs a case code"))
        // Nothing of them was written
        #expect(try await store.recentCases().count == 1)
        #expect(try await store.aggregationDepth().pending == 1)
        #expect(try await store.state(13).inCase == nil)
    }

    @Test("a rejected case holds the codes it was told to hold, queues nothing, and blocks them from another case")
    func rejectedCaseHolds() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...12)
        // Given a case rejected for a missing bottle, without a case code
        let id = try await store.record(rejected(nil, 1...11, held: 1...11, reasons: ["missing-bottle"]))
        let detail = try #require(try await store.caseDetail(id: id))
        #expect(detail.status == "rejected")
        #expect(!detail.wasPacked)
        #expect(detail.reasons == ["missing-bottle"])
        #expect(detail.members.count == 11)
        #expect(detail.events.isEmpty)
        #expect(try await store.aggregationDepth().pending == 0, "the registrar never hears of a rejected case")
        // Then its codes are in case "#id"
        #expect(try await store.state(1) == CaseCodeState(passedHere: true, inCase: UnitCode(trusted: "#\(id)")))
        #expect(try await store.state(12).inCase == nil)
        // And a good case with one of them is refused
        #expect(try await store.recordCase(packed(caseCode(1), 1...12, sequence: 2)) == .conflict("\(code(1)) is in case #\(id)"))
        // A rejected case with a case code that is in use is recorded all the same (it is not packed)
        try await store.record(packed(caseCode(5), [12], sequence: 3))
        let second = try await store.record(rejected(caseCode(5), [12], held: [Int](), reasons: ["case-code-in-use"], sequence: 4))
        #expect(try await store.caseDetail(id: second)?.status == "rejected")
    }

    // MARK: Dissolving cases

    @Test("dissolving by case code, by #id and by a bottle's code releases the members, grants rework, queues caseDissolved only for a packed case and writes the audit log")
    func dissolveCases() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...36)
        let first = try await store.record(packed(caseCode(1), 1...12))
        let second = try await store.record(packed(caseCode(2), 13...24, sequence: 2))
        let third = try await store.record(rejected(nil, 25...35, held: 25...35, reasons: ["missing-bottle"], sequence: 3))
        let at = Date(timeIntervalSince1970: 1_795_000_500)

        // By case code
        let a = try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "broken bottle", at: at)
        #expect(a.id == first)
        #expect(a.status == "dissolved" && a.wasPacked)
        #expect(a.members.isEmpty)
        #expect(a.contents.count == 12, "the contents stay on record")
        #expect(a.dissolvedBy == "anna" && a.dissolveReason == "broken bottle")
        #expect(a.events == ["casePacked: pending", "caseDissolved: pending"])
        // By a bottle's code
        let b = try await store.dissolveCase(code(20).rawValue, by: "anna", reason: "relabel", at: at)
        #expect(b.id == second && b.status == "dissolved")
        // By #id, a rejected case: no event (the registrar never knew it)
        let c = try await store.dissolveCase("#\(third)", by: "boris", reason: "rework", at: at)
        #expect(c.id == third && c.status == "dissolved" && !c.wasPacked)
        #expect(c.events.isEmpty)
        let kinds = try await store.rows("SELECT kind, unit, contents FROM aggregation_event ORDER BY id")
        #expect(kinds.map { $0["kind"] as String? } == ["casePacked", "casePacked", "caseDissolved", "caseDissolved"])
        #expect(kinds.last.map { $0["contents"] as String? } == "[]")

        // Then every code is free, passed here, and may pass the line once more
        for number in [1, 12, 13, 24, 25, 35] {
            #expect(try await store.state(number) == CaseCodeState(passedHere: true, inCase: nil), "code \(number)")
        }
        let allowances = try await store.reworkAllowances()
        #expect(Set(allowances.map(\.code)) == Set((1...35).map { code($0).rawValue }))
        #expect(Set(allowances.map(\.reason)) == ["case-dissolved"])
        #expect(allowances.first { $0.code == code(1).rawValue }?.source == "case \(caseCode(1))")
        #expect(try await store.lookup(code(1)).reworkable)
        #expect(try await store.lookup(code(36)).reworkable == false)
        #expect(try await store.caseCounts()["dissolved"] == 3)
        #expect(try await store.caseCounts()["dissolved-after-packing"] == 2)

        // And the audit log says who did what
        let audit = try await store.auditLog().filter { $0.action == "case-dissolve" }
        #expect(audit.count == 3)
        #expect(audit.map(\.user) == ["boris", "anna", "anna"])
        #expect(audit.last?.target == caseCode(1).rawValue)
        #expect(audit.last?.detail == "packed case, 12 code(s) released: broken bottle")
        #expect(audit.first?.target == "#\(third)")
        #expect(audit.first?.detail == "rejected case, 11 code(s) released: rework")

        // And dissolving again, or something unknown, is refused
        #expect(await refusal { try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "again") }
            == "case or pallet \(caseCode(1)) is already dissolved")
        #expect(await refusal { try await store.dissolveCase(caseCode(9).rawValue, by: "anna", reason: "x") }
            == "no case \(caseCode(9)) is recorded")
        #expect(await refusal { try await store.dissolveCase(code(36).rawValue, by: "anna", reason: "x") }
            == "no case \(code(36)) is recorded", "a bottle in no case")
    }

    @Test("a dissolved case's code may be packed again, and a reworked bottle dissolved a second time may pass once more")
    func repackAfterDissolve() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...12)
        try await store.record(packed(caseCode(1), 1...12))
        _ = try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "broken bottle")
        // The bottles pass the line again as reworked, and are packed again under the same label
        let again = try await store.append(contentsOf: (1...12).map { good(UInt64(100 + $0), $0) })
        #expect(again.allSatisfy { $0.decision.verdict.kind == .reworked && !$0.activationQueued })
        let repacked = try await store.record(packed(caseCode(1), 1...12, sequence: 2))
        #expect(try await store.caseDetail(id: repacked)?.status == "packed")
        #expect(try await store.cases(code: caseCode(1).rawValue).map(\.status) == ["packed", "dissolved"])
        // When that case is dissolved too, right after (no bottle decided since)
        _ = try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "wrong product")
        // Then each of its bottles may pass once more
        #expect(try await store.reworkAllowances().count == 12)
        #expect(try await store.append(good(200, 12)).decision.verdict == .reworked(code(12)))
        #expect(try await store.append(good(201, 12)).decision.verdict == .duplicate(code(12)))
    }

    // MARK: Pallets

    @Test("pallets: built of packed cases with palletBuilt queued, dissolved with palletDissolved; what cannot be stacked is refused by name")
    func pallets() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...40)
        try await store.record(packed(caseCode(1), 1...12))
        try await store.record(packed(caseCode(2), 13...24, sequence: 2))
        try await store.record(packed(caseCode(3), 25...36, sequence: 3))
        let rejectedID = try await store.record(rejected(caseCode(4), 37...40, held: 37...40, reasons: ["missing-bottle"], sequence: 4))
        #expect(try await store.casesWithoutPallet(station: "case1", limit: 10) == [caseCode(1), caseCode(2), caseCode(3)])

        // Built
        let pallet = try await store.buildPallet(code: palletCode(1), cases: [caseCode(1), caseCode(2)], lineID: "line1", stationID: "case1",
                                                 by: "anna", at: packedAt)
        #expect(pallet.status == "built" && pallet.code == palletCode(1).rawValue)
        #expect(pallet.cases == [caseCode(1).rawValue, caseCode(2).rawValue])
        #expect(pallet.builtBy == "anna")
        #expect(pallet.events == ["palletBuilt: pending"])
        #expect(try await store.cases(code: caseCode(1).rawValue).first?.pallet == palletCode(1).rawValue)
        #expect(try await store.casesWithoutPallet(station: "case1", limit: 10) == [caseCode(3)])
        let built = try await store.rows("SELECT contents FROM aggregation_event WHERE kind = 'palletBuilt'")
        #expect(built.first.map { $0["contents"] as String? } == #"["\#(caseCode(1))","\#(caseCode(2))"]"#)
        #expect(try await store.caseCounts()["pallets"] == 1)

        // Refused, by name
        func build(_ code: UnitCode, _ cases: [UnitCode]) async -> String? {
            await refusal { try await store.buildPallet(code: code, cases: cases, lineID: "line1", stationID: "case1", by: "anna") }
        }
        #expect(await build(palletCode(2), []) == "a pallet needs at least one case")
        #expect(await build(palletCode(1), [caseCode(3)]) == "pallet code \(palletCode(1)) is already on a built pallet")
        #expect(await build(palletCode(2), [caseCode(2), caseCode(3)]) == "case \(caseCode(2)) is already on pallet \(palletCode(1))")
        #expect(await build(palletCode(2), [caseCode(4)]) == "case \(caseCode(4)) is not a packed case (rejected, dissolved or unknown)")
        #expect(await build(palletCode(2), [caseCode(9)]) == "case \(caseCode(9)) is not a packed case (rejected, dissolved or unknown)")
        #expect(try await store.aggregationDepth().pending == 4, "three cases and one pallet: nothing queued by the refusals")

        // A case on a built pallet cannot be dissolved; the message names the pallet
        #expect(await refusal { try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "x") }
            == "case \(caseCode(1)) is on pallet \(palletCode(1)): dissolve the pallet first (lineagent pallet dissolve \(palletCode(1)))")
        #expect(await refusal { try await store.dissolveCase(code(13).rawValue, by: "anna", reason: "x") }?.contains("is on pallet \(palletCode(1))") == true)
        #expect(try await store.state(1).inCase == caseCode(1), "the refused dissolve changed nothing")
        // A rejected case is on no pallet: it dissolves
        #expect(try await store.dissolveCase("#\(rejectedID)", by: "anna", reason: "x").status == "dissolved")

        // Dissolving the pallet frees its cases (they stay packed) and queues palletDissolved
        let dissolved = try await store.dissolvePallet(palletCode(1).rawValue, by: "boris", reason: "restack", at: packedAt)
        #expect(dissolved.status == "dissolved")
        #expect(dissolved.dissolvedBy == "boris")
        #expect(dissolved.cases == [caseCode(1).rawValue, caseCode(2).rawValue], "what it held, from its palletBuilt event")
        #expect(dissolved.events == ["palletBuilt: pending", "palletDissolved: pending"])
        #expect(try await store.cases(code: caseCode(1).rawValue).first?.status == "packed")
        #expect(try await store.cases(code: caseCode(1).rawValue).first?.pallet == nil)
        #expect(await refusal { try await store.dissolvePallet(palletCode(1).rawValue, by: "boris", reason: "again") }
            == "no built pallet \(palletCode(1)) is recorded")
        let audit = try await store.auditLog().map(\.action)
        #expect(audit.filter { $0 == "pallet-build" }.count == 1 && audit.filter { $0 == "pallet-dissolve" }.count == 1)

        // Now the case dissolves, and the pallet code may be used again
        #expect(try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "x").status == "dissolved")
        let rebuilt = try await store.buildPallet(code: palletCode(1), cases: [caseCode(2), caseCode(3)], lineID: "line1", stationID: "case1", by: "anna")
        #expect(rebuilt.status == "built" && rebuilt.id != pallet.id)
        #expect(try await store.pallets(code: palletCode(1).rawValue).map(\.status) == ["built", "dissolved"])
    }

    // MARK: SSCC serials

    @Test("serials are allocated durably, per prefix, across a restart, and refused when used up")
    func serials() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        do {
            let store = OutboxStore(database: try AgentDatabase(path: path))
            #expect(try await store.allocateSerial(prefix: "04870001", capacity: 1_000_000_000) == 1)
            #expect(try await store.allocateSerial(prefix: "04870001", capacity: 1_000_000_000) == 2)
            #expect(try await store.allocateSerial(prefix: "14870001", capacity: 1_000_000_000) == 1, "another prefix counts on its own")
        }
        // After a restart the next serial follows; none is handed out twice
        let store = OutboxStore(database: try AgentDatabase(path: path))
        #expect(try await store.allocateSerial(prefix: "04870001", capacity: 1_000_000_000) == 3)
        let concurrent = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<50 { group.addTask { try await store.allocateSerial(prefix: "04870001", capacity: 1_000_000_000) } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(concurrent) == Set(4...53))
        // A prefix with room for 3 serials (1 and 2; 0 is never handed out) is used up after two
        #expect(try await store.allocateSerial(prefix: "94870001234", capacity: 3) == 1)
        #expect(try await store.allocateSerial(prefix: "94870001234", capacity: 3) == 2)
        #expect(await refusal { try await store.allocateSerial(prefix: "94870001234", capacity: 3) }
            == "SSCC serials of prefix 94870001234 are used up (2): configure another extension digit")
    }

    // MARK: The aggregation queue

    @Test("events wait until every activation queued before them is answered, in queue order, and then go out")
    func eventsWaitForActivations() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        // Given a case packed after 12 activations
        try await store.pass(1...12)
        try await store.record(packed(caseCode(1), 1...12))
        #expect(try await store.nextAggregationEvents(limit: 10).isEmpty)
        // When 5 of the 12 are delivered, the event still waits
        let part = try #require(try await store.beginBatch(limit: 5, equipmentId: "cam1"))
        try await store.complete(part, outcomes: part.records.map { .delivered(ActivationResult(code: $0.code.rawValue, result: .activated)) })
        #expect(try await store.nextAggregationEvents(limit: 10).isEmpty)
        // And a refused activation counts as answered (dead), not as pending
        let rest = try #require(try await store.beginBatch(limit: 100, equipmentId: "cam1"))
        var outcomes: [RecordOutcome] = rest.records.map { .delivered(ActivationResult(code: $0.code.rawValue, result: .activated)) }
        outcomes[0] = .rejected(ActivationResult(code: rest.records[0].code.rawValue, result: .foreign))
        outcomes[1] = .retry(after: nil, reason: "503")
        try await store.complete(rest, outcomes: outcomes)
        #expect(try await store.nextAggregationEvents(limit: 10).isEmpty, "one activation still pending")
        let resend = try #require(try await store.beginBatch(limit: 100, equipmentId: "cam1"))
        try await store.complete(resend, outcomes: resend.records.map { .delivered(ActivationResult(code: $0.code.rawValue, result: .alreadyActivated)) })

        // Then the event goes out with its contents
        let ready = try await store.nextAggregationEvents(limit: 10)
        #expect(ready.count == 1)
        let item = try #require(ready.first)
        #expect(item.event.kind == .casePacked)
        #expect(item.event.unit == caseCode(1))
        #expect(item.event.contents == (1...12).map { code($0).rawValue })
        #expect(item.event.at == Timestamp(packedAt))
        #expect(item.lineID == "line1" && item.equipmentID == "case1")
        #expect(item.afterActivation == 12)
        #expect(item.attempts == 0)

        // Given another case whose activations are pending, queued after the first event
        try await store.pass(13...24)
        try await store.record(packed(caseCode(2), 13...24, sequence: 2))
        // Then only the first event is eligible, and the queue says one waits
        #expect(try await store.nextAggregationEvents(limit: 10).map(\.event.unit) == [caseCode(1)])
        #expect(try await store.aggregationDepth().waitingForActivations == 1)
        try await store.deliverAllActivations()
        #expect(try await store.nextAggregationEvents(limit: 10).map(\.event.unit) == [caseCode(1), caseCode(2)])
        #expect(try await store.nextAggregationEvents(limit: 1).map(\.event.unit) == [caseCode(1)], "the limit")
        // And an event queued with nothing before it (a pallet of those cases) follows them
        _ = try await store.buildPallet(code: palletCode(1), cases: [caseCode(1), caseCode(2)], lineID: "line1", stationID: "case1", by: "anna")
        #expect(try await store.nextAggregationEvents(limit: 10).map(\.event.kind) == [.casePacked, .casePacked, .palletBuilt])
    }

    @Test("answers: delivered events leave the queue, refused ones are dead with the reason; a failed attempt is counted")
    func completeAggregation() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...24)
        try await store.deliverAllActivations()
        let first = try await store.record(packed(caseCode(1), 1...12))
        let second = try await store.record(packed(caseCode(2), 13...24, sequence: 2))
        var items = try await store.nextAggregationEvents(limit: 10)
        #expect(items.count == 2)
        // A failed attempt keeps them pending and counts
        try await store.aggregationAttemptFailed(items.map(\.rowID), error: "connection refused")
        items = try await store.nextAggregationEvents(limit: 10)
        #expect(items.map(\.attempts) == [1, 1])
        let errors = try await store.rows("SELECT last_error FROM aggregation_event ORDER BY id").map { $0["last_error"] as String? }
        #expect(errors == ["connection refused", "connection refused"])
        // When the registrar applies one and refuses the other
        try await store.completeAggregation([(items[0].rowID, true, "applied"), (items[1].rowID, false, "refused: alreadyInCase")])
        // Then
        #expect(try await store.nextAggregationEvents(limit: 10).isEmpty)
        #expect(try await store.aggregationDepth() == AggregationDepth(pending: 0, dead: 1, delivered: 1, waitingForActivations: 0))
        #expect(try await store.caseDetail(id: first)?.events == ["casePacked: delivered"])
        #expect(try await store.caseDetail(id: second)?.events == ["casePacked: dead (refused: alreadyInCase)"])
        let dead = try await store.deadAggregationEvents()
        #expect(dead.count == 1)
        #expect(dead.first?.kind == "casePacked" && dead.first?.unit == caseCode(2).rawValue && dead.first?.result == "refused: alreadyInCase")
        // And a late second answer for an answered event changes nothing
        try await store.completeAggregation([(items[1].rowID, true, "applied")])
        #expect(try await store.aggregationDepth() == AggregationDepth(pending: 0, dead: 1, delivered: 1, waitingForActivations: 0))
    }

    // MARK: Rework

    @Test("a good bottle rejected after its activation was batched may pass once more: reworked (not activated), then duplicate")
    func reworkAfterWithdraw() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        let first = try await store.pass([5, 6])
        // An unbatched activation is withdrawn outright: no allowance (the code was never used)
        #expect(try await store.withdraw(decisionID: first[1].id) == .withdrawn)
        #expect(try store.hasSeen(code(6)) == false)
        #expect(try await store.reworkAllowances().isEmpty)
        // A batched one stays queued, and its code gets an allowance
        let batch = try #require(try await store.beginBatch(limit: 10, equipmentId: "cam1"))
        #expect(batch.records.map(\.code) == [code(5)])
        #expect(try await store.withdraw(decisionID: first[0].id, at: packedAt) == .alreadyBatched(code(5)))
        let allowances = try await store.reworkAllowances()
        #expect(allowances.map(\.code) == [code(5).rawValue])
        #expect(allowances.first?.reason == ReworkReason.rejectedAfterActivation.rawValue)
        #expect(allowances.first?.source == "decision \(first[0].id)")
        let facts = try await store.lookup(code(5))
        #expect(facts.seen && facts.inPool == nil && facts.reworkable)
        // Withdrawn twice (the same late reject handled again): still one allowance
        #expect(try await store.withdraw(decisionID: first[0].id) == .alreadyBatched(code(5)))
        #expect(try await store.reworkAllowances().count == 1)

        // When the bottle comes by again, the store makes the good decision a reworked one and uses the allowance
        let again = try await store.append(good(7, 5))
        #expect(again.decision.verdict == .reworked(code(5)))
        #expect(!again.activationQueued)
        #expect(try await store.depth().pending == 1, "no second activation")
        #expect(try await store.reworkAllowances().isEmpty)
        let used = try await store.rows("SELECT used_decision_id FROM rework WHERE code = ?", [code(5).rawValue])
        #expect(used.first.map { $0["used_decision_id"] as Int64? } == again.id)
        #expect(try await store.lookup(code(5)).reworkable == false)
        // And once more: a duplicate
        #expect(try await store.append(good(8, 5)).decision.verdict == .duplicate(code(5)))
        // The decider's own `reworked` verdict is stored as such only with an allowance
        #expect(try await store.append(decision(9, .reworked(code(5)))).decision.verdict == .duplicate(code(5)))
        #expect(try await store.append(decision(10, .reworked(code(77)))).decision.verdict == .duplicate(code(77)), "never seen")
        #expect(try await store.decisionCounts() == [.good: 1, .timeout: 1, .reworked: 1, .duplicate: 3])
    }

    @Test("a line's fail-safe rejects grant allowances to the good bottles in the range, once")
    func failSafeOnALine() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...5)
        _ = try await store.append(decision(6, .noRead))
        try await store.pass([7])
        try await store.pass([4], line: "line2")  // sequence 4 on another line: code 4 is a duplicate there, not good
        _ = try await store.append(good(3, 103, line: "line2"))
        // When the PLC reports bottles 3…6 of line1 rejected fail-safe
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: nil, first: 3, last: 6)) == Outcome(3, 0))
        let allowances = try await store.reworkAllowances()
        #expect(Set(allowances.map(\.code)) == Set([3, 4, 5].map { code($0).rawValue }))
        #expect(Set(allowances.map(\.reason)) == [ReworkReason.failSafeReject.rawValue])
        // Then the same report read again (a restart) changes nothing
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: nil, first: 3, last: 6)) == Outcome(0, 0))
        // And after bottle 3 passed again as reworked, the old report does not grant it another pass
        #expect(try await store.append(good(20, 3)).decision.verdict == .reworked(code(3)))
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: nil, first: 3, last: 6)) == Outcome(0, 0))
        #expect(try await store.append(good(21, 3)).decision.verdict == .duplicate(code(3)))
        #expect(Set(try await store.reworkAllowances().map(\.code)) == Set([4, 5].map { code($0).rawValue }))
        // A range the wrong way round, or absurdly wide, is ignored
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: nil, first: 7, last: 1)) == Outcome(0, 0))
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: nil, first: 1, last: 1_000_000)) == Outcome(0, 0))
        #expect(try await store.lookup(code(7)).reworkable == false)
    }

    @Test("a station's fail-safe rejects dissolve the packed cases in the range (not those on a pallet), once")
    func failSafeAtAStation() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...48)
        try await store.record(packed(caseCode(1), 1...12, sequence: 1))
        try await store.record(packed(caseCode(2), 13...24, sequence: 2))
        try await store.record(packed(caseCode(3), 25...36, sequence: 3))
        try await store.record(packed(caseCode(4), 37...48, sequence: 4))
        _ = try await store.buildPallet(code: palletCode(1), cases: [caseCode(1)], lineID: "line1", stationID: "case1", by: "auto")
        // When the station's PLC reports cases 1…3 rejected fail-safe
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: "case1", first: 1, last: 3)) == Outcome(0, 2))
        // Then cases 2 and 3 are dissolved by the PLC, with their events; case 1 (stacked already) and 4 are untouched
        let statuses = try await store.recentCases().sorted { $0.sequence < $1.sequence }.map(\.status)
        #expect(statuses == ["packed", "dissolved", "dissolved", "packed"])
        let two = try #require(try await store.cases(code: caseCode(2).rawValue).first)
        #expect(two.dissolvedBy == "plc")
        #expect(two.events == ["casePacked: pending", "caseDissolved: pending"])
        #expect(try await store.state(13).inCase == nil)
        #expect(try await store.lookup(code(13)).reworkable)
        #expect(try await store.state(1).inCase == caseCode(1))
        // And the same report again changes nothing; another station's report does not touch these cases
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: "case1", first: 1, last: 3)) == Outcome(0, 0))
        #expect(Outcome(try await store.failSafeRejected(line: "line1", station: "case2", first: 1, last: 4)) == Outcome(0, 0))
        #expect(try await store.rows("SELECT 1 FROM aggregation_event WHERE kind = 'caseDissolved'").count == 2)
        #expect(try await store.reworkAllowances().count == 24, "a station's report grants bottles nothing beyond their dissolved cases")
    }
}
