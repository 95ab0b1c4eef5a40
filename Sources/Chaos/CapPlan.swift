import Foundation
import Synchronization
import LineConfig
import LineCore
import LineDemo
import Vision

#if canImport(Glibc)
import Glibc
#endif

/// The caps of every bottle of a chaos run, fixed before the line starts so that the orchestrator knows what each
/// bottle carried while the agent, in its own process, sees only frames. Bottle `n` (linesim's sequence, from 1)
/// carries `caps[n - 1]`. Written to a file, one cap per line: `kind<TAB>payload` (payload empty when unreadable).
struct CapPlan {
    struct Cap: Hashable {
        var kind: CapContent
        var payload: String?
        var code: String?
    }

    var caps: [Cap]

    /// Draws the caps: shares of unreadable, damaged, duplicate and foreign caps, the rest good (codes in order).
    /// A duplicate repeats the code of a good cap at least 10 bottles earlier (whether it is a duplicate in fact
    /// depends on whether that earlier bottle passed, which the checker decides afterwards).
    static func draw(bottles: Int, producerCodes: [String], foreignCodes: [String], shares: [CapContent: Double],
                     seed: UInt64, host: String = "qr.example.kz") -> CapPlan {
        var random = SeededRandom(seed: seed)
        var caps: [Cap] = []
        var nextGood = 0, nextForeign = 0
        var goodIndices: [Int] = []
        let order: [CapContent] = [.unreadable, .damaged, .duplicate, .foreign]
        for index in 0..<bottles {
            let roll = Double.random(in: 0..<1, using: &random)
            var kind = CapContent.good
            var accumulated = 0.0
            for candidate in order {
                accumulated += shares[candidate] ?? 0
                if roll < accumulated { kind = candidate; break }
            }
            let earlier = goodIndices.filter { $0 <= index - 10 }
            if kind == .duplicate, earlier.isEmpty { kind = .good }
            if kind == .foreign, nextForeign >= foreignCodes.count { kind = .unreadable }
            if kind == .good, nextGood >= producerCodes.count { kind = .unreadable }
            switch kind {
            case .good:
                let code = producerCodes[nextGood]
                nextGood += 1
                goodIndices.append(index)
                caps.append(Cap(kind: .good, payload: "https://\(host)/c/\(code)", code: code))
            case .unreadable:
                caps.append(Cap(kind: .unreadable, payload: nil, code: nil))
            case .damaged:
                let base = producerCodes[Int.random(in: 0..<producerCodes.count, using: &random)]
                caps.append(Cap(kind: .damaged, payload: "https://\(host)/c/\(base.lowercased())-x", code: nil))
            case .duplicate:
                let original = earlier[Int.random(in: max(0, earlier.count - 200)..<earlier.count, using: &random)]
                let code = caps[original].code!
                caps.append(Cap(kind: .duplicate, payload: "https://\(host)/c/\(code)", code: code))
            case .foreign:
                let code = foreignCodes[nextForeign]
                nextForeign += 1
                caps.append(Cap(kind: .foreign, payload: "https://\(host)/c/\(code)", code: code))
            }
        }
        return CapPlan(caps: caps)
    }

    func write(to path: String) throws {
        let text = caps.map { "\($0.kind.rawValue)\t\($0.payload ?? "")" }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Reads the payloads back (what the agent's camera needs).
    static func payloads(from path: String) throws -> [String?] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let payload = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first ?? ""
            return payload.isEmpty ? nil : String(payload)
        }
    }
}

/// The photo-eye's wire to the camera, across processes: one UDP datagram on loopback per bottle trigger, carrying
/// the bottle's sequence and its trigger time on the system-wide monotonic clock (16 bytes, little-endian). A starved
/// camera process reads it late, but the timestamp stays the trigger's, as a hardware-triggered camera's does.
/// A bottle put back on the line (``LineFeed``) carries its cap's payload after the 16 bytes: the camera shows that
/// cap instead of the planned one.
enum TriggerWire {
    /// CLOCK_MONOTONIC in nanoseconds (the same clock in every process).
    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// `instant` (this process's continuous clock) on the system-wide monotonic clock.
    static func monotonicNanoseconds(of instant: ContinuousClock.Instant) -> UInt64 {
        let age = ContinuousClock.now - instant
        let nanoseconds = UInt64(max(0, age.components.seconds)) * 1_000_000_000 + UInt64(max(0, age.components.attoseconds / 1_000_000_000))
        return monotonicNanoseconds() &- nanoseconds
    }

    /// How long ago a monotonic timestamp from another process was, as an instant of this process's clock.
    static func instant(ofMonotonic nanoseconds: UInt64) -> (instant: ContinuousClock.Instant, age: Duration) {
        let age = Int64(bitPattern: monotonicNanoseconds() &- nanoseconds)
        return (ContinuousClock.now - .nanoseconds(max(0, age)), .nanoseconds(age))
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    /// The sending end (linesim's side): returns the `onTrigger` callback. `feed` names the bottles put back on the line.
    static func sender(port: Int, feed: LineFeed? = nil) throws -> @Sendable (UInt64, ContinuousClock.Instant) -> Void {
        let socket = try DatagramSender(port: port)
        return { sequence, instant in
            var message = [UInt8]()
            message.reserveCapacity(16)
            withUnsafeBytes(of: sequence.littleEndian) { message.append(contentsOf: $0) }
            withUnsafeBytes(of: monotonicNanoseconds(of: instant).littleEndian) { message.append(contentsOf: $0) }
            if let payload = feed?.payload(at: sequence) { message.append(contentsOf: Array(payload.utf8)) }
            socket.send(message)
        }
    }
}

/// Bottles put back on the line by the chaos run's operator (bottles rejected fail-safe that had a good cap): the
/// sequence at which each comes by the camera again, with its cap's payload and the planned bottle it is.
/// Thread-safe: read on linesim's thread at each trigger.
final class LineFeed: Sendable {
    struct Entry: Sendable {
        /// The cap's payload.
        var payload: String
        /// The bottle as planned (its index in the cap plan + 1).
        var origin: UInt64
    }

    private let entries = Mutex<[UInt64: Entry]>([:])

    /// Puts a bottle back on the line: it comes by the camera as bottle `sequence`.
    func put(_ entry: Entry, at sequence: UInt64) { entries.withLock { $0[sequence] = entry } }

    func payload(at sequence: UInt64) -> String? { entries.withLock { $0[sequence]?.payload } }

    /// Every bottle put back: its sequence on the line → the planned bottle it is.
    var origins: [UInt64: UInt64] { entries.withLock { $0.mapValues(\.origin) } }
}

/// A connected-less UDP sender on loopback (never blocks: a datagram the receiver has no room for is lost, as on a
/// real wire).
final class DatagramSender: Sendable {
    private let fd: Int32
    private let target: sockaddr_in

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ChaosError("UDP wire: socket() failed: errno \(errno)") }
        target = TriggerWire.address(port: port)
    }

    deinit { Glibc.close(fd) }

    func send(_ bytes: [UInt8]) {
        var to = target
        _ = withUnsafePointer(to: &to) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, bytes.count, Int32(MSG_DONTWAIT), address, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }
}

/// The receiving end of a loopback UDP wire: bound on first use, reads with a 100 ms timeout.
final class DatagramReceiver {
    let port: Int
    let wire: String
    private var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init(port: Int, wire: String) {
        self.port = port
        self.wire = wire
    }

    deinit { close() }

    func open() throws(VisionError) {
        guard fd < 0 else { return }
        let socketFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socketFD >= 0 else { throw .sourceClosed(source: wire, reason: "socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var size: Int32 = 4 << 20
        setsockopt(socketFD, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = TriggerWire.address(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(socketFD)
            throw .sourceClosed(source: wire, reason: "cannot bind 127.0.0.1:\(port) (errno \(code))")
        }
        fd = socketFD
    }

    /// The next datagram, or nil when none came within the timeout.
    func receive() throws(VisionError) -> ArraySlice<UInt8>? {
        try open()
        let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { return nil }
        return buffer[0..<received]
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

extension ArraySlice<UInt8> {
    /// The little-endian UInt64 at `offset` from the slice's start.
    func littleEndianUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(self[startIndex + offset + index]) << (8 * UInt64(index)) }
        return value
    }
}

/// The chaos agent's camera trigger: the line's photo-eye over ``TriggerWire``. Triggers older than half a second
/// when read are dropped and counted, as an overflowing camera buffer would. A trigger that carries a payload (a
/// bottle put back on the line) keeps it for ``payload(of:)``.
final class WireTrigger: TriggerSource {
    private let receiver: DatagramReceiver
    private(set) var dropped: UInt64 = 0
    private var putBack: [UInt64: String] = [:]

    init(port: Int) { receiver = DatagramReceiver(port: port, wire: "trigger wire") }

    func next() throws(VisionError) -> CameraTrigger? {
        guard let message = try receiver.receive(), message.count >= 16 else { return nil }  // the receive timeout
        let sequence = message.littleEndianUInt64(at: 0)
        let (instant, age) = TriggerWire.instant(ofMonotonic: message.littleEndianUInt64(at: 8))
        if age > .milliseconds(500) {
            dropped += 1
            return nil
        }
        if message.count > 16 {
            putBack[sequence] = String(decoding: message.dropFirst(16), as: UTF8.self)
            if putBack.count > 64 { putBack = putBack.filter { $0.key + 64 > sequence } }
        }
        return CameraTrigger(sequence: sequence, instant: instant)
    }

    /// The payload of a bottle put back on the line, carried by its trigger (nil: the planned cap).
    func payload(of sequence: UInt64) -> String? { putBack[sequence] }

    func close() { receiver.close() }
}
