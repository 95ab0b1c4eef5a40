import Foundation
import QazClient

/// What the running agent serves at `GET /status` (JSON, dates ISO 8601 UTC) and `lineagent status` shows on one
/// screen: lines, rates, the outbox queue, alarms and the last errors.
public struct AgentStatusSnapshot: Codable, Sendable, Equatable {
    /// The agent's version.
    public var version: String
    /// The producer's IIN/BIN.
    public var producer: String
    /// When the agent started (UTC).
    public var startedAt: Date
    /// When this snapshot was taken (UTC).
    public var takenAt: Date
    /// Whether `/ready` answers 200: every line's PLC link is up, every camera delivers, the outbox accepts writes.
    public var ready: Bool
    /// Why it is not ready (empty when ready).
    public var notReadyReasons: [String]
    /// One entry per configured line.
    public var lines: [LineStatus]
    /// The durable outbox and its delivery to the registrar.
    public var outbox: OutboxStatus
    /// Alarms raised since start, newest first (at most 50).
    public var alarms: [StatusEvent]
    /// Errors since start, newest first (at most 20).
    public var lastErrors: [StatusEvent]
    /// The lines' case stations (absent from agents without aggregation).
    public var caseStations: [CaseStationStatus]?
    /// The aggregation events' queue (nil when no aggregation is configured).
    public var aggregation: AggregationQueueStatus?
    /// The registrar addresses (`server.urls`) and the one requests go to now (nil when the agent delivers elsewhere).
    public var registrar: RegistrarAddressStatus?

    public init(version: String, producer: String, startedAt: Date, takenAt: Date, ready: Bool, notReadyReasons: [String],
                lines: [LineStatus], outbox: OutboxStatus, alarms: [StatusEvent], lastErrors: [StatusEvent],
                caseStations: [CaseStationStatus] = [], aggregation: AggregationQueueStatus? = nil) {
        self.caseStations = caseStations
        self.aggregation = aggregation
        self.version = version
        self.producer = producer
        self.startedAt = startedAt
        self.takenAt = takenAt
        self.ready = ready
        self.notReadyReasons = notReadyReasons
        self.lines = lines
        self.outbox = outbox
        self.alarms = alarms
        self.lastErrors = lastErrors
    }
}

/// One line in the status.
public struct LineStatus: Codable, Sendable, Equatable {
    /// The line's id.
    public var id: String
    /// `up` or `down`.
    public var plcLink: String
    /// `running`, `stopped`, `fault`, `unknown(n)` or `-` before the first poll.
    public var lineState: String
    /// The recipe the PLC reports (nil before the first poll).
    public var recipe: Int?
    /// The last bottle sequence seen (nil before the first bottle).
    public var lastSequence: UInt64?
    /// Bottles decided since start.
    public var bottles: Int
    /// Bottles that passed.
    public var good: Int
    /// Rejected bottles by decision kind (`no-read`, `duplicate`, …).
    public var rejectedByKind: [String: Int]
    /// Bottles per hour over the last minute.
    public var bottlesPerHour: Double
    /// Share of bottles with a code read, over the last minute (0–1; nil without bottles).
    public var readRate: Double?
    /// Rejects the station confirmed, and missed (not confirmed in time).
    public var rejectsConfirmed: Int
    public var rejectsMissed: Int
    /// Bottles whose decision missed the deadline and were rejected as timeout.
    public var timeouts: Int
    /// Trigger-to-decision latency over the last minute, milliseconds (nil without bottles).
    public var decisionLatencyP50Ms: Double?
    public var decisionLatencyP99Ms: Double?
    /// The line's cameras.
    public var cameras: [CameraStatus]

    public init(id: String, plcLink: String, lineState: String, recipe: Int?, lastSequence: UInt64?, bottles: Int, good: Int,
                rejectedByKind: [String: Int], bottlesPerHour: Double, readRate: Double?, rejectsConfirmed: Int,
                rejectsMissed: Int, timeouts: Int, decisionLatencyP50Ms: Double?, decisionLatencyP99Ms: Double?,
                cameras: [CameraStatus]) {
        self.id = id
        self.plcLink = plcLink
        self.lineState = lineState
        self.recipe = recipe
        self.lastSequence = lastSequence
        self.bottles = bottles
        self.good = good
        self.rejectedByKind = rejectedByKind
        self.bottlesPerHour = bottlesPerHour
        self.readRate = readRate
        self.rejectsConfirmed = rejectsConfirmed
        self.rejectsMissed = rejectsMissed
        self.timeouts = timeouts
        self.decisionLatencyP50Ms = decisionLatencyP50Ms
        self.decisionLatencyP99Ms = decisionLatencyP99Ms
        self.cameras = cameras
    }
}

/// One camera in the status.
public struct CameraStatus: Codable, Sendable, Equatable {
    public var id: String
    /// `delivering`, `silent` (no frame for `frameTimeout`), `failed` (source lost, reopening) or `starting`.
    public var state: String
    /// Frames analysed since start.
    public var frames: Int
    /// Seconds since the last frame (nil before the first).
    public var lastFrameAgeSeconds: Double?
    /// Decode time p99 over the last minute, milliseconds.
    public var decodeP99Ms: Double?
    /// Mean symbol contrast of the last minute's reads (0-1): falls with a failing lamp or a dirty lens.
    public var readContrast: Double?
    /// Share of the last minute's reads made by a fallback step (not the chain's first).
    public var fallbackShare: Double?

    public init(id: String, state: String, frames: Int, lastFrameAgeSeconds: Double?, decodeP99Ms: Double?,
                readContrast: Double? = nil, fallbackShare: Double? = nil) {
        self.id = id
        self.state = state
        self.frames = frames
        self.lastFrameAgeSeconds = lastFrameAgeSeconds
        self.decodeP99Ms = decodeP99Ms
        self.readContrast = readContrast
        self.fallbackShare = fallbackShare
    }
}

/// The outbox in the status.
public struct OutboxStatus: Codable, Sendable, Equatable {
    /// Good decisions whose activation is not yet answered by the registrar.
    public var pending: Int
    /// Of those, not yet in a batch.
    public var unbatched: Int
    /// Batches sent or being sent and not yet fully answered.
    public var openBatches: Int
    /// Activations the registrar refused for good (see `lineagent outbox list --dead`).
    public var deadLetters: Int
    /// Age of the oldest pending activation, seconds.
    public var oldestPendingAgeSeconds: Double?
    /// Activations the registrar accepted since start.
    public var delivered: Int
    /// When the last batch was answered (UTC).
    public var lastDeliveryAt: Date?
    /// Whether the outbox accepts writes (false: disk full or low space; bottles are rejected, line stop requested).
    public var writable: Bool

    public init(pending: Int, unbatched: Int, openBatches: Int, deadLetters: Int, oldestPendingAgeSeconds: Double?,
                delivered: Int, lastDeliveryAt: Date?, writable: Bool) {
        self.pending = pending
        self.unbatched = unbatched
        self.openBatches = openBatches
        self.deadLetters = deadLetters
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.delivered = delivered
        self.lastDeliveryAt = lastDeliveryAt
        self.writable = writable
    }
}

/// An alarm or error with its time.
public struct StatusEvent: Codable, Sendable, Equatable {
    public var time: Date
    /// The line it concerns (nil: the agent as a whole).
    public var line: String?
    /// A stable kind (`reject-missed`, `plc-link-down`, `outbox-disk-full`, `dead-letter`, …).
    public var kind: String
    public var message: String
    /// The alarm's number since start (nil for errors).
    public var id: Int?
    /// Who acknowledged the alarm, and when (nil: not yet).
    public var acknowledgedBy: String?
    public var acknowledgedAt: Date?

    public init(time: Date, line: String?, kind: String, message: String, id: Int? = nil) {
        self.time = time
        self.line = line
        self.kind = kind
        self.message = message
        self.id = id
    }
}

extension AgentStatusSnapshot {
    /// The JSON coder settings `/status` uses (ISO 8601 dates, sorted keys).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }

    /// Decodes what `encoder()` wrote.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The aggregation events' queue, as `/status` shows it.
public struct AggregationQueueStatus: Codable, Sendable, Equatable {
    /// Events not yet answered by the registrar.
    public var pending: Int
    /// Of those, held back until activations queued before them are answered.
    public var waitingForActivations: Int
    public var delivered: Int
    /// Refused by the registrar (the reasons are in `lineagent case show`).
    public var dead: Int
}
