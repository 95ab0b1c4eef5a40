import Foundation
import LineDecisions

/// One camera frame: the camera and the source's frame sequence (``FrameInfo/sequence``).
public struct FrameRef: Sendable, Hashable, Codable {
    public var camera: String
    public var sequence: UInt64

    public init(camera: String, sequence: UInt64) {
        self.camera = camera
        self.sequence = sequence
    }
}

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
        /// Cameras whose frame for this bottle is known lost (the camera reported dropped frames): no later frame
        /// may be taken for this bottle from them.
        public var lostFrom: Set<String> = []
        /// The frames this bottle took, by camera and the source's frame sequence (to fetch its pictures from the
        /// camera's ring when it is rejected); frames given without a sequence are not listed.
        public var frameRefs: [FrameRef] = []

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
    /// Time from a trigger to its bottle's deadline (the line runtime shortens it on a fast line).
    public var deadline: Duration
    /// Open bottles in sequence order.
    public private(set) var open: [Bottle] = []
    /// Triggered mode: frames that arrived before their bottle's trigger, per camera, oldest first.
    private var waiting: [String: [(instant: ContinuousClock.Instant, payloads: [[UInt8]], sequence: UInt64?)]] = [:]
    /// Recently decided bottles (trigger instant, cameras that gave a frame or are done with it): a frame arriving
    /// after its bottle was decided is recognised as late, not taken as waiting for a trigger.
    private var closed: [(trigger: ContinuousClock.Instant, cameras: Set<String>)] = []
    /// Per camera, frames discarded while waiting for their trigger: as many later triggers get no frame from it.
    private var unmatchedLoss: [String: Int] = [:]
    /// The capture instant of each camera's latest frame.
    private var lastCapture: [String: ContinuousClock.Instant] = [:]
    /// Frames no bottle took.
    public private(set) var strayFrames = 0
    /// Frames discarded because the camera had just lost frames.
    public private(set) var lostAfterDrop = 0

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
            // Strictly in order: this trigger's frame is the oldest waiting one. A frame captured too long before
            // this trigger was observed means the PLC saw the trigger late: which bottle that frame belongs to is not
            // certain, so it is discarded and this bottle gets no frame from the camera (a no-read, rejected) rather
            // than a younger frame that may be the next bottle's.
            for camera in Set(waiting.keys).union(unmatchedLoss.keys).sorted() {
                if let owed = unmatchedLoss[camera], owed > 0 {
                    unmatchedLoss[camera] = owed - 1
                    bottle.lostFrom.insert(camera)
                    continue
                }
                guard var queue = waiting[camera], let first = queue.first else { continue }
                if instant - first.instant > maxFrameWait {
                    queue.removeFirst()
                    strayFrames += 1
                    bottle.lostFrom.insert(camera)
                } else if first.instant <= instant.advanced(by: tolerance) {
                    bottle.frames[camera] = [first.payloads]
                    if let sequence = first.sequence { bottle.frameRefs.append(FrameRef(camera: camera, sequence: sequence)) }
                    queue.removeFirst()
                }
                waiting[camera] = queue
            }
        }
        open.append(bottle)
        open.sort { $0.sequence < $1.sequence }
        return takeComplete(liveCameras: liveCameras)
    }

    /// A frame was decoded. Returns bottles complete because of it.
    /// - Parameter sequence: the frame's sequence from its source, remembered by the bottle that takes it.
    /// - Parameter afterDrop: the camera lost frames since its previous one. Frames of a triggered camera are matched
    ///   in order; after a loss it is unknown which bottles the lost frames (and this one) belonged to, so every open
    ///   bottle that could have been photographed by then gets no frame from this camera (a no-read, rejected), and
    ///   this frame is not used: a code is never given to the wrong bottle.
    public mutating func frame(camera: String, capturedAt instant: ContinuousClock.Instant, payloads: [[UInt8]],
                               sequence: UInt64? = nil, afterDrop: Bool = false, liveCameras: Set<String>) -> [Bottle] {
        lastCapture[camera] = max(lastCapture[camera] ?? instant, instant)
        if afterDrop, mode == .triggered {
            let latest = instant.advanced(by: maxFrameWait)
            for index in open.indices where open[index].frames[camera] == nil && open[index].triggerInstant <= latest {
                open[index].lostFrom.insert(camera)
            }
            waiting[camera] = nil
            lostAfterDrop += 1
            strayFrames += 1
            return takeComplete(liveCameras: liveCameras)
        }
        switch mode {
        case .triggered:
            // Observed no earlier than `tolerance` before the capture and no later than `maxFrameWait` after it: a
            // frame never goes to a later bottle when its own bottle was already decided without it.
            let earliest = instant.advanced(by: .zero - tolerance), latest = instant.advanced(by: maxFrameWait)
            // Frames come in capture order: an open bottle without a frame whose trigger came before this capture
            // will not get one any more (its frame was lost); mark it so, then give this frame to the next in order.
            var taken = false
            var observedLate: Int?
            for index in open.indices where open[index].frames[camera] == nil {
                if open[index].lostFrom.contains(camera) {
                    // A bottle that gets no frame from this camera still absorbs the frame that fits its time (most
                    // likely its own): discarded, never passed on, so one lost frame does not cost every later bottle.
                    if open[index].triggerInstant >= earliest, open[index].triggerInstant <= latest {
                        open[index].frames[camera] = []
                        strayFrames += 1
                        taken = true
                        break
                    }
                    continue
                }
                if open[index].triggerInstant < earliest {
                    open[index].lostFrom.insert(camera)
                    continue
                }
                if open[index].triggerInstant <= latest {
                    open[index].frames[camera] = [payloads]
                    if let sequence { open[index].frameRefs.append(FrameRef(camera: camera, sequence: sequence)) }
                    taken = true
                } else {
                    observedLate = index
                }
                break
            }
            if !taken {
                if let index = closed.firstIndex(where: { !$0.cameras.contains(camera) && $0.trigger >= earliest && $0.trigger <= latest }) {
                    // The frame of a bottle already decided without it (it came after the deadline): too late.
                    closed[index].cameras.insert(camera)
                    strayFrames += 1
                } else if let index = observedLate {
                    // The next bottle in order was observed more than `maxFrameWait` after this exposure: the PLC poll
                    // saw its trigger late (a stalled poll, a link that came back: several bottles reported at one
                    // instant). This frame is most likely its own, but not certainly: it gets no frame from this
                    // camera (a no-read, rejected) and the frame is discarded, so a later frame of the same poll
                    // never goes to it.
                    open[index].lostFrom.insert(camera)
                    strayFrames += 1
                } else {
                    waiting[camera, default: []].append((instant, payloads, sequence))  // its trigger is not reported yet
                }
            }
        case .continuous:
            let latest = instant.advanced(by: tolerance)
            if let index = open.lastIndex(where: { $0.triggerInstant <= latest }) {
                open[index].frames[camera, default: []].append(payloads)
                if let sequence { open[index].frameRefs.append(FrameRef(camera: camera, sequence: sequence)) }
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
            let pruned = before - waiting[camera]!.count
            strayFrames += pruned
            // Each frame that waited in vain may be a bottle whose trigger the PLC has not reported yet: the next
            // trigger(s) get no frame from this camera rather than a frame that may be the following bottle's.
            if pruned > 0, mode == .triggered { unmatchedLoss[camera, default: 0] += pruned }
        }
        let late = open.filter { $0.deadline <= now }
        if !late.isEmpty { open.removeAll { $0.deadline <= now } }
        remember(late)
        return late
    }

    /// Every open bottle, now (graceful shutdown after the cameras stopped).
    public mutating func drainAll() -> [Bottle] {
        defer { open.removeAll() }
        return open
    }

    /// The earliest deadline among open bottles.
    public var nextDeadline: ContinuousClock.Instant? { open.map(\.deadline).min() }

    private mutating func remember(_ bottles: [Bottle]) {
        guard mode == .triggered, !bottles.isEmpty else { return }
        for bottle in bottles { closed.append((bottle.triggerInstant, Set(bottle.frames.keys))) }
        if closed.count > 64 { closed.removeFirst(closed.count - 64) }
    }

    private mutating func takeComplete(liveCameras: Set<String>) -> [Bottle] {
        guard !liveCameras.isEmpty else { return [] }
        var done: [Bottle] = []
        switch mode {
        case .triggered:
            done = open.filter { bottle in liveCameras.allSatisfy { bottle.frames[$0] != nil || bottle.lostFrom.contains($0) } }
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
        remember(done)
        return done
    }
}
