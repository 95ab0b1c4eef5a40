import COpenCVShim

/// A colour copy of a frame to draw on (calibration reports).
public final class AnnotatedImage {
    private let image = GrayImage()

    public init(_ frame: GrayImage) throws(VisionError) {
        try OpenCV.check(cvs_to_bgr(frame.handle, image.handle), "convert to colour")
    }

    public func rectangle(x: Int, y: Int, width: Int, height: Int, color: (Int, Int, Int), thickness: Int) throws(VisionError) {
        try OpenCV.check(cvs_draw_rect(image.handle, Int32(x), Int32(y), Int32(width), Int32(height),
                                       Int32(color.0), Int32(color.1), Int32(color.2), Int32(thickness)), "draw")
    }

    public func circle(x: Int, y: Int, radius: Int, color: (Int, Int, Int), thickness: Int) throws(VisionError) {
        try OpenCV.check(cvs_draw_circle(image.handle, Int32(x), Int32(y), Int32(radius), Int32(color.0), Int32(color.1),
                                         Int32(color.2), Int32(thickness)), "draw")
    }

    public func polygon(_ points: [Point], color: (Int, Int, Int), thickness: Int) throws(VisionError) {
        let flat = points.flatMap { [Float($0.x), Float($0.y)] }
        try OpenCV.check(cvs_draw_polyline(image.handle, flat, Int32(points.count), 1, Int32(color.0), Int32(color.1),
                                           Int32(color.2), Int32(thickness)), "draw")
    }

    public func text(_ text: String, x: Int, y: Int, scale: Double, color: (Int, Int, Int)) throws(VisionError) {
        try OpenCV.check(cvs_draw_text(image.handle, text, Int32(x), Int32(max(12, y)), scale, Int32(color.0), Int32(color.1),
                                       Int32(color.2), 2), "draw")
    }

    public func write(to path: String) throws(VisionError) { try image.write(to: path) }
}
