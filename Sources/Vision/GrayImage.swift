import COpenCVShim

/// An 8-bit image owned by OpenCV (gray, or BGR for annotation). Reused across frames: operations that write into
/// an image reallocate it only when the size changes, so a pipeline allocates nothing per frame in steady state.
///
/// Not `Sendable`: an image belongs to the one actor (one camera pipeline) that fills and reads it.
public final class GrayImage {
    let handle: OpaquePointer

    /// An empty image.
    public init() {
        guard let handle = cvs_image_new() else { fatalError("out of memory allocating an image handle") }
        self.handle = handle
    }

    /// A gray image of the given size, filled with `value`.
    public convenience init(width: Int, height: Int, fill value: UInt8 = 0) throws(VisionError) {
        self.init()
        try check(cvs_image_create(handle, Int32(width), Int32(height), 1), "create")
        try check(cvs_image_fill(handle, Int32(value)), "fill")
    }

    deinit { cvs_image_free(handle) }

    public var width: Int { Int(cvs_image_width(handle)) }
    public var height: Int { Int(cvs_image_height(handle)) }
    public var channels: Int { Int(cvs_image_channels(handle)) }
    /// Bytes per row.
    public var stride: Int { Int(cvs_image_step(handle)) }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// Calls `body` with the pixel buffer (rows `stride` bytes apart). The pointer is valid only inside `body`.
    public func withPixels<R>(_ body: (UnsafeMutablePointer<UInt8>, _ width: Int, _ height: Int, _ stride: Int) throws -> R) rethrows -> R {
        try body(cvs_image_data(handle), width, height, stride)
    }

    /// Copies gray pixels in (one copy: from a camera buffer into the reusable frame).
    public func copyGray(from data: UnsafePointer<UInt8>, width: Int, height: Int, stride: Int) throws(VisionError) {
        try check(cvs_image_copy_gray(handle, data, Int32(width), Int32(height), stride), "copy")
    }

    /// Writes the image to a file (format from the extension: .png, .jpg, …).
    public func write(to path: String) throws(VisionError) {
        try check(cvs_image_write(handle, path), "write \(path)")
    }

    /// The pixel value at (x, y) of a gray image (tests and diagnostics).
    public func pixel(x: Int, y: Int) -> UInt8 {
        withPixels { data, _, _, stride in data[y * stride + x] }
    }

    func check(_ status: Int32, _ operation: String) throws(VisionError) {
        if status < 0 { throw OpenCV.error(operation) }
    }
}

/// Helpers around the OpenCV shim.
enum OpenCV {
    /// The shim's last error as a `VisionError`.
    static func error(_ operation: String) -> VisionError {
        .library(library: "OpenCV", operation: operation, message: String(cString: cvs_last_error()))
    }

    static func check(_ status: Int32, _ operation: String) throws(VisionError) {
        if status < 0 { throw error(operation) }
    }

    /// Keep OpenCV to one thread per call: each camera pipeline runs on its own core.
    static let singleThreaded: Void = { cvs_set_threads(1) }()
}
