import COpenCVShim
import Foundation

/// The evaluation sets that model real optics (`docs/vision.md` shows frames of each).
public enum SceneKind: String, CaseIterable, Sendable, Codable {
    /// Caps on a conveyor photographed by a real camera: a domed cap, the stamp's guilloche and hologram sheen,
    /// specular spots, shadows, motion blur along the conveyor, defocus, perspective, folds and tears, stamps glued
    /// off-centre, inverted and dotted prints, a failing lamp or a dusty lens, sensor noise and JPEG; 2–20 px/module.
    case optics
    /// A case seen from above at the packing station: 12, 20 or 24 caps in one frame.
    case `case`
    /// Codes that are not on caps: paper, screens, cardboard; one to four codes of every size, any rotation,
    /// inverted, dotted, and texts in other character sets (UTF-8 and Shift_JIS with ECI, Latin-1 without).
    case flat
}

/// One code placed in a scene: the ground truth a decoder is scored against.
public struct TruthCode: Sendable, Codable, Hashable {
    /// The text that was encoded.
    public var text: String
    /// The symbol's payload bytes (the text in `charset`).
    public var bytes: [UInt8]
    /// The character set the text was encoded in (nil: UTF-8 bytes without ECI).
    public var charset: String?
    /// The code's corners (TL, TR, BR, BL) in the frame, without the quiet zone.
    public var corners: [Point]
    public var modulePx: Double
    public var inverted: Bool
}

/// A generated scene and its ground truth.
public struct Scene: Sendable, Codable {
    public var kind: SceneKind
    public var width: Int
    public var height: Int
    public var codes: [TruthCode]
    /// What made this frame hard (`glare`, `fold`, `tear`, `shadow`, `lamp`, `dust`, `inverted`, `dots`, `jpeg`, …).
    public var effects: [String]
}

/// Renders scenes of the evaluation sets, deterministically for a seed.
public final class SceneSynthesizer {
    public let kind: SceneKind
    public let width: Int
    public let height: Int
    private var random: SeededRandom
    private let work = GrayImage()
    private let pure = GrayImage()
    private var encoded: [String: (modules: [UInt8], side: Int, bytes: [UInt8])] = [:]
    private lazy var verifier: ZXingDecoder? = try? ZXingDecoder(engine: .debian, options: ZXingOptions(maxSymbols: 1, reportUnread: false))

    public init(kind: SceneKind, width: Int = 1280, height: Int = 1024, seed: UInt64) {
        _ = OpenCV.singleThreaded
        self.kind = kind
        self.width = width
        self.height = height
        random = SeededRandom(seed: seed &* 0x9E37_79B9 &+ UInt64(SceneKind.allCases.firstIndex(of: kind)!))
    }

    /// Renders the next scene into `image`.
    public func next(into image: GrayImage) throws(VisionError) -> Scene {
        try OpenCV.check(cvs_image_create(image.handle, Int32(width), Int32(height), 1), "create frame")
        var scene = Scene(kind: kind, width: width, height: height, codes: [], effects: [])
        switch kind {
        case .optics: try renderOptics(image, &scene)
        case .case: try renderCase(image, &scene)
        case .flat: try renderFlat(image, &scene)
        }
        var seen = Set<String>()
        scene.effects = scene.effects.filter { seen.insert($0).inserted }
        return scene
    }

    /// Draws one clean code on a plain background (tests and documentation): `clear` starts a new frame first.
    public func code(_ text: String, charset: String? = nil, modulePx: Double = 5, at center: Point? = nil, angle: Double = 0,
                     inverted: Bool = false, background: Int = 200, clear: Bool = true, into image: GrayImage) throws(VisionError) -> TruthCode {
        if clear || image.isEmpty {
            try OpenCV.check(cvs_image_create(image.handle, Int32(width), Int32(height), 1), "create frame")
            try OpenCV.check(cvs_image_fill(image.handle, Int32(background)), "fill")
        }
        let style = cvs_stamp_style(dark: 20, light: 235, inverted: inverted ? 1 : 0, dot: 0, quiet: 2, stamp_margin: 0, guilloche: 0,
                                    sheen: 0, sheen_angle: 0, bulge: 0, seed: 1)
        return try stamp(image, text: text, charset: charset, center: center ?? Point(x: Double(width) / 2, y: Double(height) / 2),
                         modulePx: modulePx, angle: angle, tilt: 0, tiltDirection: 0, style: style)
    }

    // MARK: Random helpers

    private func uniform(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }
    private func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    private func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    /// Log-uniform: as many codes from 2 to 4 px/module as from 10 to 20.
    private func logUniform(_ range: ClosedRange<Double>) -> Double { exp(uniform(log(range.lowerBound)...log(range.upperBound))) }

    private func stampCode() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return "https://qr.example.kz/c/" + String((0..<20).map { _ in alphabet[int(0...35)] })
    }

    /// A payload for the flat set: stamp links, other texts of every length, and texts in other character sets.
    private func flatPayload() -> (text: String, charset: String?) {
        let roll = uniform(0...1)
        if roll < 0.35 { return (stampCode(), nil) }
        if roll < 0.55 {
            let words = ["line", "batch", "2026", "QazTrack", "lot", "A7", "https://example.com/p?id=", "tel:+77172", "ISBN", "WIFI:S:plant;T:WPA;P:"]
            var text = ""
            for _ in 0..<int(1...8) { text += words[int(0...(words.count - 1))] + String(int(0...9999)) }
            return (text, nil)
        }
        if roll < 0.65 { return (String(repeating: "0123456789", count: int(1...12)), nil) }
        let foreign: [(String, String?)] = [
            ("こんにちは世界 ｶﾀｶﾅ 123", "Shift_JIS"), ("ｻﾝﾌﾟﾙ ﾗﾍﾞﾙ 42", "Shift_JIS"), ("Grüße aus Köln, 5 €uro", "ISO-8859-1"),
            ("Ñandú, señor, ¿qué tal?", "ISO-8859-1"), ("Қазақстан Республикасы, акциз", "UTF-8"), ("Партия №42, водка 0,5 л", "UTF-8"),
            ("Привет, мир", "ISO-8859-5"),
        ]
        var (text, charset) = foreign[int(0...(foreign.count - 1))]
        if charset == "ISO-8859-1" && text.contains("€") { text = text.replacingOccurrences(of: "€", with: "E") }
        return (text, charset)
    }

    /// The modules and payload bytes of a text, checked by decoding a clean rendering of the symbol.
    private func encode(_ text: String, charset: String?) throws(VisionError) -> (modules: [UInt8], side: Int, bytes: [UInt8]) {
        let key = (charset ?? "") + "\u{0}" + text
        if let cached = encoded[key] { return cached }
        let (modules, side) = try QREncoder.modules(for: text, charset: charset)
        var bytes = Array(text.utf8)
        if charset != nil {
            // The symbol's bytes in that character set, read back from a clean rendering.
            let unit = 4, n = (side + 8) * unit
            try OpenCV.check(cvs_image_create(pure.handle, Int32(n), Int32(n), 1), "create")
            try OpenCV.check(cvs_image_fill(pure.handle, 255), "fill")
            for y in 0..<side {
                for x in 0..<side where modules[y * side + x] != 0 {
                    try OpenCV.check(cvs_draw_rect(pure.handle, Int32((x + 4) * unit), Int32((y + 4) * unit), Int32(unit), Int32(unit), 0, 0, 0, -1), "draw")
                }
            }
            guard let read = try verifier?.decode(pure).first else {
                throw .library(library: "scene synthesizer", operation: "encode", message: "\(charset!) text \(text) did not read back")
            }
            bytes = read.bytes
        }
        if encoded.count > 512 { encoded.removeAll(keepingCapacity: true) }
        encoded[key] = (modules, side, bytes)
        return (modules, side, bytes)
    }

    /// Draws one stamp: returns its truth.
    private func stamp(_ image: GrayImage, text: String, charset: String?, center: Point, modulePx: Double, angle: Double,
                       tilt: Double, tiltDirection: Double, style: cvs_stamp_style) throws(VisionError) -> TruthCode {
        let (modules, side, bytes) = try encode(text, charset: charset)
        let n = Double(side + 2 * Int(style.quiet))
        let half = n * modulePx / 2
        let a = angle * .pi / 180, td = tiltDirection * .pi / 180
        var quad: [Float] = []
        for (cx, cy) in [(-half, -half), (half, -half), (half, half), (-half, half)] {
            // Perspective: the side facing the tilt direction shrinks, the opposite side grows.
            let along = (cx * cos(td) + cy * sin(td)) / half
            let k = 1 - tilt * along
            let x = cx * k, y = cy * k
            quad += [Float(center.x + x * cos(a) - y * sin(a)), Float(center.y + x * sin(a) + y * cos(a))]
        }
        var style = style
        var corners = [Float](repeating: 0, count: 8)
        let status = modules.withUnsafeBufferPointer { m in
            cvs_scene_stamp(image.handle, m.baseAddress, Int32(side), quad, &style, &corners, work.handle)
        }
        try OpenCV.check(status, "draw stamp")
        return TruthCode(text: text, bytes: bytes, charset: charset,
                         corners: stride(from: 0, to: 8, by: 2).map { Point(x: Double(corners[$0]), y: Double(corners[$0 + 1])) },
                         modulePx: modulePx, inverted: style.inverted != 0)
    }

    private func style(quiet: Int32 = 2, margin: Double = 1, paper: Bool, scene: inout Scene) -> cvs_stamp_style {
        var style = cvs_stamp_style(
            dark: Int32(int(8...55)), light: Int32(int(185...245)), inverted: 0, dot: 0, quiet: quiet, stamp_margin: margin,
            guilloche: 0, sheen: 0, sheen_angle: uniform(0...180), bulge: 0, seed: random.next())
        if !paper {
            if chance(0.6) { style.guilloche = uniform(10...40); scene.effects.append("guilloche") }
            if chance(0.3) { style.sheen = uniform(30...90); scene.effects.append("hologram") }
        }
        if chance(0.08) { style.dot = uniform(0.6...0.9); scene.effects.append("dots") }
        return style
    }

    // MARK: Caps on a conveyor

    private func conveyor(_ image: GrayImage) throws(VisionError) -> Int {
        let background = int(25...75)
        try OpenCV.check(cvs_image_fill(image.handle, Int32(background)), "fill")
        let offset = int(0...159)
        for x in stride(from: -offset, to: width, by: 160) {
            try OpenCV.check(cvs_draw_rect(image.handle, Int32(x), 0, 6, Int32(height), Int32(background - 15), Int32(background - 15),
                                           Int32(background - 15), -1), "draw")
        }
        return background
    }

    private func renderOptics(_ image: GrayImage, _ scene: inout Scene) throws(VisionError) {
        _ = try conveyor(image)
        let roll = uniform(0...1)
        let count = roll < 0.04 ? 0 : roll < 0.9 ? 1 : int(2...3)
        var placed: [(Point, Double)] = []
        var firstModule = 3.5
        for index in 0..<count {
            // Most line cameras see 2.5-5 px per module; closer cameras and larger stamps up to 20.
            let modulePx = min(chance(0.65) ? uniform(2.2...5) : logUniform(5...20), count > 1 ? 6 : 20)
            if index == 0 { firstModule = modulePx }
            let codeSide = 33 * modulePx
            let radius = min(codeSide * uniform(0.8...1.0), Double(min(width, height)) / 2 - 8)
            var center = Point(x: Double(width) / 2, y: Double(height) / 2)
            for _ in 0..<60 {
                center = Point(x: uniform(radius + 4...max(radius + 5, Double(width) - radius - 4)),
                               y: uniform(radius + 4...max(radius + 5, Double(height) - radius - 4)))
                if !placed.contains(where: { hypot($0.0.x - center.x, $0.0.y - center.y) < $0.1 + radius + 10 }) { break }
            }
            placed.append((center, radius))
            let capGray = int(110...210)
            try OpenCV.check(cvs_scene_cap(image.handle, center.x, center.y, radius, Int32(capGray), uniform(0...360), 0.35), "draw cap")
            if chance(0.03) { scene.effects.append("no stamp"); continue }
            var style = style(paper: false, scene: &scene)
            style.bulge = uniform(0...0.06)
            if chance(0.05) { style.inverted = 1; scene.effects.append("inverted") }
            var at = center
            if chance(0.3) {
                // Glued off-centre.
                let shift = radius * uniform(0.1...0.3), angle = uniform(0...(2 * .pi))
                at = Point(x: center.x + shift * cos(angle), y: center.y + shift * sin(angle))
                scene.effects.append("off-centre")
            }
            let tilt = uniform(0...0.22)
            let truth = try stamp(image, text: stampCode(), charset: nil, center: at, modulePx: modulePx, angle: uniform(0...360), tilt: tilt,
                                  tiltDirection: uniform(0...360), style: style)
            scene.codes.append(truth)
            try damage(image, truth, capGray: capGray, scene: &scene)
            if chance(0.4) {
                // Specular spots of the ring light on the curved cap.
                scene.effects.append("glare")
                for _ in 0..<int(1...3) {
                    let r = max(3, radius * uniform(0.04...0.18))
                    try OpenCV.check(cvs_scene_specular(image.handle, at.x + uniform(-0.5...0.5) * radius, at.y + uniform(-0.5...0.5) * radius,
                                                        r, r * uniform(0.3...1), uniform(0...180), uniform(80...230)), "glare")
                }
            }
        }
        if chance(0.2) {
            scene.effects.append("shadow")
            let x0 = uniform(0...Double(width)), y0 = uniform(0...Double(height)), a = uniform(0...(2 * .pi))
            try OpenCV.check(cvs_scene_shadow(image.handle, x0, y0, x0 + cos(a) * 100, y0 + sin(a) * 100, uniform(10...80), uniform(0.3...0.7)), "shadow")
        }
        var optics = camera(modulePx: firstModule, scene: &scene)
        optics.motion_angle = uniform(-10...10)  // the conveyor moves along x
        try OpenCV.check(cvs_scene_optics(image.handle, &optics, work.handle), "optics")
    }

    /// Folds and tears across a code.
    private func damage(_ image: GrayImage, _ truth: TruthCode, capGray: Int, scene: inout Scene) throws(VisionError) {
        let c = truth.corners
        guard c.count == 4 else { return }
        let side = truth.modulePx
        if chance(0.1) {
            scene.effects.append("fold")
            let t0 = uniform(0.15...0.85), t1 = uniform(0.15...0.85)
            let p0 = Point(x: c[0].x + (c[3].x - c[0].x) * t0, y: c[0].y + (c[3].y - c[0].y) * t0)
            let p1 = Point(x: c[1].x + (c[2].x - c[1].x) * t1, y: c[1].y + (c[2].y - c[1].y) * t1)
            try OpenCV.check(cvs_scene_fold(image.handle, p0.x, p0.y, p1.x, p1.y, side * uniform(0.8...2), uniform(20...60),
                                            side * uniform(0...0.8)), "fold")
        }
        if chance(0.07) {
            scene.effects.append("tear")
            let t = uniform(0.2...0.8)
            let p = Point(x: c[0].x + (c[2].x - c[0].x) * t, y: c[0].y + (c[2].y - c[0].y) * t)
            let length = Quad.longestSide(c) * uniform(0.25...0.5)
            try OpenCV.check(cvs_synth_occlude(image.handle, p.x, p.y, length, side * uniform(0.4...1.3), uniform(0...180), Int32(capGray)), "tear")
        }
    }

    /// The camera: illumination, defocus, motion, dust, noise, compression.
    private func camera(modulePx: Double, scene: inout Scene) -> cvs_optics {
        var optics = cvs_optics(
            motion_px: uniform(0...0.7) * modulePx, motion_angle: uniform(-180...180), defocus_radius: uniform(0...0.4) * modulePx,
            haze: 0, gain: 1, vignetting: uniform(0...0.35), read_noise: uniform(1.5...6), shot_noise: uniform(0.1...0.6), jpeg_quality: 0,
            seed: random.next())
        if chance(0.12) { optics.gain = uniform(0.35...0.7); scene.effects.append("lamp") }
        if chance(0.12) { optics.haze = uniform(0.2...0.5); scene.effects.append("dust") }
        if chance(0.45) { optics.jpeg_quality = Int32(int(35...92)); scene.effects.append("jpeg") }
        if optics.motion_px > 0.45 * modulePx { scene.effects.append("motion") }
        if optics.defocus_radius > 0.25 * modulePx { scene.effects.append("defocus") }
        return optics
    }

    // MARK: A case from above

    private func renderCase(_ image: GrayImage, _ scene: inout Scene) throws(VisionError) {
        let layouts = [(3, 4), (4, 5), (4, 6)]
        let (rows, columns) = layouts[int(0...2)]
        scene.effects.append("\(rows * columns) caps")
        let interior = int(35...70)
        try OpenCV.check(cvs_image_fill(image.handle, Int32(interior)), "fill")
        try OpenCV.check(cvs_scene_texture(image.handle, 1, 0, 0, Int32(width), Int32(height), uniform(3...8), random.next()), "texture")
        let margin = 20.0
        let cellW = (Double(width) - 2 * margin) / Double(columns), cellH = (Double(height) - 2 * margin) / Double(rows)
        let divider = Int32(int(120...170))
        for r in 0...rows {
            try OpenCV.check(cvs_draw_rect(image.handle, Int32(margin - 3), Int32(margin + Double(r) * cellH - 3), Int32(Double(width) - 2 * margin + 6), 6,
                                           divider, divider, divider, -1), "divider")
        }
        for c in 0...columns {
            try OpenCV.check(cvs_draw_rect(image.handle, Int32(margin + Double(c) * cellW - 3), Int32(margin - 3), 6, Int32(Double(height) - 2 * margin + 6),
                                           divider, divider, divider, -1), "divider")
        }
        let radius = min(cellW, cellH) * uniform(0.38...0.44)
        let modulePx = radius * uniform(1.3...1.5) / 33
        for r in 0..<rows {
            for c in 0..<columns {
                if chance(0.04) { scene.effects.append("missing bottle"); continue }
                let center = Point(x: margin + (Double(c) + 0.5) * cellW + uniform(-0.06...0.06) * cellW,
                                   y: margin + (Double(r) + 0.5) * cellH + uniform(-0.06...0.06) * cellH)
                let capGray = int(130...200)
                try OpenCV.check(cvs_scene_cap(image.handle, center.x, center.y, radius, Int32(capGray), 225, 0.35), "cap")
                var style = style(paper: false, scene: &scene)
                style.bulge = uniform(0...0.1)
                let truth = try stamp(image, text: stampCode(), charset: nil, center: center, modulePx: modulePx, angle: uniform(0...360),
                                      tilt: uniform(0...0.08), tiltDirection: uniform(0...360), style: style)
                scene.codes.append(truth)
                if chance(0.25) {
                    try OpenCV.check(cvs_scene_specular(image.handle, center.x + uniform(-0.4...0.4) * radius, center.y + uniform(-0.4...0.4) * radius,
                                                        radius * 0.08, radius * 0.05, uniform(0...180), uniform(60...160)), "glare")
                }
            }
        }
        var optics = camera(modulePx: modulePx, scene: &scene)
        optics.motion_px = 0  // the case stands still under the camera
        optics.defocus_radius = min(optics.defocus_radius, 0.35 * modulePx)
        try OpenCV.check(cvs_scene_optics(image.handle, &optics, work.handle), "optics")
    }

    // MARK: Codes not on caps

    private func renderFlat(_ image: GrayImage, _ scene: inout Scene) throws(VisionError) {
        let surface = int(0...3)
        var dark = false
        switch surface {
        case 0:  // paper on a desk
            scene.effects.append("paper")
            try OpenCV.check(cvs_image_fill(image.handle, Int32(int(60...120))), "fill")
            let x = int(0...200), y = int(0...150)
            let paper = Int32(int(190...240))
            try OpenCV.check(cvs_draw_rect(image.handle, Int32(x), Int32(y), Int32(width - x - int(0...200)), Int32(height - y - int(0...150)),
                                           paper, paper, paper, -1), "paper")
            try OpenCV.check(cvs_scene_texture(image.handle, 0, 0, 0, Int32(width), Int32(height), uniform(2...6), random.next()), "paper")
            for _ in 0..<int(3...12) {  // printed lines of text
                let gray = Int32(int(30...90))
                try OpenCV.check(cvs_draw_rect(image.handle, Int32(int(0...width)), Int32(int(0...height)), Int32(int(80...500)), Int32(int(3...9)),
                                               gray, gray, gray, -1), "text")
            }
        case 1:  // a screen
            scene.effects.append("screen")
            dark = chance(0.4)
            try OpenCV.check(cvs_image_fill(image.handle, Int32(int(15...50))), "fill")
            let screen = Int32(dark ? int(20...45) : int(170...235))
            try OpenCV.check(cvs_draw_rect(image.handle, 60, 50, Int32(width - 120), Int32(height - 100), screen, screen, screen, -1), "screen")
        case 2:  // cardboard
            scene.effects.append("cardboard")
            try OpenCV.check(cvs_image_fill(image.handle, Int32(int(110...170))), "fill")
            try OpenCV.check(cvs_scene_texture(image.handle, 1, 0, 0, Int32(width), Int32(height), uniform(4...12), random.next()), "cardboard")
        default:  // a glossy label on a bottle
            scene.effects.append("label")
            try OpenCV.check(cvs_image_fill(image.handle, Int32(int(40...200))), "fill")
            try OpenCV.check(cvs_scene_texture(image.handle, 0, 0, 0, Int32(width), Int32(height), uniform(2...8), random.next()), "texture")
        }
        let roll = uniform(0...1)
        let count = roll < 0.03 ? 0 : roll < 0.62 ? 1 : roll < 0.87 ? 2 : int(3...4)
        var placed: [(Point, Double)] = []
        var firstModule = 4.0
        for index in 0..<count {
            let (text, charset) = flatPayload()
            let (_, side, _) = try encode(text, charset: charset)
            let maxModule = Double(min(width, height)) * 0.9 / Double(side + 4) / (count > 1 ? 1.8 : 1)
            let modulePx = min(logUniform(2.4...20), max(2.4, maxModule))
            if index == 0 { firstModule = modulePx }
            let reach = Double(side + 4) * modulePx * 0.75
            var center = Point(x: Double(width) / 2, y: Double(height) / 2)
            var free = false
            for _ in 0..<80 {
                center = Point(x: uniform(reach...max(reach + 1, Double(width) - reach)), y: uniform(reach...max(reach + 1, Double(height) - reach)))
                if !placed.contains(where: { hypot($0.0.x - center.x, $0.0.y - center.y) < $0.1 + reach + 8 }) { free = true; break }
            }
            if !free { continue }
            placed.append((center, reach))
            var style = style(margin: 0, paper: true, scene: &scene)
            if dark || chance(0.06) { style.inverted = 1; scene.effects.append("inverted") }
            if charset != nil { scene.effects.append(charset!) }
            let truth = try stamp(image, text: text, charset: charset, center: center, modulePx: modulePx, angle: uniform(0...360),
                                  tilt: uniform(0...0.3), tiltDirection: uniform(0...360), style: style)
            scene.codes.append(truth)
            if surface != 1 && chance(0.08) {
                scene.effects.append("fold")
                let c = truth.corners
                try OpenCV.check(cvs_scene_fold(image.handle, c[0].x, c[0].y, c[2].x, c[2].y, modulePx * 1.5, uniform(15...45), modulePx * uniform(0...0.5)), "fold")
            }
        }
        if surface == 1 {
            try OpenCV.check(cvs_scene_texture(image.handle, 2, 60, 50, Int32(width - 120), Int32(height - 100), uniform(10...35), random.next()), "grid")
        }
        if surface == 3 || chance(0.12) {
            scene.effects.append("glare")
            try OpenCV.check(cvs_scene_specular(image.handle, uniform(0...Double(width)), uniform(0...Double(height)), uniform(20...120),
                                                uniform(8...60), uniform(0...180), uniform(60...200)), "glare")
        }
        if chance(0.3) {
            scene.effects.append("shadow")
            let x0 = uniform(0...Double(width)), y0 = uniform(0...Double(height)), a = uniform(0...(2 * .pi))
            try OpenCV.check(cvs_scene_shadow(image.handle, x0, y0, x0 + cos(a) * 100, y0 + sin(a) * 100, uniform(20...200), uniform(0.2...0.6)), "shadow")
        }
        var optics = camera(modulePx: firstModule, scene: &scene)
        optics.motion_px = min(optics.motion_px, 3)  // a hand-held phone, not a conveyor
        try OpenCV.check(cvs_scene_optics(image.handle, &optics, work.handle), "optics")
    }
}
