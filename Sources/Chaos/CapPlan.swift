import Foundation
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
enum TriggerWire {
    /// CLOCK_MONOTONIC in nanoseconds (the same clock in every process).
    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    /// The sending end (linesim's side): returns the `onTrigger` callback.
    static func sender(port: Int) throws -> @Sendable (UInt64, ContinuousClock.Instant) -> Void {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ChaosError("trigger wire: socket() failed: errno \(errno)") }
        let target = address(port: port)
        return { sequence, instant in
            let age = ContinuousClock.now - instant
            let nanoseconds = UInt64(max(0, age.components.seconds)) * 1_000_000_000 + UInt64(max(0, age.components.attoseconds / 1_000_000_000))
            var message = (sequence.littleEndian, (monotonicNanoseconds() &- nanoseconds).littleEndian)
            var to = target
            _ = withUnsafePointer(to: &to) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    withUnsafeBytes(of: &message) { sendto(fd, $0.baseAddress, 16, Int32(MSG_DONTWAIT), address, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
        }
    }
}

/// The chaos agent's camera trigger: the line's photo-eye over ``TriggerWire``. Triggers older than half a second
/// when read are dropped and counted, as an overflowing camera buffer would.
final class WireTrigger: TriggerSource {
    private let port: Int
    private var fd: Int32 = -1
    private(set) var dropped: UInt64 = 0

    init(port: Int) { self.port = port }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    private func open() throws(VisionError) {
        let socketFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socketFD >= 0 else { throw .sourceClosed(source: "trigger wire", reason: "socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(socketFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = TriggerWire.address(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(socketFD)
            throw .sourceClosed(source: "trigger wire", reason: "cannot bind the trigger wire 127.0.0.1:\(port) (errno \(code))")
        }
        fd = socketFD
    }

    func next() throws(VisionError) -> CameraTrigger? {
        if fd < 0 { try open() }
        var message = (UInt64(0), UInt64(0))
        let received = withUnsafeMutableBytes(of: &message) { recv(fd, $0.baseAddress, 16, 0) }
        guard received == 16 else { return nil }  // the receive timeout
        let age = Int64(bitPattern: TriggerWire.monotonicNanoseconds() &- UInt64(littleEndian: message.1))
        if age > 500_000_000 {
            dropped += 1
            return nil
        }
        return CameraTrigger(sequence: UInt64(littleEndian: message.0), instant: ContinuousClock.now - .nanoseconds(max(0, age)))
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
