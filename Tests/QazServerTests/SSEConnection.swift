import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One message of a Server-Sent Events stream.
enum SSEMessage: Equatable {
    /// An event: its `id:`, `event:` and `data:` fields.
    case event(id: String?, name: String?, data: String)
    /// A comment line (`: keep-alive`), without the colon.
    case comment(String)
}

/// Why reading a stream failed.
enum SSEConnectionError: Error, CustomStringConvertible {
    case socket(String)
    case timeout(String)
    case malformed(String)

    var description: String {
        switch self {
        case .socket(let why): "socket: \(why)"
        case .timeout(let what): "timed out waiting for \(what)"
        case .malformed(let why): "malformed HTTP/SSE: \(why)"
        }
    }
}

/// A minimal HTTP/1.1 client on a plain TCP socket for the activation stream: the test decides exactly when (and
/// whether) it reads, which an HTTP client library would not let it do. Decodes chunked bodies and SSE messages.
/// Used by one task at a time; blocking reads run on a dispatch queue.
final class SSEConnection: @unchecked Sendable {
    private var fd: Int32
    private var raw = ByteQueue()
    private var body = ByteQueue()
    private var chunked = false
    private var contentLength: Int?
    private var ended = false
    private(set) var status = 0
    private(set) var headers = [String: String]()

    /// Connects to 127.0.0.1 and sends `GET path`.
    /// - Parameter receiveBuffer: a small `SO_RCVBUF` makes a consumer that does not read stall the server quickly.
    init(port: Int, path: String, token: String?, headers extra: [(String, String)] = [], receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SSEConnectionError.socket("socket(): \(String(cString: strerror(errno)))") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw SSEConnectionError.socket("connect to 127.0.0.1:\(port): \(why)")
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in extra { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else {
            Glibc.close(fd)
            throw SSEConnectionError.socket("send: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close() }

    /// Closes the socket (the server sees the client go away).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Reads the response head; returns the status.
    @discardableResult
    func readHead(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let end = raw.find([13, 10, 13, 10]) {
                let head = String(decoding: raw.take(end), as: UTF8.self)
                raw.drop(4)
                let lines = head.components(separatedBy: "\r\n")
                let parts = lines[0].split(separator: " ")
                guard parts.count >= 2, let code = Int(parts[1]) else { throw SSEConnectionError.malformed("status line \(lines[0])") }
                status = code
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
                contentLength = headers["content-length"].flatMap { Int($0) }
                decode()
                return status
            }
            guard try await receive(until: deadline) else { throw SSEConnectionError.malformed("connection closed before the response head") }
        }
    }

    /// The whole body of a non-streaming answer (an error), as text.
    func readBody(timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while !ended {
            guard try await receive(until: deadline) else { break }
            decode()
        }
        return String(decoding: body.take(body.count), as: UTF8.self)
    }

    /// The next SSE message, or nil when the stream ended.
    func next(timeout: Duration = .seconds(10)) async throws -> SSEMessage? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let end = body.find([10, 10]) {
                let block = String(decoding: body.take(end), as: UTF8.self)
                body.drop(2)
                return Self.parse(block)
            }
            if ended { return nil }
            guard try await receive(until: deadline) else {
                ended = true
                return nil
            }
            decode()
        }
    }

    /// The next `count` events, skipping comments; fails when the stream ends or stalls first.
    func events(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [(id: String?, name: String?, data: String)] {
        let deadline = ContinuousClock.now + timeout
        var events = [(id: String?, name: String?, data: String)]()
        while events.count < count {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let message = try await next(timeout: left) else {
                throw SSEConnectionError.timeout("\(count) events (got \(events.count))")
            }
            if case .event(let id, let name, let data) = message { events.append((id, name, data)) }
        }
        return events
    }

    /// The messages that arrive within `window` (to show that nothing else comes).
    func messages(within window: Duration) async throws -> [SSEMessage] {
        let deadline = ContinuousClock.now + window
        var messages = [SSEMessage]()
        while ContinuousClock.now < deadline {
            do {
                guard let message = try await next(timeout: deadline - ContinuousClock.now) else { break }
                messages.append(message)
            } catch SSEConnectionError.timeout {
                break
            }
        }
        return messages
    }

    /// Whether the stream ends (the last chunk, or the connection closes) within `timeout`; events before the end
    /// count as not ending.
    func ends(within timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do {
                switch try await next(timeout: deadline - ContinuousClock.now) {
                case nil: return true
                case .comment?: continue
                case .event?: return false
                }
            } catch SSEConnectionError.timeout {
                return false
            }
        }
        return false
    }

    /// The events (not comments) that arrive within `window`.
    func events(within window: Duration) async throws -> [SSEMessage] {
        try await messages(within: window).filter { if case .event = $0 { true } else { false } }
    }

    static func parse(_ block: String) -> SSEMessage {
        var id: String?, name: String?, data = [String]()
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                return .comment(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
            }
            let field = line.split(separator: ":", maxSplits: 1).map(String.init)
            let value = field.count > 1 ? (field[1].hasPrefix(" ") ? String(field[1].dropFirst()) : field[1]) : ""
            switch field.first {
            case "id": id = value
            case "event": name = value
            case "data": data.append(value)
            default: break
            }
        }
        return .event(id: id, name: name, data: data.joined(separator: "\n"))
    }

    // MARK: Plumbing

    /// Moves complete chunks (or content-length bytes) from `raw` to `body`.
    private func decode() {
        guard status != 0 else { return }
        if !chunked {
            body.append(raw.take(raw.count))
            if let contentLength, body.count >= contentLength { ended = true }
            return
        }
        while let lineEnd = raw.find([13, 10]) {
            let sizeText = String(decoding: raw.peek(lineEnd), as: UTF8.self).split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return }
            if size == 0 {
                ended = true
                return
            }
            guard raw.count >= lineEnd + 2 + size + 2 else { return }
            raw.drop(lineEnd + 2)
            body.append(raw.take(size))
            raw.drop(2)
        }
    }

    /// Reads what the socket has; false when the peer closed. Throws on timeout.
    private func receive(until deadline: ContinuousClock.Instant) async throws -> Bool {
        let fd = fd
        while true {
            let (count, bytes, error): (Int, [UInt8], Int32) = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    var buffer = [UInt8](repeating: 0, count: 65_536)
                    let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
                    continuation.resume(returning: (count, count > 0 ? Array(buffer[..<count]) : [], errno))
                }
            }
            if count > 0 {
                raw.append(bytes[...])
                return true
            }
            if count == 0 { return false }
            if error == EAGAIN || error == EWOULDBLOCK || error == EINTR {
                if ContinuousClock.now >= deadline { throw SSEConnectionError.timeout("data from the server") }
                continue
            }
            if error == ECONNRESET { return false }
            throw SSEConnectionError.socket("recv: \(String(cString: strerror(error)))")
        }
    }

}

/// Bytes read from the front without moving the rest on every read (the stalled-consumer test reads megabytes).
struct ByteQueue {
    private var bytes = [UInt8]()
    private var start = 0

    var count: Int { bytes.count - start }

    mutating func append(_ more: ArraySlice<UInt8>) {
        if start > 1 << 20 && start > bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: more)
    }

    /// The offset (from the front) of the first occurrence of `needle`.
    func find(_ needle: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buffer in
            var index = start
            let last = buffer.count - needle.count
            while index <= last {
                var matched = true
                for offset in 0..<needle.count where buffer[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index - start }
                index += 1
            }
            return nil
        }
    }

    func peek(_ count: Int) -> ArraySlice<UInt8> { bytes[start..<start + count] }

    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        defer { start += count }
        return bytes[start..<start + count]
    }

    mutating func drop(_ count: Int) { start += count }
}
