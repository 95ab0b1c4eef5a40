import COpenCVShim
import Foundation
import LineConfig
import LineCore

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

    /// Draws text; OpenCV's Hershey font has ASCII only (× becomes x, other characters ?).
    public func text(_ text: String, x: Int, y: Int, scale: Double, color: (Int, Int, Int)) throws(VisionError) {
        let ascii = String(text.replacingOccurrences(of: "×", with: "x").unicodeScalars.map { $0.isASCII ? Character($0) : "?" })
        try OpenCV.check(cvs_draw_text(image.handle, ascii, Int32(x), Int32(max(12, y)), scale, Int32(color.0), Int32(color.1),
                                       Int32(color.2), 2), "draw")
    }

    public func write(to path: String) throws(VisionError) { try image.write(to: path) }
}

extension AnnotatedImage {
    /// What the chain saw, drawn on a colour copy of the frame: the region of interest (blue), the located caps (yellow
    /// when read, red when not), each code's quadrilateral (green) with the step that read it and the end of its
    /// text, symbols found but not read (red), and a status line (red frame when nothing was read). `truth`, when
    /// known, adds how many expected codes were missed.
    public convenience init(_ frame: GrayImage, analysis: FrameAnalysis, label: String, truth: [String]? = nil) throws(VisionError) {
        try self.init(frame)
        let roi = analysis.roi
        try rectangle(x: roi.x, y: roi.y, width: roi.width, height: roi.height, color: (60, 140, 255), thickness: 2)
        for cap in analysis.caps {
            let read = analysis.codes.contains { cap.contains($0.center) }
            try circle(x: Int(cap.x), y: Int(cap.y), radius: Int(cap.radius), color: read ? (255, 220, 0) : (255, 40, 40), thickness: read ? 1 : 2)
        }
        for quad in analysis.unread { try polygon(quad, color: (255, 40, 40), thickness: 3) }
        // Labels sized to the frame, so that they stay legible in a half-size picture.
        let labelScale = max(0.55, Double(frame.width) / 1_500)
        // A case of 24 codes has no room for labels: the quadrilaterals say enough.
        for code in analysis.codes {
            try polygon(code.corners, color: (40, 220, 60), thickness: 3)
            guard analysis.codes.count <= 6 else { continue }
            let text = String(code.text.suffix(20))
            try self.text("\(code.step.isEmpty ? code.decoder.rawValue : code.step): \(text)", x: Int(code.corners.map(\.x).min() ?? 0),
                          y: Int(code.corners.map(\.y).min() ?? 20) - 8, scale: labelScale, color: (40, 220, 60))
        }
        var status = "\(label): \(analysis.codes.count) code(s), \(String(format: "%.1f", analysis.total.inMilliseconds)) ms"
        if analysis.codes.isEmpty {
            status += "  NO READ"
            try rectangle(x: 2, y: 2, width: frame.width - 4, height: frame.height - 4, color: (255, 40, 40), thickness: 6)
        }
        if let truth {
            let missed = Set(truth).subtracting(analysis.codes.map(\.text))
            if !missed.isEmpty { status += "  missed \(missed.count) of \(truth.count)" }
        }
        try self.text(status, x: 12, y: Int(34 * labelScale / 0.55), scale: labelScale * 1.6, color: analysis.codes.isEmpty ? (255, 60, 60) : (255, 255, 255))
    }

    /// Writes the picture scaled by `factor` (0.5 for documentation and reports).
    public func write(to path: String, scale factor: Double) throws(VisionError) {
        guard factor != 1 else { return try write(to: path) }
        let scaled = GrayImage()
        try OpenCV.check(cvs_resize(image.handle, factor, scaled.handle), "resize")
        try scaled.write(to: path)
    }
}
