import LineConfig
import LineCore

/// How the simulated filling line behaves.
public struct SimulatorConfiguration: Sendable {
    /// The register map, the same as the agent's (`lines[].plc.registers`).
    public var registers: RegisterMap
    /// The unit id the simulated PLC answers to; requests for another unit get exception 11 (gateway target failed).
    public var unitID: Int
    /// Loopback port to listen on; 0 picks a free one (see ``LineSimulator/port``).
    public var port: Int
    /// Serve Modbus RTU on this serial device (e.g. one end of a `socat` pseudo-terminal pair) instead of TCP.
    public var serialDevice: String?
    /// Line speed.
    public var bottlesPerHour: Double
    /// The reject station is this many bottles downstream of the camera's photo-eye.
    public var stationOffset: Int
    /// Recipes the line cycles through.
    public var recipes: [Int]
    /// Change to the next recipe every this many bottles (nil: never).
    public var recipeChangeEvery: Int?
    /// Stop the line every this many bottles for `stopDuration` (nil: never).
    public var stopEvery: Int?
    /// How long a scripted stop lasts.
    public var stopDuration: Duration
    /// Fault the line every this many bottles for `faultDuration` (nil: never).
    public var faultEvery: Int?
    /// How long a scripted fault lasts.
    public var faultDuration: Duration
    /// The PLC heartbeat increments this often.
    public var heartbeatPeriod: Duration
    /// The bottle counter's first value (wide; the register shows it modulo its width).
    public var counterStart: UInt64
    /// Stop the line for good after this many bottles (nil: run until stopped).
    public var bottleLimit: Int?
    /// Whether the line runs from the start.
    public var startRunning: Bool
    /// Random variation of each bottle's spacing, as a fraction of the period (0.2: ±20 %). Real lines are not
    /// metronomes, and a period that is an exact multiple of the agent's poll interval would hide the polling delay.
    public var periodJitter: Double
    /// Whether the PLC echoes `rejectCommand` into `rejectAck` (false simulates a PLC program that ignores commands).
    public var acknowledgeCommands: Bool
    /// Whether the station pushes off commanded bottles and counts them (false simulates a jammed pusher).
    public var stationWorks: Bool
    /// The PLC's vision watchdog (nil: none): when the running line sees no change of `agentHeartbeat` for this long,
    /// the PLC stops the line in fault and, fail-safe, rejects every bottle between the camera and the station that
    /// has no reject command and may still be waiting for its verdict (``agentVerdictWindow``). Starting the line
    /// again clears the fault. The watchdog is armed by the first heartbeat it sees.
    public var agentWatchdog: Duration?
    /// The agent's verdict contract as the watchdog relies on it: a bottle triggered more than this long before the
    /// agent's last heartbeat has had its verdict (a reject command, or none for a good bottle), so only younger
    /// bottles are rejected fail-safe. The agent's decision deadline plus a couple of polls (default 150 ms).
    public var agentVerdictWindow: Duration
    /// Called on the server thread at each bottle's trigger with its wide sequence and trigger instant (keep it short):
    /// the photo-eye's wire to a hardware-triggered camera in another process.
    public var onTrigger: (@Sendable (UInt64, ContinuousClock.Instant) -> Void)?
    /// The reason codes a reject command may carry (a command with another counts as "without reason"): the bottle
    /// decisions' by default; a case station's are the case reasons.
    public var reasonCodes: Set<Int>
    /// Whether items come only from ``LineSimulator/pulse()`` (a case station: a case arrives when the packer has
    /// filled one) instead of at `bottlesPerHour`.
    public var externallyTriggered: Bool

    /// A line at 36,000 bottles/hour, one recipe, a station 3 bottles downstream, no scripted events.
    /// - Parameter registers: the register map to serve.
    public init(registers: RegisterMap) {
        self.registers = registers
        unitID = 1
        port = 0
        serialDevice = nil
        bottlesPerHour = 36_000
        stationOffset = 3
        recipes = [1]
        recipeChangeEvery = nil
        stopEvery = nil
        stopDuration = .seconds(1)
        faultEvery = nil
        faultDuration = .seconds(1)
        heartbeatPeriod = .milliseconds(100)
        counterStart = 0
        bottleLimit = nil
        startRunning = true
        periodJitter = 0
        acknowledgeCommands = true
        stationWorks = true
        agentWatchdog = nil
        agentVerdictWindow = .milliseconds(150)
        onTrigger = nil
        reasonCodes = Set(DecisionKind.allCases.filter { !$0.passes }.map(\.plcReasonCode))
        externallyTriggered = false
    }

    /// The time between two bottles.
    public var bottlePeriod: Duration { .seconds(3_600 / max(bottlesPerHour, 1)) }
}
