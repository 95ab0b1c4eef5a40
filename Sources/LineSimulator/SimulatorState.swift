import CModbus
import LineConfig
import LineCore

#if canImport(Glibc)
import Glibc
#endif

/// Everything the simulator knows, guarded by the simulator's mutex. The libmodbus context and mapping live here
/// and are touched only with the lock held.
struct SimulatorState {
    let configuration: SimulatorConfiguration
    var port: Int
    var context: OpaquePointer?
    var mapping: UnsafeMutablePointer<modbus_mapping_t>?
    var listenFD: Int32 = -1
    var clients: [Int32] = []
    var started = false
    var stopping = false

    // The line
    var running = false
    var fault = false
    var finished = false
    var counter: UInt64
    var nextBottleAt = ContinuousClock.now
    var resumeAt: ContinuousClock.Instant?
    var recipeIndex = 0
    var recipe: Int
    var heartbeat: UInt64 = 0
    var nextHeartbeatAt = ContinuousClock.now
    var heartbeatFrozen = false
    var confirmCounter: UInt64 = 0
    var failSafeTripCount: UInt64 = 0
    var stationWorks: Bool
    var acknowledgeCommands: Bool
    var bottlesSinceStart = 0
    var triggerInstants: [UInt64: ContinuousClock.Instant] = [:]

    // The agent's side
    var expectationsGiven = false
    var expected: Set<UInt64> = []
    var commanded: Set<UInt64> = []
    var pending: [UInt64: Int] = [:]
    var lastCommand: UInt32 = 0
    var lineStopCoil = false
    var agentHeartbeat: UInt32?
    var agentHeartbeatChangedAt: ContinuousClock.Instant?
    /// When `agentHeartbeat` last changed (not reset by a new connection): what the watchdog checks.
    var watchdogFedAt: ContinuousClock.Instant?
    var report = SimulatorReport()
    var serverCPU: Duration = .zero

    init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        port = configuration.port
        counter = configuration.counterStart
        recipe = configuration.recipes.first ?? 1
        stationWorks = configuration.stationWorks
        acknowledgeCommands = configuration.acknowledgeCommands
    }

    // MARK: - Registers

    static func mask(_ bits: Int) -> UInt32 { bits >= 32 ? .max : (UInt32(1) << UInt32(bits)) - 1 }

    /// Writes a raw value into the register image, in the register's width and word order.
    func put(_ r: RegisterConfiguration, raw value: UInt64) {
        guard let m = mapping else { return }
        let raw = UInt32(truncatingIfNeeded: value) & Self.mask(r.bits)
        switch r.table {
        case .coil: m.pointee.tab_bits[r.address] = raw != 0 ? 1 : 0
        case .discrete: m.pointee.tab_input_bits[r.address] = raw != 0 ? 1 : 0
        case .holding, .input:
            let table = r.table == .holding ? m.pointee.tab_registers! : m.pointee.tab_input_registers!
            if r.bits == 32 {
                let high = UInt16(truncatingIfNeeded: raw >> 16), low = UInt16(truncatingIfNeeded: raw)
                table[r.address] = r.wordOrder == .ABCD ? high : low
                table[r.address + 1] = r.wordOrder == .ABCD ? low : high
            } else {
                table[r.address] = UInt16(truncatingIfNeeded: raw)
            }
        }
    }

    /// Writes an engineering value (divided by the register's scale).
    func put(_ r: RegisterConfiguration, value: Int) {
        put(r, raw: UInt64(max(0, (Double(value) / r.scale).rounded())))
    }

    /// Reads a raw value from the register image.
    func get(_ r: RegisterConfiguration) -> UInt32 {
        guard let m = mapping else { return 0 }
        switch r.table {
        case .coil: return UInt32(m.pointee.tab_bits[r.address])
        case .discrete: return UInt32(m.pointee.tab_input_bits[r.address])
        case .holding, .input:
            let table = r.table == .holding ? m.pointee.tab_registers! : m.pointee.tab_input_registers!
            guard r.bits == 32 else { return UInt32(table[r.address]) }
            let first = UInt32(table[r.address]), second = UInt32(table[r.address + 1])
            return r.wordOrder == .ABCD ? first << 16 | second : second << 16 | first
        }
    }

    // MARK: - Server

    mutating func listen() throws(LineSimulatorError) {
        if let device = configuration.serialDevice {
            try openSerial(device)
            return
        }
        if context == nil {
            guard let created = modbus_new_tcp("127.0.0.1", Int32(port)) else {
                let e = cmodbus_errno()
                throw .listenFailed(port: port, errno: e, message: String(cString: modbus_strerror(e)))
            }
            context = created
        }
        try makeMapping()
        guard listenFD < 0 else { return }
        let fd = modbus_tcp_listen(context, 16)
        guard fd >= 0 else {
            let e = cmodbus_errno()
            throw .listenFailed(port: port, errno: e, message: String(cString: modbus_strerror(e)))
        }
        listenFD = fd
        if port == 0 {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
            // Listen again on the same port after a suspension: a context that knows the real port.
            modbus_free(context)
            context = modbus_new_tcp("127.0.0.1", Int32(port))
        }
    }

    private mutating func makeMapping() throws(LineSimulatorError) {
        if mapping == nil {
            var size: [RegisterTable: Int] = [:]
            for signal in configuration.registers.signals {
                size[signal.register.table] = max(size[signal.register.table] ?? 0, signal.register.addresses.upperBound + 1)
            }
            mapping = modbus_mapping_new(Int32(size[.coil] ?? 0), Int32(size[.discrete] ?? 0), Int32(size[.holding] ?? 0),
                                         Int32(size[.input] ?? 0))
            guard mapping != nil else {
                throw .listenFailed(port: port, errno: ENOMEM, message: "cannot allocate the register image")
            }
        }
    }

    /// RTU: the serial device is the one "client"; there is nothing to accept.
    private mutating func openSerial(_ device: String) throws(LineSimulatorError) {
        try makeMapping()
        guard clients.isEmpty else { return }
        if context == nil {
            guard let created = modbus_new_rtu(device, 19_200, CChar(UInt8(ascii: "E")), 8, 1) else {
                let e = cmodbus_errno()
                throw .listenFailed(port: 0, errno: e, message: "\(device): \(String(cString: modbus_strerror(e)))")
            }
            modbus_set_slave(created, Int32(configuration.unitID))
            context = created
        }
        guard modbus_connect(context) == 0 else {
            let e = cmodbus_errno()
            throw .listenFailed(port: 0, errno: e, message: "\(device): \(String(cString: modbus_strerror(e)))")
        }
        clients = [modbus_get_socket(context)]
        report.connections += 1
    }

    var isSerial: Bool { configuration.serialDevice != nil }

    mutating func accept() {
        guard let context, listenFD >= 0 else { return }
        var listening = listenFD
        let fd = modbus_tcp_accept(context, &listening)
        guard fd >= 0 else { return }
        clients.append(fd)
        report.connections += 1
        agentHeartbeatChangedAt = nil
    }

    mutating func closeClient(_ fd: Int32) {
        if isSerial {
            // A bad frame on the line (noise, another unit's CRC): drop what is buffered and keep serving.
            if let context { modbus_flush(context) }
            return
        }
        guard let index = clients.firstIndex(of: fd) else { return }
        clients.remove(at: index)
        close(fd)
    }

    /// Closes every client connection but keeps listening (a PLC dropping its connections).
    mutating func dropClients() {
        guard !isSerial else { return }
        for fd in clients { close(fd) }
        clients = []
    }

    mutating func suspend() {
        if isSerial {
            if let context, !clients.isEmpty { modbus_close(context) }
            clients = []
            return
        }
        for fd in clients { close(fd) }
        clients = []
        if listenFD >= 0 { close(listenFD) }
        listenFD = -1
    }

    mutating func release() {
        suspend()
        if let mapping { modbus_mapping_free(mapping) }
        mapping = nil
        if let context { modbus_free(context) }
        context = nil
    }

    mutating func updateCPU() {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        serverCPU = .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
    }

    /// How long the server loop may wait: until the next bottle, heartbeat or scripted resume, at most 2 ms.
    func waitMicros(at now: ContinuousClock.Instant) -> Int {
        var next = nextHeartbeatAt
        if running, !configuration.externallyTriggered { next = min(next, nextBottleAt) }
        if let resumeAt { next = min(next, resumeAt) }
        let (seconds, attoseconds) = (next - now).components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return Int(min(max(micros, 0), 2_000))
    }

    // MARK: - Requests

    mutating func handle(query: [UInt8], length: Int, fd: Int32, at now: ContinuousClock.Instant) {
        guard let context, let mapping else { return }
        tick(at: now)
        let header = Int(modbus_get_header_length(context))
        guard length > header else { return }
        report.requests += 1
        if Int(query[header - 1]) != configuration.unitID {
            report.wrongUnitRequests += 1
            if isSerial { return }  // an RTU slave stays silent for another unit's frame
            _ = query.withUnsafeBufferPointer { modbus_reply_exception(context, $0.baseAddress, 11) }  // gateway target failed
            return
        }
        _ = query.withUnsafeBufferPointer { modbus_reply(context, $0.baseAddress, Int32(length), mapping) }
        let function = query[header]
        if [5, 6, 15, 16, 22, 23].contains(function) { afterWrite(at: now) }
    }

    private mutating func afterWrite(at now: ContinuousClock.Instant) {
        let r = configuration.registers
        let command = get(r.rejectCommand)
        if command != lastCommand {
            let skipped = Int((command &- lastCommand) & Self.mask(r.rejectCommand.bits)) - 1
            report.skippedCommands += max(0, skipped)
            lastCommand = command
            receiveRejectCommand(command, at: now)
            if acknowledgeCommands { put(r.rejectAck, raw: UInt64(command)) }
        }
        let heartbeatValue = get(r.agentHeartbeat)
        if heartbeatValue != agentHeartbeat {
            if let changed = agentHeartbeatChangedAt {
                let gap = now - changed
                report.maxAgentHeartbeatGap = max(report.maxAgentHeartbeatGap ?? .zero, gap)
            }
            agentHeartbeat = heartbeatValue
            agentHeartbeatChangedAt = now
            watchdogFedAt = now
        }
        let stop = get(r.lineStopRequest) != 0
        if stop, !lineStopCoil {
            report.lineStopRequests += 1
            setRunning(false, at: now)
            resumeAt = nil
        }
        lineStopCoil = stop
    }

    private mutating func receiveRejectCommand(_ command: UInt32, at now: ContinuousClock.Instant) {
        let r = configuration.registers
        let modulus = UInt64(Self.mask(r.rejectSequence.bits)) + 1
        let raw = UInt64(get(r.rejectSequence))
        // The wide sequence congruent to raw nearest to the camera counter.
        let base = counter - counter % modulus
        let candidates = [base &+ raw, base &+ raw &+ modulus] + (base >= modulus ? [base - modulus + raw] : [])
        let sequence = candidates.min { a, b in
            (a > counter ? a - counter : counter - a) < (b > counter ? b - counter : counter - b)
        } ?? raw
        let reason = Int((Double(get(r.rejectReason)) * r.rejectReason.scale).rounded())
        let spare = Int64(sequence) + Int64(configuration.stationOffset) - Int64(counter)
        report.rejectCommands.append(.init(sequence: sequence, reason: reason, command: command, counterAtArrival: counter,
                                           bottlesToSpare: spare, receivedAt: now))
        commanded.insert(sequence)
        if !configuration.reasonCodes.contains(reason) { report.withoutReason.append(sequence) }
        if expectationsGiven, !expected.contains(sequence) { report.unexpected.append(sequence) }
        if spare <= 0 {
            report.tooLate.append(sequence)
        } else {
            pending[sequence] = reason
        }
    }

    // MARK: - The line

    mutating func startLine(at now: ContinuousClock.Instant) {
        let r = configuration.registers
        put(r.bottleCounter, raw: counter)
        put(r.recipe, value: recipe)
        put(r.plcHeartbeat, raw: heartbeat)
        nextHeartbeatAt = now + configuration.heartbeatPeriod
        setRunning(configuration.startRunning, at: now)
    }

    mutating func setRunning(_ run: Bool, at now: ContinuousClock.Instant) {
        if run, finished { return }
        if run, !running { nextBottleAt = now + configuration.bottlePeriod }
        running = run
        let values = configuration.registers.lineStateValues
        put(configuration.registers.lineState, value: fault ? values.fault : run ? values.running : values.stopped)
    }

    mutating func clearLineStopRequest() {
        put(configuration.registers.lineStopRequest, raw: 0)
        lineStopCoil = false
    }

    mutating func setRecipe(_ newRecipe: Int) {
        recipe = newRecipe
        put(configuration.registers.recipe, value: newRecipe)
    }

    mutating func setCounter(_ value: UInt64) {
        counter = value
        put(configuration.registers.bottleCounter, raw: value)
    }

    mutating func tick(at now: ContinuousClock.Instant) {
        guard started else { return }
        if let resume = resumeAt, now >= resume {
            resumeAt = nil
            fault = false
            setRunning(true, at: resume)
        }
        if let watchdog = configuration.agentWatchdog, running, watchdogFedAt.map({ now - $0 > watchdog }) ?? false {
            tripWatchdog(at: now)
        }
        while running, !configuration.externallyTriggered, now >= nextBottleAt {
            let jitter = configuration.periodJitter > 0
                ? Double.random(in: -configuration.periodJitter...configuration.periodJitter) : 0
            nextBottleAt += configuration.bottlePeriod * (1 + jitter)
            bottle(at: now)
        }
        while now >= nextHeartbeatAt {
            nextHeartbeatAt += configuration.heartbeatPeriod
            if !heartbeatFrozen {
                heartbeat &+= 1
                put(configuration.registers.plcHeartbeat, raw: heartbeat)
            }
        }
    }

    /// The vision watchdog fired: stop in fault, and reject fail-safe every bottle upstream of the station that has no
    /// reject command and was triggered within the verdict window before the agent's last heartbeat, or after it.
    private mutating func tripWatchdog(at now: ContinuousClock.Instant) {
        report.watchdogTrips += 1
        fault = true
        resumeAt = nil
        setRunning(false, at: now)
        let offset = UInt64(configuration.stationOffset)
        let first = counter >= offset ? counter - offset + 1 : 1
        guard first <= counter else { return }
        let decidedBefore = watchdogFedAt.map { $0 - configuration.agentVerdictWindow }
        var tripped: [UInt64] = []
        for sequence in first...counter where pending[sequence] == nil && !commanded.contains(sequence) {
            if let decidedBefore, let trigger = triggerInstants[sequence], trigger < decidedBefore { continue }
            pending[sequence] = Self.failSafeReason
            report.failSafe.append(sequence)
            tripped.append(sequence)
        }
        // The fail-safe report, when the register map has it: trips, first and last item of this trip.
        let r = configuration.registers
        if let trips = r.failSafeTrips, let firstRegister = r.failSafeFirst, let lastRegister = r.failSafeLast,
           let low = tripped.first, let high = tripped.last {
            failSafeTripCount += 1
            put(firstRegister, raw: low)
            put(lastRegister, raw: high)
            put(trips, raw: failSafeTripCount)
        }
    }

    /// The reason recorded for a watchdog's fail-safe reject (no decision kind has it).
    static let failSafeReason = -1

    mutating func bottle(at now: ContinuousClock.Instant) {
        counter += 1
        put(configuration.registers.bottleCounter, raw: counter)
        triggerInstants[counter] = now
        configuration.onTrigger?(counter, now)
        if counter >= 100_000 { triggerInstants[counter - 100_000] = nil }
        report.bottles += 1
        if report.firstSequence == nil { report.firstSequence = counter }
        report.lastSequence = counter

        let offset = UInt64(configuration.stationOffset)
        if counter >= offset {
            let atStation = counter - offset
            if pending.removeValue(forKey: atStation) != nil {
                if stationWorks {
                    report.rejected.append(atStation)
                    confirmCounter += 1
                    put(configuration.registers.rejectConfirmCounter, raw: confirmCounter)
                }
            } else if expectationsGiven, expected.contains(atStation), !commanded.contains(atStation) {
                report.neverCommanded.append(atStation)
            }
        }

        bottlesSinceStart += 1
        let n = bottlesSinceStart
        if let every = configuration.recipeChangeEvery, every > 0, n % every == 0, !configuration.recipes.isEmpty {
            recipeIndex = (recipeIndex + 1) % configuration.recipes.count
            setRecipe(configuration.recipes[recipeIndex])
            report.recipeChanges += 1
        }
        if let every = configuration.stopEvery, every > 0, n % every == 0 {
            setRunning(false, at: now)
            resumeAt = now + configuration.stopDuration
            report.stops += 1
        } else if let every = configuration.faultEvery, every > 0, n % every == 0 {
            fault = true
            setRunning(false, at: now)
            resumeAt = now + configuration.faultDuration
            report.faults += 1
        }
        if let limit = configuration.bottleLimit, n >= limit {
            resumeAt = nil
            setRunning(false, at: now)
            finished = true
        }
    }

    func makeReport() -> SimulatorReport {
        var result = report
        result.expectationsGiven = expectationsGiven
        return result
    }
}
