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

    public init(camera: String, info: FrameInfo, codes: [DecodedCode], stages: [(stage: String, duration: Duration)] = [],
                total: Duration, overruns: [DecoderName] = []) {
        self.camera = camera
        self.info = info
        self.codes = codes
        self.stages = stages
        self.total = total
        self.overruns = overruns
    }
}

/// One camera: captures, preprocesses and decodes on its own thread, and hands out only decoded values. A failing
/// camera never stops another one: each pipeline is its own actor on its own queue.
public actor CameraPipeline {
    public nonisolated let camera: String
    private nonisolated let executor: QueueExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let open: @Sendable () throws(VisionError) -> any FrameSource
    private let calibration: CalibrationConfiguration
    private let reopenBackoff: Duration
    private var source: (any FrameSource)?
    private var decoder: DecodePipeline?
    private let frame = GrayImage()

    /// - Parameters:
    ///   - camera: the camera's id.
    ///   - calibration: its calibration.
    ///   - reopenBackoff: wait between attempts to reopen a lost source.
    ///   - open: opens the frame source (called again after the source is lost).
    public init(camera: String, calibration: CalibrationConfiguration, reopenBackoff: Duration = .seconds(1),
                open: @escaping @Sendable () throws(VisionError) -> any FrameSource) {
        self.camera = camera
        self.calibration = calibration
        self.reopenBackoff = reopenBackoff
        self.open = open
        executor = QueueExecutor(label: "camera.\(camera)")
    }

    /// Reads, analyses and reports frames until the source ends, `maxFrames` frames were analysed, or the task is
    /// cancelled.
    public func run(maxFrames: Int? = nil, onEvent: @Sendable (CameraEvent) async -> Void) async {
        var analysed = 0
        while !Task.isCancelled {
            if let maxFrames, analysed >= maxFrames { break }
            do throws(VisionError) {
                if decoder == nil { decoder = try DecodePipeline(calibration: calibration) }
                if source == nil { source = try open() }
                guard let source, let decoder else { continue }
                guard let info = try source.next(into: frame) else {
                    await onEvent(.ended(camera: camera))
                    break
                }
                let analysis = try decoder.analyze(frame)
                analysed += 1
                await onEvent(.frame(CameraFrameResult(camera: camera, info: info, codes: analysis.codes, stages: analysis.stages,
                                                       total: analysis.total, overruns: analysis.overruns)))
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
}
