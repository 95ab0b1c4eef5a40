import CModbus
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

/// The chaos agent's camera: a hardware-triggered camera wired to the line's photo-eye, emulated by following the
/// PLC's bottle counter over its own read-only Modbus TCP connection (polled every millisecond) and rendering the
/// planned cap of each new bottle. Bottles counted before the camera started are not its own (a restarted agent
/// does not see bottles that passed while it was down).
final class FollowingCamera: FrameSource {
    let name: String
    private let host: String
    private let port: Int
    private let unitID: Int
    private let counter: RegisterConfiguration
    private let payloads: [String?]
    private let renderer: CapRenderer
    private var context: OpaquePointer?
    private var lastShot: UInt64?
    private var dropped: UInt64 = 0
    private var closed = false
    private let maxBacklog: UInt64 = 3

    init(name: String, plc: PLCConfiguration, payloads: [String?], seed: UInt64) {
        self.name = name
        host = plc.host ?? "127.0.0.1"
        port = plc.effectivePort
        unitID = plc.unitID
        counter = plc.registers.bottleCounter
        self.payloads = payloads
        renderer = CapRenderer(seed: seed)
    }

    deinit { disconnect() }

    private func disconnect() {
        if let context {
            modbus_close(context)
            modbus_free(context)
        }
        context = nil
    }

    /// The counter register, or nil when the PLC cannot be read (reconnects on the next call).
    private func readCounter() -> UInt64? {
        if context == nil {
            guard let created = modbus_new_tcp(host, Int32(port)) else { return nil }
            modbus_set_slave(created, Int32(unitID))
            modbus_set_response_timeout(created, 0, 200_000)
            if modbus_connect(created) == -1 {
                modbus_free(created)
                return nil
            }
            context = created
        }
        var words = [UInt16](repeating: 0, count: 2)
        let count = counter.bits == 32 ? 2 : 1
        let rc = words.withUnsafeMutableBufferPointer { buffer in
            counter.table == .holding
                ? modbus_read_registers(context, Int32(counter.address), Int32(count), buffer.baseAddress)
                : modbus_read_input_registers(context, Int32(counter.address), Int32(count), buffer.baseAddress)
        }
        guard rc == count else {
            disconnect()
            return nil
        }
        if count == 1 { return UInt64(words[0]) }
        let (high, low) = counter.wordOrder == .ABCD ? (words[0], words[1]) : (words[1], words[0])
        return UInt64(high) << 16 | UInt64(low)
    }

    func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        while true {
            if closed { throw .sourceClosed(source: name, reason: "closed") }
            if Task.isCancelled { throw .sourceClosed(source: name, reason: "stopped") }
            guard let value = readCounter() else {
                usleep(50_000)
                continue
            }
            let now = ContinuousClock.now
            guard let last = lastShot else {
                lastShot = value
                continue
            }
            if value > last {
                var sequence = last + 1
                if value - sequence > maxBacklog {
                    dropped += value - sequence - maxBacklog
                    sequence = value - maxBacklog
                }
                lastShot = sequence
                let index = Int(sequence) - 1
                let payload = index < payloads.count ? payloads[index] : nil
                try renderer.render(payload: payload, into: image)
                let age = ContinuousClock.now - now
                let capturedAt = Date().addingTimeInterval(-Double(age.components.seconds) - Double(age.components.attoseconds) / 1e18)
                return FrameInfo(sequence: sequence, capturedAt: capturedAt, capturedInstant: now, dropped: dropped)
            }
            usleep(1_000)
        }
    }

    func close() {
        closed = true
        disconnect()
    }
}
