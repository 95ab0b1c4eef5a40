import CAravis
import Foundation
import LineConfig

/// A GenICam industrial camera (GigE Vision or USB3 Vision) through aravis. Exposure, gain and trigger mode come
/// from the calibration; frames are Mono8 and are copied once, from the camera's buffer into the reusable frame.
public final class GenICamFrameSource: FrameSource {
    public let name: String
    private var camera: UnsafeMutablePointer<ArvCamera>?
    private var stream: UnsafeMutablePointer<ArvStream>?
    private let timeoutMicroseconds: UInt64
    private var lastFrameID: UInt64?
    private var gaps: UInt64 = 0
    private var sequence: UInt64 = 0

    /// Opens a camera by id (`arv_get_device_id`, e.g. `Aravis-Fake-GV01`), by IP address, or the first one found
    /// when `deviceID` is empty, and starts acquisition.
    public init(deviceID: String, acquisition: AcquisitionSettings = AcquisitionSettings(), buffers: Int = 8,
                timeout: Duration = .seconds(2)) throws(VisionError) {
        name = "genicam:\(deviceID.isEmpty ? "(first camera)" : deviceID)"
        timeoutMicroseconds = UInt64(timeout.components.seconds) * 1_000_000 + UInt64(timeout.components.attoseconds / 1_000_000_000_000)
        var error: UnsafeMutablePointer<GError>?
        guard let camera = arv_camera_new(deviceID.isEmpty ? nil : deviceID, &error) else {
            throw .sourceUnavailable(source: name, reason: Self.take(&error) ?? "no camera found (check the cable, the network interface and the id)")
        }
        self.camera = camera
        do throws(VisionError) {
            try configure(acquisition)
            let format = arv_camera_get_pixel_format(camera, &error)
            try check(&error, "read PixelFormat")
            if format != ARV_PIXEL_FORMAT_MONO_8 {
                let text = arv_camera_get_pixel_format_as_string(camera, nil).map { String(cString: $0) } ?? "0x\(String(format, radix: 16))"
                throw VisionError.formatMismatch(source: name, reason: "PixelFormat is \(text); set the camera to Mono8")
            }
            let payload = arv_camera_get_payload(camera, &error)
            try check(&error, "read PayloadSize")
            guard let stream = arv_camera_create_stream(camera, nil, nil, &error) else {
                throw VisionError.sourceUnavailable(source: name, reason: Self.take(&error) ?? "cannot create a stream")
            }
            self.stream = stream
            for _ in 0..<max(2, buffers) { arv_stream_push_buffer(stream, arv_buffer_new(Int(payload), nil)) }
            arv_camera_start_acquisition(camera, &error)
            try check(&error, "start acquisition")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func configure(_ acquisition: AcquisitionSettings) throws(VisionError) {
        guard let camera else { return }
        var error: UnsafeMutablePointer<GError>?
        arv_camera_set_acquisition_mode(camera, ARV_ACQUISITION_MODE_CONTINUOUS, &error)
        try check(&error, "set AcquisitionMode Continuous")
        switch acquisition.trigger {
        case .freeRun:
            arv_camera_clear_triggers(camera, &error)
            try check(&error, "clear triggers")
            if let rate = acquisition.frameRate {
                arv_camera_set_frame_rate(camera, rate, &error)
                try check(&error, "set frame rate \(rate) (calibration acquisition.frameRate)")
            }
        case .hardware:
            arv_camera_set_trigger(camera, "Line1", &error)
            try check(&error, "set hardware trigger Line1 (calibration acquisition.trigger)")
        case .software:
            arv_camera_set_trigger(camera, "Software", &error)
            try check(&error, "set software trigger (calibration acquisition.trigger)")
        }
        if let exposure = acquisition.exposureUs {
            arv_camera_set_exposure_time(camera, exposure, &error)
            try check(&error, "set exposure \(exposure) µs (calibration acquisition.exposureUs)")
        }
        if let gain = acquisition.gainDb {
            arv_camera_set_gain(camera, gain, &error)
            try check(&error, "set gain \(gain) dB (calibration acquisition.gainDb)")
        }
    }

    /// Sends a software trigger (trigger mode `software`).
    public func trigger() throws(VisionError) {
        guard let camera else { throw .sourceClosed(source: name, reason: "closed") }
        var error: UnsafeMutablePointer<GError>?
        arv_camera_software_trigger(camera, &error)
        try check(&error, "software trigger")
    }

    public func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        guard let stream else { throw .sourceClosed(source: name, reason: "closed") }
        while true {
            guard let buffer = arv_stream_timeout_pop_buffer(stream, guint64(timeoutMicroseconds)) else {
                throw .sourceClosed(source: name, reason: "no frame within \(timeoutMicroseconds / 1000) ms (camera disconnected, or no trigger)")
            }
            defer { arv_stream_push_buffer(stream, buffer) }
            let status = arv_buffer_get_status(buffer)
            guard status == ARV_BUFFER_STATUS_SUCCESS else {
                gaps += 1
                continue
            }
            let frameID = UInt64(arv_buffer_get_frame_id(buffer))
            if let last = lastFrameID, frameID > last + 1 { gaps += frameID - last - 1 }
            lastFrameID = frameID
            let width = Int(arv_buffer_get_image_width(buffer)), height = Int(arv_buffer_get_image_height(buffer))
            guard arv_buffer_get_image_pixel_format(buffer) == ARV_PIXEL_FORMAT_MONO_8 else {
                throw .formatMismatch(source: name, reason: "a frame arrived in a format other than Mono8")
            }
            var size = 0
            guard let data = arv_buffer_get_image_data(buffer, &size), size >= width * height else {
                throw .formatMismatch(source: name, reason: "frame of \(size) bytes for \(width)×\(height) Mono8")
            }
            try image.copyGray(from: data.assumingMemoryBound(to: UInt8.self), width: width, height: height, stride: width)
            var completed: guint64 = 0, failures: guint64 = 0, underruns: guint64 = 0
            arv_stream_get_statistics(stream, &completed, &failures, &underruns)
            defer { sequence += 1 }
            let (capturedAt, capturedInstant) = Self.captureTime(systemTimestamp: UInt64(arv_buffer_get_system_timestamp(buffer)))
            return FrameInfo(sequence: frameID, capturedAt: capturedAt, capturedInstant: capturedInstant,
                             dropped: max(gaps, UInt64(failures + underruns)), file: nil)
        }
    }

    /// When the frame was taken, as far as the host knows: Aravis' system timestamp (wall clock, nanoseconds, set
    /// when the frame began to arrive), not the moment this thread got round to popping it — a busy agent may pop a
    /// frame a bottle period late, and frames are matched to bottles by these times. Falls back to now when the
    /// stream gives no timestamp or an implausible one (in the future, or more than 10 s old).
    static func captureTime(systemTimestamp: UInt64, now: Date = Date(), instant: ContinuousClock.Instant = .now)
        -> (Date, ContinuousClock.Instant) {
        guard systemTimestamp > 0 else { return (now, instant) }
        let taken = Date(timeIntervalSince1970: Double(systemTimestamp) / 1e9)
        let age = now.timeIntervalSince(taken)
        guard age >= 0, age <= 10 else { return (now, instant) }
        return (taken, instant - .nanoseconds(Int64(age * 1e9)))
    }

    public func close() {
        if let camera { arv_camera_stop_acquisition(camera, nil) }
        if let stream { g_object_unref(stream) }
        if let camera { g_object_unref(camera) }
        stream = nil
        camera = nil
    }

    private func check(_ error: inout UnsafeMutablePointer<GError>?, _ operation: String) throws(VisionError) {
        if let message = Self.take(&error) { throw .library(library: "aravis", operation: "\(name) \(operation)", message: message) }
    }

    private static func take(_ error: inout UnsafeMutablePointer<GError>?) -> String? {
        guard let pointer = error else { return nil }
        defer {
            g_error_free(pointer)
            error = nil
        }
        return String(cString: pointer.pointee.message)
    }
}
