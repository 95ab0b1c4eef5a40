import ConfigKit

/// Modbus transports.
public enum PLCTransport: String, ConfigEnum, Codable {
    /// Modbus TCP.
    case tcp
    /// Modbus RTU over a serial device.
    case rtu
}

/// Serial parity for RTU.
public enum SerialParity: String, ConfigEnum, Codable {
    case none, even, odd
}

/// How the agent reaches a line's PLC over Modbus, and what its registers mean.
public struct PLCConfiguration: Codable, Sendable, ValidatableConfig {
    public var transport: PLCTransport
    /// TCP: the PLC's address.
    public var host: String?
    /// TCP: port (default 502).
    public var port: ConfigPort?
    /// RTU: serial device, e.g. `/dev/ttyUSB0`.
    public var device: String?
    /// RTU: baud rate (default 19200).
    public var baud: Int?
    /// RTU: parity (default even, as the Modbus specification recommends).
    public var parity: SerialParity?
    /// RTU: data bits (default 8).
    public var dataBits: Int?
    /// RTU: stop bits (default 1).
    public var stopBits: Int?
    /// Modbus unit (slave) id.
    public var unitID: Int
    /// How often the inputs are read.
    public var pollInterval: ConfigDuration
    /// How long to wait for a response.
    public var responseTimeout: ConfigDuration
    /// How long to wait between two bytes of one response.
    public var byteTimeout: ConfigDuration
    /// First reconnect delay; doubled up to `maxReconnectBackoff`.
    public var reconnectBackoff: ConfigDuration
    public var maxReconnectBackoff: ConfigDuration
    /// The PLC heartbeat must change at least this often, or the PLC counts as lost.
    public var heartbeatTimeout: ConfigDuration
    /// A bottle counter jump larger than this between two polls is an alarm, not that many bottles.
    public var maxCounterJump: Int
    /// What each register means.
    public var registers: RegisterMap

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        transport = try c.decode(PLCTransport.self, forKey: .transport)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        port = try c.decodeIfPresent(ConfigPort.self, forKey: .port)
        device = try c.decodeIfPresent(String.self, forKey: .device)
        baud = try c.decodeIfPresent(Int.self, forKey: .baud)
        parity = try c.decodeIfPresent(SerialParity.self, forKey: .parity)
        dataBits = try c.decodeIfPresent(Int.self, forKey: .dataBits)
        stopBits = try c.decodeIfPresent(Int.self, forKey: .stopBits)
        unitID = try c.decodeIfPresent(Int.self, forKey: .unitID) ?? 1
        pollInterval = try c.decodeIfPresent(ConfigDuration.self, forKey: .pollInterval) ?? ConfigDuration(.milliseconds(5))
        responseTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .responseTimeout) ?? ConfigDuration(.milliseconds(50))
        byteTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .byteTimeout) ?? ConfigDuration(.milliseconds(10))
        reconnectBackoff = try c.decodeIfPresent(ConfigDuration.self, forKey: .reconnectBackoff) ?? ConfigDuration(.milliseconds(100))
        maxReconnectBackoff = try c.decodeIfPresent(ConfigDuration.self, forKey: .maxReconnectBackoff) ?? ConfigDuration(.seconds(5))
        heartbeatTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .heartbeatTimeout) ?? ConfigDuration(.seconds(1))
        maxCounterJump = try c.decodeIfPresent(Int.self, forKey: .maxCounterJump) ?? 50
        registers = try c.decode(RegisterMap.self, forKey: .registers)
    }

    /// Serial settings with their defaults applied.
    public var effectiveBaud: Int { baud ?? 19_200 }
    public var effectiveParity: SerialParity { parity ?? .even }
    public var effectiveDataBits: Int { dataBits ?? 8 }
    public var effectiveStopBits: Int { stopBits ?? 1 }
    public var effectivePort: Int { port?.value ?? 502 }

    public func validate(_ v: inout ConfigValidator) {
        switch transport {
        case .tcp:
            v.check(!(host ?? "").isEmpty, at: "host", "a tcp PLC needs host (the PLC's IP address or name)")
            for (key, present) in [("device", device != nil), ("baud", baud != nil), ("parity", parity != nil),
                                   ("dataBits", dataBits != nil), ("stopBits", stopBits != nil)] where present {
                v.error(at: key, "applies to transport rtu only (this PLC uses tcp)")
            }
            v.checkRange(unitID, 0...255, at: "unitID", what: "a unit id")
        case .rtu:
            v.check(!(device ?? "").isEmpty, at: "device", "an rtu PLC needs device (a serial port such as /dev/ttyUSB0)")
            for (key, present) in [("host", host != nil), ("port", port != nil)] where present {
                v.error(at: key, "applies to transport tcp only (this PLC uses rtu)")
            }
            let bauds = [1_200, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200, 230_400]
            v.check(bauds.contains(effectiveBaud), at: "baud",
                    "expected one of \(bauds.map(String.init).joined(separator: ", ")), got \(effectiveBaud)")
            v.checkRange(effectiveDataBits, 7...8, at: "dataBits", what: "data bits")
            v.checkRange(effectiveStopBits, 1...2, at: "stopBits", what: "stop bits")
            v.checkRange(unitID, 1...247, at: "unitID", what: "an RTU unit id")
        }
        v.check(pollInterval.duration >= .milliseconds(1) && pollInterval.duration <= .seconds(1), at: "pollInterval",
                "expected 1ms to 1s")
        v.check(responseTimeout.duration >= .milliseconds(1) && responseTimeout.duration <= .seconds(10), at: "responseTimeout",
                "expected 1ms to 10s")
        v.check(byteTimeout.duration <= responseTimeout.duration, at: "byteTimeout", "must not exceed responseTimeout")
        v.check(maxReconnectBackoff >= reconnectBackoff, at: "maxReconnectBackoff", "must not be shorter than reconnectBackoff")
        v.check(heartbeatTimeout.duration > pollInterval.duration, at: "heartbeatTimeout", "must be longer than pollInterval")
        v.checkRange(maxCounterJump, 1...10_000, at: "maxCounterJump", what: "a bottle count")
        v.validate("registers", registers)
    }
}

/// Modbus data tables.
public enum RegisterTable: String, ConfigEnum, Codable {
    /// Holding registers (read/write, 16-bit): function codes 3, 6, 16.
    case holding
    /// Input registers (read-only, 16-bit): function code 4.
    case input
    /// Coils (read/write bits): function codes 1, 5, 15.
    case coil
    /// Discrete inputs (read-only bits): function code 2.
    case discrete

    /// Whether the agent can write to it.
    public var isWritable: Bool { self == .holding || self == .coil }
    /// Whether it holds bits rather than 16-bit words.
    public var isBit: Bool { self == .coil || self == .discrete }
}

/// Order of the two 16-bit words of a 32-bit value.
public enum WordOrder: String, ConfigEnum, Codable {
    /// High word first (big-endian, the Modbus convention).
    case ABCD
    /// Low word first (common on some PLCs).
    case CDAB
}

/// Where one signal lives in the PLC.
public struct RegisterConfiguration: Codable, Sendable, Hashable {
    /// 0-based protocol address (register 40001 in PLC manuals is address 0 of the holding table).
    public var address: Int
    public var table: RegisterTable
    /// 16 or 32 bits (32-bit values take two consecutive registers).
    public var bits: Int
    public var wordOrder: WordOrder
    /// The value is multiplied by this after reading (and divided before writing).
    public var scale: Double

    public init(address: Int, table: RegisterTable = .holding, bits: Int = 16, wordOrder: WordOrder = .ABCD, scale: Double = 1) {
        self.address = address
        self.table = table
        self.bits = bits
        self.wordOrder = wordOrder
        self.scale = scale
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        address = try c.decode(Int.self, forKey: .address)
        table = try c.decodeIfPresent(RegisterTable.self, forKey: .table) ?? .holding
        bits = try c.decodeIfPresent(Int.self, forKey: .bits) ?? 16
        wordOrder = try c.decodeIfPresent(WordOrder.self, forKey: .wordOrder) ?? .ABCD
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1
    }

    /// How many consecutive addresses the signal occupies.
    public var width: Int { table.isBit ? 1 : bits / 16 }
    /// The addresses it occupies.
    public var addresses: ClosedRange<Int> { address...(address + width - 1) }
}

/// The signals exchanged with the PLC. Inputs are read every poll; outputs are written by the agent.
public struct RegisterMap: Codable, Sendable, ValidatableConfig {
    // Inputs
    /// Counts bottles passing the photo-eye under the camera; wraps around.
    public var bottleCounter: RegisterConfiguration
    /// 0 stopped, 1 running, 2 fault (see `lineStateValues`).
    public var lineState: RegisterConfiguration
    /// The recipe (product) being filled.
    public var recipe: RegisterConfiguration
    /// Changes at least every `heartbeatTimeout` while the PLC program runs.
    public var plcHeartbeat: RegisterConfiguration
    /// Counts bottles the reject station actually pushed off.
    public var rejectConfirmCounter: RegisterConfiguration
    /// The PLC echoes `rejectCommand` here once it has taken the command.
    public var rejectAck: RegisterConfiguration
    // Outputs
    /// The bottle sequence number to reject (32-bit).
    public var rejectSequence: RegisterConfiguration
    /// Why (see `DecisionKind.plcReasonCode`).
    public var rejectReason: RegisterConfiguration
    /// Incremented by the agent after writing sequence and reason: the handshake.
    public var rejectCommand: RegisterConfiguration
    /// Incremented by the agent every poll; the PLC's watchdog.
    public var agentHeartbeat: RegisterConfiguration
    /// 0 starting, 1 ready, 2 degraded, 3 failed.
    public var agentStatus: RegisterConfiguration
    /// Non-zero while the agent has an alarm.
    public var agentAlarm: RegisterConfiguration
    /// Good bottles counted by the agent.
    public var goodCounter: RegisterConfiguration
    /// Rejects commanded by the agent.
    public var rejectCounter: RegisterConfiguration
    /// 1 asks the PLC to stop the line.
    public var lineStopRequest: RegisterConfiguration
    /// The values of `lineState`.
    public var lineStateValues: LineStateValues
    // Optional inputs: the PLC's report of its own fail-safe rejects (all three or none)
    /// Counts the PLC's fail-safe trips (its vision watchdog rejecting everything between camera and station).
    public var failSafeTrips: RegisterConfiguration?
    /// The counter value (as `bottleCounter`) of the first item the latest trip rejected.
    public var failSafeFirst: RegisterConfiguration?
    /// The counter value of the last item the latest trip rejected.
    public var failSafeLast: RegisterConfiguration?

    /// Whether the PLC reports its fail-safe rejects.
    public var reportsFailSafe: Bool { failSafeTrips != nil && failSafeFirst != nil && failSafeLast != nil }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bottleCounter = try c.decode(RegisterConfiguration.self, forKey: .bottleCounter)
        lineState = try c.decode(RegisterConfiguration.self, forKey: .lineState)
        recipe = try c.decode(RegisterConfiguration.self, forKey: .recipe)
        plcHeartbeat = try c.decode(RegisterConfiguration.self, forKey: .plcHeartbeat)
        rejectConfirmCounter = try c.decode(RegisterConfiguration.self, forKey: .rejectConfirmCounter)
        rejectAck = try c.decode(RegisterConfiguration.self, forKey: .rejectAck)
        rejectSequence = try c.decode(RegisterConfiguration.self, forKey: .rejectSequence)
        rejectReason = try c.decode(RegisterConfiguration.self, forKey: .rejectReason)
        rejectCommand = try c.decode(RegisterConfiguration.self, forKey: .rejectCommand)
        agentHeartbeat = try c.decode(RegisterConfiguration.self, forKey: .agentHeartbeat)
        agentStatus = try c.decode(RegisterConfiguration.self, forKey: .agentStatus)
        agentAlarm = try c.decode(RegisterConfiguration.self, forKey: .agentAlarm)
        goodCounter = try c.decode(RegisterConfiguration.self, forKey: .goodCounter)
        rejectCounter = try c.decode(RegisterConfiguration.self, forKey: .rejectCounter)
        lineStopRequest = try c.decode(RegisterConfiguration.self, forKey: .lineStopRequest)
        lineStateValues = try c.decodeIfPresent(LineStateValues.self, forKey: .lineStateValues) ?? LineStateValues()
        failSafeTrips = try c.decodeIfPresent(RegisterConfiguration.self, forKey: .failSafeTrips)
        failSafeFirst = try c.decodeIfPresent(RegisterConfiguration.self, forKey: .failSafeFirst)
        failSafeLast = try c.decodeIfPresent(RegisterConfiguration.self, forKey: .failSafeLast)
    }

    /// Every signal with its key, inputs first.
    public var signals: [(key: String, register: RegisterConfiguration, output: Bool)] {
        [("bottleCounter", bottleCounter, false), ("lineState", lineState, false), ("recipe", recipe, false),
         ("plcHeartbeat", plcHeartbeat, false), ("rejectConfirmCounter", rejectConfirmCounter, false),
         ("rejectAck", rejectAck, false),
         ("rejectSequence", rejectSequence, true), ("rejectReason", rejectReason, true),
         ("rejectCommand", rejectCommand, true), ("agentHeartbeat", agentHeartbeat, true),
         ("agentStatus", agentStatus, true), ("agentAlarm", agentAlarm, true), ("goodCounter", goodCounter, true),
         ("rejectCounter", rejectCounter, true), ("lineStopRequest", lineStopRequest, true)]
            + [("failSafeTrips", failSafeTrips), ("failSafeFirst", failSafeFirst), ("failSafeLast", failSafeLast)]
            .compactMap { key, register in register.map { (key, $0, false) } }
    }

    public func validate(_ v: inout ConfigValidator) {
        for signal in signals {
            v.nested(signal.key) { v in
                let r = signal.register
                v.check(r.bits == 16 || r.bits == 32, at: "bits", "expected 16 or 32, got \(r.bits)")
                if r.table.isBit {
                    v.check(r.bits == 16 && r.wordOrder == .ABCD, at: "bits",
                            "a \(r.table.rawValue) is one bit: bits and wordOrder do not apply")
                }
                v.check(r.scale != 0 && r.scale.isFinite, at: "scale", "expected a non-zero number")
                let last = r.bits == 32 && !r.table.isBit ? 65_534 : 65_535
                v.check((0...last).contains(r.address), at: "address",
                        "expected an address 0-\(last) for a \(r.bits)-bit \(r.table.rawValue), got \(r.address)")
                if signal.output {
                    v.check(r.table.isWritable, at: "table",
                            "\(signal.key) is written by the agent: use holding or coil, not \(r.table.rawValue)")
                }
            }
        }
        let failSafe = [failSafeTrips, failSafeFirst, failSafeLast].filter { $0 != nil }.count
        v.check(failSafe == 0 || failSafe == 3, at: "failSafeTrips",
                "the fail-safe report needs all three of failSafeTrips, failSafeFirst and failSafeLast (or none)")
        for key in ["bottleCounter", "rejectConfirmCounter", "rejectAck", "rejectSequence", "rejectCommand", "recipe", "lineState",
                    "failSafeTrips", "failSafeFirst", "failSafeLast"] {
            guard let signal = signals.first(where: { $0.key == key }) else { continue }
            v.check(!signal.register.table.isBit, at: "\(key).table", "\(key) is a number: use a holding or input register")
        }
        // Holding and input registers are separate address spaces, and so are coils and discrete inputs.
        // Only signals whose bits and address passed the checks above have an address range (`bits: 8` has none,
        // and an address near Int.max would overflow); the others already have an error.
        let all = signals.filter { signal in
            let r = signal.register
            return (r.bits == 16 || r.bits == 32) && (0...65_535).contains(r.address)
        }
        for i in all.indices {
            for j in all.indices where j > i {
                let a = all[i], b = all[j]
                guard a.register.table == b.register.table, a.register.addresses.overlaps(b.register.addresses) else { continue }
                v.error(at: "\(b.key).address",
                        "\(b.register.table.rawValue) address \(b.register.address) overlaps \(a.key) (\(a.register.table.rawValue) \(a.register.addresses.lowerBound)-\(a.register.addresses.upperBound))")
            }
        }
        v.validate("lineStateValues", lineStateValues)
    }
}

/// The numbers the PLC uses for its line state.
public struct LineStateValues: Codable, Sendable, ValidatableConfig {
    public var stopped: Int
    public var running: Int
    public var fault: Int

    public init() {
        stopped = 0
        running = 1
        fault = 2
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stopped = try c.decodeIfPresent(Int.self, forKey: .stopped) ?? 0
        running = try c.decodeIfPresent(Int.self, forKey: .running) ?? 1
        fault = try c.decodeIfPresent(Int.self, forKey: .fault) ?? 2
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(Set([stopped, running, fault]).count == 3, at: "running", "stopped, running and fault need three different values")
    }
}
