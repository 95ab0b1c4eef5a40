import CModbus
import Dispatch
import Foundation
import LineConfig
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Errors starting the simulator.
public enum LineSimulatorError: Error, Sendable, CustomStringConvertible {
    /// libmodbus could not create a context, or listen on the port.
    case listenFailed(port: Int, errno: Int32, message: String)
    /// The simulator was already started.
    case alreadyStarted

    public var description: String {
        switch self {
        case .listenFailed(let port, let e, let message): "linesim cannot listen on 127.0.0.1:\(port): \(message) (errno \(e))"
        case .alreadyStarted: "linesim is already running"
        }
    }
}

/// A simulated filling-line PLC: a Modbus TCP server (libmodbus server mode) on 127.0.0.1 that runs a line at a
/// configured speed, with recipe changes, stops, faults, a PLC heartbeat and a reject station `stationOffset`
/// bottles downstream of the camera. It serves the same register map as the agent's configuration, accepts any
/// number of client connections over time (an agent that reconnects), and records every reject command.
///
/// In-process use (tests, `lineagent demo`): ``start()``, control the line, tell it which bottles should be
/// rejected (``expectRejects(_:)``), then ``stop()`` for the ``SimulatorReport``. The server runs on its own thread;
/// every method is thread-safe.
public final class LineSimulator: Sendable {
    /// The configuration.
    public let configuration: SimulatorConfiguration
    private let state: Mutex<SimulatorState>
    private let serverDone = DispatchSemaphore(value: 0)

    /// Creates a simulator; nothing listens until ``start()``.
    /// - Parameter configuration: the line to simulate.
    public init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        state = Mutex(SimulatorState(configuration: configuration))
    }

    deinit {
        state.withLock { $0.release() }
    }

    /// The port it listens on (after ``start()``; with port 0 configured, the one the system chose).
    public var port: Int { state.withLock { $0.port } }

    /// Starts listening on 127.0.0.1 and running the line.
    /// - Returns: the port.
    @discardableResult
    public func start() throws(LineSimulatorError) -> Int {
        let port = try state.withLock { (s: inout SimulatorState) throws(LineSimulatorError) -> Int in
            guard !s.started else { throw .alreadyStarted }
            try s.listen()
            s.started = true
            s.startLine(at: .now)
            return s.port
        }
        let thread = Thread { [self] in serve() }
        thread.name = "linesim"
        thread.start()
        return port
    }

    /// Stops the line and the server, closes every connection, and returns the final report.
    /// Blocks for at most a few milliseconds (the server loop's wake-up interval).
    @discardableResult
    public func stop() -> SimulatorReport {
        let wasRunning = state.withLock { s -> Bool in
            let running = s.started && !s.stopping
            s.stopping = true
            return running
        }
        if wasRunning { serverDone.wait() }
        return report()
    }

    /// The report so far (bottles expected to be rejected that are still upstream of the station are not counted).
    public func report() -> SimulatorReport { state.withLock { $0.makeReport() } }

    // MARK: - Controlling the line

    /// Starts or stops the line (a stop as an operator would make it; starting also clears `lineStopRequest`).
    public func setRunning(_ running: Bool) {
        state.withLock { s in
            s.fault = false
            s.setRunning(running, at: .now)
            if running { s.clearLineStopRequest() }
        }
    }

    /// Puts the line in fault (stopped) or clears the fault (running again).
    public func setFault(_ fault: Bool) {
        state.withLock { s in
            s.fault = fault
            s.setRunning(!fault, at: .now)
        }
    }

    /// One item passes the photo-eye now (a case station's case trigger: ``SimulatorConfiguration/externallyTriggered``).
    /// - Returns: its sequence, or nil when the line is not running (stopped, in fault, or finished).
    @discardableResult
    public func pulse() -> UInt64? {
        state.withLock { s -> UInt64? in
            guard s.started, s.running else { return nil }
            s.bottle(at: .now)
            return s.counter
        }
    }

    /// Selects a recipe.
    public func setRecipe(_ recipe: Int) { state.withLock { $0.setRecipe(recipe) } }

    /// Sets the bottle counter (wide value; the register shows it modulo its width), as a PLC reset or a jump would.
    public func setCounter(_ value: UInt64) { state.withLock { $0.setCounter(value) } }

    /// Freezes the PLC heartbeat (simulating a stopped PLC program) or lets it run again.
    public func freezeHeartbeat(_ frozen: Bool) { state.withLock { $0.heartbeatFrozen = frozen } }

    /// Makes the station push off commanded bottles (true) or jam (false: rejects are not confirmed).
    public func setStationWorks(_ works: Bool) { state.withLock { $0.stationWorks = works } }

    /// Makes the PLC echo reject commands in `rejectAck` (true) or ignore them (false: the agent must alarm).
    public func setAcknowledgesCommands(_ acknowledges: Bool) { state.withLock { $0.acknowledgeCommands = acknowledges } }

    /// Closes every client connection but keeps listening: the agent must reconnect at once.
    public func dropClients() { state.withLock { $0.dropClients() } }

    /// Tells the simulator which bottles the agent is expected to reject (added to those given before).
    /// - Parameter sequences: wide bottle sequence numbers.
    public func expectRejects(_ sequences: some Sequence<UInt64>) {
        state.withLock { s in
            s.expectationsGiven = true
            s.expected.formUnion(sequences)
        }
    }

    /// Closes the listening socket and every connection, as if the PLC went off the network; the line keeps running.
    public func suspendServer() { state.withLock { $0.suspend() } }

    /// Listens again on the same port.
    public func resumeServer() throws(LineSimulatorError) {
        try state.withLock { (s: inout SimulatorState) throws(LineSimulatorError) in try s.listen() }
    }

    /// The wide sequence number of the last bottle.
    public var counter: UInt64 { state.withLock { $0.counter } }

    /// Whether the line runs.
    public var isRunning: Bool { state.withLock { $0.running } }

    /// Whether a `bottleLimit` was reached.
    public var isFinished: Bool { state.withLock { $0.finished } }

    /// When the counter register changed to this bottle's value in the server (for latency measurements).
    public func triggerInstant(of sequence: UInt64) -> ContinuousClock.Instant? { state.withLock { $0.triggerInstants[sequence] } }

    /// CPU time used by the server thread so far.
    public var serverCPUTime: Duration { state.withLock { $0.serverCPU } }

    // MARK: - The server thread

    private func serve() {
        var query = [UInt8](repeating: 0, count: 260)  // MODBUS_TCP_MAX_ADU_LENGTH
        var fds: [Int32] = []
        var ready: [UInt8] = []
        while true {
            let (listenFD, clients, timeoutMicros, stopping) = state.withLock { s in
                s.tick(at: .now)
                return (s.listenFD, s.clients, s.waitMicros(at: .now), s.stopping)
            }
            if stopping { break }
            fds = [listenFD] + clients
            ready = [UInt8](repeating: 0, count: fds.count)
            let rc = fds.withUnsafeBufferPointer { f in
                ready.withUnsafeMutableBufferPointer { r in
                    cmodbus_wait_readable(f.baseAddress, Int32(f.count), r.baseAddress, timeoutMicros)
                }
            }
            if rc <= 0 { continue }
            if ready[0] != 0, listenFD >= 0 {
                state.withLock { $0.accept() }
            }
            for (index, fd) in fds.enumerated().dropFirst() where ready[index] != 0 {
                let received: Int32 = state.withLock { s in
                    guard s.clients.contains(fd), let context = s.context else { return -2 }
                    modbus_set_socket(context, fd)
                    return query.withUnsafeMutableBufferPointer { modbus_receive(context, $0.baseAddress) }
                }
                if received > 0 {
                    state.withLock { $0.handle(query: query, length: Int(received), fd: fd, at: .now) }
                } else if received == -1 {
                    state.withLock { $0.closeClient(fd) }
                }
            }
            state.withLock { $0.updateCPU() }
        }
        state.withLock { s in
            s.updateCPU()
            s.suspend()
            s.started = false
        }
        serverDone.signal()
    }
}
