import AgentRuntime
import Foundation
import LineCore
import LineSimulator
import Synchronization
import Vision

/// What the simulated packer does wrong to a case, on purpose, so that the case station has something to reject.
public enum CaseDefect: String, Sendable, Codable, CaseIterable {
    /// A full case of bottles the agent passed, with a readable label: must be accepted.
    case none
    /// One bottle short.
    case missingBottle = "missing-bottle"
    /// One bottle replaced by a bottle the agent rejected (its cap's code was not passed).
    case rejectedCap = "rejected-cap"
    /// One cap whose code cannot be read.
    case unreadableCap = "unreadable-cap"
    /// The case label cannot be read (label mode).
    case unreadableLabel = "unreadable-label"
    /// The case carries the label of an earlier case (label mode).
    case duplicatedLabel = "duplicated-label"
}

/// A case as the simulated packer made it.
public struct PackedCase: Sendable, Hashable {
    /// The station PLC's case sequence.
    public var sequence: UInt64
    public var defect: CaseDefect
    /// What the camera sees, slot by slot.
    public var slots: [CaseSlot]
    /// The pre-printed label (label mode).
    public var label: CaseLabelSpec?
    /// The code on the label, when readable.
    public var labelCode: UnitCode?
    /// Codes of the bottles in the case that the agent passed.
    public var passedCodes: [String]
}

/// The packer at the end of the simulated line: collects the bottles that passed the reject station, fills a case
/// whenever it has a case's worth, and triggers the case station (``LineSimulator/pulse()`` on the station's
/// simulated PLC). A share of cases gets a defect (``CaseDefect``); the bottles it took out of a case go back to the
/// front of the queue. Thread-safe; deterministic per seed and per order of passed bottles.
///
/// Automatic (the demo): a case is packed as soon as a case's worth waits. Paced (the chaos run, whose station has a
/// conveyor pitch): bottles only queue, and the caller packs one case at a time with ``packNext()``.
public final class CasePacker: Sendable {
    /// The share of cases with each defect.
    public struct Shares: Sendable {
        public var values: [CaseDefect: Double]
        public init(_ values: [CaseDefect: Double]) { self.values = values }
        /// About one case in twelve with some defect.
        public static let demo = Shares([.missingBottle: 0.02, .rejectedCap: 0.02, .unreadableCap: 0.02, .unreadableLabel: 0.01,
                                         .duplicatedLabel: 0.01])
    }

    private struct State {
        var queue: [String] = []
        var rejectedCodes: [String] = []
        var byCase: [UInt64: PackedCase] = [:]
        var cases: [PackedCase] = []
        var random: SeededRandom
        var serial: Int64 = 1
        var lastGoodLabel: CaseLabelSpec?
    }

    private let state: Mutex<State>
    private let simulator: LineSimulator
    /// Bottles in a full case.
    public let bottlesPerCase: Int
    private let layout: CaseLayout
    private let shares: [(CaseDefect, Double)]
    private let labels: Bool
    private let companyPrefix: String
    private let extensionDigit: Int
    private let host: String
    private let automatic: Bool

    /// - Parameters:
    ///   - simulator: the case station's simulated PLC (externally triggered).
    ///   - bottlesPerCase: bottles in a full case (12, 20 or 24).
    ///   - labels: whether cases carry pre-printed labels (label mode); otherwise the agent prints them.
    ///   - companyPrefix, extensionDigit: the pre-printed labels' SSCCs.
    ///   - automatic: pack whenever a case's worth waits (false: only on ``packNext()``).
    public init(simulator: LineSimulator, bottlesPerCase: Int, shares: Shares, seed: UInt64, labels: Bool, companyPrefix: String,
                extensionDigit: Int, host: String = "qr.example.kz", automatic: Bool = true) {
        self.simulator = simulator
        self.automatic = automatic
        self.bottlesPerCase = bottlesPerCase
        layout = CaseLayout(capCount: bottlesPerCase) ?? .twelve
        self.labels = labels
        self.companyPrefix = companyPrefix
        self.extensionDigit = extensionDigit
        self.host = host
        self.shares = CaseDefect.allCases.filter { $0 != .none && (labels || ($0 != .unreadableLabel && $0 != .duplicatedLabel)) }
            .map { ($0, shares.values[$0] ?? 0) }
        state = Mutex(State(random: SeededRandom(seed: seed ^ 0xC45E)))
    }

    /// A bottle leaves the filling line: a passed bottle joins the packing queue; a rejected bottle's code is kept
    /// (a "rejected cap" defect puts such a bottle into a case).
    public func bottle(_ report: BottleReport) {
        guard let code = report.code else { return }
        if report.rejected {
            rejected(code.rawValue)
        } else {
            passed(code.rawValue)
        }
    }

    /// A bottle with this code passed the line's reject station: it joins the packing queue (and, automatic, every
    /// full case is packed at once).
    public func passed(_ code: String) {
        state.withLock { s in
            s.queue.append(code)
            guard automatic else { return }
            while s.queue.count >= bottlesPerCase {
                guard pack(&s) != nil else { return }
            }
        }
    }

    /// A bottle with this code was pushed off at the line's reject station (a "rejected cap" defect may use it).
    public func rejected(_ code: String) {
        state.withLock { $0.rejectedCodes.append(code) }
    }

    /// Bottles back at the front of the queue, to be packed again (those of a case the station rejected).
    public func requeue(_ codes: [String]) {
        state.withLock { $0.queue.insert(contentsOf: codes, at: 0) }
    }

    /// Packs one case if a case's worth of bottles waits, and triggers the station.
    /// - Returns: the case; nil when fewer bottles wait or the station's line is not running.
    public func packNext() -> PackedCase? {
        state.withLock { s in s.queue.count >= bottlesPerCase ? pack(&s) : nil }
    }

    /// Fills one case from the queue and triggers the station; nil when the station's line is not running.
    private func pack(_ s: inout State) -> PackedCase? {
        var taken = Array(s.queue.prefix(bottlesPerCase))
        var returned: [String] = []
        var defect = CaseDefect.none
        let roll = Double.random(in: 0..<1, using: &s.random)
        var sum = 0.0
        for (candidate, share) in shares {
            sum += share
            if roll < sum { defect = candidate; break }
        }
        if defect == .rejectedCap, s.rejectedCodes.isEmpty { defect = .unreadableCap }
        if defect == .duplicatedLabel, s.lastGoodLabel == nil { defect = .unreadableLabel }
        var slots = taken.map { CaseSlot.cap(payload: "https://\(host)/c/\($0)") }
        let position = Int.random(in: 0..<slots.count, using: &s.random)
        switch defect {
        case .missingBottle:
            returned.append(taken.remove(at: position))
            slots[position] = .empty
        case .rejectedCap:
            returned.append(taken.remove(at: position))
            slots[position] = .cap(payload: "https://\(host)/c/\(s.rejectedCodes.removeFirst())")
        case .unreadableCap:
            returned.append(taken.remove(at: position))
            slots[position] = .unreadableCap
        case .none, .unreadableLabel, .duplicatedLabel:
            break
        }
        var label: CaseLabelSpec?
        var labelCode: UnitCode?
        if labels {
            if defect == .duplicatedLabel, let previous = s.lastGoodLabel {
                label = previous
            } else {
                let code = try? SSCC.make(extensionDigit: extensionDigit, companyPrefix: companyPrefix, serial: s.serial)
                s.serial += 1
                label = code.map { CaseLabelSpec(sscc: $0, symbology: s.serial % 2 == 0 ? .dataMatrix : .gs1_128, damaged: defect == .unreadableLabel) }
            }
            if defect != .unreadableLabel, let text = label?.text { labelCode = try? UnitCode(parsing: text) }
        }
        guard let sequence = simulator.pulse() else { return nil }
        s.queue.removeFirst(bottlesPerCase)
        s.queue.insert(contentsOf: returned, at: 0)
        let packed = PackedCase(sequence: sequence, defect: defect, slots: slots, label: label, labelCode: labelCode, passedCodes: taken)
        if defect == .none, let label { s.lastGoodLabel = label }
        s.byCase[sequence] = packed
        s.cases.append(packed)
        return packed
    }

    /// The case the station triggered as `sequence`.
    public func packed(_ sequence: UInt64) -> PackedCase? { state.withLock { $0.byCase[sequence] } }

    /// Every case packed so far, in order.
    public var cases: [PackedCase] { state.withLock { $0.cases } }

    /// Passed bottles still waiting for a case (the last, partial case).
    public var waiting: [String] { state.withLock { $0.queue } }
}

/// The case camera of the simulated plant: for each case trigger of the station's simulated PLC, one rendered top
/// view of the case the packer made (``CaseFrameSynthesizer``), captured at the trigger's instant.
public final class CaseCameraSource: FrameSource {
    public let name: String
    private let trigger: SimulatorTrigger
    private let packer: CasePacker
    private let synthesizer: CaseFrameSynthesizer
    private var closed = false

    public init(name: String, simulator: LineSimulator, packer: CasePacker, seed: UInt64, width: Int = 2448, height: Int = 2048) {
        self.name = name
        trigger = SimulatorTrigger(simulator: simulator, maxBacklog: 8)
        self.packer = packer
        synthesizer = CaseFrameSynthesizer(width: width, height: height, seed: seed)
    }

    public func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        while true {
            if closed { throw .sourceClosed(source: name, reason: "closed") }
            if Task.isCancelled { throw .sourceClosed(source: name, reason: "stopped") }
            guard let shot = try trigger.next() else { continue }
            guard let packed = packer.packed(shot.sequence), let layout = CaseLayout(capCount: packed.slots.count) else { continue }
            _ = try synthesizer.render(CaseFrameSpec(layout: layout, slots: packed.slots, label: packed.label), into: image)
            let age = ContinuousClock.now - shot.instant
            return FrameInfo(sequence: shot.sequence, capturedAt: Date().addingTimeInterval(-Double(age.inMilliseconds) / 1000),
                             capturedInstant: shot.instant, dropped: trigger.dropped)
        }
    }

    public func close() {
        closed = true
        trigger.close()
    }
}
