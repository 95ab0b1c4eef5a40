import Foundation
import LineCore
import LineSimulator
import Synchronization
import Vision

/// What is on the cap of one simulated bottle.
public enum CapContent: String, Sendable, Codable, CaseIterable {
    /// A stamp issued to this producer, not used before.
    case good
    /// A cap with no readable code (stamp missing or smeared).
    case unreadable
    /// A damaged stamp whose QR reads, but not as a valid payload.
    case damaged
    /// A stamp whose code was already used on an earlier bottle.
    case duplicate
    /// A stamp issued to another producer.
    case foreign
}

/// The caps of the simulated line, bottle by bottle (deterministic per seed). Thread-safe.
public final class CapScript: Sendable {
    public struct Cap: Sendable, Hashable {
        public var content: CapContent
        /// The payload printed on the cap (nil: unreadable).
        public var payload: String?
        /// The code, for good, duplicate and foreign caps.
        public var code: String?
    }

    private struct State {
        /// Caps of recent bottles (a camera may ask again); older ones keep only their content.
        var caps: [UInt64: Cap] = [:]
        var contents: [UInt64: CapContent] = [:]
        var random: SeededRandom
        var nextGood = 0
        var nextForeign = 0
        /// Codes on bottles the agent passed: duplicates reuse these.
        var passed: [String] = []
    }
    private let state: Mutex<State>
    private let producerCodes: [String]
    private let foreignCodes: [String]
    private let shares: [(CapContent, Double)]
    private let host: String
    private let onBadCap: @Sendable (UInt64) -> Void

    /// - Parameters:
    ///   - producerCodes: codes issued to the producer (good caps use them in order).
    ///   - foreignCodes: codes issued to someone else.
    ///   - shares: the share of each bad kind (the rest are good).
    ///   - onBadCap: told each bottle that must be rejected, when its cap is made (at its trigger, well before it
    ///     reaches the reject station): the simulated PLC checks that exactly these are rejected.
    public init(producerCodes: [String], foreignCodes: [String], shares: [CapContent: Double], seed: UInt64,
                host: String = "qr.example.kz", onBadCap: @escaping @Sendable (UInt64) -> Void = { _ in }) {
        self.producerCodes = producerCodes
        self.foreignCodes = foreignCodes
        self.shares = [CapContent.unreadable, .damaged, .duplicate, .foreign].map { ($0, shares[$0] ?? 0) }
        self.host = host
        self.onBadCap = onBadCap
        state = Mutex(State(random: SeededRandom(seed: seed)))
    }

    /// Tells the script that a bottle with this code passed: later duplicate caps may reuse it.
    public func markPassed(_ code: String) {
        state.withLock { s in
            s.passed.append(code)
            if s.passed.count > 2_000 { s.passed.removeFirst(1_000) }  // a long run keeps a bounded memory
        }
    }

    /// The cap of a bottle (fixed on first ask).
    public func cap(for sequence: UInt64) -> Cap {
        let (cap, isNew) = state.withLock { s -> (Cap, Bool) in
            if let cap = s.caps[sequence] { return (cap, false) }
            return (Self.make(&s, sequence: sequence, shares: shares, producerCodes: producerCodes,
                              foreignCodes: foreignCodes, host: host), true)
        }
        if isNew, cap.content != .good { onBadCap(sequence) }
        return cap
    }

    private static func make(_ s: inout State, sequence: UInt64, shares: [(CapContent, Double)], producerCodes: [String],
                             foreignCodes: [String], host: String) -> Cap {
        do {
            if let cap = s.caps[sequence] { return cap }
            let roll = Double.random(in: 0..<1, using: &s.random)
            var kind = CapContent.good
            var acc = 0.0
            for (candidate, share) in shares {
                acc += share
                if roll < acc { kind = candidate; break }
            }
            if kind == .duplicate, s.passed.isEmpty { kind = .good }
            if kind == .foreign, s.nextForeign >= foreignCodes.count { kind = .unreadable }
            if kind == .good, s.nextGood >= producerCodes.count { kind = .unreadable }
            let cap: Cap
            switch kind {
            case .good:
                let code = producerCodes[s.nextGood]
                s.nextGood += 1
                cap = Cap(content: .good, payload: "https://\(host)/c/\(code)", code: code)
            case .unreadable:
                cap = Cap(content: .unreadable, payload: nil, code: nil)
            case .damaged:
                // The QR reads, but its last segment is not a code (smudged characters turned into lower case).
                let base = producerCodes.isEmpty ? "DAMAGED0000000000000" : producerCodes[Int.random(in: 0..<producerCodes.count, using: &s.random)]
                cap = Cap(content: .damaged, payload: "https://\(host)/c/\(base.lowercased())-x", code: nil)
            case .duplicate:
                let code = s.passed[Int.random(in: 0..<s.passed.count, using: &s.random)]
                cap = Cap(content: .duplicate, payload: "https://\(host)/c/\(code)", code: code)
            case .foreign:
                let code = foreignCodes[s.nextForeign]
                s.nextForeign += 1
                cap = Cap(content: .foreign, payload: "https://\(host)/c/\(code)", code: code)
            }
            s.caps[sequence] = cap
            s.contents[sequence] = cap.content
            if sequence >= 64 { s.caps[sequence - 64] = nil }
            return cap
        }
    }

    /// Every cap given out so far, by bottle.
    /// What was on every bottle's cap so far.
    public var contents: [UInt64: CapContent] { state.withLock { $0.contents } }
}

/// Renders the simulated line's caps as its camera sees them: 640×512 frames, one cap, 3.6–4.5 px modules, some glare
/// and noise (what `Calibration/demo-top.yaml` is tuned for).
public struct CapRenderer {
    private let synthesizer: FrameSynthesizer

    public init(seed: UInt64, width: Int = 640, height: Int = 512) {
        var profile = SynthesisProfile.nominal
        profile.name = "demo"
        profile.modulePx = 3.6...4.5
        profile.emptyChance = 0
        profile.multiCapChance = 0
        profile.glareChance = 0.1
        profile.noise = 1...3
        synthesizer = FrameSynthesizer(width: width, height: height, profile: profile, seed: seed)
    }

    /// Renders one cap carrying `payload` (nil: the cap is there, its stamp unreadable).
    public func render(payload: String?, into image: GrayImage) throws(VisionError) {
        var spec = synthesizer.makeSpec(payloads: { payload })
        if payload == nil {
            for index in spec.caps.indices { spec.caps[index].payload = nil }
        }
        try synthesizer.render(spec, into: image)
    }
}

/// A camera's hardware trigger: the bottle's sequence number and the instant its photo-eye fired.
public struct CameraTrigger: Sendable {
    public var sequence: UInt64
    public var instant: ContinuousClock.Instant
    public init(sequence: UInt64, instant: ContinuousClock.Instant) {
        self.sequence = sequence
        self.instant = instant
    }
}

/// Where a simulated camera's triggers come from: the simulator in the same process (``SimulatorTrigger``), or a
/// wire from another process (the chaos run's).
public protocol TriggerSource: AnyObject {
    /// The next trigger, or nil when none came within a short slice (the camera then looks at cancellation again).
    func next() throws(VisionError) -> CameraTrigger?
    /// Triggers skipped because the camera fell behind (an overflowing camera buffer).
    var dropped: UInt64 { get }
    /// Releases the trigger's resources.
    func close()
}

/// A hardware-triggered camera over a simulated line: for each trigger, one generated frame of that bottle's cap
/// (``CapRenderer``), captured at the trigger's instant. Waits for triggers in short slices so that cancellation
/// (shutdown) ends it promptly.
public final class TriggeredCamera: FrameSource {
    public let name: String
    private let trigger: any TriggerSource
    private let payload: (UInt64) -> String?
    private let renderer: CapRenderer
    private var closed = false
    /// Milliseconds spent rendering each frame (diagnostics: `QAZLINE_DEMO_DEBUG`).
    private var renderTimes: [Double] = []

    /// - Parameters:
    ///   - name: the source's name in logs.
    ///   - trigger: where triggers come from.
    ///   - payload: the payload of the cap on bottle `sequence` (nil: a cap whose stamp cannot be read).
    ///   - seed: the renderer's seed.
    public init(name: String, trigger: any TriggerSource, seed: UInt64, width: Int = 640, height: Int = 512,
                payload: @escaping (UInt64) -> String?) {
        self.name = name
        self.trigger = trigger
        self.payload = payload
        renderer = CapRenderer(seed: seed, width: width, height: height)
    }

    public func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        while true {
            if closed { throw .sourceClosed(source: name, reason: "closed") }
            if Task.isCancelled { throw .sourceClosed(source: name, reason: "stopped") }
            guard let shot = try trigger.next() else { continue }
            let started = ContinuousClock.now
            try renderer.render(payload: payload(shot.sequence), into: image)
            renderTimes.append((ContinuousClock.now - started).inMilliseconds)
            let age = ContinuousClock.now - shot.instant
            let capturedAt = Date().addingTimeInterval(-Double(age.components.seconds) - Double(age.components.attoseconds) / 1e18)
            return FrameInfo(sequence: shot.sequence, capturedAt: capturedAt, capturedInstant: shot.instant, dropped: trigger.dropped)
        }
    }

    public func close() {
        closed = true
        trigger.close()
        if ProcessInfo.processInfo.environment["QAZLINE_DEMO_DEBUG"] != nil, !renderTimes.isEmpty {
            let sorted = renderTimes.sorted()
            FileHandle.standardError.write(Data("camera render ms p50 \(percentile(ofSorted: sorted, 0.5)) p99 \(percentile(ofSorted: sorted, 0.99))\n".utf8))
        }
    }
}

/// Triggers from the simulator in the same process: one per bottle its photo-eye counted. A camera further behind
/// than `maxBacklog` bottles skips frames, as a real camera's buffer would.
public final class SimulatorTrigger: TriggerSource {
    private let simulator: LineSimulator
    private var lastShot: UInt64
    public private(set) var dropped: UInt64 = 0
    private let maxBacklog: UInt64

    public init(simulator: LineSimulator, maxBacklog: UInt64 = 3) {
        self.simulator = simulator
        self.maxBacklog = maxBacklog
        lastShot = simulator.counter
    }

    public func next() throws(VisionError) -> CameraTrigger? {
        let counter = simulator.counter
        guard counter > lastShot else {
            usleep(500)
            return nil
        }
        var sequence = lastShot + 1
        if counter - sequence > maxBacklog {
            dropped += counter - sequence - maxBacklog
            sequence = counter - maxBacklog
        }
        lastShot = sequence
        return CameraTrigger(sequence: sequence, instant: simulator.triggerInstant(of: sequence) ?? .now)
    }

    public func close() {}
}

extension TriggeredCamera {
    /// The demo plant's camera: triggered by the simulator, showing each bottle's cap from the script.
    public convenience init(name: String, simulator: LineSimulator, script: CapScript, seed: UInt64) {
        self.init(name: name, trigger: SimulatorTrigger(simulator: simulator), seed: seed) { script.cap(for: $0).payload }
    }
}
