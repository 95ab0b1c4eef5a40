import ConfigKit
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import NIOCore
import QazAPI
import ServiceLifecycle
import Synchronization

/// Wakes the live stream's subscribers when activations commit.
///
/// Ingest calls ``activationsCommitted()`` after its transaction commits. That only bumps a counter and sets a flag on
/// each subscriber (no I/O, no await, no per-subscriber queue): every subscriber reads the events from storage itself,
/// in pages after its own last event id. A slow or stalled consumer therefore only falls behind; it never holds memory,
/// locks or transactions of the ingest path, and it catches up from storage when it reads again.
public final class ActivationFeed: Sendable {
    private let state = Mutex(State())

    private struct State {
        var commits: UInt64 = 0
        var nextKey = 0
        var subscribers: [Int: ActivationSubscription] = [:]
    }

    public init() {}

    /// Tells the subscribers that activations committed (call after the transaction, only when something was activated).
    public func activationsCommitted() {
        state.withLock { state in
            state.commits &+= 1
            for subscriber in state.subscribers.values { subscriber.wake(.activations) }
        }
    }

    /// How many commits with activations this process has announced.
    public var commits: UInt64 { state.withLock { $0.commits } }

    /// How many streams are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// How many streams are writing to their client now (a client that stopped reading keeps its stream here).
    public var subscribersInWrite: Int { state.withLock { $0.subscribers.values.filter(\.isWriting).count } }

    func subscribe() -> ActivationSubscription {
        state.withLock { state in
            state.nextKey += 1
            let subscription = ActivationSubscription(key: state.nextKey)
            state.subscribers[subscription.key] = subscription
            return subscription
        }
    }

    func unsubscribe(_ subscription: ActivationSubscription) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: subscription.key) }
    }

    /// Runs `body` once at once, then after each commit with activations in this process (wake-ups that come while
    /// `body` runs are coalesced into one more call) and at least every `every` (which picks up activations committed
    /// by other server processes on a shared PostgreSQL), until the task is cancelled. For in-process readers such as
    /// the registrar console; like a stream, `body` reads what it needs from storage itself.
    public func watch(every: Duration, _ body: @Sendable () async -> Void) async {
        let subscription = subscribe()
        defer { unsubscribe(subscription) }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: every)
                        subscription.wake(.heartbeat)
                    }
                }
                var wake: ActivationSubscription.Wake = .activations
                while !wake.contains(.closed), !Task.isCancelled {
                    await body()
                    wake = await subscription.next()
                }
                group.cancelAll()
            }
        } onCancel: {
            subscription.wake(.closed)
        }
    }
}

/// One open stream's wake-up flags: set by ingest, the heartbeat and shutdown; taken by the stream's loop.
final class ActivationSubscription: Sendable {
    /// Why the stream's loop woke up.
    struct Wake: OptionSet, Sendable {
        let rawValue: UInt8
        /// Activations committed: read storage.
        static let activations = Wake(rawValue: 1)
        /// The heartbeat interval passed: send `: keep-alive` and re-read storage.
        static let heartbeat = Wake(rawValue: 2)
        /// Graceful shutdown or cancellation: end the stream.
        static let closed = Wake(rawValue: 4)
    }

    private struct State {
        var pending: Wake = []
        var waiter: CheckedContinuation<Wake, Never>?
        var closed = false
        var writing = false
    }

    let key: Int
    private let state = Mutex(State())

    init(key: Int) { self.key = key }

    /// Sets a flag and resumes the loop if it waits. Never blocks beyond the lock.
    func wake(_ reason: Wake) {
        let resume: (CheckedContinuation<Wake, Never>, Wake)? = state.withLock { state in
            state.pending.formUnion(reason)
            if reason.contains(.closed) { state.closed = true }
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            let pending = state.pending
            state.pending = []
            return (waiter, pending)
        }
        if let (waiter, pending) = resume { waiter.resume(returning: pending) }
    }

    /// Waits until a flag is set and takes every flag set so far.
    func next() async -> Wake {
        await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            let pending: Wake? = state.withLock { state in
                if state.pending.isEmpty {
                    state.waiter = continuation
                    return nil
                }
                let pending = state.pending
                state.pending = []
                return pending
            }
            if let pending { continuation.resume(returning: pending) }
        }
    }

    /// Marks the stream closed; true when the loop is inside a write (which a stalled client can hold forever, so the
    /// caller closes the connection to end it).
    func close() -> Bool {
        wake(.closed)
        return state.withLock { $0.writing }
    }

    /// Whether the stream was closed.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Whether the loop is inside a write.
    var isWriting: Bool { state.withLock { $0.writing } }

    /// Enters a write; false when the stream is closed (then the loop ends instead of writing).
    func beginWrite() -> Bool {
        state.withLock { state in
            if state.closed { return false }
            state.writing = true
            return true
        }
    }

    func endWrite() {
        state.withLock { $0.writing = false }
    }
}

extension RegistrarServer {
    /// `GET /v1/stream/activations`: accepted activations as Server-Sent Events, resumable and filterable by participant.
    ///
    /// Starts after `Last-Event-ID` (the header wins: a reconnecting `EventSource` keeps the URL's original `after`),
    /// else after `?after=`, else at the latest activation (only what is accepted from now on). The registrar and the
    /// revenue body stream everyone's activations (`?bin=` narrows them to one participant); a producer or importer
    /// only its own (another `bin` is 403 not_owner).
    func activationStream(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .revenueBody, .registrar], "read the activation stream")
        let query = request.uri.queryParameters
        var participant: TaxpayerID?
        if let text = query["bin"] {
            guard let bin = TaxpayerID(String(text)) else {
                throw RegistrarError.invalidField("bin", "expected an IIN/BIN of 12 digits with a valid check digit")
            }
            participant = bin
        }
        if identity.role.ownsCodes {
            if let participant, participant != identity.participant { throw RegistrarError.notOwner(["activations of \(participant)"]) }
            participant = identity.participant
        }
        let start: Int64
        if let text = request.headers[Self.lastEventID] {
            start = try Self.eventID(text, field: "Last-Event-ID")
        } else if let text = query["after"] {
            start = try Self.eventID(String(text), field: "after")
        } else {
            start = try await call(context.logger) { () async throws(StoreError) in try await store.latestActivationEventID() }
        }
        // A small fixed send buffer (instead of the kernel's autotuning up to 4 MiB): a client that stops reading then
        // stalls its stream after ~64 KiB instead of after thousands of events, so it costs neither kernel memory nor
        // the CPU of serving events nobody reads. Plenty for a reader: the loop refills it as the client reads.
        try? await context.channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: Self.streamSendBuffer).get()
        let stream = ActivationStreamWriter(store: store, feed: activationFeed, configuration: streamConfiguration,
                                            participant: participant, channel: context.channel, logger: context.logger)
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache",
            HTTPField.Name("X-Accel-Buffering")!: "no",  // nginx: do not buffer the stream
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream.run(writer: &writer, after: start)
        })
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// `SO_SNDBUF` of a stream's connection.
    static let streamSendBuffer: SocketOptionValue = 64 << 10

    static func eventID(_ text: String, field: String) throws(RegistrarError) -> Int64 {
        guard text.utf8.count <= 19, let value = Int64(text), value >= 0 else {
            throw .invalidField(field, "expected an event id: a non-negative integer")
        }
        return value
    }
}

/// Writes one subscriber's stream: pages of events read from storage after its own last event id, a heartbeat comment
/// every `heartbeat`, until the client goes away, the server shuts down gracefully or the task is cancelled.
struct ActivationStreamWriter: Sendable {
    let store: any RegistrarStore
    let feed: ActivationFeed
    let configuration: StreamConfiguration
    let participant: TaxpayerID?
    let channel: any Channel
    let logger: Logger

    func run(writer: inout any ResponseBodyWriter, after start: Int64) async throws {
        let subscription = feed.subscribe()
        defer { feed.unsubscribe(subscription) }
        let channel = channel
        // A write to a client that stopped reading can wait forever: on shutdown or cancellation, closing the
        // connection ends it (the write throws). Otherwise the loop sees the flag and ends the stream cleanly.
        let close: @Sendable () -> Void = { if subscription.close() { channel.close(promise: nil) } }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let heartbeat = configuration.heartbeat.duration
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeat)
                            subscription.wake(.heartbeat)
                        }
                    }
                    defer { group.cancelAll() }
                    try await loop(writer: &writer, subscription: subscription, after: start)
                }
            } onCancel: {
                close()
            }
        } onGracefulShutdown: {
            close()
        }
    }

    private func loop(writer: inout any ResponseBodyWriter, subscription: ActivationSubscription, after start: Int64) async throws {
        var last = start
        // The first pass reads storage once: whatever committed between choosing `start` and subscribing is sent too.
        var wake: ActivationSubscription.Wake = .activations
        while !wake.contains(.closed) {
            if wake.contains(.heartbeat) {
                guard try await write(ByteBuffer(string: ActivationStreamFormat.heartbeat + "\n\n"), to: &writer, subscription) else { break }
            }
            while !subscription.isClosed {
                let page = try await readPage(after: last)
                guard let newest = page.last else { break }
                var buffer = ByteBuffer()
                buffer.reserveCapacity(page.count * 320)
                for event in page { EventEncoding.append(event, to: &buffer) }
                guard try await write(buffer, to: &writer, subscription) else { break }
                last = newest.id
                if page.count < configuration.pageSize { break }
            }
            if subscription.isClosed { break }
            wake = await subscription.next()
        }
        try await writer.finish(nil)
    }

    /// Writes unless the stream is closed; false when it is.
    private func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter, _ subscription: ActivationSubscription) async throws -> Bool {
        guard subscription.beginWrite() else { return false }
        defer { subscription.endWrite() }
        try await writer.write(buffer)
        return true
    }

    private func readPage(after last: Int64) async throws(StoreError) -> [ActivationEvent] {
        do {
            return try await store.activations(after: last, participant: participant, limit: configuration.pageSize)
        } catch {
            logger.error("activation stream: storage failure", metadata: ["error.message": "\(error)", "stream.after": "\(last)"])
            throw error
        }
    }
}

/// Writes SSE `activation` events by hand: a stream replaying from storage encodes thousands of events per second, and
/// `JSONEncoder` costs several times more per event (the output is the same JSON object; the contract test validates the
/// stream's real events against the OpenAPI schema and the stream tests decode them with `JSONDecoder`).
enum EventEncoding {
    static func append(_ event: ActivationEvent, to buffer: inout ByteBuffer) {
        buffer.writeString("id: \(event.id)\nevent: \(ActivationStreamFormat.eventName)\ndata: {\"id\":\(event.id),\"code\":")
        string(event.code, to: &buffer)
        buffer.writeString(",\"participant\":\"\(event.participant.rawValue)\",\"lineId\":")
        string(event.lineId, to: &buffer)
        buffer.writeString(",\"equipmentId\":")
        string(event.equipmentId, to: &buffer)
        if let product = event.productCode {
            buffer.writeString(",\"productCode\":")
            string(product, to: &buffer)
        }
        buffer.writeString(",\"activatedAt\":\"\(event.activatedAt.description)\",\"batchId\":\"\(event.batchId.uuidString)\"}\n\n")
    }

    /// A JSON string: quotes, backslashes and control characters escaped (the rest of UTF-8 as it is).
    static func string(_ text: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            buffer.writeString(text)
        } else {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): buffer.writeString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeString("\\\\")
                case UInt8(ascii: "\n"): buffer.writeString("\\n")
                case UInt8(ascii: "\r"): buffer.writeString("\\r")
                case UInt8(ascii: "\t"): buffer.writeString("\\t")
                case ..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.writeString("\\u00")
                    buffer.writeInteger(hex[Int(byte >> 4)])
                    buffer.writeInteger(hex[Int(byte & 0xF)])
                default: buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
