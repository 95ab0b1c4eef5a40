import CModbus
import ConfigKit
import Dispatch
import LineConfig
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A serial executor running its jobs on one dispatch queue: libmodbus calls block, so the PLC link runs on its own
/// thread and never holds one of the (few) threads of the shared concurrency pool.
final class DispatchQueueSerialExecutor: SerialExecutor {
    let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

/// Owns one `modbus_t*`; closed and freed with the object. Only ever used from the ``ModbusPLCLink`` actor that
/// holds it, hence `@unchecked Sendable`.
final class ModbusContext: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit {
        modbus_close(pointer)
        modbus_free(pointer)
    }
}

/// Classifies a failed libmodbus call from its errno.
func modbusFailure(_ request: PLCRequest, errno e: Int32) -> PLCError {
    let message = String(cString: modbus_strerror(e))
    let base = Int32(MODBUS_ENOBASE)
    if e > base, e <= base + 11 {  // 11: MODBUS_EXCEPTION_GATEWAY_TARGET, the last exception code
        return .exception(request, code: Int(e - base), errno: e, message: message)
    }
    if e > base { return .badResponse(request, errno: e, message: message) }
    if e == ETIMEDOUT { return .timeout(request, errno: e, message: message) }
    return .connectionLost(request, errno: e, message: message)
}

/// The PLC link over libmodbus: Modbus TCP or RTU, with the response and byte timeouts of the configuration.
///
/// The actor runs on its own serial executor (a dispatch queue) because every libmodbus call blocks. Reconnecting
/// (with backoff) is the caller's loop: ``PLCMonitor`` does it. After any failure other than a Modbus exception the
/// connection is closed, so a late answer can never be taken for the next request's.
public actor ModbusPLCLink: PLCLink {
    private let executor: DispatchQueueSerialExecutor
    /// Runs this actor on its own dispatch queue.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The configuration the link was made from.
    public nonisolated let configuration: PLCConfiguration
    /// The reads and writes planned from the register map.
    public nonisolated let codec: RegisterMapCodec
    /// `host:port` or the serial device.
    public nonisolated let endpoint: String

    private let logger: Logger
    private var context: ModbusContext?
    private var blockWords: [[UInt16]]
    private var bitBuffer: [UInt8]

    /// Creates a link; nothing is opened until ``connect()``.
    /// - Parameters:
    ///   - configuration: the validated PLC configuration.
    ///   - logger: where connection changes are logged (`plc.endpoint` metadata).
    public init(configuration: PLCConfiguration, logger: Logger) {
        self.configuration = configuration
        codec = RegisterMapCodec(map: configuration.registers)
        endpoint = switch configuration.transport {
        case .tcp: "\(configuration.host ?? ""):\(configuration.effectivePort)"
        case .rtu: configuration.device ?? ""
        }
        executor = DispatchQueueSerialExecutor(label: "qazline.plc.\(endpoint)")
        var logger = logger
        logger[metadataKey: "plc.endpoint"] = "\(endpoint)"
        self.logger = logger
        blockWords = codec.readPlan.map { [UInt16](repeating: 0, count: $0.count) }
        bitBuffer = [UInt8](repeating: 0, count: codec.readPlan.map(\.count).max() ?? 1)
    }

    /// Whether a connection is open.
    public var isConnected: Bool { context != nil }

    /// Opens the connection (resolving the host first, so a bad name is reported as such).
    public func connect() throws(PLCError) {
        guard context == nil else { return }
        let c = configuration
        let created: OpaquePointer?
        let connectKey: String
        switch c.transport {
        case .tcp:
            guard let host = c.host, !host.isEmpty else { throw .invalidSetting(key: "host", message: "a tcp PLC needs a host") }
            try Self.resolve(host: host, port: c.effectivePort)
            created = modbus_new_tcp_pi(host, String(c.effectivePort))
            connectKey = "host/port"
        case .rtu:
            guard let device = c.device, !device.isEmpty else {
                throw .invalidSetting(key: "device", message: "an rtu PLC needs a serial device")
            }
            let parity: CChar = switch c.effectiveParity {
            case .none: CChar(UInt8(ascii: "N"))
            case .even: CChar(UInt8(ascii: "E"))
            case .odd: CChar(UInt8(ascii: "O"))
            }
            created = modbus_new_rtu(device, Int32(c.effectiveBaud), parity, Int32(c.effectiveDataBits), Int32(c.effectiveStopBits))
            connectKey = "device"
        }
        guard let pointer = created else {
            let e = cmodbus_errno()
            throw .invalidSetting(key: connectKey, message: String(cString: modbus_strerror(e)))
        }
        let candidate = ModbusContext(pointer)
        guard modbus_set_slave(pointer, Int32(c.unitID)) == 0 else {
            throw .invalidSetting(key: "unitID", message: "\(c.unitID): \(String(cString: modbus_strerror(cmodbus_errno())))")
        }
        let (rs, ru) = Self.secondsAndMicroseconds(c.responseTimeout.duration)
        modbus_set_response_timeout(pointer, rs, ru)
        let (bs, bu) = Self.secondsAndMicroseconds(c.byteTimeout.duration)
        modbus_set_byte_timeout(pointer, bs, bu)
        if modbus_connect(pointer) == -1 {
            let e = cmodbus_errno()
            let key = c.transport == .rtu ? "device" : (e == ECONNREFUSED ? "port" : "host")
            throw .connectFailed(endpoint: endpoint, key: key, errno: e, message: String(cString: modbus_strerror(e)))
        }
        context = candidate
        logger.info("PLC connected")
    }

    /// Closes the connection.
    public func disconnect() {
        if context != nil { logger.info("PLC disconnected") }
        context = nil
    }

    /// Reads every input block; on a Modbus exception for a block of several signals, reads them one by one to
    /// name the signal whose address the PLC refuses.
    public func readInputs() throws(PLCError) -> PLCInputs {
        guard let context else { throw .notConnected(endpoint: endpoint) }
        for (index, block) in codec.readPlan.enumerated() {
            do {
                try read(context, table: block.table, address: block.address, count: block.count, keys: block.keys, into: index)
            } catch {
                var failure = error
                // Illegal data address (2) in a read of several signals: find the signal whose address it is.
                if case .exception(_, 2, _, _) = error, block.members.count > 1 {
                    for member in block.members {
                        do {
                            try read(context, table: block.table, address: member.register.address,
                                     count: member.register.width, keys: [member.key], into: index)
                        } catch {
                            failure = error
                            break
                        }
                    }
                }
                if failure.needsReconnect { self.context = nil }
                throw failure
            }
        }
        return codec.decodeInputs(blockWords)
    }

    /// Reads the current value of every output signal (the agent's own registers), e.g. to check at start-up that
    /// the PLC has every configured address. Values are raw.
    public func readOutputs() throws(PLCError) -> [PLCOutput: UInt32] {
        guard let context else { throw .notConnected(endpoint: endpoint) }
        var result: [PLCOutput: UInt32] = [:]
        for output in PLCOutput.allCases {
            let r = RegisterMapCodec.register(codec.map, output)
            var words = [UInt16](repeating: 0, count: r.width)
            do {
                try readRaw(context, table: r.table, address: r.address, count: r.width, keys: [output.rawValue], into: &words)
            } catch {
                if error.needsReconnect { self.context = nil }
                throw error
            }
            result[output] = RegisterCodec.decode(words, bits: r.table.isBit ? 16 : r.bits, wordOrder: r.wordOrder)
        }
        return result
    }

    /// Writes output signals in order, merging consecutive addresses into one request.
    public func write(_ values: [(PLCOutput, Int64)]) throws(PLCError) {
        guard let context else { throw .notConnected(endpoint: endpoint) }
        let blocks = try codec.writeBlocks(values)
        for block in blocks {
            let rc: Int32
            switch block.table {
            case .holding:
                rc = block.words.count == 1
                    ? modbus_write_register(context.pointer, Int32(block.address), block.words[0])
                    : block.words.withUnsafeBufferPointer {
                        modbus_write_registers(context.pointer, Int32(block.address), Int32($0.count), $0.baseAddress)
                    }
            case .coil:
                if block.words.count == 1 {
                    rc = modbus_write_bit(context.pointer, Int32(block.address), Int32(block.words[0]))
                } else {
                    let bits = block.words.map { UInt8($0 != 0 ? 1 : 0) }
                    rc = bits.withUnsafeBufferPointer {
                        modbus_write_bits(context.pointer, Int32(block.address), Int32($0.count), $0.baseAddress)
                    }
                }
            case .input, .discrete:
                throw .invalidSetting(key: block.keys.joined(separator: ", "), message: "\(block.table.rawValue) is read-only")
            }
            if rc == -1 {
                let error = modbusFailure(request(.write, block.table, block.address, block.words.count, block.keys), errno: cmodbus_errno())
                if error.needsReconnect { self.context = nil }
                throw error
            }
        }
    }

    // MARK: - Internals

    private func request(_ operation: PLCRequest.Operation, _ table: RegisterTable, _ address: Int, _ count: Int,
                         _ keys: [String]) -> PLCRequest {
        PLCRequest(operation: operation, table: table, address: address, count: count, keys: keys,
                   unitID: configuration.unitID, endpoint: endpoint)
    }

    private func read(_ context: ModbusContext, table: RegisterTable, address: Int, count: Int, keys: [String],
                      into index: Int) throws(PLCError) {
        var words = blockWords[index]
        blockWords[index] = []  // keep the buffer uniquely referenced: no copy on write
        defer { blockWords[index] = words }
        try readRaw(context, table: table, address: address, count: count, keys: keys, into: &words)
    }

    private func readRaw(_ context: ModbusContext, table: RegisterTable, address: Int, count: Int, keys: [String],
                         into words: inout [UInt16]) throws(PLCError) {
        let ctx = context.pointer
        let rc: Int32
        switch table {
        case .holding:
            rc = words.withUnsafeMutableBufferPointer { modbus_read_registers(ctx, Int32(address), Int32(count), $0.baseAddress) }
        case .input:
            rc = words.withUnsafeMutableBufferPointer { modbus_read_input_registers(ctx, Int32(address), Int32(count), $0.baseAddress) }
        case .coil, .discrete:
            if bitBuffer.count < count { bitBuffer = [UInt8](repeating: 0, count: count) }
            rc = bitBuffer.withUnsafeMutableBufferPointer {
                table == .coil ? modbus_read_bits(ctx, Int32(address), Int32(count), $0.baseAddress)
                    : modbus_read_input_bits(ctx, Int32(address), Int32(count), $0.baseAddress)
            }
            if rc == Int32(count) { for i in 0..<count { words[i] = UInt16(bitBuffer[i]) } }
        }
        if rc == -1 { throw modbusFailure(request(.read, table, address, count, keys), errno: cmodbus_errno()) }
        if rc != Int32(count) {
            throw .badResponse(request(.read, table, address, count, keys), errno: 0,
                               message: "expected \(count) values, got \(rc)")
        }
    }

    static func secondsAndMicroseconds(_ duration: Duration) -> (UInt32, UInt32) {
        let (seconds, attoseconds) = duration.components
        return (UInt32(clamping: seconds), UInt32(clamping: attoseconds / 1_000_000_000_000))
    }

    /// Resolves the host name, so a name that does not resolve is reported as such (libmodbus says "Connection refused").
    static func resolve(host: String, port: Int) throws(PLCError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        if let result { freeaddrinfo(result) }
        guard rc == 0 else {
            throw .connectFailed(endpoint: "\(host):\(port)", key: "host", errno: rc,
                                 message: "cannot resolve host \"\(host)\": \(String(cString: gai_strerror(rc)))")
        }
    }
}
