import ConfigKit
import COpenCVShim
import Foundation
import LineConfig
import LineCore

/// A located cap: centre and radius in frame pixels.
public struct Circle: Hashable, Sendable, Codable {
    public var x: Double
    public var y: Double
    public var radius: Double

    public init(x: Double, y: Double, radius: Double) {
        self.x = x
        self.y = y
        self.radius = radius
    }

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
    /// Codes read, in frame coordinates, without duplicates, each with the step that read it and its read quality.
    public var codes: [DecodedCode]
    /// The region of interest used.
    public var roi: Rect
    /// Caps the locator found (empty when no step needed it).
    public var caps: [Circle]
    /// Symbols a decoder found but no step could read (corners in frame coordinates).
    public var unread: [[Point]]
    /// Time per stage (`prepare`, `locate`, `zxing@cap×1.5`, `zbar@cap`, `zxing@roi`, …), in the order they ran.
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
///
/// The policy: each step looks at what the steps before it did not read — caps without a code (`cap`), symbols an
/// earlier zxing step found but could not decode (`unread`), or the whole region (`roi`). A whole-region step runs
/// whenever the chain may still lack a code: no cap located, a located cap without a code, an unread symbol, or
/// (without `expectedCodes`) to find codes away from the caps. The chain stops when it has `expectedCodes` codes,
/// and a step starts only if its budget fits in what is left of the total.
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
    private let variantImage = GrayImage()
    private let locatorWork = GrayImage()
    private var circleBuffer = [Float](repeating: 0, count: 3 * 64)
    /// Each step's measured decode cost per pixel of crop (nanoseconds), so that a crop starts only if it fits.
    private var nanosecondsPerPixel: [Double]

    /// Builds the chain a calibration describes.
    public convenience init(calibration: CalibrationConfiguration) throws(VisionError) {
        var decoders: [any CodeDecoder] = []
        for step in calibration.decoders {
            decoders.append(try makeDecoder(step))
        }
        try self.init(calibration: calibration, decoders: decoders)
    }

    /// A chain with the given decoders, one per calibration step (tests inject their own).
    public init(calibration: CalibrationConfiguration, decoders: [any CodeDecoder]) throws(VisionError) {
        _ = OpenCV.singleThreaded
        guard decoders.count == calibration.decoders.count else {
            throw .calibrationMismatch(key: "decoders", reason: "\(calibration.decoders.count) steps but \(decoders.count) decoders given")
        }
        self.calibration = calibration
        self.decoders = Array(zip(calibration.decoders, decoders))
        nanosecondsPerPixel = Array(repeating: 0, count: decoders.count)
    }

    /// Analyses one gray frame.
    public func analyze(_ frame: GrayImage) throws(VisionError) -> FrameAnalysis {
        try analyze(frame, located: nil)
    }

    /// Analyses one gray frame whose caps the caller located (the case reader finds them as bright discs): the cap
    /// steps crop these caps instead of running the chain's own locator, and `FrameAnalysis.caps` returns them.
    public func analyze(_ frame: GrayImage, caps: [Circle]) throws(VisionError) -> FrameAnalysis {
        try analyze(frame, located: caps)
    }

    private func analyze(_ frame: GrayImage, located: [Circle]?) throws(VisionError) -> FrameAnalysis {
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
        var unread: [[Point]] = []
        var caps: [Circle]? = located
        var overruns: [DecoderName] = []
        var skipped = 0
        var ranSteps = 0
        let total = calibration.totalBudget.duration
        let limit = min(calibration.maxCodesPerFrame, calibration.expectedCodes ?? .max)
        for (index, (step, decoder)) in decoders.enumerated() {
            if codes.count >= limit { break }
            // In roi mode `cap` the region of interest is the set of located caps, for every step.
            let region = calibration.roi.mode == .cap && step.region == .roi ? DecoderRegion.cap : step.region
            // A decoder cannot be interrupted: a step starts only if its budget fits in what is left of the total.
            let fits = ranSteps == 0 || start.duration(to: clock.now) + step.budget.duration <= total
            let stepStart = clock.now
            // Locating the caps is part of the first cap step (charged to its budget).
            if region == .cap, caps == nil {
                guard fits else {
                    skipped += 1
                    continue
                }
                caps = try locateCaps(frame, roi: roi)
                stages.append(("locate", stepStart.duration(to: clock.now)))
            }
            // What is left for this step to look at.
            let openCaps = (caps ?? []).filter { cap in !codes.contains { read(cap, by: $0) } }
            unread.removeAll { quad in codes.contains { covers($0, quad) } }
            switch region {
            case .cap: if openCaps.isEmpty { continue }
            case .unread: if unread.isEmpty { continue }
            case .roi: break
            }
            guard fits else {
                skipped += 1
                continue
            }
            ranSteps += 1
            t = stepStart
            let factor = calibration.scale * step.scale
            func take(_ output: DecoderOutput, map: (DecodedCode) -> DecodedCode) {
                for code in output.codes {
                    var mapped = map(code)
                    mapped.step = step.label
                    mapped.quality = ReadQuality(contrast: 0, modulePx: nil, stepIndex: index)
                    insert(mapped, into: &codes)
                }
                for quad in output.unread {
                    let mapped = map(DecodedCode(bytes: [], decoder: step.name, corners: quad)).corners
                    if !unread.contains(where: { overlaps($0, mapped) }) { unread.append(mapped) }
                }
            }
            switch region {
            case .roi:
                let image = try variant(step.variant, of: try scaled(prepared, by: step.scale, into: capScaled))
                let output = try decoder.read(image)
                take(output) { mapROI($0, roi: roi, factor: factor) }
            case .cap, .unread:
                let margin = Double(calibration.roi.margin)
                let rects: [Rect] = region == .cap
                    ? openCaps.map { cap in
                        let side = Int((cap.radius + margin) * 2)
                        return Rect(x: Int(cap.x - cap.radius - margin), y: Int(cap.y - cap.radius - margin), width: side, height: side)
                    }
                    : unread.map { quad in Quad.bounds(quad, margin: max(8, Quad.longestSide(quad) * 0.25)) }
                for candidate in rects {
                    guard let rect = candidate.clipped(width: frame.width, height: frame.height), rect.width >= 8, rect.height >= 8 else { continue }
                    // A crop starts only if its expected cost (this step's measured cost per pixel) fits in the step's
                    // budget and the chain's: one large crop must not overrun both.
                    let pixels = Double(rect.width * rect.height) * factor * factor
                    let expected = Duration.nanoseconds(Int64(nanosecondsPerPixel[index] * pixels))
                    if t.duration(to: clock.now) + expected > step.budget.duration || start.duration(to: clock.now) + expected > total { continue }
                    let cropStart = clock.now
                    try OpenCV.check(cvs_crop(frame.handle, Int32(rect.x), Int32(rect.y), Int32(rect.width), Int32(rect.height),
                                              capCrop.handle), "crop")
                    let prepared = try preprocess(try scaled(capCrop, by: factor, into: capScaled), buffers: capSteps)
                    let output = try decoder.read(try variant(step.variant, of: prepared))
                    take(output) { mapRect($0, origin: rect, factor: factor) }
                    let measured = cropStart.duration(to: clock.now).inMilliseconds * 1e6 / max(1, pixels)
                    nanosecondsPerPixel[index] = nanosecondsPerPixel[index] == 0 ? measured : 0.8 * nanosecondsPerPixel[index] + 0.2 * measured
                }
            }
            let spent = t.duration(to: clock.now)
            stages.append((step.label, spent))
            if spent > step.budget.duration { overruns.append(step.name) }
        }
        unread.removeAll { quad in codes.contains { covers($0, quad) } }
        var reported = Array(codes.prefix(calibration.maxCodesPerFrame))
        for index in reported.indices { reported[index].quality = try quality(of: reported[index], in: frame) }
        return FrameAnalysis(codes: reported, roi: roi, caps: caps ?? [], unread: unread, stages: stages, overruns: overruns,
                             skippedForBudget: skipped, total: start.duration(to: clock.now))
    }

    /// The read quality of a code: its contrast in the frame as delivered, its module size, the step that read it.
    private func quality(of code: DecodedCode, in frame: GrayImage) throws(VisionError) -> ReadQuality {
        let box = Quad.bounds(code.corners)
        var low = 0.0, high = 0.0
        try OpenCV.check(cvs_contrast(frame.handle, Int32(box.x), Int32(box.y), Int32(max(1, box.width)), Int32(max(1, box.height)),
                                      &low, &high), "measure contrast")
        let modules = code.format == .qr ? code.symbol.version.map { Double(17 + 4 * $0) } : nil  // a QR version's modules
        return ReadQuality(contrast: ((high - low) / 255 * 1000).rounded() / 1000,
                           modulePx: modules.map { ((code.sidePx / $0) * 100).rounded() / 100 },
                           stepIndex: code.quality?.stepIndex ?? 0)
    }

    /// True when `code` is the cap's code: its centre on the cap, or the cap's centre on the code (a circle the locator
    /// found inside a large code, in one of its finder patterns, is not a cap of its own).
    private func read(_ cap: Circle, by code: DecodedCode) -> Bool {
        if cap.contains(code.center) { return true }
        let box = Quad.bounds(code.corners)
        return cap.x >= Double(box.x) && cap.x <= Double(box.x + box.width) && cap.y >= Double(box.y) && cap.y <= Double(box.y + box.height)
    }

    /// True when `code` sits on the symbol `quad` (its centre inside the quad's bounds).
    private func covers(_ code: DecodedCode, _ quad: [Point]) -> Bool {
        let box = Quad.bounds(quad, margin: 4), c = code.center
        return c.x >= Double(box.x) && c.x <= Double(box.x + box.width) && c.y >= Double(box.y) && c.y <= Double(box.y + box.height)
    }

    private func overlaps(_ a: [Point], _ b: [Point]) -> Bool {
        let ra = Quad.bounds(a), rb = Quad.bounds(b)
        return ra.x < rb.x + rb.width && rb.x < ra.x + ra.width && ra.y < rb.y + rb.height && rb.y < ra.y + ra.height
    }

    /// One step's preprocessing variant.
    private func variant(_ variant: DecoderVariant, of image: GrayImage) throws(VisionError) -> GrayImage {
        let status: Int32
        switch variant {
        case .none: return image
        case .invert: status = cvs_invert(image.handle, variantImage.handle)
        case .clahe: status = cvs_clahe(image.handle, 3, 8, variantImage.handle)
        case .normalize: status = cvs_normalize_local(image.handle, 12, variantImage.handle)
        case .close:
            let module = calibration.codeSize.modulePx * calibration.scale
            status = cvs_morph_close(image.handle, Int32(max(2, (module * 0.6).rounded())), variantImage.handle)
        case .stretch: status = cvs_stretch(image.handle, 1, 1, variantImage.handle)
        }
        try OpenCV.check(status, "variant \(variant.rawValue)")
        return variantImage
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

    /// Adds a code unless the same payload was already read at the same place (the same symbol read twice). The
    /// same payload elsewhere in the frame is a second symbol (two bottles with one code) and is kept.
    private func insert(_ code: DecodedCode, into codes: inout [DecodedCode]) {
        let center = code.center
        let duplicate = codes.contains { other in
            let near = max(10, min(other.sidePx, code.sidePx) / 2)
            return other.bytes == code.bytes && abs(other.center.x - center.x) < near && abs(other.center.y - center.y) < near
        }
        if !duplicate { codes.append(code) }
    }
}
