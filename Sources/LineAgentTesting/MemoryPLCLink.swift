import PLC
import LineConfig

/// An in-memory PLC behind the ``PLCLink`` seam, for tests of the components above the link.
///
/// Tests set the inputs as a PLC program would (``setInput(_:_:)``, ``advanceBottles(_:)``), read what the agent
/// wrote (``output(_:)``), and inject failures (``failNext(_:)``, ``setReachable(_:)``). Like a PLC, it echoes
/// `rejectCommand` into `rejectAck` unless ``echoRejectCommand`` is off.
public actor MemoryPLCLink: PLCLink {
    /// A name for messages.
    public nonisolated let endpoint: String
    /// Width of the bottle counter, so ``advanceBottles(_:)`` wraps like the configured register.
    public nonisolated let counterBits: Int

    /// Echo every `rejectCommand` write into `rejectAck` (a PLC taking the command).
    public var echoRejectCommand = true
    private var inputs = PLCInputs()
    private var outputs: [PLCOutput: Int64] = [:]
    private var writes: [[(PLCOutput, Int64)]] = []
    private var connected = false
    private var reachable = true
    private var pendingFailure: PLCError?
    /// How many reads were served.
    public private(set) var readCount = 0

    /// With a register map, writes are checked like the real link checks them (values that do not fit).
    private let codec: RegisterMapCodec?

    /// Creates an in-memory PLC.
    /// - Parameters:
    ///   - endpoint: a name for messages.
    ///   - counterBits: the bottle counter's width (16 or 32).
    public init(endpoint: String = "memory", counterBits: Int = 32) {
        self.endpoint = endpoint
        self.counterBits = counterBits
        codec = nil
    }

    /// Creates an in-memory PLC with a register map: the counter width comes from it, and writes are checked
    /// against it as ``ModbusPLCLink`` checks them.
    /// - Parameters:
    ///   - registers: the register map.
    ///   - endpoint: a name for messages.
    public init(registers: RegisterMap, endpoint: String = "memory") {
        self.endpoint = endpoint
        counterBits = registers.bottleCounter.bits
        codec = RegisterMapCodec(map: registers)
    }

    /// Whether a connection is open.
    public var isConnected: Bool { connected }

    /// Connects, unless the PLC was made unreachable.
    public func connect() throws(PLCError) {
        guard reachable else {
            throw .connectFailed(endpoint: endpoint, key: "host/port", errno: 111, message: "Connection refused")
        }
        connected = true
    }

    /// Disconnects.
    public func disconnect() { connected = false }

    /// Returns the inputs, or the injected failure.
    public func readInputs() throws(PLCError) -> PLCInputs {
        try checkConnected()
        readCount += 1
        return inputs
    }

    /// Records the outputs (and echoes the reject handshake).
    public func write(_ values: [(PLCOutput, Int64)]) throws(PLCError) {
        try checkConnected()
        if let codec { _ = try codec.writeBlocks(values) }
        writes.append(values)
        for (output, value) in values {
            outputs[output] = value
            if output == .rejectCommand, echoRejectCommand { inputs.rejectAck = UInt32(truncatingIfNeeded: value) }
        }
    }

    // MARK: - The test's side

    /// Sets one input as the PLC program would.
    /// - Parameters:
    ///   - input: the signal.
    ///   - value: its raw value.
    public func setInput(_ input: PLCInput, _ value: Int64) { inputs[input] = value }

    /// All inputs at once.
    public func setInputs(_ newInputs: PLCInputs) { inputs = newInputs }

    /// The current inputs.
    public var currentInputs: PLCInputs { inputs }

    /// Advances the bottle counter by `count`, wrapping at its width.
    /// - Parameter count: bottles passing the photo-eye.
    public func advanceBottles(_ count: Int) {
        let mask = RegisterCodec.mask(bits: counterBits)
        inputs.bottleCounter = UInt32(truncatingIfNeeded: UInt64(inputs.bottleCounter) + UInt64(count)) & mask
    }

    /// The last value the agent wrote to an output, if any.
    public func output(_ output: PLCOutput) -> Int64? { outputs[output] }

    /// Every write call so far, in order.
    public var writeLog: [[(PLCOutput, Int64)]] { writes }

    /// Makes the next read or write fail with `error` (and disconnect, when the error calls for it).
    public func failNext(_ error: PLCError) { pendingFailure = error }

    /// Makes the PLC unreachable (connects fail, the open connection drops) or reachable again.
    public func setReachable(_ isReachable: Bool) {
        reachable = isReachable
        if !isReachable { connected = false }
    }

    private func checkConnected() throws(PLCError) {
        guard connected else { throw .notConnected(endpoint: endpoint) }
        if let error = pendingFailure {
            pendingFailure = nil
            if error.needsReconnect { connected = false }
            throw error
        }
    }
}

extension MemoryPLCLink {
    /// Turns the echo of `rejectCommand` into `rejectAck` on or off.
    /// - Parameter echo: whether the simulated PLC takes reject commands.
    public func setEcho(_ echo: Bool) { echoRejectCommand = echo }
}
