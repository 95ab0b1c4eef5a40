import Foundation
import Glibc

/// A service manager's side of `NOTIFY_SOCKET` for the tests: a real unix datagram socket bound to a file in a temporary
/// directory (or to an abstract name), receiving what the notifier sends.
final class NotifyListener: @unchecked Sendable {
    /// The `NOTIFY_SOCKET` value that reaches this listener.
    let address: String
    private let fd: Int32
    private let directory: URL?

    /// Binds a socket file `notify` in a fresh temporary directory, or the abstract name `@qazline-test-<uuid>`.
    init(abstract: Bool = false) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("socket: \(String(cString: strerror(errno)))") }
        var bytes: [UInt8]
        if abstract {
            address = "@qazline-test-\(UUID().uuidString)"
            directory = nil
            bytes = Array(address.utf8)
            bytes[0] = 0
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-notify-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            directory = folder
            address = folder.appendingPathComponent("notify").path
            bytes = Array(address.utf8) + [0]
        }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw ListenerError("bind \(address): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(fd)
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// The next datagram, or nil when none arrives within `timeout`.
    func receive(timeout: Duration = .seconds(5)) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Datagrams (with their arrival times) until one contains `line`, or nil when `timeout` passes first.
    func receive(until line: String, timeout: Duration = .seconds(10)) -> [(text: String, at: ContinuousClock.Instant)]? {
        let end = ContinuousClock.now.advanced(by: timeout)
        var received: [(text: String, at: ContinuousClock.Instant)] = []
        while ContinuousClock.now < end {
            guard let text = receive(timeout: end - ContinuousClock.now) else { return nil }
            received.append((text, ContinuousClock.now))
            if text.split(separator: "\n").contains(Substring(line)) { return received }
        }
        return nil
    }

    /// ``receive(until:timeout:)`` on a thread of its own (the wait blocks; the cooperative pool stays free for the
    /// service under test).
    func collect(until line: String, timeout: Duration = .seconds(10)) async -> [(text: String, at: ContinuousClock.Instant)]? {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.receive(until: line, timeout: timeout)) }
            thread.start()
        }
    }

    /// Every datagram that arrives within `duration`, collected on a thread of its own.
    func collect(for duration: Duration) async -> [String] {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                let end = ContinuousClock.now.advanced(by: duration)
                var received: [String] = []
                while ContinuousClock.now < end, let text = self.receive(timeout: end - ContinuousClock.now) { received.append(text) }
                continuation.resume(returning: received)
            }
            thread.start()
        }
    }

    struct ListenerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
