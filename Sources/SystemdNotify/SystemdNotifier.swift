#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of the `sd_notify` protocol (sd_notify(3)): what a service tells its service manager.
public enum NotifyMessage: Sendable, Hashable {
    /// `READY=1`: start-up is finished (a `Type=notify` unit becomes active).
    case ready
    /// `STOPPING=1`: graceful shutdown has begun.
    case stopping
    /// `WATCHDOG=1`: the service is alive; resets the `WatchdogSec=` timer.
    case watchdog
    /// `STATUS=…`: a one-line status shown by `systemctl status` (newlines are replaced by spaces).
    case status(String)
    /// `MAINPID=…`: the service's main process, when it is not the one that was started.
    case mainPID(Int32)

    /// The message's `KEY=value` line.
    public var line: String {
        switch self {
        case .ready: "READY=1"
        case .stopping: "STOPPING=1"
        case .watchdog: "WATCHDOG=1"
        case .status(let text): "STATUS=" + text.map { $0.isNewline ? " " : String($0) }.joined()
        case .mainPID(let pid): "MAINPID=\(pid)"
        }
    }
}

/// Why a notification could not be sent. The service keeps running either way: a failed notification is logged.
public enum SystemdNotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `NOTIFY_SOCKET` is neither an absolute path nor an abstract (`@…`) socket name.
    case unsupportedAddress(String)
    /// The socket address is longer than a `sockaddr_un` holds (108 bytes on Linux).
    case addressTooLong(String)
    /// A system call failed; the errno and its text.
    case systemCall(String, errno: Int32, text: String)

    public var description: String {
        switch self {
        case .unsupportedAddress(let address):
            "NOTIFY_SOCKET=\(address): not an absolute path or an abstract @name (vsock addresses are not supported); unset it or start the service from a unit with Type=notify"
        case .addressTooLong(let address):
            "NOTIFY_SOCKET=\(address): longer than a unix socket address may be (\(SystemdNotifier.maximumPathLength) bytes)"
        case .systemCall(let call, let errno, let text):
            "sd_notify: \(call) failed: \(text) (errno \(errno)); is the service manager's notification socket still there?"
        }
    }
}

/// Sends `sd_notify` messages as datagrams to `$NOTIFY_SOCKET` (a filesystem path, or an abstract socket written with a
/// leading `@`), in plain Swift over the C library (no libsystemd). Without `NOTIFY_SOCKET` (not started by systemd,
/// or by a unit that is not `Type=notify`) every send does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket address as given in `NOTIFY_SOCKET` (nil: not under a service manager that listens).
    public let address: String?

    /// Bytes a `sockaddr_un` path holds.
    public static let maximumPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// A notifier for `address` (a path or `@abstract`); nil or empty: a notifier that sends nothing.
    public init(address: String?) {
        self.address = address.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The notifier the process environment describes (`NOTIFY_SOCKET`).
    public init(environment: [String: String]) {
        self.init(address: environment["NOTIFY_SOCKET"])
    }

    /// The notifier of this process (`NOTIFY_SOCKET` read now).
    public static func fromProcessEnvironment() -> SystemdNotifier {
        SystemdNotifier(address: getenv("NOTIFY_SOCKET").map { String(cString: $0) })
    }

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set).
    public var isEnabled: Bool { address != nil }

    /// Sends the messages as one datagram (newline-separated, as `sd_notify` does). Nothing happens when not enabled.
    public func send(_ messages: NotifyMessage...) throws(SystemdNotifyError) {
        try send(messages)
    }

    /// Sends the messages as one datagram. Nothing happens when not enabled.
    public func send(_ messages: [NotifyMessage]) throws(SystemdNotifyError) {
        guard let address, !messages.isEmpty else { return }
        try Self.sendDatagram(messages.map(\.line).joined(separator: "\n"), to: address)
    }

    /// Sends `text` as one datagram to the unix datagram socket at `address` (`@name`: abstract namespace).
    static func sendDatagram(_ text: String, to address: String) throws(SystemdNotifyError) {
        var path = Array(address.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        guard abstract || path.first == UInt8(ascii: "/") else { throw .unsupportedAddress(address) }
        // Abstract names start with a NUL byte and have no terminator; paths need room for theirs.
        if abstract { path[0] = 0 }
        guard path.count + (abstract ? 0 : 1) <= maximumPathLength else { throw .addressTooLong(address) }

        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { throw .systemCall("socket(AF_UNIX, SOCK_DGRAM)", errno: errno, text: Self.errorText(errno)) }
        defer { close(fd) }

        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count + (abstract ? 0 : 1))
        let bytes = Array(text.utf8)
        let sent = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { buffer in
                    #if canImport(Darwin)
                    sendto(fd, buffer.baseAddress, buffer.count, 0, socketAddress, length)
                    #else
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                    #endif
                }
            }
        }
        guard sent >= 0 else { throw .systemCall("sendto(\(address))", errno: errno, text: Self.errorText(errno)) }
        guard sent == bytes.count else {
            throw .systemCall("sendto(\(address))", errno: 0, text: "sent \(sent) of \(bytes.count) bytes")
        }
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// The watchdog the service manager asked for: `WATCHDOG_USEC` (the unit's `WatchdogSec=`), meant for this process when
/// `WATCHDOG_PID` is unset or names it.
public struct WatchdogSettings: Sendable, Equatable {
    /// The time after which the service manager considers the service hung without a `WATCHDOG=1`.
    public var timeout: Duration

    /// How often the service should ping: half the timeout, as sd_watchdog_enabled(3) recommends.
    public var pingInterval: Duration { timeout / 2 }

    public init(timeout: Duration) { self.timeout = timeout }

    /// The watchdog described by `environment` for the process `pid`; nil when none is asked for (no or zero
    /// `WATCHDOG_USEC`, or a `WATCHDOG_PID` of another process). A value that is not a number is treated as none.
    public static func from(environment: [String: String], pid: Int32 = getpid()) -> WatchdogSettings? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty {
            guard Int32(owner) == pid else { return nil }
        }
        return WatchdogSettings(timeout: .microseconds(Int64(clamping: usec)))
    }

    /// The watchdog of this process, from its environment now.
    public static func fromProcessEnvironment() -> WatchdogSettings? {
        var environment: [String: String] = [:]
        for key in ["WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        return from(environment: environment)
    }
}
