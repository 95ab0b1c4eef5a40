import Foundation
import LineCore

/// The line state as the PLC reports it.
public enum LineState: Sendable, Hashable, CustomStringConvertible {
    /// The line stands (`lineStateValues.stopped`).
    case stopped
    /// The line runs (`lineStateValues.running`).
    case running
    /// The line stands in fault (`lineStateValues.fault`).
    case fault
    /// A value the configuration's `lineStateValues` does not name.
    case unknown(Int)

    /// `stopped`, `running`, `fault` or `unknown(7)`.
    public var description: String {
        switch self {
        case .stopped: "stopped"
        case .running: "running"
        case .fault: "fault"
        case .unknown(let value): "unknown(\(value))"
        }
    }
}

/// Something the PLC monitor observed or did, with when it was observed.
public struct PLCEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// The link is connected (at start, or again after a failure).
        case linkUp(endpoint: String)
        /// The link failed; the monitor retries with backoff. Bottles passing meanwhile are caught up on reconnect
        /// (up to `maxCounterJump`).
        case linkDown(PLCError)
        /// A bottle passed the photo-eye under the camera: its sequence number is the counter widened to 64 bits.
        case bottle(sequence: UInt64)
        /// The counter moved by more than `maxCounterJump` (or backwards): an alarm; no bottles are made up.
        case counterJump(from: UInt32, to: UInt32, jump: UInt64)
        /// The line state changed (the first poll reports the initial state with `previous` nil).
        case lineState(LineState, previous: LineState?)
        /// The recipe changed (the first poll reports the initial recipe with `previous` nil).
        case recipe(Int, previous: Int?)
        /// The PLC heartbeat has not changed for `heartbeatTimeout`.
        case heartbeatLost
        /// The PLC heartbeat changes again.
        case heartbeatRestored
        /// The reject station confirmed pushing off this bottle.
        case rejectConfirmed(sequence: UInt64, reason: RejectReason)
        /// A commanded reject was not confirmed within `confirmWithin` bottles: an alarm.
        case rejectMissed(sequence: UInt64, reason: RejectReason)
        /// The PLC did not echo a reject command in `rejectAck` in time: an alarm.
        case rejectNotAcknowledged(sequence: UInt64, command: UInt32)
        /// The reject station confirmed rejects the agent never commanded.
        case unexpectedReject(count: Int)
        /// The agent asked the PLC to stop the line.
        case lineStopRequested(reason: String)
        /// The PLC's report of its latest fail-safe trip (its watchdog rejected every item from `first` to `last`
        /// that had no reject command): items the agent had passed were physically rejected all the same. Reported at
        /// the first poll too, so a trip while the agent was down is learnt at restart; handle it idempotently.
        case failSafeRejects(trips: UInt32, first: UInt64, last: UInt64)
    }

    /// What happened.
    public var kind: Kind
    /// Wall-clock time of the observation (UTC).
    public var time: Date
    /// Monotonic time of the observation (for latency measurements).
    public var instant: ContinuousClock.Instant

    /// Creates an event.
    public init(kind: Kind, time: Date, instant: ContinuousClock.Instant) {
        self.kind = kind
        self.time = time
        self.instant = instant
    }

    /// The event's type name, as in `--json` output: `bottle`, `line-state`, `link-down`, …
    public var type: String {
        switch kind {
        case .linkUp: "link-up"
        case .linkDown: "link-down"
        case .bottle: "bottle"
        case .counterJump: "counter-jump"
        case .lineState: "line-state"
        case .recipe: "recipe"
        case .heartbeatLost: "heartbeat-lost"
        case .heartbeatRestored: "heartbeat-restored"
        case .rejectConfirmed: "reject-confirmed"
        case .rejectMissed: "reject-missed"
        case .rejectNotAcknowledged: "reject-not-acknowledged"
        case .unexpectedReject: "unexpected-reject"
        case .lineStopRequested: "line-stop-requested"
        case .failSafeRejects: "fail-safe-rejects"
        }
    }

    /// Whether the event is an alarm an operator must see.
    public var isAlarm: Bool {
        switch kind {
        case .linkDown, .counterJump, .heartbeatLost, .rejectMissed, .rejectNotAcknowledged, .unexpectedReject,
             .lineStopRequested: true
        case .lineState(let state, _): state == .fault
        default: false
        }
    }

    /// The event's fields besides type and time, as JSON-ready values.
    public var fields: [String: any Sendable] {
        switch kind {
        case .linkUp(let endpoint): ["endpoint": endpoint]
        case .linkDown(let error): ["error": error.description]
        case .bottle(let sequence): ["sequence": sequence]
        case .counterJump(let from, let to, let jump): ["from": from, "to": to, "jump": jump]
        case .lineState(let state, let previous):
            previous.map { ["state": state.description, "previous": $0.description] } ?? ["state": state.description]
        case .recipe(let recipe, let previous):
            previous.map { ["recipe": recipe, "previous": $0] } ?? ["recipe": recipe]
        case .heartbeatLost, .heartbeatRestored: [:]
        case .rejectConfirmed(let sequence, let reason), .rejectMissed(let sequence, let reason):
            ["sequence": sequence, "reason": reason.name]
        case .rejectNotAcknowledged(let sequence, let command): ["sequence": sequence, "command": command]
        case .unexpectedReject(let count): ["count": count]
        case .lineStopRequested(let reason): ["reason": reason]
        case .failSafeRejects(let trips, let first, let last): ["trips": trips, "first": first, "last": last]
        }
    }

    /// One JSON object on one line: `{"event":"bottle","sequence":12,"time":"2026-01-01T10:00:00.123Z"}`.
    public var json: String {
        var object: [String: Any] = ["event": type, "time": Self.iso8601(time)]
        for (key, value) in fields { object[key] = value }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{\"event\":\"\(type)\"}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `2026-01-01T10:00:00.123Z  bottle  sequence=12`.
    public var description: String {
        let details = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "\(Self.iso8601(time))  \(type)\(details.isEmpty ? "" : "  " + details)"
    }

    static func iso8601(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
