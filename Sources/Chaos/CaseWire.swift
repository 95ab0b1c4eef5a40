import Foundation
import LineCore
import LineDemo
import Vision

/// The case station's wire across processes: one UDP datagram on loopback per case the packer made, from the
/// orchestrator (where the packer and the station's simulated PLC run) to the chaos agent's case camera. It carries
/// the case's sequence at the station's PLC, its trigger time on the system-wide monotonic clock and what the camera
/// will see: the slots (cap payloads, unreadable caps, empty cells) and the pre-printed label. The camera renders that
/// case stamped with the trigger's time, as a hardware-triggered camera exposes at its photo-eye.
///
/// Layout: 16 bytes (sequence, trigger time; little-endian), then UTF-8 lines: `L<TAB>symbology<TAB>damaged (0|1)
/// <TAB>text` for the label, then one line per slot: `C<TAB>payload`, `U` (unreadable cap) or `E` (empty cell).
enum CaseWire {
    /// What a received datagram says.
    struct Message: Equatable {
        var sequence: UInt64
        /// The trigger time, CLOCK_MONOTONIC nanoseconds.
        var triggeredAt: UInt64
        var slots: [CaseSlot]
        var label: CaseLabelSpec?
    }

    static func encode(_ message: Message) -> [UInt8] {
        var bytes = [UInt8]()
        withUnsafeBytes(of: message.sequence.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: message.triggeredAt.littleEndian) { bytes.append(contentsOf: $0) }
        var lines: [String] = []
        if let label = message.label {
            lines.append("L\t\(label.symbology.rawValue)\t\(label.damaged ? 1 : 0)\t\(label.text)")
        }
        for slot in message.slots {
            switch slot {
            case .cap(let payload): lines.append("C\t\(payload)")
            case .unreadableCap: lines.append("U")
            case .empty: lines.append("E")
            }
        }
        bytes.append(contentsOf: Array(lines.joined(separator: "\n").utf8))
        return bytes
    }

    /// The message in a datagram; nil when it is not one.
    static func decode(_ bytes: ArraySlice<UInt8>) -> Message? {
        guard bytes.count >= 16 else { return nil }
        var message = Message(sequence: bytes.littleEndianUInt64(at: 0), triggeredAt: bytes.littleEndianUInt64(at: 8), slots: [], label: nil)
        let text = String(decoding: bytes.dropFirst(16), as: UTF8.self)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "L":
                guard fields.count == 4, let symbology = CaseLabelSymbology(rawValue: fields[1]) else { return nil }
                message.label = CaseLabelSpec(text: fields[3], symbology: symbology, damaged: fields[2] == "1")
            case "C":
                guard fields.count >= 2 else { return nil }
                message.slots.append(.cap(payload: fields.dropFirst().joined(separator: "\t")))
            case "U": message.slots.append(.unreadableCap)
            case "E": message.slots.append(.empty)
            default: return nil
            }
        }
        return message
    }

    /// The orchestrator's end: sends each packed case as its trigger's datagram.
    final class Sender: Sendable {
        private let socket: DatagramSender

        init(port: Int) throws { socket = try DatagramSender(port: port) }

        /// Sends the case the packer made; `instant` is its trigger at the station's PLC.
        func send(_ packed: PackedCase, triggeredAt instant: ContinuousClock.Instant) {
            socket.send(CaseWire.encode(Message(sequence: packed.sequence, triggeredAt: TriggerWire.monotonicNanoseconds(of: instant),
                                                slots: packed.slots, label: packed.label)))
        }
    }
}

/// The chaos agent's case camera: for each case on the ``CaseWire``, one rendered top view of that case
/// (``CaseFrameSynthesizer``), captured at the case's trigger. A case whose datagram is read more than 3 s after its
/// trigger (a starved camera process) is dropped and counted: the station decides it without a frame.
final class CaseWireCamera: FrameSource {
    let name: String
    private let receiver: DatagramReceiver
    private let synthesizer: CaseFrameSynthesizer
    private var dropped: UInt64 = 0
    private var closed = false

    /// Binds the wire's port at once, so that no case sent after the agent started is lost.
    init(name: String, port: Int, seed: UInt64, width: Int = 2448, height: Int = 2048) {
        self.name = name
        receiver = DatagramReceiver(port: port, wire: "case wire")
        synthesizer = CaseFrameSynthesizer(width: width, height: height, seed: seed)
        try? receiver.open()
    }

    func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        while true {
            if closed { throw .sourceClosed(source: name, reason: "closed") }
            if Task.isCancelled { throw .sourceClosed(source: name, reason: "stopped") }
            guard let bytes = try receiver.receive() else { continue }
            guard let message = CaseWire.decode(bytes), let layout = CaseLayout(capCount: message.slots.count) else { continue }
            let (instant, age) = TriggerWire.instant(ofMonotonic: message.triggeredAt)
            if age > .seconds(3) {
                dropped += 1
                continue
            }
            let started = ContinuousClock.now
            _ = try synthesizer.render(CaseFrameSpec(layout: layout, slots: message.slots, label: message.label), into: image)
            if ProcessInfo.processInfo.environment["QAZLINE_CHAOS_DEBUG"] != nil {
                FileHandle.standardError.write(Data("case \(message.sequence): read \(age) after its trigger, rendered in \(ContinuousClock.now - started)\n".utf8))
            }
            let captured = ContinuousClock.now - instant
            return FrameInfo(sequence: message.sequence, capturedAt: Date().addingTimeInterval(-captured.inSeconds),
                             capturedInstant: instant, dropped: dropped)
        }
    }

    func close() {
        closed = true
        receiver.close()
    }
}
