import ConfigKit
import Foundation
import LineConfig
import LineCore
import Logging

/// The agent's status as written to the PLC's `agentStatus` register.
public enum AgentStatus: Int, Sendable {
    /// Starting up: not yet deciding bottles.
    case starting = 0
    /// Deciding every bottle.
    case ready = 1
    /// Running with a problem (e.g. a camera down: its bottles are rejected).
    case degraded = 2
    /// Not able to decide: the PLC should stop the line or divert everything.
    case failed = 3
}

/// Follows a line through its PLC: polls the inputs, turns their changes into ``events``, writes the agent's
/// outputs, runs the reject handshake and verifies that commanded rejects really happen.
///
/// - Bottles: the trigger counter is widened to 64 bits across wrap-around. A jump of N between two polls (or
///   across a reconnect) yields N bottles; a jump above `maxCounterJump`, or backwards, is a
///   ``PLCEvent/Kind/counterJump(from:to:jump:)`` alarm and no bottles.
/// - Reject handshake: `rejectSequence` and `rejectReason` are written in one request, then `rejectCommand` is
///   incremented in a second; the PLC echoes the command in `rejectAck`. One command is outstanding at a time (a
///   PLC scan could miss a command overwritten before it was taken); the next goes as soon as the echo is seen.
/// - Verification: each increment of `rejectConfirmCounter` confirms the oldest commanded reject; a reject not
///   confirmed once the counter is `confirmWithin` bottles past it is missed: an alarm and, with `stopLineOnMiss`,
///   a line-stop request.
/// - Every poll writes `agentHeartbeat` (incremented), `agentStatus`, `agentAlarm` and the good/reject counters.
///
/// Start it with ``run()`` (from a task you own; it returns when the task is cancelled and then finishes ``events``).
public actor PLCMonitor {
    /// Timing and verification settings, from the PLC configuration and the reject policy.
    public struct Options: Sendable {
        /// Time between two polls (`pollInterval`).
        public var pollInterval: Duration
        /// The PLC heartbeat must change within this time (`heartbeatTimeout`).
        public var heartbeatTimeout: Duration
        /// A larger counter jump between two polls is an alarm, not bottles (`maxCounterJump`).
        public var maxCounterJump: Int
        /// First reconnect delay, doubled after each failure (`reconnectBackoff`).
        public var reconnectBackoff: Duration
        /// Longest reconnect delay (`maxReconnectBackoff`).
        public var maxReconnectBackoff: Duration
        /// A commanded reject must be confirmed within this many bottles (`reject.confirmWithin`).
        public var confirmWithin: Int
        /// Request a line stop when a reject is missed (`reject.stopLineOnMiss`).
        public var stopLineOnMiss: Bool
        /// A reject command not echoed in `rejectAck` within this time is reported and dropped.
        public var ackTimeout: Duration
        /// The PLC's numbers for stopped, running and fault.
        public var lineStateValues: LineStateValues
        /// Write the agent's outputs (heartbeat, status, counters) every poll. Off for a read-only watcher that must
        /// not fight a running agent over the same registers; reject commands and line-stop requests still write.
        public var writesOutputs = true
        /// Whether the register map has the PLC's fail-safe report (``PLCEvent/Kind/failSafeRejects(trips:first:last:)``).
        public var reportsFailSafe: Bool
        /// Register widths (bits) of the counters.
        public var counterBits: Int, confirmBits: Int, ackBits: Int, commandBits: Int, sequenceBits: Int

        /// Options from the line's configuration.
        /// - Parameters:
        ///   - plc: the PLC configuration.
        ///   - reject: the reject policy.
        public init(plc: PLCConfiguration, reject: RejectPolicy) {
            pollInterval = plc.pollInterval.duration
            heartbeatTimeout = plc.heartbeatTimeout.duration
            maxCounterJump = plc.maxCounterJump
            reconnectBackoff = plc.reconnectBackoff.duration
            maxReconnectBackoff = plc.maxReconnectBackoff.duration
            confirmWithin = reject.confirmWithin
            stopLineOnMiss = reject.stopLineOnMiss
            ackTimeout = max(plc.pollInterval.duration * 20, plc.responseTimeout.duration * 2, .milliseconds(100))
            lineStateValues = plc.registers.lineStateValues
            reportsFailSafe = plc.registers.reportsFailSafe
            let r = plc.registers
            counterBits = r.bottleCounter.bits
            confirmBits = r.rejectConfirmCounter.bits
            ackBits = r.rejectAck.bits
            commandBits = r.rejectCommand.bits
            sequenceBits = r.rejectSequence.bits
        }
    }

    private struct PendingReject {
        var sequence: UInt64
        var reason: RejectReason
    }

    private struct OutstandingCommand {
        var command: UInt32
        var sequence: UInt64
        var sentAt: ContinuousClock.Instant
    }

    /// The monitor shares its link's executor: for ``ModbusPLCLink`` that is the link's own dispatch queue, so a
    /// poll (read, process, write) runs without a thread hop between monitor and link.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { link.unownedExecutor }

    /// The events, in order. One consumer; unbounded (the consumer is expected to keep up with a filling line).
    public nonisolated let events: AsyncStream<PLCEvent>
    private let continuation: AsyncStream<PLCEvent>.Continuation
    private let link: any PLCLink
    /// The settings in use.
    public nonisolated let options: Options
    private let logger: Logger
    private let clock: any LineClock

    // Inputs as last seen
    private var lastCounter: UInt32?
    /// The sequence number of the last bottle seen (the widened counter).
    public private(set) var sequence: UInt64 = 0
    private var lineState: LineState?
    private var recipe: Int?
    private var heartbeat: UInt32?
    private var heartbeatChangedAt: ContinuousClock.Instant
    private var heartbeatLost = false
    private var confirmCounter: UInt32?
    private var linkReportedUp: Bool?
    private var failSafeTrips: UInt32?

    // Rejects
    private var awaitingConfirmation: [PendingReject] = []
    private var rejectQueue: [PendingReject] = []
    private var outstanding: OutstandingCommand?
    private var commandCounter: UInt32?
    private var sending = false

    // Outputs
    private var agentHeartbeat: Int64 = 0
    private var status = AgentStatus.starting
    private var alarm: Int64 = 0
    /// Good bottles acknowledged so far (written to `goodCounter`).
    public private(set) var goodCount: Int64 = 0
    private var rejectCount: Int64 = 0
    private var lineStopRequested = false
    private var lineStopWritten: Bool?

    /// Polls so far.
    public private(set) var pollCount = 0

    /// Creates a monitor over a link; nothing happens until ``run()``.
    /// - Parameters:
    ///   - link: the PLC link (``ModbusPLCLink``, or an in-memory double in tests).
    ///   - options: timing and verification settings.
    ///   - logger: where alarms and link changes are logged.
    ///   - clock: polls, timeouts and event times (a manual clock in tests).
    public init(link: any PLCLink, options: Options, logger: Logger, clock: any LineClock = SystemLineClock()) {
        self.link = link
        self.options = options
        self.logger = logger
        self.clock = clock
        heartbeatChangedAt = clock.now
        (events, continuation) = AsyncStream.makeStream(of: PLCEvent.self, bufferingPolicy: .unbounded)
    }

    /// Polls until the task is cancelled, reconnecting with exponential backoff; then finishes ``events``.
    public func run() async {
        var backoff = options.reconnectBackoff
        var next = clock.now
        while !Task.isCancelled {
            do {
                if await !link.isConnected {
                    try await link.connect()
                    linkConnected()
                }
                let inputs = try await link.readInputs()
                pollCount += 1
                process(inputs, at: clock.now)
                if options.writesOutputs { try await writeCyclicOutputs() }
                try await pumpRejects()
                backoff = options.reconnectBackoff
            } catch {
                linkFailed(error)
                await link.disconnect()
                try? await clock.sleep(for: backoff)
                backoff = min(backoff * 2, options.maxReconnectBackoff)
                next = clock.now
                continue
            }
            next = next.advanced(by: options.pollInterval)
            let now = clock.now
            if next < now { next = now }  // late: never run polls back to back to catch up
            try? await clock.sleep(until: next)
        }
        continuation.finish()
    }

    // MARK: - What the agent tells the PLC

    /// Commands the reject station to push off a bottle (sent at once unless another command awaits its echo).
    /// - Parameters:
    ///   - sequence: the bottle's sequence number, from its ``PLCEvent/Kind/bottle(sequence:)`` event.
    ///   - reason: why it is rejected; its ``RejectReason/code`` goes to `rejectReason`.
    public func reject(sequence: UInt64, reason: RejectReason) async {
        let pending = PendingReject(sequence: sequence, reason: reason)
        awaitingConfirmation.append(pending)
        rejectQueue.append(pending)
        do {
            try await pumpRejects()
        } catch {
            logger.debug("reject command deferred", metadata: ["plc.error": "\(error)"])  // retried by the poll loop
        }
    }

    /// Whether reject commands wait to be written (another command awaits its echo, or the link is down).
    public var hasUnsentRejects: Bool { !rejectQueue.isEmpty }

    /// On shutdown, after the line's last command: keeps the caller until the queued rejects were written or
    /// `limit` passed (the poll loop writes them). Returns whether all were written.
    public func waitForQueuedRejects(limit: Duration) async -> Bool {
        let deadline = clock.now.advanced(by: limit)
        while hasUnsentRejects, clock.now < deadline {
            try? await clock.sleep(for: options.pollInterval)
        }
        return !hasUnsentRejects
    }

    /// Counts a good bottle (written to `goodCounter` with the next poll).
    public func countGood() { goodCount += 1 }

    /// Sets the status written to `agentStatus`.
    /// - Parameter newStatus: the agent's status.
    public func setStatus(_ newStatus: AgentStatus) { status = newStatus }

    /// Sets the value written to `agentAlarm` (0: no alarm).
    /// - Parameter code: the alarm code.
    public func setAlarm(_ code: Int) { alarm = Int64(code) }

    /// Asks the PLC to stop the line (`lineStopRequest` = 1 with the next poll).
    /// - Parameter reason: why, for the event and the log.
    public func requestLineStop(reason: String) {
        logger.warning("line stop requested", metadata: ["plc.reason": "\(reason)"])
        lineStopRequested = true
        emit(.lineStopRequested(reason: reason), at: clock.now)
    }

    /// Withdraws the line-stop request (`lineStopRequest` = 0 with the next poll).
    public func clearLineStopRequest() { lineStopRequested = false }

    // MARK: - Internals

    private func emit(_ kind: PLCEvent.Kind, at instant: ContinuousClock.Instant) {
        continuation.yield(PLCEvent(kind: kind, time: clock.wallNow, instant: instant))
    }

    private func linkConnected() {
        heartbeatChangedAt = clock.now  // time without a link is not the PLC's fault
        if linkReportedUp != true {
            linkReportedUp = true
            logger.info("PLC link up")
            emit(.linkUp(endpoint: link.endpoint), at: clock.now)
        }
    }

    private func linkFailed(_ error: PLCError) {
        if linkReportedUp != false {
            linkReportedUp = false
            logger.warning("PLC link down", metadata: ["plc.error": "\(error)"])
            emit(.linkDown(error), at: clock.now)
        }
    }

    private static func delta(_ new: UInt32, _ old: UInt32, bits: Int) -> UInt64 {
        UInt64((new &- old) & RegisterCodec.mask(bits: bits))
    }

    private func process(_ inputs: PLCInputs, at now: ContinuousClock.Instant) {
        // Bottles first: verification below counts in bottles.
        let counter = inputs.bottleCounter & RegisterCodec.mask(bits: options.counterBits)
        if let last = lastCounter {
            let jump = Self.delta(counter, last, bits: options.counterBits)
            if jump > 0, jump <= UInt64(options.maxCounterJump) {
                for _ in 0..<jump {
                    sequence += 1
                    emit(.bottle(sequence: sequence), at: now)
                }
            } else if jump > 0 {
                sequence += jump
                logger.warning("bottle counter jump", metadata: ["plc.from": "\(last)", "plc.to": "\(counter)"])
                emit(.counterJump(from: last, to: counter, jump: jump), at: now)
            }
        } else {
            sequence = UInt64(counter)
        }
        lastCounter = counter

        let values = options.lineStateValues
        let state: LineState = switch inputs.lineState {
        case values.stopped: .stopped
        case values.running: .running
        case values.fault: .fault
        default: .unknown(inputs.lineState)
        }
        if state != lineState {
            emit(.lineState(state, previous: lineState), at: now)
            lineState = state
        }
        if inputs.recipe != recipe {
            emit(.recipe(inputs.recipe, previous: recipe), at: now)
            recipe = inputs.recipe
        }

        if inputs.plcHeartbeat != heartbeat {
            if heartbeat != nil, heartbeatLost {
                heartbeatLost = false
                emit(.heartbeatRestored, at: now)
            }
            heartbeat = inputs.plcHeartbeat
            heartbeatChangedAt = now
        } else if !heartbeatLost, now - heartbeatChangedAt > options.heartbeatTimeout {
            heartbeatLost = true
            logger.warning("PLC heartbeat lost")
            emit(.heartbeatLost, at: now)
        }

        // The PLC's own fail-safe rejects: reported once at start (a trip may have happened while the agent was down)
        // and at every new trip, with the items widened to sequences as the bottle counter is.
        if options.reportsFailSafe, inputs.failSafeTrips != failSafeTrips {
            failSafeTrips = inputs.failSafeTrips
            if inputs.failSafeTrips != 0 {
                let mask = RegisterCodec.mask(bits: options.counterBits)
                func widened(_ raw: UInt32) -> UInt64 {
                    let behind = Self.delta(counter, raw & mask, bits: options.counterBits)
                    return sequence >= behind ? sequence - behind : 0
                }
                let first = widened(inputs.failSafeFirst), last = widened(inputs.failSafeLast)
                logger.warning("PLC fail-safe rejects", metadata: ["plc.trips": "\(inputs.failSafeTrips)", "plc.first": "\(first)", "plc.last": "\(last)"])
                emit(.failSafeRejects(trips: inputs.failSafeTrips, first: min(first, last), last: max(first, last)), at: now)
            }
        }

        // The handshake: the PLC's echo of the last command.
        let ackMask = RegisterCodec.mask(bits: min(options.ackBits, options.commandBits))
        if commandCounter == nil { commandCounter = inputs.rejectAck & ackMask }
        if let pending = outstanding {
            if inputs.rejectAck & ackMask == pending.command & ackMask {
                outstanding = nil
            } else if now - pending.sentAt > options.ackTimeout {
                outstanding = nil
                alarm = max(alarm, 1)
                logger.warning("reject command not acknowledged", metadata: ["plc.command": "\(pending.command)"])
                emit(.rejectNotAcknowledged(sequence: pending.sequence, command: pending.command), at: now)
            }
        }

        // Verification: confirmations first, then what is overdue.
        let confirm = inputs.rejectConfirmCounter & RegisterCodec.mask(bits: options.confirmBits)
        if let last = confirmCounter {
            let confirmed = Self.delta(confirm, last, bits: options.confirmBits)
            var unexpected = 0
            for _ in 0..<min(confirmed, UInt64(options.maxCounterJump)) {
                if awaitingConfirmation.isEmpty {
                    unexpected += 1
                } else {
                    let reject = awaitingConfirmation.removeFirst()
                    emit(.rejectConfirmed(sequence: reject.sequence, reason: reject.reason), at: now)
                }
            }
            if unexpected > 0 { emit(.unexpectedReject(count: unexpected), at: now) }
        }
        confirmCounter = confirm
        while let first = awaitingConfirmation.first, sequence > first.sequence + UInt64(options.confirmWithin) {
            awaitingConfirmation.removeFirst()
            rejectQueue.removeAll { $0.sequence == first.sequence }
            alarm = max(alarm, 1)
            logger.warning("reject missed", metadata: ["plc.sequence": "\(first.sequence)"])
            emit(.rejectMissed(sequence: first.sequence, reason: first.reason), at: now)
            if options.stopLineOnMiss {
                requestLineStop(reason: "reject of bottle \(first.sequence) not confirmed within \(options.confirmWithin) bottles")
            }
        }
    }

    private func writeCyclicOutputs() async throws(PLCError) {
        agentHeartbeat &+= 1
        var values: [(PLCOutput, Int64)] = [
            (.agentHeartbeat, agentHeartbeat), (.agentStatus, Int64(status.rawValue)), (.agentAlarm, alarm),
            (.goodCounter, goodCount), (.rejectCounter, rejectCount),
        ]
        if lineStopWritten != lineStopRequested { values.append((.lineStopRequest, lineStopRequested ? 1 : 0)) }
        try await link.write(values)
        lineStopWritten = lineStopRequested
    }

    private func pumpRejects() async throws(PLCError) {
        guard !sending, outstanding == nil, let next = rejectQueue.first, let base = commandCounter else { return }
        sending = true
        defer { sending = false }
        let command = (base &+ 1) & RegisterCodec.mask(bits: options.commandBits)
        commandCounter = command
        let rawSequence = Int64(next.sequence & UInt64(RegisterCodec.mask(bits: options.sequenceBits)))
        try await link.write([(.rejectSequence, rawSequence), (.rejectReason, Int64(next.reason.code))])
        try await link.write(.rejectCommand, Int64(command))
        rejectQueue.removeAll { $0.sequence == next.sequence }
        outstanding = OutstandingCommand(command: command, sequence: next.sequence, sentAt: clock.now)
        rejectCount += 1
    }
}
