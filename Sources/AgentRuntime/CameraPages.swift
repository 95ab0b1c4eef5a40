import Dispatch
import Foundation
import LineConfig
import LineCore
import ServiceLifecycle
import Vision

/// One camera as the console's camera page shows it (the frames themselves come from ``CameraPages/latestFrame(camera:)``
/// and ``CameraPages/failedFrame(camera:name:)``).
public struct CameraView: Sendable, Encodable {
    public var lineID: String
    public var cameraID: String
    /// `starting`, `delivering`, `silent`, `failed` or `ended` (as in `/status`).
    public var state: String
    /// Frames analysed since start.
    public var frames: Int
    /// Decode-time histogram over the last frames, read-quality trend per minute over the last hour.
    public var statistics: CameraStatistics
    /// Frames of rejected bottles kept on disk, newest first (each with its overlay, bottle and decision).
    public var failedFrames: [FailedFrameRecord]
    /// What became of the frames the line asked to keep since start (saved, dropped, …).
    public var failedFrameCounts: FailedFrameCounts
    /// How many frames are kept at most (`failedFrames` of the camera's configuration).
    public var failedFramesKept: Int
    /// Sequences of the frames still in the camera's ring, oldest first (``CameraPages/frames(camera:sequences:)``).
    public var ringSequences: [UInt64]
}

/// Why a camera page request failed.
public enum CameraPagesError: Error, Sendable, CustomStringConvertible {
    case unknownCamera(String)

    public var description: String {
        switch self {
        case .unknownCamera(let id): "no camera \"\(id)\" in this agent's configuration"
        }
    }
}

/// What the console's camera page reads: per camera its state, decode-time histogram and read-quality trend, the
/// newest frame with what the chain saw in it, the kept frames of rejected bottles (``FailedFrameArchive``), and the
/// calibration tool's analysis of the recent frames — the same code as `lineagent calibrate`
/// (``CalibrationAnalysis``). Nothing here runs per frame: every figure is kept in constant time by the cameras, and
/// frames are encoded only when asked for.
public final class CameraPages: Sendable {
    public let plan: AgentPlan
    public let lines: [LineRuntime]
    public let archive: FailedFrameArchive
    /// One analysis at a time, off the cameras' queues and the cooperative pool.
    private let analysisQueue = DispatchQueue(label: "frames.analysis", qos: .utility)

    public init(plan: AgentPlan, lines: [LineRuntime], archive: FailedFrameArchive) {
        self.plan = plan
        self.lines = lines
        self.archive = archive
    }

    /// The cameras' ids in configuration order.
    public var cameraIDs: [String] { plan.configuration.lines.flatMap { $0.cameras.map(\.id) } }

    /// The camera page's figures; nil for an unknown camera.
    public func cameraView(_ cameraID: String) async -> CameraView? {
        guard let (pipeline, lineID, keep) = archive.camera(cameraID),
              let line = lines.first(where: { $0.lineID == lineID }) else { return nil }
        let status = await line.status().cameras.first { $0.id == cameraID }
        return CameraView(lineID: lineID, cameraID: cameraID, state: status?.state ?? "starting", frames: status?.frames ?? 0,
                          statistics: pipeline.statistics(), failedFrames: await archive.records(camera: cameraID),
                          failedFrameCounts: archive.counts(camera: cameraID) ?? FailedFrameCounts(), failedFramesKept: keep,
                          ringSequences: pipeline.ringSequences())
    }

    /// The camera's newest frame, encoded (JPEG), with its overlay; nil before its first frame or for an unknown
    /// camera. Asking again for the same frame costs nothing.
    public func latestFrame(camera cameraID: String) async -> FrameCapture? {
        await archive.camera(cameraID)?.pipeline.latest()
    }

    /// Frames still in the camera's ring (``CameraView/ringSequences``), encoded, with their overlays.
    public func frames(camera cameraID: String, sequences: [UInt64]) async -> [FrameCapture] {
        await archive.camera(cameraID)?.pipeline.capture(sequences: sequences) ?? []
    }

    /// The picture of a kept frame of a rejected bottle, by its ``FailedFrameRecord/name``; nil unless the name is
    /// one the archive lists for this camera (never a path: `../x`, `a/b` and the like are refused).
    public func failedFrame(camera cameraID: String, name: String) async -> (data: Data, mimeType: String)? {
        guard archive.camera(cameraID) != nil else { return nil }
        return await archive.image(camera: cameraID, name: name)
    }

    /// The calibration tool's analysis (read rate, per-stage times, suggested region of interest, advice) of the
    /// camera's kept frames of rejected bottles, oldest first, then (with `includeRing`) the frames in its ring —
    /// what `lineagent calibrate --camera ID --source <the camera's frames folder>` reports for the kept frames.
    /// Runs on a queue of its own, one analysis at a time.
    public func analyzeRecent(camera cameraID: String, includeRing: Bool = true) async throws -> CalibrationReport {
        guard let (pipeline, _, _) = archive.camera(cameraID), let calibration = plan.calibrations[cameraID],
              let configuration = plan.configuration.lines.lazy.flatMap(\.cameras).first(where: { $0.id == cameraID }) else {
            throw CameraPagesError.unknownCamera(cameraID)
        }
        let files = await archive.imagePaths(camera: cameraID)
        let ring = includeRing ? pipeline.ringFrames().map { ($0.info, $0.pixels) } : []
        let calibrationName = plan.resolve(configuration.calibration).path
        let name = "recent:\(cameraID) (\(files.count) kept frames of rejected bottles, \(ring.count) from the ring)"
        return try await withCheckedThrowingContinuation { continuation in
            analysisQueue.async {
                continuation.resume(with: Result {
                    try CalibrationAnalysis.run(calibration: calibration, calibrationName: calibrationName,
                                                source: RecentFrames(name: name, files: files, ring: ring), limit: files.count + ring.count)
                })
            }
        }
    }
}

extension LineAgentRuntime {
    /// See ``CameraPages/cameraView(_:)``.
    public func cameraView(_ cameraID: String) async -> CameraView? { await cameraPages.cameraView(cameraID) }

    /// See ``CameraPages/latestFrame(camera:)``.
    public func latestFrame(camera cameraID: String) async -> FrameCapture? { await cameraPages.latestFrame(camera: cameraID) }

    /// See ``CameraPages/failedFrame(camera:name:)``.
    public func failedFrame(camera cameraID: String, name: String) async -> (data: Data, mimeType: String)? {
        await cameraPages.failedFrame(camera: cameraID, name: name)
    }

    /// See ``CameraPages/analyzeRecent(camera:includeRing:)``.
    public func analyzeRecent(camera cameraID: String, includeRing: Bool = true) async throws -> CalibrationReport {
        try await cameraPages.analyzeRecent(camera: cameraID, includeRing: includeRing)
    }
}

extension AgentPlan {
    /// Where the frames of rejected bottles are kept: `frames/` beside the outbox, one folder per camera.
    public var failedFramesDirectory: URL {
        URL(fileURLWithPath: outboxPath).deletingLastPathComponent().appendingPathComponent("frames", isDirectory: true)
    }
}

/// Kept pictures, then frames copied out of a camera's ring, as one frame source for the calibration analysis.
final class RecentFrames: FrameSource {
    let name: String
    private let files: [String]
    private let ring: [(info: FrameInfo, pixels: FramePixels)]
    private var index = 0

    init(name: String, files: [String], ring: [(FrameInfo, FramePixels)]) {
        self.name = name
        self.files = files
        self.ring = ring.map { (info: $0.0, pixels: $0.1) }
    }

    func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        defer { index += 1 }
        if index < files.count {
            try ImageFile.read(files[index], into: image)
            return FrameInfo(sequence: UInt64(index), capturedAt: Date(), capturedInstant: .now, dropped: 0, file: files[index])
        }
        guard index - files.count < ring.count else { return nil }
        let frame = ring[index - files.count]
        try frame.pixels.copy(into: image)
        return frame.info
    }

    func close() {}
}

/// The archive of rejected bottles' frames as a service: takes its queue until graceful shutdown reaches it (after
/// the lines' last decisions), then writes what is queued and stops.
struct FailedFrameArchiveService: Service {
    let archive: FailedFrameArchive

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await archive.run() }
            try? await gracefulShutdown()
            archive.finish()
        }
    }
}
