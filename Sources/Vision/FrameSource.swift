import Foundation
import LineConfig

/// What a frame source says about the frame it just delivered.
public struct FrameInfo: Sendable, Hashable {
    /// Counts delivered frames from 0 (for GenICam cameras: the camera's own frame id).
    public var sequence: UInt64
    /// When the frame was captured (UTC), as close to exposure as the source knows.
    public var capturedAt: Date
    /// Monotonic capture time, for latency measurements.
    public var capturedInstant: ContinuousClock.Instant
    /// Frames lost since the source opened (camera buffer underruns, incomplete frames, gaps in frame ids).
    public var dropped: UInt64
    /// The file a folder source read the frame from.
    public var file: String?

    public init(sequence: UInt64, capturedAt: Date, capturedInstant: ContinuousClock.Instant, dropped: UInt64, file: String? = nil) {
        self.sequence = sequence
        self.capturedAt = capturedAt
        self.capturedInstant = capturedInstant
        self.dropped = dropped
        self.file = file
    }
}

/// The frame source seam: a camera, a stream, a folder of images or generated frames. Fills a reusable gray image
/// (one copy from the source's buffer at most). Belongs to one camera pipeline (not `Sendable`).
public protocol FrameSource: AnyObject {
    /// Names the source in errors and logs (`genicam:Aravis-Fake-GV01`, `folder:/frames`, …).
    var name: String { get }
    /// Fills `image` with the next frame; nil at the end of a finite source.
    func next(into image: GrayImage) throws(VisionError) -> FrameInfo?
    /// Releases the device or stream. Further `next` calls throw `sourceClosed`.
    func close()
}

/// Opens the frame source a camera configuration describes.
/// - Parameters:
///   - configuration: the camera's `source` block.
///   - acquisition: exposure, gain and trigger from the camera's calibration.
///   - resolve: turns a path written in the configuration into an absolute URL.
public func openFrameSource(
    _ configuration: FrameSourceConfiguration, acquisition: AcquisitionSettings = AcquisitionSettings(),
    resolve: (String) -> URL = { URL(fileURLWithPath: $0) }
) throws(VisionError) -> any FrameSource {
    switch configuration.kind {
    case .folder:
        return try FolderFrameSource(folder: resolve(configuration.path ?? "").path, loop: configuration.loop ?? false)
    case .video:
        return try VideoFrameSource(video: resolve(configuration.path ?? "").path, loop: configuration.loop ?? false)
    case .v4l2:
        return try VideoFrameSource(device: configuration.path ?? "")
    case .gstreamer:
        return try VideoFrameSource(gstreamer: configuration.pipeline ?? "")
    case .rtsp:
        return try VideoFrameSource(rtsp: configuration.url ?? "")
    case .genicam:
        return try GenICamFrameSource(deviceID: configuration.deviceID ?? "", acquisition: acquisition)
    case .synthetic:
        return SyntheticFrameSource(synthesizer: FrameSynthesizer(profile: .nominal, seed: 1))
    }
}
