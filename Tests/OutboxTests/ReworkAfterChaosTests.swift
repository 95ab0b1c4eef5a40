import Foundation
import LineCore
@testable import Outbox
import Testing

/// Rework and palletising cases the chaos run found (docs/chaos.md, "What it found"): a reworked bottle rejected
/// fail-safe again, a bottle of a dissolved case packed again while a copy of its stamp comes down the line, and the
/// palletiser's view of cases still upstream of the reject gate.
@Suite struct ReworkAfterChaosTests {
    @Test("a reworked bottle the PLC rejects fail-safe gets its allowance back, once")
    func reworkedRejectedFailSafe() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        // Given bottle 1 passed, was rejected fail-safe and passed again as reworked (bottle 10)
        try await store.pass([1])
        try await store.failSafeRejected(line: "line1", station: nil, first: 1, last: 1)
        #expect(try await store.append(good(10, 1)).decision.verdict == .reworked(code(1)))
        #expect(try await store.state(1).passedHere)
        // When the PLC rejects bottle 10 fail-safe too
        let result = try await store.failSafeRejected(line: "line1", station: nil, first: 10, last: 10)
        // Then its code is off the line again (not packable) and may pass once more
        #expect(result.bottles == 1)
        #expect(try await store.state(1).passedHere == false)
        #expect(try await store.lookup(code(1)).reworkable)
        // And the same report read again (a restart) changes nothing, nor after it passed once more
        #expect(try await store.failSafeRejected(line: "line1", station: nil, first: 10, last: 10).bottles == 0)
        #expect(try await store.append(good(20, 1)).decision.verdict == .reworked(code(1)))
        #expect(try await store.failSafeRejected(line: "line1", station: nil, first: 10, last: 10).bottles == 0)
        #expect(try await store.append(good(21, 1)).decision.verdict == .duplicate(code(1)))
    }

    @Test("a code of a dissolved case packed again is in its new case: a bottle with it at the camera is a duplicate")
    func dissolvedThenPackedAgain() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        // Given case 1 packed, then rejected fail-safe by the station's PLC and dissolved: its codes may pass once more
        try await store.pass(1...12)
        try await store.record(packed(caseCode(1), 1...12, sequence: 1))
        try await store.failSafeRejected(line: "line1", station: "case1", first: 1, last: 1)
        #expect(try await store.lookup(code(1)).reworkable)
        // When its bottles are packed again without passing the line
        try await store.record(packed(caseCode(2), 1...12, sequence: 2))
        // Then a bottle with one of their codes at the camera is a copy: not reworkable, stored as a duplicate
        #expect(try await store.lookup(code(1)).reworkable == false)
        #expect(try await store.append(good(30, 1)).decision.verdict == .duplicate(code(1)))
        // And once that case is dissolved as well, the allowance is there again
        _ = try await store.dissolveCase(caseCode(2).rawValue, by: "anna", reason: "re-pack")
        #expect(try await store.lookup(code(2)).reworkable)
        #expect(try await store.append(good(31, 2)).decision.verdict == .reworked(code(2)))
    }

    @Test("the palletiser's cases: only those up to the sequence past the reject gate")
    func casesPastTheGate() async throws {
        let file = try FileStore()
        defer { file.cleanup() }
        let store = file.store
        try await store.pass(1...36)
        try await store.record(packed(caseCode(1), 1...12, sequence: 5))
        try await store.record(packed(caseCode(2), 13...24, sequence: 6))
        try await store.record(packed(caseCode(3), 25...36, sequence: 7))
        #expect(try await store.casesWithoutPallet(station: "case1", limit: 10, through: 5) == [caseCode(1)])
        #expect(try await store.casesWithoutPallet(station: "case1", limit: 10, through: 4) == [])
        #expect(try await store.casesWithoutPallet(station: "case1", limit: 10) == [caseCode(1), caseCode(2), caseCode(3)])
    }
}
