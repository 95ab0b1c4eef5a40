import Dispatch
import Foundation
import LineConfig
import LineCore

/// Runs an actor's jobs on its own dispatch queue: camera reads and decodes block for milliseconds, and the
/// default pool has only as many threads as cores.
public final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    public init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

/// What a camera pipeline reports.
public enum CameraEvent: Sendable {
    /// A frame was analysed.
    case frame(CameraFrameResult)
    /// Something went wrong; the pipeline goes on (a bad frame is skipped, a lost source is reopened with backoff).
    case problem(camera: String, error: VisionError)
    /// A finite source (folder, video file) has no more frames.
    case ended(camera: String)
}

/// The outcome of one frame: only values, so it can leave the camera's actor.
public struct CameraFrameResult: Sendable {
    public var camera: String
    public var info: FrameInfo
    public var codes: [DecodedCode]
    public var stages: [(stage: String, duration: Duration)]
    public var total: Duration
    public var overruns: [DecoderName]
    /// The frame's size.
    public var width: Int
    public var height: Int
    /// What the chain looked at (``FrameAnalysis``): the region of interest (nil: not known, the whole frame), the
    /// located caps, the symbols found but not read. ``overlay`` puts them together for the console.
    public var roi: Rect?
    public var caps: [Circle]
    public var unread: [[Point]]

    public init(camera: String, info: FrameInfo, codes: [DecodedCode], stages: [(stage: String, duration: Duration)] = [],
                total: Duration, overruns: [DecoderName] = [], width: Int = 0, height: Int = 0, roi: Rect? = nil,
                caps: [Circle] = [], unread: [[Point]] = []) {
        self.camera = camera
        self.info = info
        self.codes = codes
        self.stages = stages
        self.total = total
        self.overruns = overruns
        self.width = width
        self.height = height
        self.roi = roi
        self.caps = caps
        self.unread = unread
    }

    /// The result of analysing a `width`×`height` frame.
    public init(camera: String, info: FrameInfo, analysis: FrameAnalysis, width: Int, height: Int) {
        self.init(camera: camera, info: info, codes: analysis.codes, stages: analysis.stages, total: analysis.total,
                  overruns: analysis.overruns, width: width, height: height, roi: analysis.roi, caps: analysis.caps,
                  unread: analysis.unread)
    }
}

/// One camera: captures, preprocesses and decodes on its own thread, and hands out only decoded values. A failing
/// camera never stops another one: each pipeline is its own actor on its own queue.
///
/// The frame ring: the source reads each frame into the next of `ringSize` reusable images in turn, so the last
/// frames stay available with what the chain saw in them (``latest(encoding:)``, ``capture(sequences:encoding:)``)
/// without a copy per frame. Nothing is encoded per frame: a frame is copied out and encoded (on the pipeline's own
/// ``FrameEncoder`` queue) only when asked for, once per frame and encoding. The decode chain keeps no reference to
/// a frame after analysing it. The pipeline also keeps the camera's decode-time histogram and read-quality trend
/// (``statistics(now:)``) in constant time per frame. Reading the ring and the statistics never waits for the camera
/// (its queue may sit in a blocking read while the line stands still): they are `nonisolated`, behind the ring's lock.
public actor CameraPipeline {
    public nonisolated let camera: String
    private nonisolated let executor: QueueExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let open: @Sendable () throws(VisionError) -> any FrameSource
    private let calibration: CalibrationConfiguration
    private let reopenBackoff: Duration
    private var source: (any FrameSource)?
    private var decoder: DecodePipeline?
    private nonisolated let ring: FrameRing
    private nonisolated let encoder: FrameEncoder

    /// - Parameters:
    ///   - camera: the camera's id.
    ///   - calibration: its calibration.
    ///   - reopenBackoff: wait between attempts to reopen a lost source.
    ///   - ringSize: how many of the last frames are kept, at least (one more image is the one being read into).
    ///   - open: opens the frame source (called again after the source is lost).
    public init(camera: String, calibration: CalibrationConfiguration, reopenBackoff: Duration = .seconds(1), ringSize: Int = 8,
                open: @escaping @Sendable () throws(VisionError) -> any FrameSource) {
        self.camera = camera
        self.calibration = calibration
        self.reopenBackoff = reopenBackoff
        self.open = open
        ring = FrameRing(size: max(1, ringSize) + 1)
        executor = QueueExecutor(label: "camera.\(camera)")
        encoder = FrameEncoder(label: "camera.\(camera).encode")
    }

    /// Reads, analyses and reports frames until the source ends, `maxFrames` frames were analysed, or the task is
    /// cancelled.
    public func run(maxFrames: Int? = nil, onEvent: @Sendable (CameraEvent) async -> Void) async {
        var analysed = 0
        while !Task.isCancelled {
            if let maxFrames, analysed >= maxFrames { break }
            do throws(VisionError) {
                if decoder == nil { decoder = try DecodePipeline(calibration: calibration) }
                // (A reopened source may count its frames from the start again: the ring keeps the frames from before,
                // and a sequence names the newest frame that has it.)
                if source == nil { source = try open() }
                guard let source, let decoder else { continue }
                // The next image of the ring (its oldest frame, or one whose analysis failed).
                let frame = ring.beginFill()
                let read: FrameInfo?
                do {
                    read = try source.next(into: frame)
                } catch .sourceClosed(let name, let reason) {
                    ring.abandon(untouched: true)  // no frame came (a stopped line, shutdown): nothing was read
                    throw .sourceClosed(source: name, reason: reason)
                } catch .sourceUnavailable(let name, let reason) {
                    ring.abandon(untouched: true)
                    throw .sourceUnavailable(source: name, reason: reason)
                } catch {
                    ring.abandon(untouched: false)
                    throw error
                }
                guard let info = read else {
                    ring.abandon(untouched: true)  // the end: nothing was read
                    await onEvent(.ended(camera: camera))
                    break
                }
                let analysis: FrameAnalysis
                do {
                    analysis = try decoder.analyze(frame)
                } catch {
                    ring.abandon(untouched: false)
                    throw error
                }
                analysed += 1
                let result = CameraFrameResult(camera: camera, info: info, analysis: analysis, width: frame.width, height: frame.height)
                ring.commit(result, decodeMs: analysis.total.inMilliseconds, at: Date())
                await onEvent(.frame(result))
            } catch {
                if Task.isCancelled { break }  // a source interrupted by shutdown is not a problem
                await onEvent(.problem(camera: camera, error: error))
                switch error {
                case .sourceUnavailable, .sourceClosed:
                    source?.close()
                    source = nil
                    try? await Task.sleep(for: reopenBackoff)
                default:
                    break // a bad frame: go on with the next one
                }
            }
        }
        source?.close()
        source = nil
    }

    // MARK: The frame ring (never waits for the camera)

    /// The newest analysed frame, encoded, with its overlay; nil before the first frame. Asking again for the same
    /// frame costs nothing (the encoding is kept with the frame).
    public nonisolated func latest(encoding: FrameEncoding = .standard) async -> FrameCapture? {
        guard let sequence = ring.newestSequence else { return nil }
        return await capture(sequences: [sequence], encoding: encoding).first
    }

    /// The frames with these sequence numbers that are still in the ring, encoded, in the order asked (frames no
    /// longer in the ring are left out).
    public nonisolated func capture(sequences: [UInt64], encoding: FrameEncoding = .standard) async -> [FrameCapture] {
        var captures: [FrameCapture] = []
        for sequence in sequences {
            guard let frame = ring.frame(sequence: sequence, encoding: encoding) else { continue }
            let data: Data
            if let encoded = frame.encoded {
                data = encoded
            } else if let pixels = frame.pixels, let made = try? await encoder.encode(pixels, as: encoding) {
                // Copied out under the ring's lock (a millisecond at most), encoded on the encoder's queue.
                data = made
                ring.keep(made, encoding: encoding, for: frame.result.info)
            } else {
                continue
            }
            captures.append(FrameCapture(camera: camera, sequence: sequence, capturedAt: frame.result.info.capturedAt, image: data,
                                         mimeType: encoding.mimeType, overlay: frame.result.overlay))
        }
        return captures
    }

    /// The frames in the ring, oldest first, as pixels with what the chain saw (for an analysis elsewhere).
    public nonisolated func ringFrames() -> [(info: FrameInfo, pixels: FramePixels, result: CameraFrameResult)] { ring.frames() }

    /// The sequence numbers of the frames in the ring, oldest first.
    public nonisolated func ringSequences() -> [UInt64] { ring.sequences() }

    /// The camera's decode-time histogram and read-quality trend.
    public nonisolated func statistics(now: Date = Date()) -> CameraStatistics { ring.statistics(now: now) }

    /// Frames encoded since start (each frame at most once per encoding).
    public nonisolated var encodedFrames: Int { ring.encodedFrames }
}
