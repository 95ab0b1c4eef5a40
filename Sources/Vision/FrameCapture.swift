import COpenCVShim
import Foundation
import LineCore

/// What the decode chain saw in one frame, as values to draw over the picture (the console draws it; no pixels are
/// touched): the region of interest, the located caps, each code's quadrilateral with its text and the step that
/// read it, and the symbols found but not read. Frame coordinates, pixels.
public struct FrameOverlay: Sendable, Hashable, Codable {
    /// One code read.
    public struct Code: Sendable, Hashable, Codable {
        /// Top-left, top-right, bottom-right, bottom-left.
        public var corners: [Point]
        /// The payload as text.
        public var text: String
        /// The chain step that read it (`zxing@roi+harder`, `zbar@cap`, …).
        public var step: String
        public var decoder: DecoderName
        /// Symbol contrast (0…1), when measured.
        public var contrast: Double?

        public init(corners: [Point], text: String, step: String, decoder: DecoderName, contrast: Double? = nil) {
            self.corners = corners
            self.text = text
            self.step = step
            self.decoder = decoder
            self.contrast = contrast
        }
    }

    public var width: Int
    public var height: Int
    public var roi: Rect
    public var caps: [Circle]
    public var codes: [Code]
    /// Symbols a decoder found but no step could read (corners).
    public var unread: [[Point]]
    /// Wall time of the frame's analysis, milliseconds.
    public var decodeMs: Double

    public init(width: Int, height: Int, roi: Rect, caps: [Circle], codes: [Code], unread: [[Point]], decodeMs: Double) {
        self.width = width
        self.height = height
        self.roi = roi
        self.caps = caps
        self.codes = codes
        self.unread = unread
        self.decodeMs = decodeMs
    }
}

extension CameraFrameResult {
    /// The frame's overlay (built on demand: nothing is assembled per frame).
    public var overlay: FrameOverlay {
        FrameOverlay(width: width, height: height, roi: roi ?? Rect(x: 0, y: 0, width: width, height: height), caps: caps,
                     codes: codes.map { FrameOverlay.Code(corners: $0.corners, text: $0.text, step: $0.step, decoder: $0.decoder,
                                                          contrast: $0.quality?.contrast) },
                     unread: unread, decodeMs: total.inMilliseconds)
    }
}

/// How frames are encoded for people and for the disk.
public enum FrameEncoding: Sendable, Hashable {
    /// JPEG of the given quality (0-100): about 4 ms and 250 kB for a 1280×1024 frame at 90.
    case jpeg(quality: Int)
    /// PNG (lossless) at a zlib level 0-9: 25-35 ms for a 1280×1024 frame with sensor noise.
    case png(level: Int)

    /// The default: JPEG at 90 (cheap enough to archive several frames a second; the chain still reads its codes).
    public static let standard = FrameEncoding.jpeg(quality: 90)

    public var mimeType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        }
    }

    /// The file extension, without the dot.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        }
    }
}

/// One frame as the console shows it: the encoded picture, what the chain saw in it, and when it was taken.
public struct FrameCapture: Sendable {
    public var camera: String
    /// The source's frame number (``FrameInfo/sequence``).
    public var sequence: UInt64
    /// When it was captured (UTC).
    public var capturedAt: Date
    /// The encoded picture.
    public var image: Data
    /// `image/jpeg` or `image/png`.
    public var mimeType: String
    public var overlay: FrameOverlay

    public init(camera: String, sequence: UInt64, capturedAt: Date, image: Data, mimeType: String, overlay: FrameOverlay) {
        self.camera = camera
        self.sequence = sequence
        self.capturedAt = capturedAt
        self.image = image
        self.mimeType = mimeType
        self.overlay = overlay
    }
}

/// A gray frame's pixels copied out of a camera's ring (rows packed, no padding): a value that may leave the camera's
/// actor, to be encoded or analysed elsewhere.
public struct FramePixels: Sendable {
    public var width: Int
    public var height: Int
    public var bytes: [UInt8]

    /// Copies a gray image's pixels.
    public init(_ image: GrayImage) {
        width = image.width
        height = image.height
        bytes = image.withPixels { data, width, height, stride in
            guard width > 0, height > 0 else { return [] }
            if stride == width { return Array(UnsafeBufferPointer(start: data, count: width * height)) }
            var packed = [UInt8](repeating: 0, count: width * height)
            packed.withUnsafeMutableBufferPointer { target in
                for row in 0..<height { (target.baseAddress! + row * width).update(from: data + row * stride, count: width) }
            }
            return packed
        }
    }

    /// Fills `image` with these pixels.
    public func copy(into image: GrayImage) throws(VisionError) {
        guard width > 0, height > 0 else {
            throw .formatMismatch(source: "frame pixels", reason: "an empty frame")
        }
        try bytes.withUnsafeBufferPointer { (buffer) throws(VisionError) in
            try image.copyGray(from: buffer.baseAddress!, width: width, height: height, stride: width)
        }
    }
}

/// Encodes frames on its own dispatch queue, so that neither a camera's queue nor the cooperative pool spends the
/// milliseconds an encoding takes. Owns its buffers (one image, one byte buffer), reused call after call.
public actor FrameEncoder {
    private nonisolated let executor: QueueExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let image = GrayImage()
    private let buffer = EncodedBytes()

    public init(label: String) { executor = QueueExecutor(label: label) }

    /// The pixels encoded as `encoding` says.
    public func encode(_ pixels: FramePixels, as encoding: FrameEncoding) throws(VisionError) -> Data {
        try pixels.copy(into: image)
        return try buffer.encode(image, as: encoding)
    }
}

/// The shim's reusable byte buffer for encoded images. Not `Sendable`: it belongs to one encoder.
final class EncodedBytes {
    private let handle: OpaquePointer

    init() {
        guard let handle = cvs_bytes_new() else { fatalError("out of memory allocating an encoding buffer") }
        self.handle = handle
    }

    deinit { cvs_bytes_free(handle) }

    func encode(_ image: GrayImage, as encoding: FrameEncoding) throws(VisionError) -> Data {
        let status = switch encoding {
        case .jpeg(let quality): cvs_image_encode(image.handle, 0, Int32(quality), handle)
        case .png(let level): cvs_image_encode(image.handle, 1, Int32(level), handle)
        }
        try OpenCV.check(status, "encode \(encoding.fileExtension)")
        return Data(bytes: cvs_bytes_data(handle), count: cvs_bytes_size(handle))
    }
}

extension GrayImage {
    /// The image encoded in memory (tests and tools; a camera encodes through its ``FrameEncoder``).
    public func encoded(as encoding: FrameEncoding) throws(VisionError) -> Data {
        try EncodedBytes().encode(self, as: encoding)
    }
}
