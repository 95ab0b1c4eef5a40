import LineConfig

/// The seam between the agent and a line PLC: register-level access in terms of the register map's signals.
///
/// The real implementation is ``ModbusPLCLink`` (libmodbus, TCP or RTU); `MemoryPLCLink` (in LineAgentTesting) is an in-memory PLC
/// for tests of the components above it. ``PLCMonitor`` turns a link into events and handles the reject handshake.
/// Every call is one atomic exchange: an actor never interleaves two calls on the wire.
public protocol PLCLink: Actor {
    /// Where the PLC is (`host:port` or the serial device), for messages.
    nonisolated var endpoint: String { get }

    /// Whether a connection is open.
    var isConnected: Bool { get }

    /// Opens the connection if it is not open.
    /// - Throws: ``PLCError/connectFailed(endpoint:key:errno:message:)`` naming the configuration key at fault, or
    ///   ``PLCError/invalidSetting(key:message:)``.
    func connect() async throws(PLCError)

    /// Closes the connection (a later ``connect()`` opens it again).
    func disconnect() async

    /// Reads every input signal of the register map (contiguous signals in one request).
    /// - Returns: the values read.
    /// - Throws: a ``PLCError`` naming the request, its addresses and keys; after any error other than a Modbus
    ///   exception the link is disconnected.
    func readInputs() async throws(PLCError) -> PLCInputs

    /// Writes output signals in the order given; consecutive signals at consecutive addresses of one table go in one
    /// request.
    /// - Parameters:
    ///   - values: the signals and their values (counters wrap to their width; other values are scaled).
    /// - Throws: a ``PLCError`` naming the request, its addresses and keys.
    func write(_ values: [(PLCOutput, Int64)]) async throws(PLCError)
}

extension PLCLink {
    /// Writes one output signal.
    /// - Parameters:
    ///   - output: the signal.
    ///   - value: its value.
    public func write(_ output: PLCOutput, _ value: Int64) async throws(PLCError) {
        try await write([(output, value)])
    }
}
