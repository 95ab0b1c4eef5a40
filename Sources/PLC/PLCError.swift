import LineConfig

/// One Modbus request the link made, for error messages: which table, which addresses, which signals.
public struct PLCRequest: Sendable, Hashable, CustomStringConvertible {
    /// Whether the request read or wrote.
    public enum Operation: String, Sendable, Hashable {
        case read, write
    }

    /// Read or write.
    public var operation: Operation
    /// The Modbus table.
    public var table: RegisterTable
    /// First 0-based protocol address.
    public var address: Int
    /// Number of registers or bits.
    public var count: Int
    /// The register map keys the addresses belong to (e.g. `bottleCounter`).
    public var keys: [String]
    /// The Modbus unit (slave) id addressed.
    public var unitID: Int
    /// Where the PLC is (`host:port` or the serial device).
    public var endpoint: String

    /// Creates a request description.
    public init(operation: Operation, table: RegisterTable, address: Int, count: Int, keys: [String], unitID: Int, endpoint: String) {
        self.operation = operation
        self.table = table
        self.address = address
        self.count = count
        self.keys = keys
        self.unitID = unitID
        self.endpoint = endpoint
    }

    /// E.g. `reading input registers 0-6 (bottleCounter, lineState) of unit 1 at 127.0.0.1:1502`.
    public var description: String {
        let verb = operation == .read ? "reading" : "writing"
        let what: String = switch table {
        case .holding: count == 1 ? "holding register" : "holding registers"
        case .input: count == 1 ? "input register" : "input registers"
        case .coil: count == 1 ? "coil" : "coils"
        case .discrete: count == 1 ? "discrete input" : "discrete inputs"
        }
        let range = count == 1 ? "\(address)" : "\(address)-\(address + count - 1)"
        let names = keys.isEmpty ? "" : " (\(keys.joined(separator: ", ")))"
        return "\(verb) \(what) \(range)\(names) of unit \(unitID) at \(endpoint)"
    }
}

/// Everything that can go wrong between the agent and its PLC. Failures reported by libmodbus keep its errno and
/// its `modbus_strerror` text, and name the register map keys and addresses they concerned.
public enum PLCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A setting cannot work (found before or while connecting); `key` is the configuration key, e.g. `device`.
    case invalidSetting(key: String, message: String)
    /// The connection could not be opened (nothing listening, no such serial device, unreachable host).
    case connectFailed(endpoint: String, key: String, errno: Int32, message: String)
    /// No complete response came within the response or byte timeout.
    case timeout(PLCRequest, errno: Int32, message: String)
    /// The PLC answered with a Modbus exception, e.g. 2 (illegal data address) or 11 (gateway target failed,
    /// which is what a gateway answers for a wrong unit id).
    case exception(PLCRequest, code: Int, errno: Int32, message: String)
    /// The response could not be understood: garbage, another transaction's answer, another unit, bad CRC.
    case badResponse(PLCRequest, errno: Int32, message: String)
    /// The connection broke during a request.
    case connectionLost(PLCRequest, errno: Int32, message: String)
    /// A request was made while the link is not connected.
    case notConnected(endpoint: String)
    /// A value to be written does not fit its register (after scaling).
    case valueOutOfRange(key: String, value: Int64, range: ClosedRange<Int64>)

    /// The libmodbus (or system) error number, when there is one.
    public var errno: Int32? {
        switch self {
        case .connectFailed(_, _, let e, _), .timeout(_, let e, _), .exception(_, _, let e, _),
             .badResponse(_, let e, _), .connectionLost(_, let e, _): e
        case .invalidSetting, .notConnected, .valueOutOfRange: nil
        }
    }

    /// The request concerned, when the failure happened during one.
    public var request: PLCRequest? {
        switch self {
        case .timeout(let r, _, _), .exception(let r, _, _, _), .badResponse(let r, _, _), .connectionLost(let r, _, _): r
        default: nil
        }
    }

    /// Whether the connection should be closed and opened again (rather than the request simply failing).
    /// A Modbus exception is an answer: the link is fine. Anything else leaves the stream in an unknown state.
    public var needsReconnect: Bool {
        switch self {
        case .exception, .valueOutOfRange, .invalidSetting: false
        default: true
        }
    }

    /// One line for people: what failed, where, and libmodbus' own words.
    public var description: String {
        switch self {
        case .invalidSetting(let key, let message):
            "PLC setting \(key): \(message)"
        case .connectFailed(let endpoint, let key, let e, let message):
            "cannot connect to the PLC at \(endpoint) (\(key)): \(message) (errno \(e))"
        case .timeout(let request, let e, let message):
            "PLC did not answer in time \(request): \(message) (errno \(e))"
        case .exception(let request, let code, let e, let message):
            "PLC refused \(request): Modbus exception \(code), \(message) (errno \(e))"
        case .badResponse(let request, let e, let message):
            "PLC answered garbage \(request): \(message) (errno \(e))"
        case .connectionLost(let request, let e, let message):
            "PLC connection lost \(request): \(message) (errno \(e))"
        case .notConnected(let endpoint):
            "not connected to the PLC at \(endpoint)"
        case .valueOutOfRange(let key, let value, let range):
            "value \(value) does not fit \(key) (\(range.lowerBound)...\(range.upperBound))"
        }
    }
}
