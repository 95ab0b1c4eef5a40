import ConfigKit
import COpenCVShim
import Foundation
import LineConfig

/// A located cap: centre and radius in frame pixels.
public struct Circle: Hashable, Sendable, Codable {
    public var x: Double
    public var y: Double
    public var radius: Double

    public func contains(_ point: Point) -> Bool {
        let dx = point.x - x, dy = point.y - y
        return dx * dx + dy * dy <= radius * radius
    }
}

/// A rectangle in frame pixels.
public struct Rect: Hashable, Sendable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The part of this rectangle inside `width`×`height`, or nil if none.
    func clipped(width frameWidth: Int, height frameHeight: Int) -> Rect? {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(frameWidth, x + width), y1 = min(frameHeight, y + height)
        return x1 > x0 && y1 > y0 ? Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0) : nil
    }
}

/// What the pipeline found in one frame and what it cost.
public struct FrameAnalysis: Sendable {
    /// Codes read, in frame coordinates, without duplicates.
    public var codes: [DecodedCode]
    /// The region of interest used.
    public var roi: Rect
    /// Caps the locator found (empty when no step needed it).
    public var caps: [Circle]
    /// Time per stage (`prepare`, `locate`, `zxing@cap`, `zbar@cap`, `zxing@roi`, …), in the order they ran.
    public var stages: [(stage: String, duration: Duration)]
    /// Decoder steps that took longer than their budget.
    public var overruns: [DecoderName]
    /// Steps skipped because the chain's total budget was spent.
    public var skippedForBudget: Int
    /// Wall time of the whole analysis.
    public var total: Duration
}

/// The calibrated decode chain of one camera: region of interest, rotation, scale, preprocessing, cap locator and
/// decoders with time budgets. Owns every buffer it uses, so steady-state analysis allocates no image memory.
/// Belongs to one camera pipeline (not `Sendable`).
public final class DecodePipeline {
    public let calibration: CalibrationConfiguration
    private let decoders: [(step: DecoderStep, decoder: any CodeDecoder)]
    private let clock = ContinuousClock()

    // Reused buffers.
    private let roiImage = GrayImage()
    private let rotated = GrayImage()
    private let scaledROI = GrayImage()
    private let roiSteps = (GrayImage(), GrayImage())
    private let capSteps = (GrayImage(), GrayImage())
    private let capCrop = GrayImage()
    private let capScaled = GrayImage()
    private let locatorWork = GrayImage()
    private var circleBuffer = [Float](repeating: 0, count: 3 * 64)

    /// Builds the chain a calibration describes.
    public init(calibration: CalibrationConfiguration) throws(VisionError) {
        _ = OpenCV.singleThreaded
        self.calibration = calibration
        var decoders: [(DecoderStep, any CodeDecoder)] = []
        for step in calibration.decoders {
            decoders.append((step, try makeDecoder(step, maxCodes: calibration.maxCodesPerFrame)))
        }
        self.decoders = decoders
    }

    /// Analyses one gray frame.
    public func analyze(_ frame: GrayImage) throws(VisionError) -> FrameAnalysis {
        let start = clock.now
        guard frame.channels == 1 else {
            throw .formatMismatch(source: "camera \(calibration.camera)", reason: "expected gray frames, got \(frame.channels) channels")
        }
        var stages: [(String, Duration)] = []
        let roi = try regionOfInterest(in: frame)

        // The ROI image: rotated, scaled and preprocessed once per frame.
        var t = clock.now
        let prepared = try prepareROI(frame, roi: roi)
        stages.append(("prepare", t.duration(to: clock.now)))

        var codes: [DecodedCode] = []
        var caps: [Circle]?
        var overruns: [DecoderName] = []
        var skipped = 0
        var ranSteps = 0
        let total = calibration.totalBudget.duration
        for (step, decoder) in decoders {
            if codes.count >= calibration.maxCodesPerFrame { break }
            // A decoder cannot be interrupted: a step starts only if its budget fits in what is left of the total.
            if ranSteps > 0, start.duration(to: clock.now) + step.budget.duration > total {
                skipped += 1
                continue
            }
            ranSteps += 1
            // Once caps are located, later steps look only at caps without a code: cap steps skip read caps, and a
            // whole-region step runs only if the locator found no cap at all (it re-reads the same pixels slower).
            if let located = caps, !located.isEmpty {
                if located.allSatisfy({ cap in codes.contains { cap.contains($0.center) } }) { break }
                if step.region == .roi && calibration.roi.mode != .cap { continue }
            }
            t = clock.now
            // In roi mode `cap` the region of interest is the set of located caps, for every step.
            let region = calibration.roi.mode == .cap ? DecoderRegion.cap : step.region
            switch region {
            case .roi:
                let image = try scaled(prepared, by: step.scale, into: capScaled)
                let found = try decoder.decode(image)
                let factor = calibration.scale * step.scale
                for code in found { insert(mapROI(code, roi: roi, factor: factor), into: &codes) }
            case .cap:
                if caps == nil {
                    let locateStart = clock.now
                    caps = try locateCaps(frame, roi: roi)
                    stages.append(("locate", locateStart.duration(to: clock.now)))
                    t = clock.now
                }
                for cap in caps ?? [] where !codes.contains(where: { cap.contains($0.center) }) {
                    if t.duration(to: clock.now) >= step.budget.duration || start.duration(to: clock.now) >= total { break }
                    let margin = Double(calibration.roi.margin)
                    let side = Int((cap.radius + margin) * 2)
                    guard let rect = Rect(x: Int(cap.x - cap.radius - margin), y: Int(cap.y - cap.radius - margin),
                                          width: side, height: side).clipped(width: frame.width, height: frame.height)
                    else { continue }
                    try OpenCV.check(cvs_crop(frame.handle, Int32(rect.x), Int32(rect.y), Int32(rect.width), Int32(rect.height),
                                              capCrop.handle), "crop cap")
                    let factor = calibration.scale * step.scale
                    let image = try preprocess(try scaled(capCrop, by: factor, into: capScaled), buffers: capSteps)
                    for code in try decoder.decode(image) {
                        insert(mapRect(code, origin: rect, factor: factor), into: &codes)
                    }
                }
            }
            let spent = t.duration(to: clock.now)
            stages.append(("\(step.name.rawValue)@\(region.rawValue)", spent))
            if spent > step.budget.duration { overruns.append(step.name) }
        }
        return FrameAnalysis(codes: Array(codes.prefix(calibration.maxCodesPerFrame)), roi: roi, caps: caps ?? [],
                             stages: stages, overruns: overruns, skippedForBudget: skipped, total: start.duration(to: clock.now))
    }

    // MARK: Regions

    private func regionOfInterest(in frame: GrayImage) throws(VisionError) -> Rect {
        let full = Rect(x: 0, y: 0, width: frame.width, height: frame.height)
        let roi = calibration.roi
        switch roi.mode {
        case .full, .cap:
            return full
        case .fixed:
            let rect = Rect(x: (roi.x ?? 0) - roi.margin, y: (roi.y ?? 0) - roi.margin,
                            width: (roi.width ?? frame.width) + 2 * roi.margin, height: (roi.height ?? frame.height) + 2 * roi.margin)
            guard let clipped = rect.clipped(width: frame.width, height: frame.height), clipped.width >= 21, clipped.height >= 21 else {
                throw .calibrationMismatch(
                    key: "roi", reason: "the rectangle \(rect.width)×\(rect.height)+\(rect.x)+\(rect.y) lies outside the \(frame.width)×\(frame.height) frame; lower roi.x/roi.y or run `lineagent calibrate` for a suggestion")
            }
            return clipped
        }
    }

    private func locateCaps(_ frame: GrayImage, roi: Rect) throws(VisionError) -> [Circle] {
        guard let minRadius = calibration.roi.minRadius, let maxRadius = calibration.roi.maxRadius else { return [] }
        let source: GrayImage
        if roi.width == frame.width && roi.height == frame.height {
            source = frame
        } else {
            try OpenCV.check(cvs_crop(frame.handle, Int32(roi.x), Int32(roi.y), Int32(roi.width), Int32(roi.height), roiImage.handle), "crop roi")
            source = roiImage
        }
        let limit = min(circleBuffer.count / 3, calibration.maxCodesPerFrame * 2)
        let count = cvs_find_circles(source.handle, Int32(minRadius), Int32(maxRadius), Int32(limit), &circleBuffer, locatorWork.handle)
        if count < 0 { throw OpenCV.error("locate caps") }
        return (0..<Int(count)).map {
            Circle(x: Double(circleBuffer[3 * $0]) + Double(roi.x), y: Double(circleBuffer[3 * $0 + 1]) + Double(roi.y),
                   radius: Double(circleBuffer[3 * $0 + 2]))
        }
    }

    // MARK: Preparation

    private func prepareROI(_ frame: GrayImage, roi: Rect) throws(VisionError) -> GrayImage {
        var image = frame
        if roi.width != frame.width || roi.height != frame.height {
            try OpenCV.check(cvs_crop(frame.handle, Int32(roi.x), Int32(roi.y), Int32(roi.width), Int32(roi.height), roiImage.handle), "crop roi")
            image = roiImage
        }
        if calibration.rotation != 0 {
            try OpenCV.check(cvs_rotate(image.handle, calibration.rotation, rotated.handle), "rotate")
            image = rotated
        }
        image = try scaled(image, by: calibration.scale, into: scaledROI)
        return try preprocess(image, buffers: roiSteps)
    }

    private func scaled(_ image: GrayImage, by factor: Double, into target: GrayImage) throws(VisionError) -> GrayImage {
        guard factor != 1 else { return image }
        try OpenCV.check(cvs_resize(image.handle, factor, target.handle), "resize")
        return target
    }

    /// Applies the calibration's preprocessing steps, alternating between two reusable buffers.
    private func preprocess(_ input: GrayImage, buffers: (GrayImage, GrayImage)) throws(VisionError) -> GrayImage {
        var current = input
        for (index, step) in calibration.preprocess.enumerated() {
            let target = index % 2 == 0 ? buffers.0 : buffers.1
            let status: Int32 = switch step.op {
            case .clahe: cvs_clahe(current.handle, step.clipLimit ?? 2, Int32(step.tileSize ?? 8), target.handle)
            case .equalize: cvs_equalize(current.handle, target.handle)
            case .sharpen: cvs_sharpen(current.handle, step.amount ?? 1, step.sigma ?? 1, target.handle)
            case .blur: cvs_blur(current.handle, step.sigma ?? 1, target.handle)
            case .threshold: cvs_adaptive_threshold(current.handle, Int32(step.blockSize ?? 31), step.offset ?? 5, target.handle)
            case .invert: cvs_invert(current.handle, target.handle)
            }
            try OpenCV.check(status, "preprocess \(step.op.rawValue)")
            current = target
        }
        return current
    }

    // MARK: Coordinates

    /// Maps a code read on the prepared ROI image back to frame coordinates (undo scale, rotation, crop).
    private func mapROI(_ code: DecodedCode, roi: Rect, factor: Double) -> DecodedCode {
        var mapped = code
        let angle = calibration.rotation * .pi / 180
        let w = Double(roi.width), h = Double(roi.height)
        let cosA = abs(cos(angle)), sinA = abs(sin(angle))
        let rotatedW = (h * sinA + w * cosA).rounded(.up), rotatedH = (h * cosA + w * sinA).rounded(.up)
        mapped.corners = code.corners.map { p in
            var x = p.x / factor, y = p.y / factor
            if calibration.rotation != 0 {
                // Undo a counter-clockwise rotation about the canvas centre (image y axis points down).
                let dx = x - rotatedW / 2, dy = y - rotatedH / 2
                x = dx * cos(angle) - dy * sin(angle) + w / 2
                y = dx * sin(angle) + dy * cos(angle) + h / 2
            }
            return Point(x: x + Double(roi.x), y: y + Double(roi.y))
        }
        return mapped
    }

    private func mapRect(_ code: DecodedCode, origin: Rect, factor: Double) -> DecodedCode {
        var mapped = code
        mapped.corners = code.corners.map { Point(x: $0.x / factor + Double(origin.x), y: $0.y / factor + Double(origin.y)) }
        return mapped
    }

    /// Adds a code unless the same payload was already read at the same place.
    private func insert(_ code: DecodedCode, into codes: inout [DecodedCode]) {
        let center = code.center
        let duplicate = codes.contains { other in
            other.bytes == code.bytes && abs(other.center.x - center.x) < 40 && abs(other.center.y - center.y) < 40
        }
        if !duplicate { codes.append(code) }
    }
}
