import Aggregation
import ConfigKit
import Foundation
import LabelPrinting
import LineConfig
import LineCore
import Logging
import Metrics
import Outbox
import PLC

/// One decoded frame of the case camera.
public struct CaseFrame: Sendable {
    /// When the frame was exposed (monotonic).
    public var capturedAt: ContinuousClock.Instant
    /// What the frame shows: caps with their codes, stray codes, labels.
    public var observation: CaseObservation
    /// Decode time of the frame.
    public var decodeTime: Duration
    /// The camera's frame sequence.
    public var frameSequence: UInt64
    /// When the frame source delivered the frame (before it was read): the agent's own time runs from here.
    public var deliveredAt: ContinuousClock.Instant

    public init(capturedAt: ContinuousClock.Instant, observation: CaseObservation, decodeTime: Duration, frameSequence: UInt64,
                deliveredAt: ContinuousClock.Instant? = nil) {
        self.deliveredAt = deliveredAt ?? capturedAt
        self.capturedAt = capturedAt
        self.observation = observation
        self.decodeTime = decodeTime
        self.frameSequence = frameSequence
    }
}

/// What happened to one case, for observers (the demo's summary, benchmarks, tests).
public struct CaseReport: Sendable, Hashable {
    public var stationID: String
    /// The station PLC's case sequence.
    public var sequence: UInt64
    public var code: UnitCode?
    public var good: Bool
    public var reasons: [CaseRejectReason]
    /// The valid codes seen, in cap order.
    public var codes: [StampCode]
    /// Trigger observed → reject commanded or case acknowledged.
    public var latency: Duration
    /// The case frame's decode time (nil: no frame).
    public var decodeTime: Duration?
    /// The agent's own time for the case: frame delivered → reject commanded or case acknowledged (reading, rules,
    /// printing, recording; nil: no frame).
    public var processing: Duration?
}

/// A case station's figures, for `/status` and the console.
public struct CaseStationStatus: Sendable, Codable, Equatable {
    public var id: String
    public var lineID: String
    public var bottlesPerCase: Int
    public var plcLink: String
    public var cases: Int
    public var good: Int
    public var rejectedByReason: [String: Int]
    public var rejectsConfirmed: Int
    public var rejectsMissed: Int
    public var decisionLatencyP99Ms: Double?
    public var decodeP99Ms: Double?
    /// The last decided cases, newest first.
    public var recent: [RecentCase]
}

/// A decided case as the console's list shows it.
public struct RecentCase: Sendable, Codable, Equatable {
    public var sequence: UInt64
    public var code: String?
    public var good: Bool
    public var reasons: [String]
    public var bottles: Int
    public var latencyMs: Double
    public var decidedAt: Date
}

/// The packing station of one line at run time: matches each case trigger of the station's PLC with the case camera's
/// frame, judges the case (``CaseRules``), assigns and prints its code (printer mode), records it, and accepts or
/// rejects it through the station's ordered ``PLCCommandChannel``.
///
/// Safety rules, as for bottles:
/// - A bad case's reject is commanded before it is recorded.
/// - A good case is acknowledged (`goodCounter`) only after it is recorded with its `casePacked` event in one
///   transaction; if recording fails, or the decision is not ready by the case's deadline, the case is rejected.
/// - A case whose frame does not arrive by its deadline is rejected (`no-frame`).
/// - A case the PLC rejected fail-safe after it was recorded (its fail-safe report) is dissolved: recorded, never
///   silent.
///
/// Cases are decided one at a time in trigger order by ``run()``; ``finishInFlight()`` decides what is open and
/// waits for it, then closes the PLC channel. No task is left unstructured.
public actor CaseStationRuntime {
    private struct PendingTrigger {
        var sequence: UInt64
        var instant: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
    }
    private struct Work: Sendable {
        var sequence: UInt64
        var trigger: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var frame: CaseFrame?
    }

    public nonisolated let stationID: String
    public nonisolated let lineID: String
    private let station: CaseStationConfiguration
    private let rules: CaseRules
    private let payloadRules: PayloadRules
    private let commands: PLCCommandChannel
    private let store: OutboxStore
    private let printer: (any LabelPrinter)?
    private let producerName: String
    private let events: AgentEventLog
    private var logger: Logger
    private let clock: any LineClock
    private let notifyQueued: @Sendable () -> Void
    private let onCase: @Sendable (CaseReport) -> Void
    /// How long before its trigger event a frame may have been exposed (a hardware-triggered camera fires at the
    /// photo-eye; the PLC poll sees the trigger up to a couple of polls later).
    private let frameLead: Duration
    /// How long after its trigger event a case's frame may have been exposed (a camera that stamps its frames a
    /// little after the exposure). A frame exposed later belongs to a later case: cases come a second or so apart.
    private let frameLag: Duration
    private let queue: AsyncStream<Work>
    private let queueInput: AsyncStream<Work>.Continuation

    private var waiting: [PendingTrigger] = []
    private var frames: [CaseFrame] = []
    private var inFlight = 0
    private var drained = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var linkUp = false
    private var cases = 0, good = 0, confirmed = 0, missed = 0, strayFrames = 0
    private var byReason: [CaseRejectReason: Int] = [:]
    private var latencies = SlidingWindow()
    private var decodes = SlidingWindow()
    private var recent: [RecentCase] = []
    private var failSafeReports: [(first: UInt64, last: UInt64)] = []
    /// The newest case trigger seen: cases up to `stationOffset` before it are past the reject gate.
    private var lastTrigger: UInt64?
    private let counters: (good: Metrics.Counter, rejected: Metrics.Counter, latency: Metrics.Timer, decode: Metrics.Timer)

    /// - Parameters:
    ///   - line: the line the station packs.
    ///   - station: the station's configuration.
    ///   - payloadRules: how cap payloads become codes.
    ///   - commands: the station's ordered channel to its PLC.
    ///   - store: the agent's database.
    ///   - printer: the label printer (nil: codes come from labels).
    ///   - notifyQueued: wakes the aggregation drainer after an event was queued.
    ///   - onCase: called once per case with its outcome.
    public init(line: LineConfiguration, station: CaseStationConfiguration, payloadRules: PayloadRules, commands: PLCCommandChannel,
                store: OutboxStore, printer: (any LabelPrinter)?, producerName: String, metrics: AgentMetrics, events: AgentEventLog,
                logger: Logger, clock: any LineClock = SystemLineClock(), notifyQueued: @escaping @Sendable () -> Void = {},
                onCase: @escaping @Sendable (CaseReport) -> Void = { _ in }) {
        stationID = station.id
        lineID = line.id
        self.station = station
        rules = CaseRules(bottlesPerCase: station.bottlesPerCase, caseCode: station.caseCode)
        self.payloadRules = payloadRules
        self.commands = commands
        self.store = store
        self.printer = printer
        self.producerName = producerName
        self.events = events
        var logger = logger
        logger[metadataKey: "case_station.id"] = "\(station.id)"
        self.logger = logger
        self.clock = clock
        self.notifyQueued = notifyQueued
        self.onCase = onCase
        frameLead = station.plc.pollInterval.duration * 3 + .milliseconds(50)
        frameLag = .milliseconds(300)
        (queue, queueInput) = AsyncStream.makeStream(of: Work.self, bufferingPolicy: .unbounded)
        let dimensions = [("line", line.id), ("station", station.id)]
        counters = (metrics.counter("qazline_cases_good_total", dimensions), metrics.counter("qazline_cases_rejected_total", dimensions),
                    metrics.timer("qazline_case_decision_seconds", dimensions), metrics.timer("qazline_case_decode_seconds", dimensions))
    }

    // MARK: Inputs

    /// An event of the station's PLC (`bottle` is a case trigger).
    public func handle(_ event: PLCEvent) {
        switch event.kind {
        case .bottle(let sequence):
            lastTrigger = max(lastTrigger ?? 0, sequence)
            let deadline = event.instant.advanced(by: station.reject.decisionDeadline.duration)
            waiting.append(PendingTrigger(sequence: sequence, instant: event.instant, deadline: deadline))
            match()
        case .linkUp:
            linkUp = true
            commands.send(.setStatus(.ready))
        case .linkDown(let error):
            linkUp = false
            alarm("case-plc-link-down", "case station \(stationID): PLC link down: \(error)")
        case .rejectConfirmed:
            confirmed += 1
        case .rejectMissed(let sequence, let reason):
            missed += 1
            alarm("case-reject-missed", "case \(sequence) (\(reason.name)) was not confirmed rejected by the case station")
        case .rejectNotAcknowledged(let sequence, let command):
            alarm("case-reject-not-acknowledged", "the case station's PLC did not echo reject command \(command) for case \(sequence)")
        case .unexpectedReject(let count):
            alarm("case-unexpected-reject", "the case station confirmed \(count) reject(s) the agent never commanded")
        case .counterJump(let from, let to, let jump):
            alarm("case-counter-jump", "case counter jumped from \(from) to \(to) (\(jump) cases): no cases made up")
        case .heartbeatLost:
            alarm("case-plc-heartbeat-lost", "the case station's PLC heartbeat stopped changing")
        case .lineStopRequested(let reason):
            events.alarm(line: lineID, kind: "case-station-stop-requested", "case station \(stationID): stop requested: \(reason)")
        case .failSafeRejects(_, let first, let last):
            failSafeReports.append((first, last))
        case .lineState, .recipe, .heartbeatRestored:
            break
        }
    }

    /// A decoded case frame.
    public func handle(_ frame: CaseFrame) {
        frames.append(frame)
        match()
    }

    /// Pairs waiting triggers with frames in order: the oldest trigger takes the oldest frame exposed from `frameLead`
    /// before it to `frameLag` after it (and before the next trigger's window, when that trigger is known). Older
    /// frames belong to no case (a stray frame, counted). A younger frame belongs to a later case: frames come in
    /// exposure order, so this case's frame was lost, and the case is decided at once without one (rejected) rather
    /// than given the next case's frame.
    private func match() {
        while let trigger = waiting.first {
            while let frame = frames.first, frame.capturedAt < trigger.instant.advanced(by: .zero - frameLead) {
                frames.removeFirst()
                strayFrames += 1
            }
            guard let frame = frames.first else { return }
            waiting.removeFirst()
            let nextWindow = waiting.first.map { $0.instant.advanced(by: .zero - frameLead) }
            if frame.capturedAt > trigger.instant.advanced(by: frameLag) || nextWindow.map({ frame.capturedAt >= $0 && $0 > trigger.instant }) == true {
                enqueue(Work(sequence: trigger.sequence, trigger: trigger.instant, deadline: trigger.deadline, frame: nil))
                continue
            }
            frames.removeFirst()
            enqueue(Work(sequence: trigger.sequence, trigger: trigger.instant, deadline: trigger.deadline, frame: frame))
        }
    }

    private func enqueue(_ work: Work) {
        inFlight += 1
        queueInput.yield(work)
    }

    /// Deadlines: a trigger whose frame has not come by its deadline is decided without one; old unmatched frames
    /// are dropped. Call every few milliseconds.
    public func tick() async {
        let now = clock.now
        while let first = waiting.first, first.deadline <= now {
            waiting.removeFirst()
            enqueue(Work(sequence: first.sequence, trigger: first.instant, deadline: first.deadline, frame: nil))
        }
        if waiting.isEmpty {
            let before = frames.count
            frames.removeAll { now - $0.capturedAt > .seconds(5) }
            strayFrames += before - frames.count
        }
        while !failSafeReports.isEmpty {
            let report = failSafeReports.removeFirst()
            do {
                let result = try await store.failSafeRejected(line: lineID, station: stationID, first: report.first, last: report.last)
                if result.cases > 0 {
                    alarm("case-fail-safe-rejects", "the case station's PLC rejected cases \(report.first)-\(report.last) fail-safe: \(result.cases) recorded case(s) among them were dissolved; re-pack their bottles")
                    notifyQueued()
                }
            } catch {
                alarm("case-fail-safe-not-recorded", "the case station's fail-safe rejects \(report.first)-\(report.last) could not be recorded: \(error)")
            }
        }
    }

    /// Runs the tick loop until cancelled.
    public func runTicks() async {
        while !Task.isCancelled {
            await tick()
            try? await clock.sleep(for: .milliseconds(10))
        }
    }

    /// Decides the queued cases one at a time, in order. Returns once ``finishInFlight()`` closed the queue and every
    /// case was decided and recorded.
    public func run() async {
        for await work in queue {
            await decide(work)
            inFlight -= 1
        }
        drained = true
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    /// Graceful shutdown (after the case camera stopped): decides every waiting case now (without a frame: rejected),
    /// waits for every decision, then closes the PLC channel.
    public func finishInFlight() async {
        for trigger in waiting {
            enqueue(Work(sequence: trigger.sequence, trigger: trigger.instant, deadline: trigger.deadline, frame: nil))
        }
        waiting.removeAll()
        queueInput.finish()
        while !drained { await withCheckedContinuation { drainWaiters.append($0) } }
        commands.finish()
    }

    // MARK: Deciding

    private func decide(_ work: Work) async {
        guard let frame = work.frame else {
            var verdict = CaseVerdict(reasons: [], details: [], codes: [], held: [], caseCode: nil)
            verdict.reject(.noFrame, "no frame of the case by its deadline")
            await reject(work, verdict, frame: nil)
            return
        }
        let observation = frame.observation
        let codes = observation.codes
        var labelCode: UnitCode?
        var labelProblem: CaseLabelProblem?
        if station.caseCode.source == .label {
            switch rules.labelCode(observation.labels) {
            case .success(let code): labelCode = code
            case .failure(let problem): labelProblem = problem
            }
        }
        let state: (codes: [StampCode: CaseCodeState], unitInUse: Bool)
        do {
            state = try await store.caseState(of: codes, unit: labelCode)
        } catch {
            var verdict = CaseVerdict(reasons: [], details: [], codes: codes, held: [], caseCode: labelCode)
            verdict.reject(.notRecorded, "the agent's database could not be read: \(error)")
            await reject(work, verdict, frame: frame)
            return
        }
        let facts = state.codes.mapValues { CaseCodeFacts(passedHere: $0.passedHere, inCase: $0.inCase) }
        let reading: CaseCodeReading? = station.caseCode.source == .printer
            ? .toBePrinted : labelCode.map { .code($0, inUse: state.unitInUse) }
        var verdict = rules.decide(observation, code: reading, labelProblem: labelProblem, facts: facts)
        guard verdict.isGood else {
            await reject(work, verdict, frame: frame)
            return
        }
        if station.caseCode.source == .printer {
            do {
                let code = try await assignCode(extensionDigit: station.caseCode.extensionDigit)
                try await printLabel(code, lines: labelLines(bottles: codes.count, at: clock.wallNow))
                verdict.caseCode = code
            } catch let error as PrinterError {
                alarm("printer", "case \(work.sequence): \(error); the case is rejected")
                verdict.reject(.printerFailed, "\(error)")
            } catch {
                verdict.reject(.notRecorded, "no case code could be assigned: \(error)")
            }
            guard verdict.isGood else {
                await reject(work, verdict, frame: frame)
                return
            }
        }
        if clock.now > work.deadline {
            verdict.reject(.late, "decided \(clock.now - work.trigger) after the trigger, past the deadline")
            await reject(work, verdict, frame: frame)
            return
        }
        let record = CaseRecord(code: verdict.caseCode, lineID: lineID, stationID: stationID, sequence: work.sequence, good: true,
                                at: clock.wallNow, contents: codes, bottleCount: observation.caps.count)
        do {
            switch try await store.recordCase(record) {
            case .recorded:
                commands.send(.countGood)
                notifyQueued()
                finish(work, verdict, frame: frame, good: true)
                await palletiseIfFull()
            case .conflict(let why):
                verdict.reject(why.contains("case code") ? .caseCodeInUse : .alreadyInCase, why)
                await reject(work, verdict, frame: frame)
            }
        } catch {
            alarm("case-not-recorded", "case \(work.sequence) could not be recorded (\(error)): rejected")
            verdict.reject(.notRecorded, "\(error)")
            await reject(work, verdict, frame: frame)
        }
    }

    /// Rejects first (fail safe), then records the rejected case with the codes it holds.
    private func reject(_ work: Work, _ verdict: CaseVerdict, frame: CaseFrame?) async {
        let reason = verdict.primary ?? .notRecorded
        commands.send(.reject(sequence: work.sequence, reason: reason.rejectReason))
        let caseCode = station.caseCode.source == .label ? verdict.caseCode : nil
        let record = CaseRecord(code: caseCode, lineID: lineID, stationID: stationID, sequence: work.sequence, good: false,
                                reasons: verdict.reasons.map(\.rawValue), detail: verdict.details.joined(separator: "; "), at: clock.wallNow,
                                contents: verdict.codes, held: verdict.held, bottleCount: frame?.observation.caps.count ?? 0)
        do {
            _ = try await store.recordCase(record)
        } catch {
            events.error(line: lineID, kind: "case-station", "case \(work.sequence) rejected (\(reason.rawValue)) but not recorded: \(error)")
        }
        logger.info("case rejected", metadata: ["case.sequence": "\(work.sequence)", "case.reasons": "\(verdict.reasons.map(\.rawValue))",
                                                "case.detail": "\(verdict.details.joined(separator: "; "))"])
        finish(work, verdict, frame: frame, good: false)
    }

    private func finish(_ work: Work, _ verdict: CaseVerdict, frame: CaseFrame?, good isGood: Bool) {
        let now = clock.now
        let latency = now - work.trigger
        cases += 1
        if isGood {
            good += 1
            counters.good.increment()
        } else {
            counters.rejected.increment()
            for reason in verdict.reasons { byReason[reason, default: 0] += 1 }
        }
        counters.latency.recordNanoseconds(Int64(latency.inMilliseconds * 1_000_000))
        latencies.add(latency.inMilliseconds, at: now)
        if let frame {
            decodes.add(frame.decodeTime.inMilliseconds, at: now)
            counters.decode.recordNanoseconds(Int64(frame.decodeTime.inMilliseconds * 1_000_000))
        }
        recent.append(RecentCase(sequence: work.sequence, code: verdict.caseCode?.rawValue, good: isGood, reasons: verdict.reasons.map(\.rawValue),
                                 bottles: frame?.observation.caps.count ?? 0, latencyMs: latency.inMilliseconds, decidedAt: clock.wallNow))
        if recent.count > 100 { recent.removeFirst(recent.count - 50) }
        onCase(CaseReport(stationID: stationID, sequence: work.sequence, code: verdict.caseCode, good: isGood, reasons: verdict.reasons,
                          codes: verdict.codes, latency: latency, decodeTime: frame?.decodeTime,
                          processing: frame.map { now - $0.deliveredAt }))
    }

    // MARK: Codes, labels, pallets

    private func assignCode(extensionDigit: Int) async throws -> UnitCode {
        let prefix = station.caseCode.companyPrefix
        let serial = try await store.allocateSerial(prefix: "\(extensionDigit)\(prefix)",
                                                    capacity: SSCC.capacity(companyPrefixLength: prefix.count))
        return try SSCC.make(extensionDigit: extensionDigit, companyPrefix: prefix, serial: serial)
    }

    private func printLabel(_ code: UnitCode, lines: [String]) async throws(PrinterError) {
        guard let printer else { return }
        let symbology: LabelPrinting.LabelSymbology = station.printer?.symbology == .gs1_128 ? .gs1_128 : .dataMatrix
        try await printer.print(UnitLabel(code: code, lines: lines, symbology: symbology))
    }

    private func labelLines(bottles: Int, at date: Date) -> [String] {
        [producerName, "\(bottles) bottles · line \(lineID)", AstanaTime.iso8601(date)]
    }

    /// With `pallet.automatic`: stacks the station's cases on a pallet once a pallet's worth is packed and past the
    /// reject gate. A case still upstream of the gate may yet be rejected fail-safe (then it is dissolved, which a
    /// case on a pallet is not: it would stay packed on the pallet while it lies in the reject lane).
    private func palletiseIfFull() async {
        guard station.pallet.automatic, let lastTrigger else { return }
        let offset = UInt64(station.reject.stationOffset)
        guard lastTrigger >= offset else { return }
        do {
            let cases = try await store.casesWithoutPallet(station: stationID, limit: station.pallet.casesPerPallet, through: lastTrigger - offset)
            guard cases.count >= station.pallet.casesPerPallet else { return }
            let code = try await assignCode(extensionDigit: station.pallet.extensionDigit)
            _ = try await store.buildPallet(code: code, cases: cases, lineID: lineID, stationID: stationID, by: "palletiser")
            notifyQueued()
            do {
                try await printLabel(code, lines: [producerName, "pallet · \(cases.count) cases · line \(lineID)", AstanaTime.iso8601(clock.wallNow)])
            } catch {
                alarm("printer", "pallet \(code): label not printed: \(error); reprint it from the console or CLI")
            }
        } catch {
            alarm("pallet", "the pallet could not be built: \(error)")
        }
    }

    private func alarm(_ kind: String, _ message: String) {
        events.alarm(line: lineID, kind: kind, message)
        logger.warning("\(message)", metadata: ["alarm.kind": "\(kind)"])
    }

    // MARK: Status

    /// The station's figures now.
    public func status() -> CaseStationStatus {
        let now = clock.now
        let lat = latencies.values(now: now).sorted(), dec = decodes.values(now: now).sorted()
        return CaseStationStatus(
            id: stationID, lineID: lineID, bottlesPerCase: station.bottlesPerCase, plcLink: linkUp ? "up" : "down", cases: cases, good: good,
            rejectedByReason: Dictionary(uniqueKeysWithValues: byReason.map { ($0.key.rawValue, $0.value) }),
            rejectsConfirmed: confirmed, rejectsMissed: missed,
            decisionLatencyP99Ms: lat.isEmpty ? nil : percentile(ofSorted: lat, 0.99),
            decodeP99Ms: dec.isEmpty ? nil : percentile(ofSorted: dec, 0.99),
            recent: Array(recent.suffix(20).reversed()))
    }

    /// Cases queued or being decided (for tests and shutdown).
    public var casesInFlight: Int { inFlight + waiting.count }
}
