import Foundation
import LineDecisions

/// Matches camera frames to bottles by time: the PLC's trigger events give each bottle an observed instant, every
/// frame carries its capture instant (both on the monotonic clock). A value type with no I/O, fed by ``LineRuntime``.
///
/// - Triggered mode (one frame per bottle per camera, or a hardware-triggered camera): a frame belongs to the
///   earliest open bottle that has no frame from that camera yet and whose trigger was observed no earlier than
///   `tolerance` before the capture. The PLC is polled, so a trigger is observed up to one poll interval (plus the
///   request) after the photo-eye fired, i.e. after the hardware-triggered exposure; `tolerance` absorbs a camera
///   timestamp taken a little after the exposure (transfer time). A trigger is observed at most `maxFrameWait`
///   after the capture (keep it below one bottle period); a frame that arrives before its trigger was observed
///   waits that long for it, then it is stray (a free-running camera, a double trigger). A frame whose bottle was
///   already decided without it (it came too late) is never given to the next bottle.
///   A bottle is complete when every camera that delivers has given it a frame.
/// - Continuous mode (several frames per bottle): a frame belongs to the last bottle whose trigger was observed at
///   or before the capture (+ `tolerance`); a bottle's window closes when the next bottle's trigger was observed and
///   every delivering camera has sent a frame captured after it.
///
/// Every open bottle also has a deadline; ``expired(at:)`` hands out those past it, decided with what they have.
public struct BottleCorrelator: Sendable {
    /// One bottle between its trigger and its decision.
    public struct Bottle: Sendable {
        public var sequence: UInt64
        public var triggerInstant: ContinuousClock.Instant
        public var triggerTime: Date
        public var recipe: Int?
        public var deadline: ContinuousClock.Instant
        /// Decoded payloads per camera, one entry per frame.
        public var frames: [String: [[[UInt8]]]] = [:]

        /// The window as the decider reads it: triggered mode merges the cameras' frames into one frame.
        public func window(lineID: String, mode: WindowMode) -> BottleWindow {
            let cameras = frames.keys.sorted()
            let perFrame: [[[UInt8]]]
            switch mode {
            case .triggered: perFrame = frames.isEmpty ? [] : [cameras.flatMap { frames[$0]!.flatMap { $0 } }]
            case .continuous: perFrame = cameras.flatMap { frames[$0]! }
            }
            return BottleWindow(lineID: lineID, sequence: sequence, recipe: recipe, frames: perFrame)
        }

        public var frameCount: Int { frames.values.reduce(0) { $0 + $1.count } }
    }

    public let mode: WindowMode
    public let tolerance: Duration
    public let maxFrameWait: Duration
    public let deadline: Duration
    /// Open bottles in sequence order.
    public private(set) var open: [Bottle] = []
    /// Triggered mode: frames that arrived before their bottle's trigger, per camera, oldest first.
    private var waiting: [String: [(instant: ContinuousClock.Instant, payloads: [[UInt8]])]] = [:]
    /// The capture instant of each camera's latest frame.
    private var lastCapture: [String: ContinuousClock.Instant] = [:]
    /// Frames no bottle took.
    public private(set) var strayFrames = 0

    public init(mode: WindowMode, tolerance: Duration, maxFrameWait: Duration, deadline: Duration) {
        self.mode = mode
        self.tolerance = tolerance
        self.maxFrameWait = maxFrameWait
        self.deadline = deadline
    }

    /// A bottle's trigger was observed. Returns bottles complete because of it (continuous: the previous one).
    public mutating func trigger(sequence: UInt64, at instant: ContinuousClock.Instant, time: Date, recipe: Int?,
                                 liveCameras: Set<String>) -> [Bottle] {
        if open.contains(where: { $0.sequence == sequence }) { return [] }
        var bottle = Bottle(sequence: sequence, triggerInstant: instant, triggerTime: time, recipe: recipe,
                            deadline: instant.advanced(by: deadline))
        if mode == .triggered {
            for camera in waiting.keys.sorted() {
                guard var queue = waiting[camera], !queue.isEmpty else { continue }
                // Frames captured too long before this trigger belong to no bottle any more.
                let before = queue.count
                queue.removeAll { instant - $0.instant > maxFrameWait }
                strayFrames += before - queue.count
                // The oldest waiting frame captured no later than this trigger (+ tolerance) is this bottle's.
                if let index = queue.firstIndex(where: { $0.instant <= instant.advanced(by: tolerance) }) {
                    bottle.frames[camera] = [queue[index].payloads]
                    strayFrames += index
                    queue.removeSubrange(...index)
                }
                waiting[camera] = queue
            }
        }
        open.append(bottle)
        open.sort { $0.sequence < $1.sequence }
        return takeComplete(liveCameras: liveCameras)
    }

    /// A frame was decoded. Returns bottles complete because of it.
    public mutating func frame(camera: String, capturedAt instant: ContinuousClock.Instant, payloads: [[UInt8]],
                               liveCameras: Set<String>) -> [Bottle] {
        lastCapture[camera] = max(lastCapture[camera] ?? instant, instant)
        switch mode {
        case .triggered:
            // Observed no earlier than `tolerance` before the capture and no later than `maxFrameWait` after it: a
            // frame never goes to a later bottle when its own bottle was already decided without it.
            let earliest = instant.advanced(by: .zero - tolerance), latest = instant.advanced(by: maxFrameWait)
            if let index = open.firstIndex(where: { $0.frames[camera] == nil && $0.triggerInstant >= earliest && $0.triggerInstant <= latest }) {
                open[index].frames[camera] = [payloads]
            } else {
                waiting[camera, default: []].append((instant, payloads))
            }
        case .continuous:
            let latest = instant.advanced(by: tolerance)
            if let index = open.lastIndex(where: { $0.triggerInstant <= latest }) {
                open[index].frames[camera, default: []].append(payloads)
            } else {
                strayFrames += 1
            }
        }
        return takeComplete(liveCameras: liveCameras)
    }

    /// Bottles past their deadline (decided with what they have), and stray frames dropped.
    public mutating func expired(at now: ContinuousClock.Instant) -> [Bottle] {
        for camera in waiting.keys {
            let before = waiting[camera]!.count
            waiting[camera]!.removeAll { now - $0.instant > maxFrameWait }
            strayFrames += before - waiting[camera]!.count
        }
        let late = open.filter { $0.deadline <= now }
        if !late.isEmpty { open.removeAll { $0.deadline <= now } }
        return late
    }

    /// Every open bottle, now (graceful shutdown after the cameras stopped).
    public mutating func drainAll() -> [Bottle] {
        defer { open.removeAll() }
        return open
    }

    /// The earliest deadline among open bottles.
    public var nextDeadline: ContinuousClock.Instant? { open.map(\.deadline).min() }

    private mutating func takeComplete(liveCameras: Set<String>) -> [Bottle] {
        guard !liveCameras.isEmpty else { return [] }
        var done: [Bottle] = []
        switch mode {
        case .triggered:
            done = open.filter { bottle in liveCameras.allSatisfy { bottle.frames[$0] != nil } }
        case .continuous:
            for (index, bottle) in open.enumerated() where index + 1 < open.count {
                let next = open[index + 1].triggerInstant
                if liveCameras.allSatisfy({ (lastCapture[$0].map { $0 >= next }) ?? false }) { done.append(bottle) }
            }
        }
        if !done.isEmpty {
            let sequences = Set(done.map(\.sequence))
            open.removeAll { sequences.contains($0.sequence) }
        }
        return done
    }
}
