import COpenCVShim
import Foundation
import LineCore

/// How the bottles stand in a case: `rows` × `columns` cells.
public struct CaseLayout: Sendable, Hashable, Codable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// A case of 12 (3 × 4).
    public static let twelve = CaseLayout(rows: 3, columns: 4)
    /// A case of 20 (4 × 5).
    public static let twenty = CaseLayout(rows: 4, columns: 5)
    /// A case of 24 (4 × 6).
    public static let twentyFour = CaseLayout(rows: 4, columns: 6)

    /// The packing station's layouts: 12, 20 and 24 bottles.
    public static let standard: [CaseLayout] = [.twelve, .twenty, .twentyFour]

    /// The standard layout holding `count` bottles, or nil.
    public init?(capCount count: Int) {
        guard let layout = CaseLayout.standard.first(where: { $0.capacity == count }) else { return nil }
        self = layout
    }

    /// Cells in the case.
    public var capacity: Int { rows * columns }
    public var description: String { "\(capacity) (\(rows)×\(columns))" }
}

/// What stands in one cell of a case, seen from above.
public enum CaseSlot: Sendable, Hashable {
    /// A bottle whose cap carries a stamp with this QR payload.
    case cap(payload: String)
    /// A bottle whose stamp cannot be read: missing, or smeared over its code.
    case unreadableCap
    /// No bottle: the dark cell.
    case empty
}

/// The symbology of a case label's SSCC.
public enum CaseLabelSymbology: String, Sendable, Hashable, Codable, CaseIterable {
    /// GS1 DataMatrix (FNC1 first).
    case dataMatrix
    /// GS1-128: Code 128 with FNC1 first.
    case gs1_128

    /// The decoder's format for it.
    public var format: SymbolFormat { self == .dataMatrix ? .dataMatrix : .code128 }
}

/// A case label to draw.
public struct CaseLabelSpec: Sendable, Hashable {
    /// The GS1 element string encoded: "00" + the 18 digits of an SSCC.
    public var text: String
    public var symbology: CaseLabelSymbology
    /// The symbol is smeared so that it cannot be read (a scuffed or wet label).
    public var damaged: Bool

    public init(text: String, symbology: CaseLabelSymbology, damaged: Bool = false) {
        self.text = text
        self.symbology = symbology
        self.damaged = damaged
    }

    /// A label for an SSCC: its text is "00" + the SSCC's 18 digits.
    public init(sscc: UnitCode, symbology: CaseLabelSymbology, damaged: Bool = false) {
        self.init(text: "00" + sscc.rawValue, symbology: symbology, damaged: damaged)
    }
}

/// What one case frame shows.
public struct CaseFrameSpec: Sendable, Hashable {
    public var layout: CaseLayout
    /// One slot per cell, row by row from the top left (`layout.capacity` of them).
    public var slots: [CaseSlot]
    /// The case's label on the flap near the camera, if any.
    public var label: CaseLabelSpec?
    /// A second label in the frame (a duplicated label, or the next case's).
    public var secondLabel: CaseLabelSpec?
    /// Payloads of caps outside the case's grid (a bottle of the next case in the frame).
    public var extraCaps: [String]
    /// Payloads of stamps lying loose on the cardboard outside the case (on no cap).
    public var looseStamps: [String]

    public init(layout: CaseLayout, slots: [CaseSlot], label: CaseLabelSpec?, secondLabel: CaseLabelSpec? = nil, extraCaps: [String] = [],
                looseStamps: [String] = []) {
        self.layout = layout
        self.slots = slots
        self.label = label
        self.secondLabel = secondLabel
        self.extraCaps = extraCaps
        self.looseStamps = looseStamps
    }
}

/// The ground truth of a rendered case frame.
public struct CaseFrameTruth: Sendable {
    /// One cap as drawn.
    public struct Cap: Sendable, Hashable {
        public var center: Point
        public var radius: Double
        /// The stamp's payload (nil for an unreadable cap).
        public var payload: String?
        /// The cell's row and column for a cap in the grid; nil for a cap outside it.
        public var row: Int?
        public var column: Int?
        /// Pixels per QR module on the stamp (0 without a stamp).
        public var modulePx: Double
    }

    /// One label as drawn.
    public struct Label: Sendable, Hashable {
        public var text: String
        public var symbology: CaseLabelSymbology
        public var damaged: Bool
        /// The symbol's corners (TL, TR, BR, BL) without its quiet zone.
        public var corners: [Point]
    }

    public var width: Int
    public var height: Int
    public var layout: CaseLayout
    /// The grid's caps row by row, then the caps outside the grid.
    public var caps: [Cap]
    public var labels: [Label]
    /// Stamps lying loose (on no cap): their payloads and centres.
    public var looseStamps: [(payload: String, center: Point)]
    /// The slots (row × columns + column) left empty.
    public var emptySlots: [Int]

    /// The payloads of every readable cap, in the order of `caps`.
    public var payloads: [String] { caps.compactMap(\.payload) }
    /// The text of every label that is not damaged.
    public var readableLabels: [String] { labels.filter { !$0.damaged }.map(\.text) }
}

/// Renders a case at the packing station seen from above (2448×2048 by default): the dark cells of the case between
/// its partitions, a cap with its stamp's QR code in each occupied cell, the flap near the camera with the case's
/// label (GS1 DataMatrix or GS1-128), and optionally the defects the station must catch — empty cells, unreadable
/// stamps, a second label, caps of another case. Mild realistic degradations: each stamp at its own angle, slight tilt,
/// the case a little rotated, defocus, vignetting, sensor noise. Deterministic for a seed. The caps and stamps are
/// drawn by the scene renderer the evaluation sets use (`cvs_scene_cap`, `cvs_scene_stamp`).
public final class CaseFrameSynthesizer {
    public let width: Int
    public let height: Int
    /// Host used in generated payloads (`https://<host>/c/<code>`).
    public let host: String
    private var random: SeededRandom
    private let work = GrayImage()
    private var qrCache: [String: (modules: [UInt8], side: Int)] = [:]
    private var serial: Int64 = 0

    /// A synthesizer of `width`×`height` frames; the same seed gives the same frames for the same specs. Caps scale with
    /// the frame (a radius of about 145 px at 2448×2048, where `CaseFrameReader.defaultCalibration` expects 100–200 px):
    /// at another size, read with a calibration whose `roi.minRadius`/`roi.maxRadius` and `codeSize` scale alike.
    public init(width: Int = 2448, height: Int = 2048, seed: UInt64, host: String = "qr.example.kz") {
        _ = OpenCV.singleThreaded
        self.width = width
        self.height = height
        self.host = host
        random = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 0x15)
        serial = Int64(seed % 1_000_000) * 1_000
    }

    // MARK: Specs

    /// A random stamp payload (`https://<host>/c/` + 20 characters of 0-9A-Z).
    public func randomPayload() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return "https://\(host)/c/" + String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
    }

    /// The next SSCC of a test company prefix (4870001, extension digit 0).
    public func nextSSCC() -> UnitCode {
        serial += 1
        do {
            return try SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: serial)
        } catch {
            preconditionFailure("the test SSCC does not fit: \(error)")
        }
    }

    /// A full case with random payloads and a label with the next SSCC in `symbology` (random when nil).
    public func nominalSpec(layout: CaseLayout, symbology: CaseLabelSymbology? = nil) -> CaseFrameSpec {
        let slots = (0..<layout.capacity).map { _ in CaseSlot.cap(payload: randomPayload()) }
        let kind = symbology ?? (Bool.random(using: &random) ? .dataMatrix : .gs1_128)
        return CaseFrameSpec(layout: layout, slots: slots, label: CaseLabelSpec(sscc: nextSSCC(), symbology: kind))
    }

    // MARK: Rendering

    /// Renders `spec` into `image` (reallocated only if the size changes) and returns what was drawn.
    /// - Throws: `VisionError.calibrationMismatch` when the spec's slots do not fill its layout, or an OpenCV or
    ///   zxing-cpp error from drawing.
    public func render(_ spec: CaseFrameSpec, into image: GrayImage) throws(VisionError) -> CaseFrameTruth {
        let layout = spec.layout
        guard layout.rows >= 1, layout.columns >= 1, spec.slots.count == layout.capacity else {
            throw .calibrationMismatch(key: "slots", reason: "a \(layout) case needs \(layout.capacity) slots, got \(spec.slots.count)")
        }
        try OpenCV.check(cvs_image_create(image.handle, Int32(width), Int32(height), 1), "create frame")
        let unit = min(Double(width) / 2448, Double(height) / 2048)
        let margin = 70 * unit, strip = 0.24 * Double(height)
        // The pitch of a 4×6 case filling the frame above the flap: the camera is set up for the largest case, so
        // smaller cases show the same caps at the same size, with more cardboard around.
        let pitch = min((Double(width) - 2 * margin) / 6, (Double(height) - strip - 2 * margin) / 4)
        let radius = pitch * uniform(0.39...0.42)
        let angle = uniform(-1.5...1.5) * .pi / 180
        let gridW = Double(layout.columns) * pitch, gridH = Double(layout.rows) * pitch
        let areaH = Double(height) - strip - 2 * margin
        let center = Point(x: Double(width) / 2 + uniform(-0.5...0.5) * max(0, Double(width) - 2 * margin - gridW) * 0.5,
                           y: margin + areaH / 2 + uniform(-0.5...0.5) * max(0, areaH - gridH) * 0.5)
        func place(_ x: Double, _ y: Double) -> Point {  // grid coordinates (from the grid's centre) into the frame
            Point(x: center.x + x * cos(angle) - y * sin(angle), y: center.y + x * sin(angle) + y * cos(angle))
        }
        let degrees = angle * 180 / .pi

        // The flap and the cardboard around the case, the case's walls, its floor, the partitions.
        let flap = int(55...85)
        try OpenCV.check(cvs_image_fill(image.handle, Int32(flap)), "fill")
        let wall = 16 * unit
        try OpenCV.check(cvs_synth_occlude(image.handle, center.x, center.y, gridW + 2 * wall, gridH + 2 * wall, degrees, Int32(int(70...95))), "walls")
        let floor = int(25...50)
        try OpenCV.check(cvs_synth_occlude(image.handle, center.x, center.y, gridW, gridH, degrees, Int32(floor)), "floor")
        let partition = Int32(int(55...85)), partitionWidth = 7 * unit
        for r in 1..<max(1, layout.rows) {
            let p = place(0, -gridH / 2 + Double(r) * pitch)
            try OpenCV.check(cvs_synth_occlude(image.handle, p.x, p.y, gridW, partitionWidth, degrees, partition), "partition")
        }
        for c in 1..<max(1, layout.columns) {
            let p = place(-gridW / 2 + Double(c) * pitch, 0)
            try OpenCV.check(cvs_synth_occlude(image.handle, p.x, p.y, partitionWidth, gridH, degrees, partition), "partition")
        }
        try OpenCV.check(cvs_scene_texture(image.handle, 1, 0, 0, Int32(width), Int32(height), uniform(2...5), random.next()), "cardboard")

        var truth = CaseFrameTruth(width: width, height: height, layout: layout, caps: [], labels: [], looseStamps: [], emptySlots: [])
        let lightAngle = uniform(0...360)
        for row in 0..<layout.rows {
            for column in 0..<layout.columns {
                let slot = spec.slots[row * layout.columns + column]
                let free = max(0, pitch / 2 - radius - partitionWidth)
                let cell = place(-gridW / 2 + (Double(column) + 0.5) * pitch + uniform(-0.7...0.7) * free,
                                 -gridH / 2 + (Double(row) + 0.5) * pitch + uniform(-0.7...0.7) * free)
                switch slot {
                case .empty:
                    truth.emptySlots.append(row * layout.columns + column)
                case .cap(let payload):
                    var cap = try drawCap(image, at: cell, radius: radius * uniform(0.98...1.02), payload: payload, unreadable: false, lightAngle: lightAngle)
                    cap.row = row
                    cap.column = column
                    truth.caps.append(cap)
                case .unreadableCap:
                    var cap = try drawCap(image, at: cell, radius: radius * uniform(0.98...1.02), payload: randomPayload(), unreadable: true,
                                          lightAngle: lightAngle)
                    cap.row = row
                    cap.column = column
                    truth.caps.append(cap)
                }
            }
        }

        // Labels on the flap below the case, then caps of another case wherever there is room.
        var occupied: [(Point, Double)] = []  // centres and reach of what is drawn outside the case
        let caseReach = Rect(x: Int(center.x - gridW / 2 - wall - 30), y: Int(center.y - gridH / 2 - wall - 30),
                             width: Int(gridW + 2 * wall + 60), height: Int(gridH + 2 * wall + 60))
        let labels = [spec.label, spec.secondLabel].compactMap { $0 }
        for (index, label) in labels.enumerated() {
            let half = labels.count > 1 ? Double(width) / 2 : Double(width)
            let x0 = labels.count > 1 ? Double(index) * half : 0
            let labelWidth = (label.symbology == .dataMatrix ? 560 : 720) * unit
            let spot = Point(x: x0 + half / 2 + uniform(-0.5...0.5) * max(0, half - labelWidth - 2 * margin),
                             y: Double(height) - strip / 2 + uniform(-0.15...0.15) * strip)
            truth.labels.append(try drawLabel(image, label, at: spot, angle: degrees + uniform(-2...2), unit: unit))
            occupied.append((spot, labelWidth / 2 + 40 * unit))
        }
        func freeSpot(reach: Double, what: String) throws(VisionError) -> Point {
            for _ in 0..<400 {
                let candidate = Point(x: uniform(reach...(Double(width) - reach)), y: uniform(reach...(Double(height) - reach)))
                let inCase = candidate.x + reach > Double(caseReach.x) && candidate.x - reach < Double(caseReach.x + caseReach.width)
                    && candidate.y + reach > Double(caseReach.y) && candidate.y - reach < Double(caseReach.y + caseReach.height)
                if !inCase && !occupied.contains(where: { hypot($0.0.x - candidate.x, $0.0.y - candidate.y) < $0.1 + reach + 10 }) {
                    occupied.append((candidate, reach))
                    return candidate
                }
            }
            throw .calibrationMismatch(key: what, reason: "no room outside the \(layout) case for \(spec.extraCaps.count) caps and \(spec.looseStamps.count) stamps")
        }
        for payload in spec.extraCaps {
            let reach = radius * 1.35
            let spot = try freeSpot(reach: reach, what: "extraCaps")
            // The next case's cell: dark around the cap.
            try OpenCV.check(cvs_draw_circle(image.handle, Int32(spot.x), Int32(spot.y), Int32(reach), Int32(floor), Int32(floor), Int32(floor), -1), "cell")
            truth.caps.append(try drawCap(image, at: spot, radius: radius * uniform(0.98...1.02), payload: payload, unreadable: false,
                                          lightAngle: lightAngle))
        }
        for payload in spec.looseStamps {
            let spot = try freeSpot(reach: radius * 0.9, what: "looseStamps")
            _ = try drawStamp(image, at: spot, radius: radius, payload: payload)
            truth.looseStamps.append((payload, spot))
        }

        // The camera: a little defocus, vignetting, sensor noise; the case stands still (no motion blur).
        let modulePx = truth.caps.map(\.modulePx).filter { $0 > 0 }.min() ?? 4.5
        var optics = cvs_optics(
            motion_px: 0, motion_angle: 0, defocus_radius: uniform(0...0.25) * modulePx, haze: 0, gain: uniform(0.92...1.04),
            vignetting: uniform(0...0.15), read_noise: uniform(1.5...3.5), shot_noise: uniform(0.1...0.3), jpeg_quality: 0, seed: random.next())
        if optics.defocus_radius < 0.5 { optics.defocus_radius = 0 }
        try OpenCV.check(cvs_scene_optics(image.handle, &optics, work.handle), "optics")
        return truth
    }

    /// Renders the nominal spec of a layout and returns it with its truth.
    public func nextNominal(layout: CaseLayout, into image: GrayImage) throws(VisionError) -> (spec: CaseFrameSpec, truth: CaseFrameTruth) {
        let spec = nominalSpec(layout: layout)
        return (spec, try render(spec, into: image))
    }

    // MARK: Drawing

    private func drawCap(_ image: GrayImage, at center: Point, radius: Double, payload: String, unreadable: Bool,
                         lightAngle: Double) throws(VisionError) -> CaseFrameTruth.Cap {
        let capGray = int(165...210)
        try OpenCV.check(cvs_scene_cap(image.handle, center.x, center.y, radius, Int32(capGray), lightAngle + uniform(-20...20), 0.3), "cap")
        let missing = unreadable && Bool.random(using: &random)
        var modulePx = 0.0
        if !missing {
            let stampHalf: Double
            (modulePx, stampHalf) = try drawStamp(image, at: center, radius: radius, payload: payload)
            if unreadable {
                // Smeared over its code: nothing of the modules survives.
                try OpenCV.check(cvs_scene_smear(image.handle, center.x, center.y, stampHalf * 1.15, stampHalf * 1.15, 0, 2.5 * modulePx,
                                                 uniform(0...0.15)), "smear")
            }
        }
        if chance(0.2) {
            // A ring-light reflection near the cap's rim.
            let a = uniform(0...(2 * .pi)), d = radius * uniform(0.8...0.88)
            try OpenCV.check(cvs_scene_specular(image.handle, center.x + d * cos(a), center.y + d * sin(a), radius * 0.05, radius * 0.03,
                                                a * 180 / .pi + 90, uniform(40...90)), "glare")
        }
        return CaseFrameTruth.Cap(center: center, radius: radius, payload: unreadable ? nil : payload, row: nil, column: nil,
                                  modulePx: unreadable ? 0 : modulePx)
    }

    /// Draws a stamp for a cap of `radius` at `center` at any angle; returns its module size and half its side.
    private func drawStamp(_ image: GrayImage, at center: Point, radius: Double, payload: String) throws(VisionError) -> (modulePx: Double, half: Double) {
        let (modules, side) = try qr(payload)
        let marginModules = uniform(0.4...0.8)
        // The stamp's corners stay on the cap: half its diagonal within 0.9 of the radius.
        let stampHalf = radius * uniform(0.58...0.62)
        let modulePx = stampHalf / (Double(side + 4) / 2 + marginModules)
        let half = Double(side + 4) * modulePx / 2
        let a = uniform(0...(2 * .pi)), tilt = uniform(0...0.04), td = uniform(0...(2 * .pi))
        var quad: [Float] = []
        for (cx, cy) in [(-half, -half), (half, -half), (half, half), (-half, half)] {
            let k = 1 - tilt * (cx * cos(td) + cy * sin(td)) / half
            let x = cx * k, y = cy * k
            quad += [Float(center.x + x * cos(a) - y * sin(a)), Float(center.y + x * sin(a) + y * cos(a))]
        }
        var style = cvs_stamp_style(
            dark: Int32(int(15...45)), light: Int32(int(215...240)), inverted: 0, dot: 0, quiet: 2, stamp_margin: marginModules,
            guilloche: chance(0.3) ? uniform(4...12) : 0, sheen: 0, sheen_angle: 0, bulge: uniform(0...0.04), seed: random.next())
        let status = modules.withUnsafeBufferPointer { m in
            cvs_scene_stamp(image.handle, m.baseAddress, Int32(side), quad, &style, nil, work.handle)
        }
        try OpenCV.check(status, "stamp")
        return (modulePx, stampHalf)
    }

    private func drawLabel(_ image: GrayImage, _ label: CaseLabelSpec, at center: Point, angle: Double, unit: Double) throws(VisionError) -> CaseFrameTruth.Label {
        let symbol = try SymbolEncoder.encode(label.text, as: label.symbology.format, gs1: true)
        let a = angle * .pi / 180
        func at(_ x: Double, _ y: Double) -> Point {  // label coordinates (from its centre) into the frame
            Point(x: center.x + x * cos(a) - y * sin(a), y: center.y + x * sin(a) + y * cos(a))
        }
        let paper = Int32(int(222...245)), ink = Int32(int(10...40))
        let labelW: Double, labelH: Double, symbolW: Double, symbolH: Double, symbolCenter: Point, quiet: Int
        if label.symbology == .dataMatrix {
            let module = uniform(8.5...10.5) * unit
            quiet = 2
            symbolW = Double(symbol.width + 2 * quiet) * module
            symbolH = symbolW
            labelW = 560 * unit
            labelH = max(260 * unit, symbolH + 40 * unit)
            symbolCenter = Point(x: -labelW / 2 + 20 * unit + symbolW / 2, y: 0)
        } else {
            let module = uniform(3.2...3.8) * unit
            quiet = 10
            symbolW = Double(symbol.width + 2 * quiet) * module
            symbolH = uniform(120...150) * unit
            labelW = max(720 * unit, symbolW + 30 * unit)
            labelH = symbolH + 140 * unit
            symbolCenter = Point(x: 0, y: labelH / 2 - 20 * unit - symbolH / 2)
        }
        try OpenCV.check(cvs_synth_occlude(image.handle, center.x, center.y, labelW, labelH, angle, paper), "label")
        try OpenCV.check(cvs_scene_texture(image.handle, 0, Int32(center.x - labelW / 2), Int32(center.y - labelH / 2), Int32(labelW), Int32(labelH),
                                           1.5, random.next()), "paper")
        // Printed lines of text: beside the DataMatrix, above the bars.
        let beside = label.symbology == .dataMatrix
        let textX: Double = beside ? symbolCenter.x + symbolW / 2 + 30 * unit : -labelW / 2 + 30 * unit
        let room: Double = labelW / 2 - 20 * unit - textX
        let first: Double = -labelH / 2 + (beside ? 40 : 30) * unit, spacing: Double = (beside ? 42 : 40) * unit
        for index in 0..<(beside ? 5 : 2) {
            let y = first + Double(index) * spacing
            let length = uniform(0.4...1.0) * room
            let p = at(textX + length / 2, y)
            try OpenCV.check(cvs_synth_occlude(image.handle, p.x, p.y, length, 16 * unit, angle, ink), "text")
        }
        var quad: [Float] = []
        for (x, y) in [(-symbolW / 2, -symbolH / 2), (symbolW / 2, -symbolH / 2), (symbolW / 2, symbolH / 2), (-symbolW / 2, symbolH / 2)] {
            let p = at(symbolCenter.x + x, symbolCenter.y + y)
            quad += [Float(p.x), Float(p.y)]
        }
        var corners = [Float](repeating: 0, count: 8)
        let status = symbol.modules.withUnsafeBufferPointer { m in
            cvs_scene_symbol(image.handle, m.baseAddress, Int32(symbol.width), Int32(symbol.height), Int32(quiet), quad, ink, paper, &corners)
        }
        try OpenCV.check(status, "label symbol")
        if label.damaged {
            // Scuffed across the whole symbol.
            let c = at(symbolCenter.x, symbolCenter.y)
            let module = symbolW / Double(symbol.width + 2 * quiet)
            try OpenCV.check(cvs_scene_smear(image.handle, c.x, c.y, symbolW * 0.62, symbolH * 0.75, angle, 2.5 * module, uniform(0.05...0.2)),
                             "scuff")
        }
        return CaseFrameTruth.Label(text: label.text, symbology: label.symbology, damaged: label.damaged,
                                    corners: stride(from: 0, to: 8, by: 2).map { Point(x: Double(corners[$0]), y: Double(corners[$0 + 1])) })
    }

    private func qr(_ payload: String) throws(VisionError) -> (modules: [UInt8], side: Int) {
        if let cached = qrCache[payload] { return cached }
        let encoded = try QREncoder.modules(for: payload)
        if qrCache.count >= 512 { qrCache.removeAll(keepingCapacity: true) }
        qrCache[payload] = encoded
        return encoded
    }

    // MARK: Random helpers

    private func uniform(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }
    private func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    private func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
}
