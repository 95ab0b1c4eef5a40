import Foundation
import Hummingbird
import Synchronization

/// One update a live page applies: element ids → text, element ids → class names, table bodies → rows, element ids →
/// shown or hidden. The page's script only ever sets `textContent` and `className`, so nothing in an update can
/// become markup.
public struct LiveUpdate: Encodable, Sendable, Equatable {
    /// One table cell: its text and an optional class.
    public struct Cell: Encodable, Sendable, Equatable {
        public var t: String
        public var c: String?
        public init(_ text: String, class className: String? = nil) {
            t = text
            c = className
        }
    }

    public var text: [String: String] = [:]
    public var cls: [String: String] = [:]
    public var rows: [String: [[Cell]]] = [:]
    public var show: [String: Bool] = [:]

    public init() {}

    /// The update as one server-sent event (`data:` JSON, one line).
    public func event() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return "data: " + String(decoding: data, as: UTF8.self) + "\n\n"
    }
}

/// Fans one producer out to every open page: the update is computed once per `interval` while at least one page
/// listens (two browsers cost what one costs), and not at all when none does. Each listener keeps only the newest
/// update if it falls behind (a slow browser never holds the agent's memory).
public final class LiveFeed: Sendable {
    private struct State {
        var listeners: [Int: AsyncStream<String>.Continuation] = [:]
        var next = 0
    }
    private let state = Mutex(State())
    public let interval: Duration

    public init(interval: Duration = .seconds(1)) { self.interval = interval }

    /// Pages listening now.
    public var listenerCount: Int { state.withLock { $0.listeners.count } }

    /// Runs the producer once per interval while anyone listens, until cancelled. Start it as a service's body.
    public func run(produce: @Sendable () async -> String) async {
        while !Task.isCancelled {
            let listeners = state.withLock { Array($0.listeners.values) }
            if !listeners.isEmpty {
                let event = await produce()
                for listener in listeners { listener.yield(event) }
            }
            try? await Task.sleep(for: interval)
        }
        let listeners = state.withLock { state in
            defer { state.listeners.removeAll() }
            return Array(state.listeners.values)
        }
        for listener in listeners { listener.finish() }
    }

    /// A `text/event-stream` response that sends `first` at once, then every update until the browser goes away
    /// (the page's script says "connection lost" when no update came for 5 s, and the browser reconnects).
    public func response(first: String) -> Response {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.next += 1
            state.listeners[state.next] = continuation
            return state.next
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) } }
        var headers = ConsoleResponse.securityHeaders
        headers[.contentType] = "text/event-stream; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n" + first))
            for await event in stream {
                try await writer.write(ByteBuffer(string: event))
            }
            try await writer.finish(nil)
        })
    }
}
