import Foundation
import LineCore
import LineDecisions
import Testing

/// A bottle whose code was activated, then physically rejected (or its case dissolved) and put back on the line passes
/// once more as `reworked`; any other sighting of a seen code is a duplicate.
@Suite("Reworked bottles")
struct ReworkedVerdictTests {
    func makeDecider() -> LineDecider {
        LineDecider(lineID: "line1", mode: .triggered, products: [7: vodka], consecutiveFailureAlarm: 3)
    }

    @Test("a seen code with a rework allowance passes as reworked: no activation, counted as passing")
    func reworkable() {
        var decider = makeDecider()
        // Given two bad bottles in a row
        _ = decider.decide(window([], sequence: 1), facts: nil, at: now)
        _ = decider.decide(window([], sequence: 2), facts: nil, at: now)
        #expect(decider.consecutiveFailures == 2)
        // When the reworked bottle comes by
        let outcome = decider.decide(window([url(5)], sequence: 3), facts: CodeFacts(seen: true, inPool: true, reworkable: true), at: now)
        // Then it passes as reworked, is not activated again, and ends the run of failures
        #expect(outcome.decision.verdict == .reworked(code(5)))
        #expect(outcome.decision.verdict.kind == .reworked)
        #expect(outcome.decision.verdict.kind.passes)
        #expect(outcome.decision.verdict.kind.plcReasonCode == 0, "no reject")
        #expect(outcome.decision.activation == nil)
        #expect(outcome.decision.verdict.code == code(5))
        #expect(decider.consecutiveFailures == 0)
        #expect(outcome.alarms.isEmpty)
    }

    @Test("only once per decider: the same code again, with the allowance not yet marked used, is a duplicate")
    func onlyOnce() {
        var decider = makeDecider()
        let facts = CodeFacts(seen: true, inPool: nil, reworkable: true)
        #expect(decider.decide(window([url(5)], sequence: 1), facts: facts, at: now).decision.verdict == .reworked(code(5)))
        // The outbox commits in groups: the facts looked up for the next bottle may still say reworkable.
        let again = decider.decide(window([url(5)], sequence: 2), facts: facts, at: now)
        #expect(again.decision.verdict == .duplicate(code(5)))
        #expect(!again.decision.verdict.kind.passes)
        // Another code's allowance is its own.
        #expect(decider.decide(window([url(6)], sequence: 3), facts: facts, at: now).decision.verdict == .reworked(code(6)))
        // A new decider (a restart) trusts storage again: there the allowance is used, so the facts say so.
        var restarted = makeDecider()
        #expect(restarted.decide(window([url(5)], sequence: 4), facts: CodeFacts(seen: true, inPool: nil), at: now).decision.verdict
            == .duplicate(code(5)))
    }

    @Test("a seen code without an allowance is a duplicate; an unseen one is good")
    func withoutAllowance() {
        var decider = makeDecider()
        #expect(decider.decide(window([url(5)], sequence: 1), facts: CodeFacts(seen: true, inPool: true), at: now).decision.verdict
            == .duplicate(code(5)))
        #expect(decider.decide(window([url(6)], sequence: 2), facts: CodeFacts(seen: false, inPool: true), at: now).decision.verdict
            == .good(code(6)))
        #expect(CodeFacts(seen: true, inPool: nil).reworkable == false, "reworkable defaults to false")
    }

    @Test("the rules before rework still apply: an unmapped recipe is an unknown product, not reworked")
    func productFirst() {
        var decider = makeDecider()
        let outcome = decider.decide(window([url(5)], sequence: 1, recipe: 99), facts: CodeFacts(seen: true, inPool: true, reworkable: true),
                                     at: now)
        #expect(outcome.decision.verdict == .unknownProduct(recipe: 99))
        // The allowance was not spent by that bottle: the next good sighting uses it.
        #expect(decider.decide(window([url(5)], sequence: 2), facts: CodeFacts(seen: true, inPool: true, reworkable: true), at: now)
            .decision.verdict == .reworked(code(5)))
    }
}
