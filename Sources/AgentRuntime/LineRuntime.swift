import CoreMetrics
import ConfigKit
import Foundation
import LineConfig
import LineCore
import LineDecisions
import Logging
import Outbox
import PLC
import Vision

/// What happened to one bottle, for observers (the demo's summary, benchmarks, tests).
public struct BottleReport: Sendable, Hashable {
    public var lineID: String
    public var sequence: UInt64
    /// The kind the bottle finally got (after the outbox's duplicate check or a late commit).
    public var kind: DecisionKind
    /// The code read, if any.
    public var code: StampCode?
    /// Whether a reject was commanded.
    public var rejected: Bool
    /// Trigger observed → reject commanded or good acknowledged.
    public var latency: Duration
    /// When the PLC trigger was observed (monotonic).
    public var triggerInstant: ContinuousClock.Instant
    /// Frames the window held.
    public var frames: Int
}

/// A decided bottle as the console's scrolling list shows it.
public struct RecentBottle: Sendable, Hashable, Codable {
    public var sequence: UInt64
    public var kind: DecisionKind
    public var code: String?
    public var rejected: Bool
    public var latencyMs: Double
    /// When it was decided (UTC).
    public var decidedAt: Date
}

/// One filling line at run time: takes the PLC's events and the cameras' decoded frames, matches frames to bottles
/// (``BottleCorrelator``), decides each bottle (``LineDecider``), commands rejects through the line's ordered
/// ``PLCCommandChannel``, records every decision in the outbox before a good bottle is acknowledged, and keeps the
/// line's status and metrics.
///
/// The bottle path is structured: completed bottles queue in order and ``run()`` decides them one at a time (looking
/// up the code's ``CodeFacts`` in the outbox off the cooperative pool), sends each reject or acknowledgement to the
/// PLC channel in decision order, and runs the outbox writes as its child tasks. ``finishInFlight()`` decides what is
/// open, waits until every decision is made and every write landed, then closes the PLC channel. No task is left
/// unstructured.
///
/// Safety rules:
/// - A non-good bottle's reject is commanded at once, before its decision is written.
/// - A good bottle is acknowledged (`goodCounter`) only after its decision is committed; if the commit fails
///   (disk full, low space) the bottle is rejected, an alarm is raised and a line stop requested; if it has not
///   committed by the bottle's deadline the bottle is rejected as `timeout` and its activation withdrawn when the
///   commit lands.
/// - A bottle with no decision by its deadline (no frame, camera silent) is decided with what it has: no frame is
///   a no-read, and rejected.
public actor LineRuntime {
    /// Timing of frame matching.
    public struct Options: Sendable {
        /// See ``BottleCorrelator``.
        public var matchTolerance: Duration
        public var maxFrameWait: Duration
        /// How often deadlines and camera silence are checked.
        public var tickInterval: Duration

        /// Defaults from the PLC's poll interval: a trigger is observed within about two polls of the photo-eye.
        public init(pollInterval: Duration) {
            matchTolerance = .milliseconds(10)
            maxFrameWait = pollInterval * 2 + .milliseconds(15)
            tickInterval = .milliseconds(2)
        }
    }

    private enum CameraState: String { case starting, delivering, silent, failed, ended }
    private struct Camera {
        var id: String
        var frameTimeout: Duration
        var state: CameraState = .starting
        var frames = 0
        var lastFrame: ContinuousClock.Instant?
        /// The source's dropped-frame count at the last frame.
        var dropped: UInt64 = 0
        /// The first bottle trigger since this camera's last frame (nil: no bottle waits for a frame).
        var waitingSince: ContinuousClock.Instant?
        var decode = SlidingWindow()
        /// Symbol contrast of each code read, and 1/0 for a read by a fallback step / by the chain's first step.
        var contrast = SlidingWindow()
        var fallback = SlidingWindow()
        var metrics: CameraMetrics
    }
    private struct PendingGood {
        var deadline: ContinuousClock.Instant
        var triggerInstant: ContinuousClock.Instant
        var frames: Int
        var code: StampCode?
        /// The bottle's frames (kept on disk if it is rejected after all).
        var frameRefs: [FrameRef] = []
    }

    public nonisolated let lineID: String
    private let configuration: LineConfiguration
    private var decider: LineDecider
    private var correlator: BottleCorrelator
    private let commands: PLCCommandChannel
    private let facts: any CodeFactsSource
    private let store: OutboxStore
    private let notifyAppended: @Sendable () -> Void
    private let onBottle: @Sendable (BottleReport) -> Void
    /// Keeps the frames of rejected bottles (nil: none kept).
    private let frameArchive: FailedFrameArchive?
    private let events: AgentEventLog
    private let metrics: LineMetrics
    private let options: Options
    private var logger: Logger
    private let clock: any LineClock
    /// Completed bottles waiting for their decision, in order (``run()`` consumes them).
    private let queue: AsyncStream<BottleCorrelator.Bottle>
    private let queueInput: AsyncStream<BottleCorrelator.Bottle>.Continuation

    private var cameras: [String: Camera] = [:]
    private var recipe: Int?
    private var lineState: LineState?
    private var linkUp = false
    private var lastSequence: UInt64?
    private var lastTriggerInstant: ContinuousClock.Instant?
    /// The bottle period, smoothed (nil until two bottles were seen).
    private var period: Duration?
    private var pendingGood: [UInt64: PendingGood] = [:]
    /// Good bottles rejected as timeout before their commit landed: withdraw when it does.
    private var timedOut: Set<UInt64> = []
    /// Bottles queued or decided whose decision is not yet written.
    private var inFlight = 0
    /// ``run()`` has decided everything queued and every write landed.
    private var drained = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var outboxWritable = true
    private var lastRoomProbe: ContinuousClock.Instant?

    private var bottles = 0, good = 0, confirmed = 0, missed = 0, timeouts = 0
    private var byKind: [DecisionKind: Int] = [:]
    private var decided = SlidingWindow()  // value: 1 when a code was read, else 0
    private var latencies = SlidingWindow()
    /// The last decided bottles, oldest first (at most ``recentLimit``).
    private var recent: [RecentBottle] = []
    private let recentLimit = 50
    /// Recipe numbers the PLC changed to (the job keeper follows them).
    public nonisolated let recipeChanges: AsyncStream<Int>
    private let recipeInput: AsyncStream<Int>.Continuation

    /// - Parameters:
    ///   - configuration: the line.
    ///   - decider: the line's per-bottle rules.
    ///   - commands: the line's ordered channel to its PLC (the PLC service applies it; events come back through
    ///     ``handle(_:)-PLCEvent``).
    ///   - facts: what the outbox knows of a code (seen set, local pool), read off the cooperative pool.
    ///   - store: the outbox.
    ///   - clock: the bottle path's time (a manual clock in tests).
    ///   - notifyAppended: wakes the outbox drainer after a good decision is committed.
    ///   - onBottle: called once per bottle with its final outcome.
    public init(configuration: LineConfiguration, decider: LineDecider, commands: PLCCommandChannel, facts: any CodeFactsSource,
                store: OutboxStore, metrics: AgentMetrics, events: AgentEventLog, options: Options, logger: Logger,
                clock: any LineClock = SystemLineClock(), notifyAppended: @escaping @Sendable () -> Void,
                onBottle: @escaping @Sendable (BottleReport) -> Void = { _ in }, frameArchive: FailedFrameArchive? = nil) {
        lineID = configuration.id
        self.configuration = configuration
        self.decider = decider
        self.commands = commands
        self.facts = facts
        self.clock = clock
        (queue, queueInput) = AsyncStream.makeStream(of: BottleCorrelator.Bottle.self, bufferingPolicy: .unbounded)
        (recipeChanges, recipeInput) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(16))
        self.store = store
        self.notifyAppended = notifyAppended
        self.onBottle = onBottle
        self.frameArchive = frameArchive
        self.events = events
        self.metrics = LineMetrics(metrics, line: configuration.id)
        self.options = options
        var logger = logger
        logger[metadataKey: "line.id"] = "\(configuration.id)"
        self.logger = logger
        correlator = BottleCorrelator(mode: decider.mode, tolerance: options.matchTolerance, maxFrameWait: options.maxFrameWait,
                                      deadline: configuration.reject.decisionDeadline.duration)
        for camera in configuration.cameras {
            cameras[camera.id] = Camera(id: camera.id, frameTimeout: camera.frameTimeout.duration,
                                        metrics: CameraMetrics(metrics, line: configuration.id, camera: camera.id))
        }
        self.metrics.plcLinkUp.record(0)
    }

    // MARK: Inputs

    /// A PLC event.
    public func handle(_ event: PLCEvent) {
        switch event.kind {
        case .bottle(let sequence):
            bottles += 1
            metrics.bottles.increment()
            lastSequence = sequence
            adaptDeadline(trigger: event.instant)
            for id in cameras.keys where cameras[id]?.waitingSince == nil { cameras[id]?.waitingSince = event.instant }
            enqueue(correlator.trigger(sequence: sequence, at: event.instant, time: event.time, recipe: recipe,
                                       liveCameras: liveCameras(at: event.instant)))
        case .recipe(let value, _):
            if let old = recipe, old != value { recipeInput.yield(value) }
            recipe = value
        case .lineState(let state, _):
            lineState = state
            if state == .fault { alarm("line-fault", "the PLC reports the line in fault") }
        case .linkUp(let endpoint):
            linkUp = true
            metrics.plcLinkUp.record(1)
            logger.info("PLC link up", metadata: ["plc.endpoint": "\(endpoint)"])
            commands.send(.setStatus(outboxWritable ? .ready : .degraded))
        case .linkDown(let error):
            linkUp = false
            metrics.plcLinkUp.record(0)
            alarm("plc-link-down", "PLC link down: \(error)")
        case .counterJump(let from, let to, let jump):
            alarm("counter-jump", "bottle counter jumped from \(from) to \(to) (\(jump) bottles): no bottles made up")
        case .heartbeatLost:
            alarm("plc-heartbeat-lost", "the PLC heartbeat stopped changing")
        case .heartbeatRestored:
            logger.info("PLC heartbeat restored")
        case .rejectConfirmed:
            confirmed += 1
            metrics.rejectsConfirmed.increment()
        case .rejectMissed(let sequence, let reason):
            missed += 1
            metrics.rejectsMissed.increment()
            alarm("reject-missed", "bottle \(sequence) (\(reason.name)) was not confirmed rejected by the station")
        case .rejectNotAcknowledged(let sequence, let command):
            alarm("reject-not-acknowledged", "the PLC did not echo reject command \(command) for bottle \(sequence)")
        case .unexpectedReject(let count):
            alarm("unexpected-reject", "the station confirmed \(count) reject(s) the agent never commanded")
        case .lineStopRequested(let reason):
            events.alarm(line: lineID, kind: "line-stop-requested", "line stop requested: \(reason)")
        case .failSafeRejects(let trips, let first, let last):
            failSafeReports.append((trips, first, last))
        }
    }

    /// The PLC's fail-safe reports not yet applied (``applyFailSafeReports()`` applies them off the event path).
    private var failSafeReports: [(trips: UInt32, first: UInt64, last: UInt64)] = []

    /// Applies the PLC's fail-safe reports: good bottles it rejected may pass once more as reworked.
    public func applyFailSafeReports() async {
        while !failSafeReports.isEmpty {
            let report = failSafeReports.removeFirst()
            do {
                let result = try await store.failSafeRejected(line: lineID, station: nil, first: report.first, last: report.last)
                if result.bottles > 0 {
                    alarm("fail-safe-rejects", "the PLC rejected bottles \(report.first)-\(report.last) fail-safe (trip \(report.trips)): \(result.bottles) passed bottle(s) among them may pass once more as reworked")
                }
            } catch {
                alarm("fail-safe-not-recorded", "the PLC's fail-safe rejects \(report.first)-\(report.last) could not be recorded: \(error)")
            }
        }
    }

    /// A camera event.
    public func handle(_ event: CameraEvent) {
        let now = clock.now
        switch event {
        case .frame(let result):
            guard var camera = cameras[result.camera] else { return }
            camera.frames += 1
            camera.lastFrame = result.info.capturedInstant
            camera.waitingSince = nil
            let afterDrop = camera.frames > 1 && result.info.dropped > camera.dropped
            camera.dropped = result.info.dropped
            if camera.state != .delivering {
                if camera.state != .starting { logger.info("camera delivers again", metadata: ["camera.id": "\(camera.id)"]) }
                camera.state = .delivering
                camera.metrics.up.record(1)
            }
            camera.decode.add(Double(result.total.inMilliseconds), at: now)
            camera.metrics.frames.increment()
            camera.metrics.decode.recordNanoseconds(Int64(result.total.inMilliseconds * 1_000_000))
            for code in result.codes {
                if let quality = code.quality {
                    camera.contrast.add(quality.contrast, at: now)
                    camera.fallback.add(quality.stepIndex > 0 ? 1 : 0, at: now)
                }
                camera.metrics.reads(step: code.step).increment()
            }
            if !result.codes.isEmpty {
                let contrasts = camera.contrast.values(now: now), fallbacks = camera.fallback.values(now: now)
                if !contrasts.isEmpty { camera.metrics.readContrast.record(contrasts.reduce(0, +) / Double(contrasts.count)) }
                if !fallbacks.isEmpty { camera.metrics.fallbackShare.record(fallbacks.reduce(0, +) / Double(fallbacks.count)) }
            }
            cameras[result.camera] = camera
            if afterDrop {
                events.error(line: lineID, kind: "camera-dropped-frames",
                             "camera \(result.camera) lost frames: the bottles they belonged to are rejected as no-reads")
            }
            enqueue(correlator.frame(camera: result.camera, capturedAt: result.info.capturedInstant,
                                     payloads: result.codes.map(\.bytes), sequence: result.info.sequence, afterDrop: afterDrop,
                                     liveCameras: liveCameras(at: now)))
        case .problem(let cameraID, let error):
            cameras[cameraID]?.metrics.problems.increment()
            events.error(line: lineID, kind: "camera", "\(cameraID): \(error)")
            switch error {
            case .sourceUnavailable, .sourceClosed:
                if cameras[cameraID]?.state != .failed {
                    cameras[cameraID]?.state = .failed
                    cameras[cameraID]?.metrics.up.record(0)
                    alarm("camera-failed", "camera \(cameraID): \(error)")
                }
            default:
                logger.warning("frame skipped", metadata: ["camera.id": "\(cameraID)", "error.message": "\(error)"])
            }
        case .ended(let cameraID):
            cameras[cameraID]?.state = .ended
            cameras[cameraID]?.metrics.up.record(0)
            alarm("camera-ended", "camera \(cameraID): its source has no more frames")
        }
    }

    /// Checks deadlines and camera silence; call every ``Options/tickInterval``.
    public func tick() {
        let now = clock.now
        for id in cameras.keys.sorted() {
            guard var camera = cameras[id], camera.state == .delivering else { continue }
            // Silent: a bottle has waited frameTimeout for the camera's next frame (a stopped line is not a silent
            // camera: no bottle waits).
            if let waiting = camera.waitingSince, now - waiting > camera.frameTimeout {
                camera.state = .silent
                camera.metrics.up.record(0)
                cameras[id] = camera
                alarm("camera-silent", "camera \(id) delivered no frame for \(camera.frameTimeout) while bottles pass: its bottles are no-reads")
            }
        }
        enqueue(correlator.expired(at: now))
        metrics.strayFrames.record(correlator.strayFrames)
        // While the outbox cannot record, the line is (asked to be) stopped, so no append would find out that space
        // returned: probe once a second.
        if !outboxWritable, lastRoomProbe.map({ now - $0 >= .seconds(1) }) ?? true {
            lastRoomProbe = now
            if store.hasRoom() { writable(true) }
        }
        for (sequence, pending) in pendingGood where pending.deadline <= now {
            // The commit did not land in time: never let the bottle pass undecided.
            pendingGood[sequence] = nil
            timedOut.insert(sequence)
            timeouts += 1
            metrics.lateCommits.increment()
            alarm("decision-late", "bottle \(sequence): its decision was not on disk by the deadline; rejected as timeout")
            commandReject(sequence, .timeout)
            keepFrames(pending.frameRefs, of: sequence, kind: .timeout, code: pending.code)
            finishReport(sequence: sequence, kind: .timeout, code: pending.code, rejected: true,
                         trigger: pending.triggerInstant, frames: pending.frames, now: now)
        }
    }

    /// Runs the tick loop until cancelled.
    public func runTicks() async {
        while !Task.isCancelled {
            tick()
            if !failSafeReports.isEmpty { await applyFailSafeReports() }
            try? await clock.sleep(for: options.tickInterval)
        }
    }

    /// The bottle path: decides the queued bottles one at a time, in order, and runs their outbox writes as child
    /// tasks (appends that meet share a commit). Returns once ``finishInFlight()`` closed the queue, every queued bottle
    /// was decided and every write landed.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await bottle in queue {
                let write = await decide(bottle)
                // A child of this loop's group: the write cannot outlive run(), which finishInFlight() awaits.
                group.addTask(operation: { await self.perform(write) })
            }
        }
        drained = true
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    /// Graceful shutdown, after the cameras stopped (``run()`` still running): decides every open bottle now, waits
    /// until every decision is made and written, then closes the PLC channel (its service applies what is queued).
    public func finishInFlight() async {
        enqueue(correlator.drainAll())
        queueInput.finish()
        recipeInput.finish()
        while !drained { await withCheckedContinuation { drainWaiters.append($0) } }
        commands.finish()
    }

    private func enqueue(_ bottles: [BottleCorrelator.Bottle]) {
        for bottle in bottles {
            inFlight += 1
            queueInput.yield(bottle)
        }
    }

    /// The deadline a new bottle gets: `reject.decisionDeadline`, but never more than half the time the bottle
    /// needs to reach the reject station at the measured line speed, so that a reject commanded at the deadline
    /// still arrives in time (the other half is for the PLC poll that saw the trigger late and the command's way
    /// to the PLC).
    public var effectiveDeadline: Duration { correlator.deadline }

    private func adaptDeadline(trigger instant: ContinuousClock.Instant) {
        defer { lastTriggerInstant = instant }
        guard let last = lastTriggerInstant else { return }
        let gap = instant - last
        guard gap > .zero, gap < .seconds(1) else { return }  // same poll, or the line stood
        period = period.map { $0 * 0.9 + gap * 0.1 } ?? gap
        let configured = configuration.reject.decisionDeadline.duration
        let toStation = period! * configuration.reject.stationOffset
        correlator.deadline = max(.milliseconds(20), min(configured, toStation / 2))
    }

    // MARK: Deciding

    private func liveCameras(at now: ContinuousClock.Instant) -> Set<String> {
        Set(cameras.values.filter { $0.state == .delivering }.map(\.id))
    }

    /// An outbox write a decision starts.
    private enum OutboxWrite: Sendable {
        /// A good bottle: acknowledged only once committed.
        case good(BottleDecision, trigger: ContinuousClock.Instant, frames: Int)
        /// A rejected bottle (already rejected): the record of it.
        case record(BottleDecision)
    }

    private func perform(_ write: OutboxWrite) async {
        switch write {
        case .good(let decision, let trigger, let frames): await commitGood(decision, trigger: trigger, frames: frames)
        case .record(let decision): await record(decision)
        }
    }

    /// Decides one bottle: looks up its code's facts (off the cooperative pool), applies the rules, sends a reject
    /// at once, and returns the write that records the decision.
    private func decide(_ bottle: BottleCorrelator.Bottle) async -> OutboxWrite {
        let window = bottle.window(lineID: lineID, mode: decider.mode)
        var codeFacts: CodeFacts?
        var lookupFailure: (any Error)?
        if let code = decider.code(in: window) {
            do { codeFacts = try await facts.facts(for: code) } catch { lookupFailure = error }
        }
        let outcome: DecisionOutcome
        if let lookupFailure {
            // Whether the code was used before or is ours cannot be told: reject, and say why.
            alarm("outbox-read-failed", "bottle \(bottle.sequence): the outbox could not be read (\(lookupFailure)); rejected as timeout")
            outcome = decider.timeout(sequence: bottle.sequence, recipe: window.recipe, at: clock.wallNow)
        } else {
            outcome = decider.decide(window, facts: codeFacts, at: clock.wallNow)
        }
        let now = clock.now
        for alarm in outcome.alarms { raise(alarm) }
        let decision = outcome.decision
        let kind = decision.verdict.kind
        let frames = bottle.frameCount
        var log = logger
        log[metadataKey: "bottle.sequence"] = "\(bottle.sequence)"
        if let code = decision.verdict.code { log[metadataKey: "bottle.code"] = "\(code.rawValue)" }
        if kind.passes {
            log.debug("bottle decided", metadata: ["bottle.decision": "\(kind.rawValue)", "bottle.frames": "\(frames)"])
            pendingGood[bottle.sequence] = PendingGood(deadline: bottle.deadline, triggerInstant: bottle.triggerInstant,
                                                       frames: frames, code: decision.verdict.code, frameRefs: bottle.frameRefs)
            return .good(decision, trigger: bottle.triggerInstant, frames: frames)
        }
        log.info("bottle rejected", metadata: ["bottle.decision": "\(kind.rawValue)", "bottle.frames": "\(frames)"])
        // Reject first (fail safe), then write the decision.
        commandReject(bottle.sequence, kind)
        keepFrames(bottle.frameRefs, of: bottle.sequence, kind: kind, code: decision.verdict.code)
        finishReport(sequence: bottle.sequence, kind: kind, code: decision.verdict.code, rejected: true,
                     trigger: bottle.triggerInstant, frames: frames, now: now)
        return .record(decision)
    }

    private func commitGood(_ decision: BottleDecision, trigger: ContinuousClock.Instant, frames: Int) async {
        defer { leave() }
        let sequence = decision.bottleSequence
        do {
            let recorded = try await store.append(decision)
            writable(true)
            let kind = recorded.decision.verdict.kind
            if timedOut.remove(sequence) != nil {
                await withdraw(recorded)
                return
            }
            guard let pending = pendingGood.removeValue(forKey: sequence) else { return }
            if kind.passes {
                notifyAppended()
                commands.send(.countGood)
                finishReport(sequence: sequence, kind: kind, code: recorded.decision.verdict.code, rejected: false,
                             trigger: trigger, frames: frames, now: clock.now)
            } else {
                // The store saw the code before (another line, or a commit racing this one): reject.
                for alarm in decider.correct(from: .good, to: kind) { raise(alarm) }
                commandReject(sequence, kind)
                keepFrames(pending.frameRefs, of: sequence, kind: kind, code: recorded.decision.verdict.code)
                finishReport(sequence: sequence, kind: kind, code: recorded.decision.verdict.code, rejected: true,
                             trigger: trigger, frames: frames, now: clock.now)
            }
        } catch {
            writable(false, error: error)
            guard let pending = pendingGood.removeValue(forKey: sequence) else { timedOut.remove(sequence); return }
            commandReject(sequence, .timeout)
            keepFrames(pending.frameRefs, of: sequence, kind: .timeout, code: decision.verdict.code)
            finishReport(sequence: sequence, kind: .timeout, code: decision.verdict.code, rejected: true,
                         trigger: trigger, frames: frames, now: clock.now)
        }
    }

    private func withdraw(_ recorded: RecordedDecision) async {
        do {
            switch try await store.withdraw(decisionID: recorded.id) {
            case .withdrawn, .nothing:
                logger.warning("activation withdrawn: the bottle was rejected as timeout",
                               metadata: ["bottle.sequence": "\(recorded.decision.bottleSequence)"])
            case .alreadyBatched(let code):
                alarm("activation-of-rejected-bottle",
                      "code \(code.rawValue) of rejected bottle \(recorded.decision.bottleSequence) is already activated: the bottle may pass once more as reworked after inspection (or write it off: lineagent write-off \(code.rawValue) --reason damaged)")
            }
        } catch {
            alarm("outbox-withdraw-failed", "could not withdraw the activation of rejected bottle \(recorded.decision.bottleSequence): \(error)")
        }
    }

    private func record(_ decision: BottleDecision) async {
        defer { leave() }
        do {
            _ = try await store.append(decision)
            writable(true)
        } catch {
            writable(false, error: error)  // the bottle is already rejected; the record of it is lost with an alarm
            events.error(line: lineID, kind: "outbox", "bottle \(decision.bottleSequence) (\(decision.verdict.kind.rawValue)) rejected but not recorded: \(error)")
        }
    }

    private func leave() { inFlight -= 1 }

    private func writable(_ isWritable: Bool, error: (any Error)? = nil) {
        guard isWritable != outboxWritable else { return }
        outboxWritable = isWritable
        if isWritable {
            logger.notice("outbox writable again: bottles are acknowledged again")
            events.alarm(line: lineID, kind: "outbox-recovered", "the outbox accepts writes again; the line may be restarted")
            commands.send(.clearLineStopRequest)
            commands.send(.setStatus(.ready))
            commands.send(.setAlarm(0))
        } else {
            alarm("outbox-unwritable", "the outbox cannot record decisions (\(error.map { "\($0)" } ?? "?")): bottles are rejected, line stop requested")
            commands.send(.setStatus(.degraded))
            commands.send(.setAlarm(AlarmCode.outbox))
            commands.send(.requestLineStop(reason: "outbox cannot record decisions"))
        }
    }

    /// Asks the archive to keep a rejected bottle's frames; never waits (``FailedFrameArchive/submit(_:)``).
    private func keepFrames(_ refs: [FrameRef], of sequence: UInt64, kind: DecisionKind, code: StampCode?) {
        guard let frameArchive else { return }
        let decidedAt = clock.wallNow
        for ref in refs {
            frameArchive.submit(FailedFrameRequest(lineID: lineID, camera: ref.camera, frameSequence: ref.sequence,
                                                   bottleSequence: sequence, decision: kind, code: code?.rawValue, decidedAt: decidedAt))
        }
    }

    private func commandReject(_ sequence: UInt64, _ kind: DecisionKind) {
        metrics.rejectsCommanded.increment()
        commands.send(.reject(sequence: sequence, reason: kind.rejectReason))
    }

    private func finishReport(sequence: UInt64, kind: DecisionKind, code: StampCode?, rejected: Bool,
                              trigger: ContinuousClock.Instant, frames: Int, now: ContinuousClock.Instant) {
        let latency = now - trigger
        byKind[kind, default: 0] += 1
        if kind.passes { good += 1 }
        metrics.decisions[kind]?.increment()
        metrics.decisionLatency.recordNanoseconds(Int64(latency.inMilliseconds * 1_000_000))
        decided.add(code == nil ? 0 : 1, at: now)
        latencies.add(latency.inMilliseconds, at: now)
        recent.append(RecentBottle(sequence: sequence, kind: kind, code: code?.rawValue, rejected: rejected,
                                   latencyMs: latency.inMilliseconds, decidedAt: Date()))
        if recent.count > recentLimit * 2 { recent.removeFirst(recent.count - recentLimit) }
        onBottle(BottleReport(lineID: lineID, sequence: sequence, kind: kind, code: code, rejected: rejected,
                              latency: latency, triggerInstant: trigger, frames: frames))
    }

    /// The last decided bottles, newest first.
    public func recentBottles(limit: Int = 20) -> [RecentBottle] { Array(recent.suffix(min(limit, recentLimit)).reversed()) }

    private func raise(_ alarm: LineAlarm) {
        switch alarm {
        case .ambiguousRead(let sequence, let codes):
            self.alarm("ambiguous-read", "bottle \(sequence): \(codes.count) different codes in one window (\(codes.map(\.rawValue).joined(separator: ", ")))")
        case .consecutiveFailures(let count, let kinds, let stop):
            self.alarm("consecutive-failures", "\(count) bad bottles in a row (\(kinds.map(\.rawValue).joined(separator: ", ")))")
            commands.send(.setAlarm(AlarmCode.consecutiveFailures))
            if stop { commands.send(.requestLineStop(reason: "\(count) bad bottles in a row")) }
        }
    }

    private func alarm(_ kind: String, _ message: String) {
        metrics.alarms.increment()
        events.alarm(line: lineID, kind: kind, message)
        logger.warning("\(message)", metadata: ["alarm.kind": "\(kind)"])
    }

    // MARK: Status

    /// The line's status now.
    public func status() -> LineStatus {
        let now = clock.now
        let reads = decided.values(now: now)
        let lat = latencies.values(now: now).sorted()
        let readRate = reads.isEmpty ? nil : reads.reduce(0, +) / Double(reads.count)
        if let readRate { metrics.readRate.record(readRate) }
        var rejected: [String: Int] = [:]
        for (kind, count) in byKind where !kind.passes { rejected[kind.rawValue] = count }
        let cameraStatus = configuration.cameras.compactMap { cameras[$0.id] }.map { camera in
            let decodes = camera.decode.values(now: now).sorted()
            let contrasts = camera.contrast.values(now: now), fallbacks = camera.fallback.values(now: now)
            return CameraStatus(id: camera.id, state: camera.state.rawValue, frames: camera.frames,
                                lastFrameAgeSeconds: camera.lastFrame.map { (now - $0).inSeconds },
                                decodeP99Ms: decodes.isEmpty ? nil : percentile(ofSorted: decodes, 0.99),
                                readContrast: contrasts.isEmpty ? nil : contrasts.reduce(0, +) / Double(contrasts.count),
                                fallbackShare: fallbacks.isEmpty ? nil : fallbacks.reduce(0, +) / Double(fallbacks.count))
        }
        return LineStatus(id: lineID, plcLink: linkUp ? "up" : "down", lineState: lineState?.description ?? "-",
                          recipe: recipe, lastSequence: lastSequence, bottles: byKind.values.reduce(0, +), good: good,
                          rejectedByKind: rejected, bottlesPerHour: Double(reads.count) * 60,
                          readRate: readRate, rejectsConfirmed: confirmed, rejectsMissed: missed, timeouts: timeouts,
                          decisionLatencyP50Ms: lat.isEmpty ? nil : percentile(ofSorted: lat, 0.5),
                          decisionLatencyP99Ms: lat.isEmpty ? nil : percentile(ofSorted: lat, 0.99), cameras: cameraStatus)
    }

    /// Why the line is not ready (empty when it is): PLC link down, a camera not delivering, the outbox unwritable.
    public func notReadyReasons() -> [String] {
        var reasons: [String] = []
        if !linkUp { reasons.append("\(lineID): PLC link down") }
        for camera in configuration.cameras {
            if let state = cameras[camera.id]?.state, state == .failed || state == .silent || state == .ended {
                reasons.append("\(lineID): camera \(camera.id) \(state.rawValue)")
            }
        }
        if !outboxWritable { reasons.append("\(lineID): outbox cannot record decisions") }
        return reasons
    }

    /// Bottles queued or decided whose decision is not yet written (for tests and shutdown).
    public var decisionsInFlight: Int { inFlight }
}

/// Values the agent writes to the PLC's `agentAlarm` register.
public enum AlarmCode {
    /// The outbox cannot record decisions (disk full, low space).
    public static let outbox = 1
    /// Too many bad bottles in a row.
    public static let consecutiveFailures = 2
}
