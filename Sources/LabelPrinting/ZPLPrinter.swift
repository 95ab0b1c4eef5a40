import LineCore
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZPL II label printer on raw TCP (port 9100): Zebra and the many printers that speak ZPL.
///
/// Each label is one short connection, all within the station's time budget (``Configuration/timeout``, default
/// 500 ms, from connecting to the last status byte):
/// 1. connect;
/// 2. `~HS`, and check the answer: a printer that is not ready (head open, paper out, ribbon out, paused, …) is
///    not given the label, so it cannot print it later by itself;
/// 3. the label format and `~HS` again: the label is in the printer and the printer still reports itself ready
///    (paper may have run out on this label);
/// 4. close.
///
/// A connection per label keeps no state to go stale: a printer switched off and on between two cases is simply
/// connected to again, and nothing needs reconnecting. Connecting costs a TCP handshake (well under a millisecond on
/// the plant network). Calls are independent; the case station prints one label at a time.
///
/// All I/O runs on SwiftNIO event loops; nothing blocks a thread of the concurrency pool.
public struct ZPLPrinter: LabelPrinter {
    /// Where the printer is and how long it may take.
    public struct Configuration: Sendable, Hashable {
        /// Host name or IP address.
        public var host: String
        /// TCP port (9100, the raw port of industrial printers).
        public var port: Int
        /// The whole budget for one label: connect, both status checks and sending (default 500 ms).
        public var timeout: Duration
        /// The label stock and symbol.
        public var label: ZPL.Settings

        /// Creates a configuration.
        public init(host: String, port: Int = 9100, timeout: Duration = .milliseconds(500), label: ZPL.Settings = ZPL.Settings()) {
            self.host = host
            self.port = port
            self.timeout = timeout
            self.label = label
        }

        /// `host:port` (`[v6]:port` for an IPv6 address), as errors name the printer.
        public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Where the printer is, its budget and its labels.
    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger

    /// Creates a printer client; nothing is connected until the first label.
    /// - Parameters:
    ///   - configuration: host, port, time budget and label settings.
    ///   - logger: where each label and failure is logged (debug level).
    ///   - group: the event loops to use (the shared singleton by default).
    public init(configuration: Configuration, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.logger = logger
        self.group = group
    }

    /// Prints the label after checking that the printer is ready, and checks again after sending it.
    /// - Throws: ``PrinterError`` naming the printer and what kept the label from printing.
    public func print(_ label: UnitLabel) async throws(PrinterError) {
        try configuration.label.validate()
        guard label.code.isSSCC || (try? UnitCode(other: label.code.rawValue)) != nil else {
            throw .invalidCode(label.code.rawValue)
        }
        let zpl = ZPL(settings: configuration.label).render(label)
        do {
            _ = try await session(job: zpl)
            logger.debug("Label printed", metadata: ["printer.endpoint": "\(configuration.endpoint)", "label.code": "\(label.code)"])
        } catch {
            logger.debug("Label not printed", metadata: [
                "printer.endpoint": "\(configuration.endpoint)", "label.code": "\(label.code)", "error": "\(error)",
            ])
            throw error
        }
    }

    /// Asks the printer for its host status (`~HS`) without printing.
    /// - Throws: ``PrinterError`` when the printer cannot be reached or does not answer properly; a printer that is
    ///   not ready is not an error here (see ``PrinterStatus/problems(endpoint:)``).
    public func status() async throws(PrinterError) -> PrinterStatus {
        try await session(job: nil)
    }

    /// One connection: `~HS`, then (with a job) the job and `~HS` again. Returns the last status.
    private func session(job: String?) async throws(PrinterError) -> PrinterStatus {
        let endpoint = configuration.endpoint
        let budget = configuration.timeout
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: budget)
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(budget))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw .unreachable(endpoint: endpoint, message: Self.describe(connectError: error, budget: budget))
        }

        let outcome = await withTaskGroup(of: Outcome.self) { tasks in
            tasks.addTask { await Self.converse(channel, job: job, endpoint: endpoint) }
            tasks.addTask {
                try? await Task.sleep(until: deadline, clock: clock)
                return .timedOut
            }
            let first = await tasks.next() ?? .timedOut
            tasks.cancelAll()
            if case .timedOut = first { channel.channel.close(promise: nil) }
            return first
        }
        switch outcome {
        case let .status(status):
            if job != nil, let problem = status.problems(endpoint: endpoint).first { throw problem }
            return status
        case let .failed(error): throw error
        case .timedOut:
            if Task.isCancelled { throw .cancelled(endpoint: endpoint) }
            throw .noAnswer(endpoint: endpoint, after: budget)
        }
    }

    private enum Outcome: Sendable {
        case status(PrinterStatus)
        case failed(PrinterError)
        case timedOut
    }

    /// The conversation on an open connection, closed when it ends.
    private static func converse(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, job: String?, endpoint: String) async -> Outcome {
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                var leftover: [UInt8] = []
                try await send("~HS", outbound, endpoint)
                let before = try await readStatus(&responses, &leftover, endpoint)
                guard let job else { return .status(before) }
                if let problem = before.problems(endpoint: endpoint).first { return .failed(problem) }
                try await send(job + "~HS", outbound, endpoint)
                return .status(try await readStatus(&responses, &leftover, endpoint))
            }
        } catch let error as PrinterError {
            return .failed(error)
        } catch {
            return .failed(.connectionClosed(endpoint: endpoint))
        }
    }

    private static func send(_ text: String, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, _ endpoint: String) async throws {
        do { try await outbound.write(ByteBuffer(string: text)) } catch {
            throw PrinterError.sendFailed(endpoint: endpoint, message: describe(ioError: error))
        }
    }

    /// Reads one `~HS` answer; bytes after it stay in `leftover`.
    private static func readStatus(_ responses: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
                                   _ leftover: inout [UInt8], _ endpoint: String) async throws -> PrinterStatus {
        var reader = HostStatusReader()
        var pending = leftover
        leftover = []
        while true {
            if !pending.isEmpty {
                let (outcome, rest) = reader.append(pending)
                switch outcome {
                case .needMore: break
                case let .complete(status):
                    leftover = rest
                    return status
                case let .garbage(reason): throw PrinterError.badStatus(endpoint: endpoint, reason: reason)
                }
            }
            guard let buffer = try await responses.next() else {
                throw PrinterError.connectionClosed(endpoint: endpoint)
            }
            pending = Array(buffer.readableBytesView)
        }
    }

    static func describe(connectError error: any Error, budget: Duration) -> String {
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "no connection within \(budget.millisecondsText)"
        }
        if let error = error as? NIOConnectionError {
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "host name not resolved (\(dns))" }
            if let first = error.connectionErrors.first { return describe(ioError: first.error) }
        }
        return describe(ioError: error)
    }

    static func describe(ioError error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        switch error.errnoCode {
        case ECONNREFUSED: return "connection refused (printer off, or nothing listens on that port)"
        case EHOSTUNREACH, ENETUNREACH: return "no route to the printer (\(String(cString: strerror(error.errnoCode))))"
        default: return String(cString: strerror(error.errnoCode))
        }
    }
}
