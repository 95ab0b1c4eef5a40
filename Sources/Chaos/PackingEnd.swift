import Foundation
import LineDemo
import LineSimulator

/// The end of the chaos run's line, as the orchestrator runs it: what physically happens after the line's reject
/// station, observed on the simulated PLCs (never from the agent).
///
/// - A bottle reaches the line's station when `stationOffset` more bottles have passed the camera. Not pushed off
///   there (no reject command, no fail-safe reject), it goes to the packer (``CasePacker``, paced: one case per
///   ``pitch`` at most, as the case conveyor allows). The last bottles, still upstream when the line ends, pass
///   unless a reject was commanded in time or the PLC rejected them fail-safe.
/// - A bottle the line's PLC rejected fail-safe whose cap is good is put back on the line by the operator
///   (``LineFeed``): it comes by the camera again some bottles later, where the agent must pass it as `reworked`
///   (its code is already activated) or, if it never decided it, as good.
/// - Each case the packer makes triggers the case station's simulated PLC and goes over the ``CaseWire`` to the
///   agent's case camera. A case the station's PLC rejected fail-safe (the agent was killed while it was upstream of
///   the case reject gate) is unpacked and its bottles go back to the front of the packing queue.
struct PackingEnd {
    let line: LineSimulator
    let station: LineSimulator
    let packer: CasePacker
    let wire: CaseWire.Sender
    let feed: LineFeed
    let caps: CapPlan
    let bottles: Int
    /// The case conveyor's pitch: at most one case per pitch.
    let pitch: Duration

    /// Bottles put back on the line: their sequence → the planned bottle they are.
    private(set) var putBack: [UInt64: UInt64] = [:]
    private var nextPutBack: UInt64 = 0
    /// The last bottle and case settled at their station.
    private var lineSettled: UInt64 = 0
    private var caseSettled: UInt64 = 0
    private var linePushedOff = StationLog()
    private var casePushedOff = StationLog()
    private(set) var lastPulse: ContinuousClock.Instant?
    /// Cases packed, and cases unpacked again after a fail-safe reject (with their bottles).
    private(set) var cases = 0
    private(set) var repackedCases = 0
    private(set) var repackedBottles = 0
    /// Codes of the bottles unpacked from cases rejected fail-safe (the agent dissolved those it had recorded: each
    /// such code may pass the line once more as reworked).
    private(set) var repackedCodes: Set<String> = []
    /// Bottles that passed the line's station (and went to the packer).
    private(set) var passedBottles = 0

    init(line: LineSimulator, station: LineSimulator, packer: CasePacker, wire: CaseWire.Sender, feed: LineFeed, caps: CapPlan,
         bottles: Int, pitch: Duration) {
        self.line = line
        self.station = station
        self.packer = packer
        self.wire = wire
        self.feed = feed
        self.caps = caps
        self.bottles = bottles
        self.pitch = pitch
    }

    /// The cap bottle `sequence` carried: the planned one, or that of the bottle put back on the line there.
    func cap(at sequence: UInt64) -> CapPlan.Cap? {
        let planned = putBack[sequence] ?? sequence
        let index = Int(planned) - 1
        return index >= 0 && index < caps.caps.count ? caps.caps[index] : nil
    }

    /// One step (call every few tens of milliseconds): settles the bottles and cases that reached their stations,
    /// and packs one case when the conveyor allows. Returns the case packed, if one was.
    @discardableResult
    mutating func step(now: ContinuousClock.Instant = .now) -> PackedCase? {
        let report = line.report()
        let last = report.lastSequence ?? 0
        let offset = UInt64(line.configuration.stationOffset)
        linePushedOff.update(report)
        if last >= offset, last - offset > lineSettled {
            for sequence in (lineSettled + 1)...(last - offset) {
                settleBottle(sequence, passed: !linePushedOff.pushedOff.contains(sequence), counter: last)
            }
            lineSettled = last - offset
        }
        settleCases()
        guard station.isRunning, lastPulse.map({ now - $0 >= pitch }) ?? true, let packed = packer.packNext() else { return nil }
        lastPulse = now
        cases += 1
        wire.send(packed, triggeredAt: station.triggerInstant(of: packed.sequence) ?? now)
        return packed
    }

    /// The line ended: its last bottles, still upstream of the station, pass unless a reject was commanded in time or
    /// the PLC rejected them fail-safe (the rule the reconciliation applies).
    mutating func lineEnded() {
        let report = line.report()
        guard let last = report.lastSequence, last > lineSettled else { return }
        let commanded = Set(report.rejectCommands.filter { $0.bottlesToSpare > 0 }.map(\.sequence))
        let failSafe = Set(report.failSafe)
        for sequence in (lineSettled + 1)...last {
            settleBottle(sequence, passed: !commanded.contains(sequence) && !failSafe.contains(sequence), counter: last)
        }
        lineSettled = last
    }

    /// Whether a full case still waits for the packer.
    var caseWaiting: Bool { packer.waiting.count >= packer.bottlesPerCase }

    private mutating func settleBottle(_ sequence: UInt64, passed: Bool, counter: UInt64) {
        guard let cap = cap(at: sequence), let code = cap.code else { return }
        if passed {
            // Only caps the agent may pass go into cases (a bad cap that passed is the line's miss, reported as such).
            guard cap.kind == .good || cap.kind == .duplicate else { return }
            passedBottles += 1
            packer.passed(code)
        } else if linePushedOff.failSafe.contains(sequence), cap.kind == .good, let payload = cap.payload {
            let at = max(counter + 15, nextPutBack)
            guard at <= UInt64(bottles) else { return }
            let planned = putBack[sequence] ?? sequence
            feed.put(LineFeed.Entry(payload: payload, origin: planned), at: at)
            putBack[at] = planned
            nextPutBack = at + 4
        }
    }

    private mutating func settleCases() {
        let report = station.report()
        let last = report.lastSequence ?? 0
        let offset = UInt64(station.configuration.stationOffset)
        casePushedOff.update(report)
        guard last >= offset, last - offset > caseSettled else { return }
        for sequence in (caseSettled + 1)...(last - offset) where casePushedOff.failSafe.contains(sequence) {
            guard casePushedOff.pushedOff.contains(sequence), let packed = packer.packed(sequence) else { continue }
            packer.requeue(packed.passedCodes)
            repackedCodes.formUnion(packed.passedCodes)
            repackedCases += 1
            repackedBottles += packed.passedCodes.count
        }
        caseSettled = last - offset
    }
}

/// What a station pushed off so far, read from its simulator's growing report without rebuilding sets each time.
struct StationLog {
    private(set) var pushedOff: Set<UInt64> = []
    private(set) var failSafe: Set<UInt64> = []
    private var rejectedRead = 0
    private var failSafeRead = 0

    mutating func update(_ report: SimulatorReport) {
        if report.rejected.count > rejectedRead {
            pushedOff.formUnion(report.rejected[rejectedRead...])
            rejectedRead = report.rejected.count
        }
        if report.failSafe.count > failSafeRead {
            failSafe.formUnion(report.failSafe[failSafeRead...])
            failSafeRead = report.failSafe.count
        }
    }
}
