import AgentRuntime
import Foundation
import LineCore
import LineDemo
import LineSimulator
import Outbox
import QazAPI
import QazClient
import QazServer

/// The end of a chaos run: what the agent decided (its outbox), what the registrar holds (its pool endpoint, its units
/// and its activation events) and what physically happened on the line and at the case station (the simulated PLCs),
/// compared.
struct Reconciliation {
    var bottles = 0
    var decided = 0
    var goodBottles = 0
    var goodCodes: Set<String> = []
    var rejectedByKind: [String: Int] = [:]
    var activated: Set<String> = []
    var otherActivated = 0
    var onlyGood: [String] = []
    var onlyActivated: [String] = []
    /// Codes decided good twice by the agent.
    var goodTwice: [String] = []
    /// Codes on two bottles that went past the line's reject station.
    var passedTwice: [String] = []
    var badPassed: [String] = []
    var rejectsMissed: [UInt64] = []
    var rejectsLate = 0
    var passedUndecided: [UInt64] = []
    var failSafe = 0
    var failSafeGood = 0
    var watchdogTrips = 0
    var outboxPending = 0
    var deadLetters = 0
    var delivered = 0
    var events = 0
    var activatedTwice: [String] = []
    var unexpectedExits: [String] = []
    /// Bottles the agent passed as `reworked`, those of them that went past the station, and what is wrong with them
    /// (a reworked code without an activation, or activated twice).
    var reworked = 0
    var reworkedPassed = 0
    var reworkedCodes: Set<String> = []
    var reworkedProblems: [String] = []
    /// Bottles put back on the line after a fail-safe reject, by the decision they got the second time.
    var putBack: [String: Int] = [:]
    /// Copies of a stamp (duplicate caps) passed as reworked on the allowance of a case dissolved after a fail-safe
    /// reject, before its bottles were packed again: the rework policy cannot tell the copy from the unpacked bottle.
    var copiesOnDissolvedCase: [String] = []
    /// The line PLC's fail-safe reports (trips with items).
    var lineFailSafeTrips = 0
    /// The case station's part (nil without a case station).
    var cases: CaseFindings?

    var reconciled: Bool {
        onlyGood.isEmpty && onlyActivated.isEmpty && passedTwice.isEmpty && goodTwice.isEmpty && badPassed.isEmpty && rejectsMissed.isEmpty
            && passedUndecided.isEmpty && outboxPending == 0 && deadLetters == 0 && activatedTwice.isEmpty && otherActivated == 0
            && unexpectedExits.isEmpty && events == activated.count && reworkedProblems.isEmpty && (cases?.reconciled ?? true)
    }

    static func check(_ run: Orchestrator, report: SimulatorReport, stationReport: SimulatorReport?) async throws -> Reconciliation {
        var result = Reconciliation()
        result.bottles = Int(report.bottles)

        // The agent's decisions, from its outbox file.
        let store = try run.plan.openOutbox()
        var decisions: [UInt64: ExportedDecision] = [:]
        var after: Int64 = 0
        while true {
            let page = try await store.exportDecisions(after: after, limit: 5_000)
            guard let last = page.last else { break }
            for decision in page { decisions[decision.bottleSequence] = decision }
            after = last.id
        }
        result.decided = decisions.count
        let depth = try await store.depth()
        result.outboxPending = depth.pending + depth.unbatched
        result.deadLetters = depth.deadLetters
        result.delivered = try await store.sentActivations()

        // Per bottle, in line order: what it carried, what the agent decided, what the station did.
        let pushedOff = Set(report.rejected)
        let commandedInTime = Set(report.rejectCommands.filter { $0.bottlesToSpare > 0 }.map(\.sequence))
        let failSafe = Set(report.failSafe)
        result.failSafe = failSafe.count
        result.watchdogTrips = report.watchdogTrips
        result.rejectsLate = report.tooLate.count
        result.lineFailSafeTrips = report.watchdogTrips
        // Codes on bottles that went past the station so far, in line order. A code is bad on a later bottle only if
        // a bottle with it went past: a bottle rejected fail-safe after the agent passed it may pass once more
        // (put back on the line, or a copy of its stamp), as `reworked`.
        var passedCodes: Set<String> = []
        let putBack = run.packing?.putBack ?? [:]
        let unpacked = run.packing?.repackedCodes ?? []
        let lastAtStation = (report.lastSequence ?? 0) >= UInt64(run.simulator.configuration.stationOffset)
            ? (report.lastSequence ?? 0) - UInt64(run.simulator.configuration.stationOffset) : 0
        for sequence in stride(from: UInt64(1), through: report.lastSequence ?? 0, by: 1) {
            guard let cap = run.cap(at: sequence) else { continue }
            let decision = decisions[sequence]
            let rejected = sequence <= lastAtStation ? pushedOff.contains(sequence)
                : (commandedInTime.contains(sequence) || failSafe.contains(sequence))
            let passes = decision?.kind.passes ?? false
            let code = decision?.code?.rawValue
            if decision?.kind == .good, let code {
                result.goodBottles += 1
                if result.goodCodes.contains(code) { result.goodTwice.append(code) }
                result.goodCodes.insert(code)
                if failSafe.contains(sequence) { result.failSafeGood += 1 }
            } else if decision?.kind == .reworked, let code {
                result.reworked += 1
                result.reworkedCodes.insert(code)
                if !rejected { result.reworkedPassed += 1 }
            } else if let decision {
                result.rejectedByKind[decision.kind.rawValue, default: 0] += 1
            }
            if putBack[sequence] != nil { result.putBack[decision?.kind.rawValue ?? "undecided", default: 0] += 1 }
            // A bad bottle: a cap that cannot be used, or a code on a bottle that went past the station before.
            var bad: Bool
            switch cap.kind {
            case .good, .duplicate: bad = passedCodes.contains(cap.code ?? "")
            case .unreadable, .damaged, .foreign: bad = true
            }
            // The one copy the rework policy lets through: a stamp copy passed as reworked while the bottle it copies
            // waited, unpacked from a case dissolved after a fail-safe reject, to be packed again.
            let copyOnAllowance = bad && cap.kind == .duplicate && decision?.kind == .reworked && unpacked.contains(cap.code ?? "")
            if copyOnAllowance {
                bad = false
                result.copiesOnDissolvedCase.append("bottle \(sequence)")
            }
            if bad, passes { result.badPassed.append("bottle \(sequence) (\(cap.kind.rawValue) cap\(putBack[sequence] == nil ? "" : ", put back on the line")) passed") }
            if passes, let code, code != cap.code {
                result.badPassed.append("bottle \(sequence) passed with code \(code), its cap carries \(cap.code ?? "none")")
            }
            if bad, !rejected { result.rejectsMissed.append(sequence) }
            if decision == nil, !rejected { result.passedUndecided.append(sequence) }
            if !rejected, let code = cap.code {
                if passedCodes.contains(code), !copyOnAllowance { result.passedTwice.append(code) }
                passedCodes.insert(code)
            }
        }

        // The registrar: the producer's activated codes, and the other producer's (must be none).
        return try await run.client(run.tokens["revenue"]!).closing { revenue in
            func activatedCodes(_ bin: TaxpayerID) async throws -> Set<String> {
                var codes: Set<String> = []
                var after: String?
                repeat {
                    let page = try await revenue.pool(bin: bin, status: .activated, after: after, limit: 1000)
                    codes.formUnion(page.items.map(\.code))
                    after = page.next
                } while after != nil
                return codes
            }
            result.activated = try await activatedCodes(Orchestrator.producer)
            result.otherActivated = try await activatedCodes(Orchestrator.other).count
            result.onlyGood = Array(result.goodCodes.subtracting(result.activated)).sorted()
            result.onlyActivated = Array(result.activated.subtracting(result.goodCodes)).sorted()
            result.reworkedProblems = result.reworkedCodes.subtracting(result.activated).sorted().map { "\($0) passed as reworked, never activated" }
            if let packing = run.packing, let stationReport {
                result.cases = try await CaseFindings.check(packing: packing, report: stationReport, store: store, registrar: revenue,
                                                            activated: result.activated)
            }
            return result
        }
    }

    /// Activation events per code, read from the registrar's database after it stopped (one event per activation).
    static func activationEvents(path: String) async throws -> [String: Int] {
        let store = try SQLiteRegistrarStore(path: path)
        var counts: [String: Int] = [:]
        var after: Int64 = 0
        while true {
            let page = try await store.activations(after: after, participant: nil, limit: 5_000)
            guard let last = page.last else { break }
            for event in page { counts[event.code, default: 0] += 1 }
            after = last.id
        }
        return counts
    }

    mutating func addEvents(_ counts: [String: Int]) {
        events = counts.values.reduce(0, +)
        activatedTwice = counts.filter { $0.value > 1 }.map(\.key).sorted()
        reworkedProblems += reworkedCodes.filter { (counts[$0] ?? 0) > 1 }.sorted().map { "\($0) passed as reworked and activated \(counts[$0]!) times" }
    }

    func render(figures: Figures, options: ChaosRunCommand) -> String {
        func mark(_ ok: Bool) -> String { ok ? "ok" : "MISMATCH" }
        func list<T>(_ values: [T]) -> String {
            values.isEmpty ? "" : " (" + values.prefix(5).map { "\($0)" }.joined(separator: "; ") + (values.count > 5 ? "; …" : "") + ")"
        }
        let faults = figures.proxy.map { stats in
            stats.faults.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        } ?? "no statistics"
        let injected = figures.proxy.map { $0.faults.values.reduce(0, +) + $0.cutResets } ?? 0
        let restarts = figures.agentRestartSeconds.sorted()
        let restartText = restarts.isEmpty ? "-" : String(format: "median %.1f s, longest %.1f s", restarts[restarts.count / 2], restarts.last!)
        return """

        QazLine chaos summary (seed \(options.seed))
          line:                    \(bottles) bottles at \(Int(options.speed)) bottles/h; \(decided) decided by the agent
          agent kills survived:    \(figures.agentKills) (kill -9; restart to following the PLC: \(restartText))
          registrar kills:         \(figures.serverKills) (kill -9; \(figures.serverRestarts) restarts)
          link cuts:               \(figures.cuts) × \(Int(options.cutSeconds)) s
          proxy:                   \(figures.proxy?.requests ?? 0) requests, \(injected) faults injected (\(faults); resets during cuts \(figures.proxy?.cutResets ?? 0)); answered 502 while the registrar was down: \(figures.proxy?.upstreamDown ?? 0)
          watchdog:                \(watchdogTrips) line stops, \(failSafe) bottles rejected fail-safe (\(failSafeGood) of them already decided good: their codes are activated)
          good bottles:            \(goodBottles) (agent's good decisions, distinct codes \(goodCodes.count))
          reworked bottles:        \(reworked) passed as reworked (\(reworkedPassed) went past the station; put back on the line after a fail-safe reject: \(putBack.values.reduce(0, +))\(putBack.isEmpty ? "" : ", decided " + putBack.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))\(copiesOnDissolvedCase.isEmpty ? "" : "; stamp copies passed on a dissolved case's allowance \(copiesOnDissolvedCase.count)\(list(copiesOnDissolvedCase))")); activated once each: \(mark(reworkedProblems.isEmpty))\(list(reworkedProblems))
          rejected by the agent:   \(rejectedByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
          activated (registrar):   \(activated.count) codes of \(LineDemo.producerBIN); activation events \(events)
          good = activated:        \(mark(onlyGood.isEmpty && onlyActivated.isEmpty)) (good not activated \(onlyGood.count)\(list(onlyGood)); activated not good \(onlyActivated.count)\(list(onlyActivated)))
          activated twice:         \(activatedTwice.count) \(mark(activatedTwice.isEmpty && events == activated.count))\(list(activatedTwice))
          good twice (agent):      \(goodTwice.count) \(mark(goodTwice.isEmpty))\(list(goodTwice))
          passed twice (line):     \(passedTwice.count) \(mark(passedTwice.isEmpty))\(list(passedTwice)) (a code on two bottles past the station)
          bad bottles activated:   \(badPassed.count) \(mark(badPassed.isEmpty))\(list(badPassed)); other producer's codes activated \(otherActivated) \(mark(otherActivated == 0))
          rejects missed:          \(rejectsMissed.count) \(mark(rejectsMissed.isEmpty))\(list(rejectsMissed)) (late commands \(rejectsLate))
          passed undecided:        \(passedUndecided.count) \(mark(passedUndecided.isEmpty))\(list(passedUndecided))
          outbox rows left:        \(outboxPending) pending, \(deadLetters) dead letters \(mark(outboxPending == 0 && deadLetters == 0)); \(delivered) activations delivered
        \(cases.map { $0.render(figures: figures) } ?? "")  processes:               \(unexpectedExits.isEmpty ? "no unexpected exits" : unexpectedExits.joined(separator: "; "))
          \(reconciled ? "RECONCILED" : "NOT RECONCILED")
        """
    }

    func json(figures: Figures, options: ChaosRunCommand) throws -> Data {
        struct Summary: Codable {
            var seed: UInt64, bottles: Int, decided: Int, goodBottles: Int, activated: Int, events: Int
            var goodNotActivated: Int, activatedNotGood: Int, activatedTwice: Int, passedTwice: Int, badActivated: Int
            var otherProducerActivated: Int, rejectsMissed: Int, passedUndecided: Int, outboxLeft: Int, deadLetters: Int
            var failSafe: Int, watchdogTrips: Int, rejectedByKind: [String: Int], figures: Figures, reconciled: Bool
            var goodTwice: Int, reworked: Int, reworkedPassed: Int, putBack: [String: Int], reworkedProblems: Int, copiesOnDissolvedCase: Int
            var cases: CaseFindings?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(Summary(
            seed: options.seed, bottles: bottles, decided: decided, goodBottles: goodBottles, activated: activated.count, events: events,
            goodNotActivated: onlyGood.count, activatedNotGood: onlyActivated.count, activatedTwice: activatedTwice.count,
            passedTwice: passedTwice.count, badActivated: badPassed.count, otherProducerActivated: otherActivated,
            rejectsMissed: rejectsMissed.count, passedUndecided: passedUndecided.count, outboxLeft: outboxPending,
            deadLetters: deadLetters, failSafe: failSafe, watchdogTrips: watchdogTrips, rejectedByKind: rejectedByKind,
            figures: figures, reconciled: reconciled, goodTwice: goodTwice.count, reworked: reworked, reworkedPassed: reworkedPassed,
            putBack: putBack, reworkedProblems: reworkedProblems.count, copiesOnDissolvedCase: copiesOnDissolvedCase.count, cases: cases))
    }
}
