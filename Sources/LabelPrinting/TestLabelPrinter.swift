import NIOCore
import NIOPosix
import Synchronization

/// A label printer on loopback that behaves like a Zebra on raw TCP: a real TCP server on 127.0.0.1 that records
/// every label format it receives (``jobs``) and answers `~HS` with a host status, for tests, the demo and the
/// simulator. Its behaviour can be switched while it runs (``setBehaviour(_:)``), e.g. to run out of paper between
/// two cases.
///
/// It reads the stream as a printer does: `~HS` is answered where it arrives (even inside a format), a format is
/// recorded when its `^XZ` arrives; anything else between formats is ignored.
public final class TestLabelPrinter: Sendable {
    /// How the printer behaves from now on.
    public indirect enum Behaviour: Sendable, Hashable {
        /// Takes labels and answers `~HS` with a ready status.
        case ready
        /// Switched off: not listening, so connections are refused (open connections are closed).
        case off
        /// Accepts connections and data but never answers.
        case silent
        /// Answers `~HS` with text that is not a host status.
        case garbage
        /// Closes the connection when asked for its status.
        case hangsUp
        /// Reports paper out (and, as a Zebra does, paused).
        case paperOut
        /// Reports the print head open (and paused).
        case headOpen
        /// Reports ribbon out (and paused).
        case ribbonOut
        /// Reports paused.
        case paused
        /// Ready, but answers each `~HS` only after this long.
        case slow(Duration)
        /// Answers `~HS` with this status.
        case reporting(PrinterStatus)
        /// Ready until the next label format arrives, then behaves as `then` — e.g. `.paperOut`: the paper ran out
        /// on that label.
        case afterNextLabel(then: Behaviour)
    }

    /// The TCP port it listens on (kept across ``Behaviour/off``).
    public let port: Int
    /// `127.0.0.1:<port>`.
    public var endpoint: String { "127.0.0.1:\(port)" }

    private let group: any EventLoopGroup
    private let shared: Shared

    private init(port: Int, group: any EventLoopGroup, shared: Shared) {
        self.port = port
        self.group = group
        self.shared = shared
    }

    /// Starts listening on 127.0.0.1.
    /// - Parameters:
    ///   - port: the port, 0 for a free one.
    ///   - behaviour: how it behaves from the start.
    ///   - group: the event loops to use (the shared singleton by default).
    public static func start(port: Int = 0, behaviour: Behaviour = .ready,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> TestLabelPrinter {
        let shared = Shared(behaviour: behaviour)
        let server = try await bind(port: port, group: group, shared: shared)
        guard let bound = server.localAddress?.port else {
            try? await server.close()
            throw ChannelError.unknownLocalAddress
        }
        let printer = TestLabelPrinter(port: bound, group: group, shared: shared)
        if behaviour == .off { try? await server.close() } else { shared.state.withLock { $0.server = server } }
        return printer
    }

    /// The behaviour in force.
    public var behaviour: Behaviour { shared.state.withLock { $0.behaviour } }

    /// Switches the behaviour: ``Behaviour/off`` stops listening and closes every connection; anything else after
    /// `off` listens again on the same port.
    public func setBehaviour(_ behaviour: Behaviour) async throws {
        let (closing, needsServer) = shared.state.withLock { state -> ([any Channel], Bool) in
            state.behaviour = behaviour
            guard !state.stopped else { return ([], false) }
            if behaviour == .off {
                let channels = [state.server].compactMap { $0 } + Array(state.connections.values)
                state.server = nil
                return (channels, false)
            }
            return ([], state.server == nil)
        }
        for channel in closing { try? await channel.close() }
        if needsServer {
            let server = try await Self.bind(port: port, group: group, shared: shared)
            shared.state.withLock { $0.server = server }
        }
    }

    /// Every label format received so far, oldest first.
    public var jobs: [ReceivedLabel] { shared.state.withLock { $0.jobs } }

    /// How many `~HS` requests arrived.
    public var statusRequests: Int { shared.state.withLock { $0.statusRequests } }

    /// How many connections were accepted.
    public var connectionsAccepted: Int { shared.state.withLock { $0.connectionsAccepted } }

    /// Forgets the jobs and counts received so far.
    public func reset() {
        shared.state.withLock {
            $0.jobs = []
            $0.statusRequests = 0
            $0.connectionsAccepted = 0
        }
    }

    /// Waits until at least `count` jobs have arrived, or `timeout` has passed; returns the jobs.
    public func waitForJobs(count: Int, timeout: Duration = .seconds(2)) async -> [ReceivedLabel] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let jobs = self.jobs
            if jobs.count >= count { return jobs }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return jobs
    }

    /// Stops listening and closes every connection, for good.
    public func stop() async {
        let channels = shared.state.withLock { state -> [any Channel] in
            state.stopped = true
            let channels = [state.server].compactMap { $0 } + Array(state.connections.values)
            state.server = nil
            return channels
        }
        for channel in channels { try? await channel.close() }
    }

    private static func bind(port: Int, group: any EventLoopGroup, shared: Shared) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PrinterConnection(shared: shared))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
    }

    /// What the server and its connections share.
    final class Shared: Sendable {
        struct State {
            var behaviour: Behaviour
            var jobs: [ReceivedLabel] = []
            var statusRequests = 0
            var connectionsAccepted = 0
            var server: (any Channel)?
            var connections: [Int: any Channel] = [:]
            var nextConnection = 0
            var stopped = false
        }

        let state: Mutex<State>

        init(behaviour: Behaviour) { state = Mutex(State(behaviour: behaviour)) }
    }

    /// One client connection: splits the stream into formats and `~HS` requests.
    final class PrinterConnection: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let shared: Shared
        private var pending: [UInt8] = []
        private let key: Int

        init(shared: Shared) {
            self.shared = shared
            key = shared.state.withLock { state in
                state.nextConnection += 1
                return state.nextConnection
            }
        }

        func channelActive(context: ChannelHandlerContext) {
            let channel = context.channel
            let refuse = shared.state.withLock { state -> Bool in
                if state.behaviour == .off || state.stopped { return true }
                state.connectionsAccepted += 1
                state.connections[key] = channel
                return false
            }
            if refuse { context.close(promise: nil) }
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            _ = shared.state.withLock { $0.connections.removeValue(forKey: key) }
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            pending.append(contentsOf: buffer.readableBytesView)
            while let item = ZPLStream.next(&pending) {
                switch item {
                case let .format(text):
                    let job = ReceivedLabel(zpl: text)
                    shared.state.withLock { state in
                        state.jobs.append(job)
                        if case let .afterNextLabel(then) = state.behaviour { state.behaviour = then }
                    }
                case .hostStatus:
                    answerStatus(context: context)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }

        private func answerStatus(context: ChannelHandlerContext) {
            let behaviour = shared.state.withLock { state -> Behaviour in
                state.statusRequests += 1
                return state.behaviour
            }
            let reply: String
            switch behaviour {
            case .ready, .afterNextLabel: reply = PrinterStatus.ready.hostStatusReply
            case .off, .hangsUp:
                context.close(promise: nil)
                return
            case .silent: return
            case .garbage: reply = "PRINTER READY\r\n"
            case .paperOut: reply = PrinterStatus(paperOut: true, paused: true).hostStatusReply
            case .headOpen: reply = PrinterStatus(paused: true, headUp: true).hostStatusReply
            case .ribbonOut: reply = PrinterStatus(paused: true, ribbonOut: true, thermalTransfer: true).hostStatusReply
            case .paused: reply = PrinterStatus(paused: true).hostStatusReply
            case let .reporting(status): reply = status.hostStatusReply
            case let .slow(delay):
                let channel = context.channel
                context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
                    channel.writeAndFlush(ByteBuffer(string: PrinterStatus.ready.hostStatusReply), promise: nil)
                }
                return
            }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
        }
    }
}

/// Splits what a printer receives into label formats (`^XA … ^XZ`) and `~HS` requests, in the order a printer acts
/// on them: a `~HS` when it arrives, a format when its `^XZ` arrives.
enum ZPLStream {
    enum Item: Equatable {
        case format(String)
        case hostStatus
    }

    private static let start = Array("^XA".utf8), end = Array("^XZ".utf8), status = Array("~HS".utf8)

    /// The next complete item at the front of `bytes`, removing what it consumed; nil when more bytes are needed.
    static func next(_ bytes: inout [UInt8]) -> Item? {
        let statusAt = find(status, in: bytes, from: 0)
        let startAt = find(start, in: bytes, from: 0)
        let endAt = startAt.flatMap { find(end, in: bytes, from: $0 + start.count) }
        if let statusAt, endAt.map({ statusAt < $0 }) ?? true {
            if let startAt, startAt < statusAt {
                bytes.removeSubrange(statusAt..<statusAt + status.count)  // inside a format being received
            } else {
                bytes.removeSubrange(0..<statusAt + status.count)
            }
            return .hostStatus
        }
        if let startAt, let endAt {
            let text = String(decoding: bytes[startAt..<endAt + end.count], as: UTF8.self)
            bytes.removeSubrange(0..<endAt + end.count)
            return .format(text)
        }
        if startAt == nil, bytes.count > 2 { bytes.removeSubrange(0..<bytes.count - 2) }  // nothing but noise so far
        if bytes.count > 1 << 20 { bytes.removeAll() }  // a runaway format
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        for index in from...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
        }
        return nil
    }
}
