/// What happened on the simulated line: bottles, reject commands and how well they were timed.
public struct SimulatorReport: Sendable, Hashable, CustomStringConvertible {
    /// One reject command as the PLC received it.
    public struct RejectCommand: Sendable, Hashable {
        /// The bottle (widened sequence number).
        public var sequence: UInt64
        /// The reason code written with it.
        public var reason: Int
        /// The handshake value (`rejectCommand`).
        public var command: UInt32
        /// The camera counter when the command arrived.
        public var counterAtArrival: UInt64
        /// Bottles left before the bottle reached the station (≤ 0: too late).
        public var bottlesToSpare: Int64
        /// When it arrived.
        public var receivedAt: ContinuousClock.Instant
    }

    /// Bottles that passed the camera.
    public var bottles: UInt64 = 0
    /// Sequence numbers of the first and last bottle (nil when none passed).
    public var firstSequence: UInt64?, lastSequence: UInt64?
    /// Every reject command received, in order.
    public var rejectCommands: [RejectCommand] = []
    /// Bottles the station pushed off.
    public var rejected: [UInt64] = []
    /// Commands that arrived when their bottle had already passed the station.
    public var tooLate: [UInt64] = []
    /// Bottles expected to be rejected (see ``LineSimulator/expectRejects(_:)``) that passed the station without a command.
    public var neverCommanded: [UInt64] = []
    /// Commanded rejects of bottles not expected to be rejected (only when expectations were given).
    public var unexpected: [UInt64] = []
    /// Commands with reason code 0 (no reason) or one no decision kind has.
    public var withoutReason: [UInt64] = []
    /// Handshake values skipped (the command register moved by more than 1).
    public var skippedCommands: Int = 0
    /// Bottles the PLC rejected fail-safe when its vision watchdog fired (no reject command; see
    /// ``SimulatorConfiguration/agentWatchdog``). They are among ``rejected`` once they reach the station.
    public var failSafe: [UInt64] = []
    /// Times the vision watchdog stopped the line.
    public var watchdogTrips = 0
    /// Times the agent requested a line stop.
    public var lineStopRequests: Int = 0
    /// Client connections accepted.
    public var connections: Int = 0
    /// Modbus requests answered.
    public var requests: Int = 0
    /// Requests for another unit id (answered with exception 11).
    public var wrongUnitRequests: Int = 0
    /// The longest time the agent heartbeat did not change while a client was connected.
    public var maxAgentHeartbeatGap: Duration?
    /// Scripted recipe changes, stops and faults.
    public var recipeChanges = 0, stops = 0, faults = 0
    /// Whether expectations were given.
    public var expectationsGiven = false

    /// True when every expected reject was commanded in time, none came late, none without reason, none unexpected.
    public var isClean: Bool { tooLate.isEmpty && neverCommanded.isEmpty && unexpected.isEmpty && withoutReason.isEmpty }

    /// Creates an empty report.
    public init() {}

    /// A few lines for people.
    public var description: String {
        func list(_ values: [UInt64]) -> String {
            values.isEmpty ? "none" : values.prefix(20).map(String.init).joined(separator: ", ") + (values.count > 20 ? ", … (\(values.count))" : "")
        }
        let range = firstSequence.map { "\($0)…\(lastSequence ?? $0)" } ?? "-"
        let spare = rejectCommands.map(\.bottlesToSpare).min().map { "\($0) bottles" } ?? "-"
        return """
        linesim report
          bottles:                \(bottles) (sequence \(range))
          reject commands:        \(rejectCommands.count) (least time to spare: \(spare))
          rejected at station:    \(rejected.count)
          too late:               \(list(tooLate))
          expected, never sent:   \(expectationsGiven ? list(neverCommanded) : "(no expectations given)")
          unexpected rejects:     \(expectationsGiven ? list(unexpected) : "(no expectations given)")
          without reason:         \(list(withoutReason))
          skipped handshakes:     \(skippedCommands)
          line-stop requests:     \(lineStopRequests)
          watchdog trips:         \(watchdogTrips) (fail-safe rejects: \(failSafe.count))
          recipe changes/stops/faults: \(recipeChanges)/\(stops)/\(faults)
          connections/requests:   \(connections)/\(requests) (wrong unit id: \(wrongUnitRequests))
          max agent heartbeat gap: \(maxAgentHeartbeatGap.map { "\($0)" } ?? "-")
          verdict:                \(isClean ? "clean" : "PROBLEMS")
        """
    }
}
