import ConfigKit
import COpenCVShim
import Foundation
import LineConfig
import LineCore

/// One cap the case camera found, with the code read on it.
public struct CaseCap: Hashable, Sendable {
    /// The cap's centre in frame pixels.
    public var center: Point
    /// The cap's radius in frame pixels (the bright disc's enclosing circle).
    public var radius: Double
    /// The stamp's code, or nil: a cap without a readable stamp.
    public var code: DecodedCode?

    public init(center: Point, radius: Double, code: DecodedCode?) {
        self.center = center
        self.radius = radius
        self.code = code
    }
}

/// What the case camera read in one frame.
public struct CaseReading: Sendable {
    /// Every cap found, row by row: top to bottom, and left to right within a row.
    public var caps: [CaseCap]
    /// Every case label read (GS1 DataMatrix or GS1-128): normally one; two when two labels are in view.
    public var labels: [DecodedCode]
    /// QR codes read away from every cap found (a loose stamp, a cap the locator missed).
    public var strayCodes: [DecodedCode]
    /// Wall time of the whole reading.
    public var decodeTime: Duration
    /// Time per stage (`locate`, the chain's steps, `labels`, …), in the order they ran.
    public var stages: [(stage: String, duration: Duration)]

    public init(caps: [CaseCap], labels: [DecodedCode], strayCodes: [DecodedCode], decodeTime: Duration,
                stages: [(stage: String, duration: Duration)] = []) {
        self.caps = caps
        self.labels = labels
        self.strayCodes = strayCodes
        self.decodeTime = decodeTime
        self.stages = stages
    }

    /// The codes read on caps, in the order of `caps`.
    public var capCodes: [DecodedCode] { caps.compactMap(\.code) }
    /// Caps found without a readable code.
    public var unreadCaps: Int { caps.filter { $0.code == nil }.count }
    /// The labels' unit codes (`UnitCode(parsing:)` of each label's text), skipping a label that is not one.
    public var unitCodes: [UnitCode] { labels.compactMap { try? UnitCode(parsing: $0.text) } }
}

/// What the case reader looks for beyond the calibration's decode chain.
public struct CaseReaderOptions: Sendable, Hashable {
    /// The symbologies of case labels.
    public var labelFormats: Set<SymbolFormat>
    /// Scale of the locator's working copy of the frame (0.25: a quarter of each side, a sixteenth of the pixels).
    public var locatorScale: Double
    /// Gray level above which a pixel belongs to a cap or a label; nil: Otsu's threshold of each frame (caps and labels
    /// are the bright things on dark cardboard).
    public var brightThreshold: Int?
    /// How much of its enclosing circle a bright region must fill to be a cap (a disc ≈ 0.9; a label ≈ 0.5).
    public var minCircularity: Double
    /// Pixels around a bright region's box when it is read.
    public var labelMargin: Int
    /// When no bright region held a label: search the whole frame for one. Off by default: at 2448×2048 it takes
    /// 230–450 ms (zxing-cpp's full search without its downscaled copies, see `labelSearch`), over the station's 200 ms,
    /// and the bright regions held every label in `vision-bench --case`; for a label on cardboard as bright as itself.
    public var searchFrameForLabel: Bool

    public init(labelFormats: Set<SymbolFormat> = [.dataMatrix, .code128], locatorScale: Double = 0.25, brightThreshold: Int? = nil,
                minCircularity: Double = 0.7, labelMargin: Int = 24, searchFrameForLabel: Bool = false) {
        self.labelFormats = labelFormats
        self.locatorScale = locatorScale
        self.brightThreshold = brightThreshold
        self.minCircularity = minCircularity
        self.labelMargin = labelMargin
        self.searchFrameForLabel = searchFrameForLabel
    }
}

/// Reads one frame of the case camera at the packing station: every cap in the open case with its stamp's QR code,
/// and the case's label (a GS1 SSCC as GS1 DataMatrix or GS1-128).
///
/// 1. **Locate.** Caps and labels are the bright things on dark cardboard: the frame is reduced (`locatorScale`),
///    thresholded, thin bright lines opened away, and each bright region measured. A region of the calibration's cap
///    radius (`roi.minRadius`–`roi.maxRadius`) that fills its enclosing circle is a cap; an empty cell is dark and is no
///    cap; a cap with a smeared or missing stamp is still a bright disc and becomes a cap without a code.
/// 2. **Decode the caps' QR codes** with the calibrated chain (`DecodePipeline`, the same calibration file a bottle
///    camera has). The built-in calibration has `roi.mode: cap`: every step crops the located caps still without a
///    code (`roi.margin` around each) — about a third of the time of zxing-cpp's search of the whole 5-megapixel frame,
///    with the same reads (`vision-bench --case`). A calibration with `roi.mode: full` and a `region: roi` step reads
///    the whole frame as well. Each code belongs to the cap it lies on; a QR code on no cap is a stray code.
/// 3. **Read the other bright regions** (cropped, zxing-cpp's full search for `labelFormats` and QR): Data Matrix and
///    Code 128 symbols are labels, QR codes stray codes (a stamp lying loose, a cap the locator could not separate).
///    With `searchFrameForLabel`, the whole frame is searched when no region held a label.
///
/// Belongs to one camera (not `Sendable`): it owns the chain's native decoders and reusable buffers.
public final class CaseFrameReader {
    /// The calibration the chain and the locator follow.
    public let calibration: CalibrationConfiguration
    public let options: CaseReaderOptions
    private let pipeline: DecodePipeline
    /// Labels and stray QR codes in the bright regions that are not caps.
    private let regionDecoder: ZXingDecoder
    /// Labels in the whole frame (when no region held one).
    private let frameLabelDecoder: ZXingDecoder
    private let locatorWork = GrayImage()
    private let crop = GrayImage()
    private var blobs = [cvs_blob](repeating: cvs_blob(), count: 256)
    private let clock = ContinuousClock()

    /// The calibration a case camera gets when none is given: a 2448×2048 camera above the case, caps of 100–200 px
    /// radius; each located cap cropped with 24 px around it and read by zxing-cpp, then the caps still without a code
    /// by zxing-cpp's full search, upscaled, with dotted modules joined, and by ZBar, then ZBar on symbols zxing found
    /// but could not decode (`docs/vision.md`). The budgets leave the label time within 200 ms.
    public static let defaultCalibrationYAML = """
        camera: case-station
        frame: { width: 2448, height: 2048 }
        roi: { mode: cap, minRadius: 100, maxRadius: 200, margin: 24 }
        codeSize: { modulePx: 4.5 }
        decoders:
          - { name: zxing, region: cap, budget: 60ms }
          - { name: zxing, region: cap, tryHarder: true, budget: 30ms }
          - { name: zxing, region: cap, scale: 1.5, budget: 20ms }
          - { name: zxing, region: cap, scale: 1.5, variant: close, budget: 20ms }
          - { name: zbar, region: cap, budget: 20ms }
          - { name: zbar, region: unread, variant: normalize, budget: 10ms }
        totalBudget: 120ms
        maxCodesPerFrame: 64
        """

    /// `defaultCalibrationYAML`, decoded.
    public static let defaultCalibration: CalibrationConfiguration = {
        do {
            return try ConfigLoader.decode(CalibrationConfiguration.self, yaml: defaultCalibrationYAML, file: "case calibration")
        } catch {
            preconditionFailure("the built-in case calibration does not validate: \(error)")
        }
    }()

    /// A reader following `calibration` (the built-in case calibration when nil).
    /// - Throws: `VisionError.calibrationMismatch` when the calibration has no cap radius range (`roi.minRadius`,
    ///   `roi.maxRadius`: the reader must know what a cap is), or a decoder that cannot be created.
    public init(calibration: CalibrationConfiguration? = nil, options: CaseReaderOptions = CaseReaderOptions()) throws(VisionError) {
        let calibration = calibration ?? CaseFrameReader.defaultCalibration
        guard let minRadius = calibration.roi.minRadius, let maxRadius = calibration.roi.maxRadius, minRadius < maxRadius else {
            throw .calibrationMismatch(
                key: "roi.minRadius", reason: "a case camera needs the caps' radius range (roi.minRadius and roi.maxRadius, in pixels) to tell caps from labels")
        }
        guard (0.1...1).contains(options.locatorScale) else {
            throw .calibrationMismatch(key: "locatorScale", reason: "expected 0.1 to 1, got \(options.locatorScale)")
        }
        guard !options.labelFormats.isEmpty, !options.labelFormats.contains(.qr) else {
            throw .calibrationMismatch(key: "labelFormats", reason: "labels are Data Matrix or Code 128 (QR codes are the caps' stamps)")
        }
        self.calibration = calibration
        self.options = options
        pipeline = try DecodePipeline(calibration: calibration)
        regionDecoder = try ZXingDecoder(engine: .best, options: CaseFrameReader.labelSearch(formats: options.labelFormats.union([.qr])))
        frameLabelDecoder = try ZXingDecoder(engine: .best, options: CaseFrameReader.labelSearch(formats: options.labelFormats))
    }

    /// zxing-cpp's full search without its downscaled copies: on a downscaled copy zxing-cpp 3.1.1 read a GS1-128 of
    /// 3.2–3.8 px per module as another number whose Code 128 check character happened to match (one in 103), beside
    /// the right one; without the downscaled copies, no wrong read in the benchmark's frames. Label symbols are large
    /// enough not to need them.
    static func labelSearch(formats: Set<SymbolFormat>) -> ZXingOptions {
        ZXingOptions(tryHarder: true, tryRotate: true, tryInvert: true, tryDownscale: false, maxSymbols: 8, reportUnread: false, formats: formats)
    }

    /// Reads one gray frame.
    /// - Throws: `VisionError.formatMismatch` for a colour frame, or a native library's error.
    public func read(_ frame: GrayImage) throws(VisionError) -> CaseReading {
        let start = clock.now
        guard frame.channels == 1 else {
            throw .formatMismatch(source: "case camera \(calibration.camera)", reason: "expected gray frames, got \(frame.channels) channels")
        }
        var stages: [(stage: String, duration: Duration)] = []

        // 1. Bright regions: caps, then (closed harder, so that a stamp lying loose stays whole) label and stray candidates.
        var t = clock.now
        let minRadius = Double(calibration.roi.minRadius ?? 0), maxRadius = Double(calibration.roi.maxRadius ?? 0)
        var circles: [Circle] = []
        for region in try brightRegions(frame, closeModules: 3) {
            let radius = Double(region.radius)
            let circularity = Double(region.area) / (Double.pi * radius * radius)
            if radius >= minRadius && radius <= maxRadius && circularity >= options.minCircularity {
                circles.append(Circle(x: Double(region.x), y: Double(region.y), radius: radius))
            }
        }
        var others: [cvs_blob] = []
        for region in try brightRegions(nil, closeModules: 8) where others.count < 16 {
            let box = Rect(x: Int(region.box_x), y: Int(region.box_y), width: Int(region.box_width), height: Int(region.box_height))
            // Not a cap (nor caps the harder closing joined), large enough to hold a symbol, small enough to be a label.
            let holdsCap = circles.contains { Double(box.x) <= $0.x && $0.x <= Double(box.x + box.width) && Double(box.y) <= $0.y && $0.y <= Double(box.y + box.height) }
            if !holdsCap, Double(region.area) >= minRadius * minRadius, box.width * box.height <= frame.width * frame.height / 4 {
                others.append(region)
            }
        }
        stages.append(("locate", t.duration(to: clock.now)))

        // 2. The caps' QR codes, through the calibrated chain.
        let analysis = try pipeline.analyze(frame, caps: circles)
        stages += analysis.stages
        var qrCodes = analysis.codes

        // 3. The other bright regions: labels, and QR codes off the caps.
        t = clock.now
        var labels: [DecodedCode] = []
        for region in others {
            let margin = options.labelMargin
            let box = Rect(x: Int(region.box_x) - margin, y: Int(region.box_y) - margin, width: Int(region.box_width) + 2 * margin,
                           height: Int(region.box_height) + 2 * margin)
            guard let rect = box.clipped(width: frame.width, height: frame.height), rect.width >= 16, rect.height >= 16 else { continue }
            try OpenCV.check(cvs_crop(frame.handle, Int32(rect.x), Int32(rect.y), Int32(rect.width), Int32(rect.height), crop.handle), "crop")
            for var code in try regionDecoder.decode(crop) {
                code.corners = code.corners.map { Point(x: $0.x + Double(rect.x), y: $0.y + Double(rect.y)) }
                code.step = "zxing@region+harder"
                if code.format == .qr {
                    insert(code, into: &qrCodes)
                } else {
                    insert(code, into: &labels)
                }
            }
        }
        stages.append(("regions", t.duration(to: clock.now)))
        if labels.isEmpty && options.searchFrameForLabel {
            t = clock.now
            for var code in try frameLabelDecoder.decode(frame) where code.format != .qr {
                code.step = "zxing@frame+harder"
                insert(code, into: &labels)
            }
            stages.append(("labels@frame", t.duration(to: clock.now)))
        }

        // Each QR code belongs to the cap it lies on (the nearest, within its radius); the rest are strays.
        var caps = circles.map { CaseCap(center: Point(x: $0.x, y: $0.y), radius: $0.radius, code: nil) }
        var strays: [DecodedCode] = []
        for code in qrCodes {
            let c = code.center
            func distance(_ index: Int) -> Double { hypot(caps[index].center.x - c.x, caps[index].center.y - c.y) }
            if let index = caps.indices.min(by: { distance($0) < distance($1) }), caps[index].code == nil, distance(index) <= caps[index].radius {
                caps[index].code = code
            } else {
                strays.append(code)
            }
        }
        return CaseReading(caps: rowMajor(caps), labels: labels, strayCodes: strays, decodeTime: start.duration(to: clock.now), stages: stages)
    }

    /// The bright regions of the frame (caps, labels, stamps lying loose), largest first: closed with a disc of
    /// `closeModules` modules (the calibration's module size) and opened with one of a tenth of the smallest cap's
    /// diameter (partitions' edges and specks fall away). `frame` nil: the reduced copy of the last call's frame.
    private func brightRegions(_ frame: GrayImage?, closeModules: Double) throws(VisionError) -> [cvs_blob] {
        let scale = options.locatorScale
        let close = max(1, Int((calibration.codeSize.modulePx * closeModules * scale).rounded()))
        let open = max(1, Int((Double(calibration.roi.minRadius ?? 40) * 0.2 * scale).rounded()))
        let minArea = Double.pi * pow(Double(calibration.roi.minRadius ?? 40) * 0.5, 2)
        let count = blobs.withUnsafeMutableBufferPointer { buffer in
            cvs_find_blobs(frame?.handle, scale, Int32(options.brightThreshold ?? -1), Int32(close), Int32(open), minArea, buffer.baseAddress,
                           Int32(buffer.count), nil, locatorWork.handle)
        }
        if count < 0 { throw OpenCV.error("locate caps") }
        return Array(blobs.prefix(Int(count)))
    }

    /// Adds a code unless the same payload was already read at the same place.
    private func insert(_ code: DecodedCode, into codes: inout [DecodedCode]) {
        let near = max(10, code.sidePx / 2)
        if !codes.contains(where: { $0.bytes == code.bytes && hypot($0.center.x - code.center.x, $0.center.y - code.center.y) < near }) {
            codes.append(code)
        }
    }

    /// Caps row by row: sorted by height, a new row where a cap lies more than a cap's radius below the row's mean
    /// height (the case may stand a little rotated), each row left to right.
    private func rowMajor(_ caps: [CaseCap]) -> [CaseCap] {
        guard !caps.isEmpty else { return [] }
        let radii = caps.map(\.radius).sorted()
        let gap = radii[radii.count / 2]
        var rows: [[CaseCap]] = []
        for cap in caps.sorted(by: { $0.center.y < $1.center.y }) {
            if let row = rows.last, cap.center.y - row.map(\.center.y).reduce(0, +) / Double(row.count) <= gap {
                rows[rows.count - 1].append(cap)
            } else {
                rows.append([cap])
            }
        }
        return rows.flatMap { $0.sorted { $0.center.x < $1.center.x } }
    }
}
