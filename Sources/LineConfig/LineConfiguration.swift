import ConfigKit
import Foundation

/// One filling line: its cameras, its PLC and how rejects are handled.
public struct LineConfiguration: Codable, Sendable, ValidatableConfig {
    /// The line's id (in metrics, logs and activations).
    public var id: String
    /// A name for people.
    public var name: String?
    /// Cameras looking at the caps on this line.
    public var cameras: [CameraConfiguration]
    /// The line's PLC.
    public var plc: PLCConfiguration
    /// Reject station and verification.
    public var reject: RejectPolicy
    /// The packing station where this line's bottles are aggregated into cases (nil: none).
    public var caseStation: CaseStationConfiguration?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        cameras = try c.decode([CameraConfiguration].self, forKey: .cameras)
        plc = try c.decode(PLCConfiguration.self, forKey: .plc)
        reject = try c.decodeIfPresent(RejectPolicy.self, forKey: .reject) ?? RejectPolicy()
        caseStation = try c.decodeIfPresent(CaseStationConfiguration.self, forKey: .caseStation)
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkIdentifier(id, at: "id")
        v.check(!cameras.isEmpty, at: "cameras", "a line needs at least one camera")
        v.each("cameras", cameras) { v, camera in camera.validate(&v) }
        v.validate("plc", plc)
        v.validate("reject", reject)
        if let caseStation {
            v.validate("caseStation", caseStation)
            if caseStation.camera.id == id || cameras.contains(where: { $0.id == caseStation.camera.id }) {
                v.error(at: "caseStation.camera.id", "\"\(caseStation.camera.id)\" is already a camera of this line; the case camera needs its own id")
            }
            if caseStation.plc.transport == plc.transport, caseStation.plc.host == plc.host, caseStation.plc.device == plc.device,
               caseStation.plc.effectivePort == plc.effectivePort, caseStation.plc.unitID == plc.unitID {
                // The same PLC: the station's signals must not sit on the line's.
                for a in plc.registers.signals {
                    for b in caseStation.plc.registers.signals where a.register.table == b.register.table
                        && a.register.addresses.overlaps(b.register.addresses) {
                        v.error(at: "caseStation.plc.registers.\(b.key).address",
                                "the station uses the line's PLC, and \(b.register.table.rawValue) \(b.register.address) overlaps the line's \(a.key)")
                    }
                }
            }
        }
    }
}

/// How frames are matched to bottles.
public enum CorrelationMode: String, ConfigEnum, Codable {
    /// One frame per PLC trigger (or a hardware-triggered camera).
    case triggered
    /// Several frames per bottle, grouped between triggers; the code seen in most frames wins.
    case continuous
}

/// One camera: where its frames come from and which calibration file tunes it.
public struct CameraConfiguration: Codable, Sendable, ValidatableConfig {
    /// The camera's id; its calibration file is usually `Calibration/<id>.yaml`.
    public var id: String
    /// Where frames come from.
    public var source: FrameSourceConfiguration
    /// The calibration file (relative to this configuration file unless absolute).
    public var calibration: String
    /// Triggered or continuous correlation of frames with bottles.
    public var mode: CorrelationMode
    /// A camera that delivers no frame for this long is reported dead (its bottles are no-reads).
    public var frameTimeout: ConfigDuration
    /// How many frames of rejected bottles are kept on disk for this camera (`<outbox folder>/frames/<id>/`, the
    /// oldest deleted first); 0 keeps none.
    public var failedFrames: Int

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        source = try c.decode(FrameSourceConfiguration.self, forKey: .source)
        calibration = try c.decode(String.self, forKey: .calibration)
        mode = try c.decodeIfPresent(CorrelationMode.self, forKey: .mode) ?? .triggered
        frameTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .frameTimeout) ?? ConfigDuration(.seconds(1))
        failedFrames = try c.decodeIfPresent(Int.self, forKey: .failedFrames) ?? 50
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkIdentifier(id, at: "id")
        v.validate("source", source)
        v.checkFileExists(calibration, at: "calibration", what: "calibration file")
        v.check(frameTimeout.duration >= .milliseconds(10), at: "frameTimeout", "expected at least 10ms")
        v.checkRange(failedFrames, 0...10_000, at: "failedFrames", what: "a frame count")
    }
}

/// The kinds of frame sources.
public enum FrameSourceKind: String, ConfigEnum, Codable {
    /// A folder of images, read in sorted order (tests, demos, calibration).
    case folder
    /// A video file read through OpenCV.
    case video
    /// A V4L2 device such as `/dev/video0`.
    case v4l2
    /// A GStreamer pipeline ending in `appsink`.
    case gstreamer
    /// An RTSP stream.
    case rtsp
    /// A GenICam camera (GigE Vision / USB3 Vision) through aravis.
    case genicam
    /// Frames generated in-process (the simulated line of the demo).
    case synthetic
}

/// Where a camera's frames come from. Which keys apply depends on `kind`.
public struct FrameSourceConfiguration: Codable, Sendable, ValidatableConfig {
    public var kind: FrameSourceKind
    /// `folder`, `video`: a path. `v4l2`: a device path.
    public var path: String?
    /// `rtsp`: the stream URL.
    public var url: String?
    /// `gstreamer`: the pipeline, ending in `appsink`.
    public var pipeline: String?
    /// `genicam`: the camera id as aravis lists it (`arv-tool-0.8`); empty picks the first camera.
    public var deviceID: String?
    /// `folder`, `video`: start again at the end.
    public var loop: Bool?

    public func validate(_ v: inout ConfigValidator) {
        func require(_ value: String?, _ key: String, _ what: String) {
            v.check(!(value ?? "").isEmpty, at: key, "a \(kind.rawValue) source needs \(key) (\(what))")
        }
        switch kind {
        case .folder:
            require(path, "path", "a folder of images")
            if let path, !path.isEmpty { v.checkFileExists(path, at: "path", what: "image folder") }
        case .video: require(path, "path", "a video file")
        case .v4l2: require(path, "path", "a device such as /dev/video0")
        case .gstreamer:
            require(pipeline, "pipeline", "a GStreamer pipeline ending in appsink")
            if let pipeline, !pipeline.isEmpty {
                v.check(pipeline.contains("appsink"), at: "pipeline", "the pipeline must end in appsink so frames reach the agent")
            }
        case .rtsp:
            require(url, "url", "rtsp://host/stream")
            if let url, !url.isEmpty { v.check(url.hasPrefix("rtsp://") || url.hasPrefix("rtsps://"), at: "url", "expected an rtsp:// URL") }
        case .genicam, .synthetic:
            break
        }
        let used: [(String, Bool)] = [("path", path != nil), ("url", url != nil), ("pipeline", pipeline != nil), ("deviceID", deviceID != nil)]
        let allowed: Set<String> = switch kind {
        case .folder, .video, .v4l2: ["path"]
        case .gstreamer: ["pipeline"]
        case .rtsp: ["url"]
        case .genicam: ["deviceID"]
        case .synthetic: []
        }
        for (key, present) in used where present && !allowed.contains(key) {
            v.error(at: key, "does not apply to a \(kind.rawValue) source")
        }
    }
}

/// What happens to bad bottles.
public struct RejectPolicy: Codable, Sendable, ValidatableConfig {
    /// How many bottles downstream of the camera the reject station sits.
    public var stationOffset: Int
    /// A commanded reject must be confirmed by the PLC within this many bottles, or it counts as missed.
    public var confirmWithin: Int
    /// Request a line stop when a reject is missed.
    public var stopLineOnMiss: Bool
    /// This many non-good bottles in a row raise an alarm.
    public var consecutiveFailureAlarm: Int
    /// Request a line stop on that alarm too.
    public var stopLineOnConsecutiveFailures: Bool
    /// A decision not made this long after the trigger is made as `timeout` (the bottle is rejected).
    public var decisionDeadline: ConfigDuration

    public init() {
        stationOffset = 3
        confirmWithin = 5
        stopLineOnMiss = true
        consecutiveFailureAlarm = 5
        stopLineOnConsecutiveFailures = false
        decisionDeadline = ConfigDuration(.milliseconds(100))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RejectPolicy()
        stationOffset = try c.decodeIfPresent(Int.self, forKey: .stationOffset) ?? d.stationOffset
        confirmWithin = try c.decodeIfPresent(Int.self, forKey: .confirmWithin) ?? max(d.confirmWithin, stationOffset + 2)
        stopLineOnMiss = try c.decodeIfPresent(Bool.self, forKey: .stopLineOnMiss) ?? d.stopLineOnMiss
        consecutiveFailureAlarm = try c.decodeIfPresent(Int.self, forKey: .consecutiveFailureAlarm) ?? d.consecutiveFailureAlarm
        stopLineOnConsecutiveFailures = try c.decodeIfPresent(Bool.self, forKey: .stopLineOnConsecutiveFailures)
            ?? d.stopLineOnConsecutiveFailures
        decisionDeadline = try c.decodeIfPresent(ConfigDuration.self, forKey: .decisionDeadline) ?? d.decisionDeadline
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkRange(stationOffset, 1...100, at: "stationOffset", what: "a bottle count")
        v.check(confirmWithin > stationOffset, at: "confirmWithin",
                "must be more than stationOffset (\(stationOffset)): a reject cannot be confirmed before the bottle reaches the station")
        v.check(confirmWithin <= stationOffset + 50, at: "confirmWithin", "expected at most stationOffset + 50")
        v.checkRange(consecutiveFailureAlarm, 1...10_000, at: "consecutiveFailureAlarm", what: "a bottle count")
        v.check(decisionDeadline.duration >= .milliseconds(5) && decisionDeadline.duration <= .seconds(10),
                at: "decisionDeadline", "expected 5ms to 10s")
    }
}
