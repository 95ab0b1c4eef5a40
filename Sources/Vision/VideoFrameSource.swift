import COpenCVShim
import Foundation
import LineCore

/// Frames through OpenCV's VideoCapture: a video file, a V4L2 device, a GStreamer pipeline or an RTSP stream.
public final class VideoFrameSource: FrameSource {
    public let name: String
    private var capture: OpaquePointer?
    private let reopen: (() -> OpaquePointer?)?
    private let work = GrayImage()
    private var sequence: UInt64 = 0
    private var dropped: UInt64 = 0

    private init(name: String, open: @escaping () -> OpaquePointer?, loop: Bool) throws(VisionError) {
        _ = OpenCV.singleThreaded
        self.name = name
        guard let capture = open() else {
            let reason = SecretRedaction.redactingPasswords(String(cString: cvs_last_error()))
            throw .sourceUnavailable(source: name, reason: reason.isEmpty ? "OpenCV could not open it" : reason)
        }
        self.capture = capture
        reopen = loop ? open : nil
    }

    deinit { close() }

    /// A video file (any format Debian's OpenCV reads through FFMPEG, e.g. MJPG AVI, MP4).
    public convenience init(video path: String, loop: Bool = false) throws(VisionError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .sourceUnavailable(source: "video:\(path)", reason: "no such file") }
        try self.init(name: "video:\(path)", open: { cvs_capture_open(path, 1) }, loop: loop)
    }

    /// A V4L2 device such as `/dev/video0`.
    public convenience init(device path: String) throws(VisionError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .sourceUnavailable(source: "v4l2:\(path)", reason: "no such device (is the camera plugged in and the driver loaded?)")
        }
        try self.init(name: "v4l2:\(path)", open: { cvs_capture_open(path, 3) }, loop: false)
    }

    /// A GStreamer pipeline ending in `appsink`.
    public convenience init(gstreamer pipeline: String) throws(VisionError) {
        // The name shows in errors, logs and the console: a camera's password in the pipeline never does.
        try self.init(name: "gstreamer:\(SecretRedaction.redactingPasswords(pipeline))", open: { cvs_capture_open(pipeline, 2) }, loop: false)
    }

    /// An RTSP stream (through FFMPEG, which needs no extra GStreamer plugins).
    public convenience init(rtsp url: String) throws(VisionError) {
        try self.init(name: "rtsp:\(SecretRedaction.redactingPasswords(url))", open: { cvs_capture_open(url, 1) }, loop: false)
    }

    public func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        guard let capture else { throw .sourceClosed(source: name, reason: "closed") }
        let now = Date()
        let instant = ContinuousClock.now
        var status = cvs_capture_read(capture, image.handle, work.handle)
        if status == 0, let reopen {
            cvs_capture_free(capture)
            self.capture = reopen()
            guard let again = self.capture else { throw .sourceClosed(source: name, reason: "could not reopen for looping") }
            status = cvs_capture_read(again, image.handle, work.handle)
        }
        switch status {
        case 1:
            defer { sequence += 1 }
            return FrameInfo(sequence: sequence, capturedAt: now, capturedInstant: instant, dropped: dropped, file: nil)
        case 0:
            return nil
        default:
            throw .sourceClosed(source: name, reason: SecretRedaction.redactingPasswords(String(cString: cvs_last_error())))
        }
    }

    public func close() {
        if let capture { cvs_capture_free(capture) }
        capture = nil
    }
}

/// Writes gray frames into an MJPG video file (tests and demos make video sources with it).
public final class VideoFileWriter {
    private var writer: OpaquePointer?
    private let color = GrayImage()

    public init(path: String, fps: Double, width: Int, height: Int) throws(VisionError) {
        guard let writer = cvs_writer_open(path, fps, Int32(width), Int32(height), 1) else {
            throw .sourceUnavailable(source: "video:\(path)", reason: String(cString: cvs_last_error()))
        }
        self.writer = writer
    }

    deinit { close() }

    public func write(_ image: GrayImage) throws(VisionError) {
        guard let writer else { throw .sourceClosed(source: "video writer", reason: "closed") }
        try OpenCV.check(cvs_to_bgr(image.handle, color.handle), "convert")
        try OpenCV.check(cvs_writer_write(writer, color.handle), "write frame")
    }

    public func close() {
        if let writer { cvs_writer_free(writer) }
        writer = nil
    }
}
