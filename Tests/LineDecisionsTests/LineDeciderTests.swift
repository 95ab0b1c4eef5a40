import Foundation
import LineCore
import LineDecisions
import Testing

let vodka = Product(dsnCode: "DSN-0001", name: "Vodka Test", type: "vodka", capacityMl: 500, strength: 40)
let now = Date(timeIntervalSince1970: 1_795_000_000)

func code(_ number: Int) -> StampCode {
    let digits = String(number)
    return StampCode(trusted: "QZA" + String(repeating: "0", count: max(0, 18 - digits.count)) + digits)
}
func bare(_ number: Int) -> [UInt8] { Array(code(number).rawValue.utf8) }
func url(_ number: Int) -> [UInt8] { Array("https://qr.example.kz/c/\(code(number))".utf8) }
let garbage: [UInt8] = Array("https://evil.example.com/c/QZA000000000000000001".utf8)

/// The decider with its storage facts from in-memory sets, as the line runtime looks them up before each decision.
struct TestDecider {
    var decider: LineDecider
    var seen: Set<StampCode>
    var pool: Set<StampCode>?

    mutating func decide(_ window: BottleWindow, at time: Date) -> DecisionOutcome {
        let facts = decider.code(in: window).map { code in CodeFacts(seen: seen.contains(code), inPool: pool.map { $0.contains(code) }) }
        return decider.decide(window, facts: facts, at: time)
    }

    mutating func timeout(sequence: UInt64, recipe: Int?, at time: Date) -> DecisionOutcome {
        decider.timeout(sequence: sequence, recipe: recipe, at: time)
    }

    var consecutiveFailures: Int { decider.consecutiveFailures }
}

func decider(_ mode: WindowMode = .triggered, seen: Set<StampCode> = [], pool: Set<StampCode>? = nil,
             alarmAfter: Int = 3, stopLine: Bool = false) -> TestDecider {
    TestDecider(decider: LineDecider(lineID: "line1", mode: mode, products: [7: vodka], consecutiveFailureAlarm: alarmAfter,
                                     stopLineOnConsecutiveFailures: stopLine),
                seen: seen, pool: pool)
}

func window(_ frames: [[UInt8]]..., sequence: UInt64 = 1, recipe: Int? = 7) -> BottleWindow {
    BottleWindow(lineID: "line1", sequence: sequence, recipe: recipe, frames: frames)
}

@Suite struct LineDeciderTests {
    @Test func oneCodeOfAKnownProductIsGood() {
        // Given a triggered line with recipe 7 mapped
        var d = decider()
        // When one frame shows one code
        let outcome = d.decide(window([url(1)]), at: now)
        // Then the bottle is good, with its activation
        #expect(outcome.decision.verdict == .good(code(1)))
        #expect(outcome.decision.activation?.productCode == "DSN-0001")
        #expect(outcome.alarms.isEmpty)
    }

    @Test func nothingReadIsANoRead() {
        var d = decider()
        #expect(d.decide(window([]), at: now).decision.verdict == .noRead)
        #expect(d.decide(BottleWindow(lineID: "line1", sequence: 2, recipe: 7, frames: []), at: now).decision.verdict == .noRead)
    }

    @Test func aPayloadThatIsNotAStampIsMalformedWithItsReason() {
        var d = decider()
        let verdict = d.decide(window([garbage]), at: now).decision.verdict
        #expect(verdict == .malformed(.hostNotAllowed("evil.example.com")))
    }

    @Test func twoDifferentCodesInOneWindowAreAmbiguousAndRaiseAnAlarm() {
        // Given a continuous line
        var d = decider(.continuous)
        // When code 2 is in three frames and code 1 in one
        let outcome = d.decide(window([url(1), url(2)], [url(2)], [url(2)]), at: now)
        // Then the bottle is ambiguous (most-seen first) and an alarm is raised
        #expect(outcome.decision.verdict == .ambiguous([code(2), code(1)]))
        #expect(outcome.alarms == [.ambiguousRead(sequence: 1, codes: [code(2), code(1)])])
    }

    @Test func inContinuousModeTheCodeSeenInMostFramesWinsOverMisreads() {
        var d = decider(.continuous)
        // Given code 1 in three frames (URL and bare form are one code), a garbled read in one, nothing in one
        let outcome = d.decide(window([url(1)], [bare(1), url(1)], [garbage], [url(1)], []), at: now)
        // Then code 1 wins
        #expect(outcome.decision.verdict == .good(code(1)))
        // And when misreads outnumber the code, the bottle is malformed
        var e = decider(.continuous)
        #expect(e.decide(window([url(3)], [garbage], [garbage]), at: now).decision.verdict.kind == .malformed)
    }

    @Test func triggeredModeLooksAtTheTriggerFrameOnly() {
        var d = decider(.triggered)
        #expect(d.decide(window([url(1)], [url(2)]), at: now).decision.verdict == .good(code(1)))
    }

    @Test func aCodeSeenBeforeIsADuplicateAcrossRestartsAndWithinARun() {
        // Given the persistent seen set holds code 1
        var d = decider(seen: [code(1)])
        // When code 1 and then code 2 twice pass
        #expect(d.decide(window([url(1)], sequence: 1), at: now).decision.verdict == .duplicate(code(1)))
        #expect(d.decide(window([url(2)], sequence: 2), at: now).decision.verdict == .good(code(2)))
        // Then the second sighting of code 2 is a duplicate even before the outbox's seen set has it
        #expect(d.decide(window([url(2)], sequence: 3), at: now).decision.verdict == .duplicate(code(2)))
    }

    @Test func aCodeOutsideALoadedPoolIsForeignAndWithoutAPoolNobodyIs() {
        var withPool = decider(pool: [code(1)])
        #expect(withPool.decide(window([url(1)], sequence: 1), at: now).decision.verdict == .good(code(1)))
        #expect(withPool.decide(window([url(9)], sequence: 2), at: now).decision.verdict == .foreign(code(9)))
        var withoutPool = decider(pool: nil)
        #expect(withoutPool.decide(window([url(9)], sequence: 3), at: now).decision.verdict == .good(code(9)))
    }

    @Test func anUnmappedRecipeIsAnUnknownProduct() {
        var d = decider()
        let outcome = d.decide(window([url(1)], sequence: 1, recipe: 99), at: now)
        #expect(outcome.decision.verdict == .unknownProduct(recipe: 99))
        #expect(outcome.decision.activation == nil)
        // The code was not consumed: the bottle can come round again under a known recipe.
        #expect(d.decide(window([url(1)], sequence: 2), at: now).decision.verdict == .good(code(1)))
    }

    @Test func aBottleWithoutADecisionInTimeIsATimeout() {
        var d = decider()
        let outcome = d.timeout(sequence: 5, recipe: 7, at: now)
        #expect(outcome.decision.verdict == .timeout)
        #expect(!outcome.decision.verdict.kind.passes)
        #expect(outcome.decision.verdict.kind.plcReasonCode == 7)
    }

    @Test func nFailuresInARowRaiseAnAlarmAndAGoodBottleResetsTheCount() {
        // Given an alarm after 3 failures that requests a line stop
        var d = decider(alarmAfter: 3, stopLine: true)
        // When two failures, a good bottle, then three failures pass
        #expect(d.decide(window([], sequence: 1), at: now).alarms.isEmpty)
        #expect(d.decide(window([garbage], sequence: 2), at: now).alarms.isEmpty)
        #expect(d.decide(window([url(1)], sequence: 3), at: now).alarms.isEmpty)
        #expect(d.consecutiveFailures == 0)
        _ = d.decide(window([], sequence: 4), at: now)
        _ = d.timeout(sequence: 5, recipe: 7, at: now)
        let third = d.decide(window([url(2)], sequence: 6, recipe: 99), at: now)
        // Then the third in a row raises the alarm with the kinds and the stop request
        #expect(third.alarms == [.consecutiveFailures(count: 3, lastKinds: [.noRead, .timeout, .unknownProduct], requestLineStop: true)])
        // And the fourth does not raise it again; the sixth does
        #expect(d.decide(window([], sequence: 7), at: now).alarms.isEmpty)
        #expect(d.decide(window([], sequence: 8), at: now).alarms.isEmpty)
        #expect(d.decide(window([], sequence: 9), at: now).alarms.count == 1)
    }
}
