import COpenCVShim
import Foundation

/// A small deterministic random number generator (SplitMix64), so a seed always gives the same frames.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One cap in a synthetic frame.
public struct CapSpec: Sendable, Codable, Hashable {
    /// The QR payload printed on the stamp, or nil for a cap without a stamp.
    public var payload: String?
    public var x: Double
    public var y: Double
    public var radius: Double
    /// Pixels per QR module.
    public var modulePx: Double
    public var angle: Double
    /// Perspective tilt, 0 … 0.3.
    public var tilt: Double
    public var tiltDirection: Double
    public var capGray: Int
    public var dark: Int
    public var light: Int
}

/// A partial occlusion (label edge, droplet, finger).
public struct OcclusionSpec: Sendable, Codable, Hashable {
    public var x: Double, y: Double, width: Double, height: Double, angle: Double, gray: Int
}

/// Everything needed to render one frame, and its ground truth.
public struct FrameSpec: Sendable, Codable, Hashable {
    public var width: Int
    public var height: Int
    public var background: Int
    public var caps: [CapSpec]
    public var occlusions: [OcclusionSpec]
    /// Motion blur length in pixels and direction.
    public var motionPx: Double
    public var motionAngle: Double
    public var defocusSigma: Double
    public var glareStrength: Double
    public var glareX: Double, glareY: Double, glareRadius: Double
    public var contrast: Double
    public var noiseSigma: Double
    public var noiseSeed: UInt64

    /// The payloads on the frame's caps (the ground truth of a decode).
    public var payloads: [String] { caps.compactMap(\.payload) }
}

/// How hard generated frames are.
public struct SynthesisProfile: Sendable {
    public var name: String
    public var modulePx: ClosedRange<Double>
    /// Motion blur as a share of one module.
    public var motionModules: ClosedRange<Double>
    public var defocus: ClosedRange<Double>
    public var noise: ClosedRange<Double>
    public var tilt: ClosedRange<Double>
    public var contrast: ClosedRange<Double>
    public var glareChance: Double
    public var glareStrength: ClosedRange<Double>
    public var occlusionChance: Double
    /// Chances of a frame with no cap, and with two or three caps.
    public var emptyChance: Double
    public var multiCapChance: Double

    /// Caps as a well-set-up line sees them: 3–4.5 px per module, mild blur and noise.
    public static let nominal = SynthesisProfile(
        name: "nominal", modulePx: 3.0...4.5, motionModules: 0...0.5, defocus: 0...0.6, noise: 2...6, tilt: 0...0.08,
        contrast: 0.8...1.0, glareChance: 0.2, glareStrength: 20...60, occlusionChance: 0, emptyChance: 0.03, multiCapChance: 0.05)

    /// Caps at the edge of what reads: 2.4–3.2 px per module, blur near a module, noise, glare, low contrast, tilt,
    /// small occlusions.
    public static let hard = SynthesisProfile(
        name: "hard", modulePx: 2.4...3.2, motionModules: 0.3...1.0, defocus: 0.4...1.1, noise: 5...11, tilt: 0.05...0.2,
        contrast: 0.45...0.8, glareChance: 0.5, glareStrength: 40...110, occlusionChance: 0.15, emptyChance: 0.03,
        multiCapChance: 0.1)
}

/// Renders frames of caps with stamp QR codes in our payload format, with a ground truth for each frame.
/// Used by the tests, the benchmark, the calibration tool's demo set and the simulated line.
public final class FrameSynthesizer {
    public let width: Int
    public let height: Int
    public let profile: SynthesisProfile
    /// Host used in generated payloads (`https://<host>/c/<code>`).
    public let host: String
    private var random: SeededRandom
    private let work = GrayImage()
    private var moduleCache: [String: (modules: [UInt8], side: Int)] = [:]

    public init(width: Int = 1280, height: Int = 1024, profile: SynthesisProfile, seed: UInt64, host: String = "qr.example.kz") {
        _ = OpenCV.singleThreaded
        self.width = width
        self.height = height
        self.profile = profile
        self.host = host
        random = SeededRandom(seed: seed)
    }

    /// A random code of 20 characters of 0-9A-Z.
    public func randomCode() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
    }

    /// The URL payload for a code.
    public func payload(for code: String) -> String { "https://\(host)/c/\(code)" }

    /// A random frame spec under the profile; `payloads` supplies the payload of each cap (random codes if nil).
    public func makeSpec(payloads: (() -> String?)? = nil) -> FrameSpec {
        let p = profile
        let roll = Double.random(in: 0..<1, using: &random)
        let capCount = roll < p.emptyChance ? 0 : roll < p.emptyChance + p.multiCapChance ? Int.random(in: 2...3, using: &random) : 1
        var caps: [CapSpec] = []
        var occlusions: [OcclusionSpec] = []
        for _ in 0..<capCount {
            let modulePx = Double.random(in: p.modulePx, using: &random)
            let codeSide = 33 * modulePx // a version-3 code (29 modules) with its quiet zone
            let radius = codeSide * Double.random(in: 0.8...1.0, using: &random)
            // Place caps without overlap.
            var x = 0.0, y = 0.0
            for _ in 0..<50 {
                x = Double.random(in: radius + 10...Double(width) - radius - 10, using: &random)
                y = Double.random(in: radius + 10...Double(height) - radius - 10, using: &random)
                if !caps.contains(where: { hypot($0.x - x, $0.y - y) < $0.radius + radius + 20 }) { break }
            }
            let capGray = Int.random(in: 140...200, using: &random)
            caps.append(CapSpec(
                payload: payloads.map { $0() } ?? payload(for: randomCode()), x: x, y: y, radius: radius, modulePx: modulePx,
                angle: Double.random(in: 0..<360, using: &random), tilt: Double.random(in: p.tilt, using: &random),
                tiltDirection: Double.random(in: 0..<360, using: &random), capGray: capGray,
                dark: Int.random(in: 10...40, using: &random), light: Int.random(in: 215...245, using: &random)))
            if Double.random(in: 0..<1, using: &random) < p.occlusionChance {
                let size = codeSide * Double.random(in: 0.08...0.16, using: &random)
                occlusions.append(OcclusionSpec(
                    x: x + Double.random(in: -codeSide / 3...codeSide / 3, using: &random),
                    y: y + Double.random(in: -codeSide / 3...codeSide / 3, using: &random),
                    width: size, height: size * Double.random(in: 0.5...1.5, using: &random),
                    angle: Double.random(in: 0..<180, using: &random), gray: Int.random(in: 0...255, using: &random)))
            }
        }
        let modulePx = caps.first?.modulePx ?? 3.5
        let glare = Double.random(in: 0..<1, using: &random) < p.glareChance
        let anchor = caps.first
        return FrameSpec(
            width: width, height: height, background: Int.random(in: 30...70, using: &random), caps: caps, occlusions: occlusions,
            motionPx: Double.random(in: p.motionModules, using: &random) * modulePx,
            motionAngle: Double.random(in: -20...20, using: &random), // the conveyor moves roughly along x
            defocusSigma: Double.random(in: p.defocus, using: &random),
            glareStrength: glare ? Double.random(in: p.glareStrength, using: &random) : 0,
            glareX: (anchor?.x ?? Double(width) / 2) + Double.random(in: -40...40, using: &random),
            glareY: (anchor?.y ?? Double(height) / 2) + Double.random(in: -40...40, using: &random),
            glareRadius: Double.random(in: 15...45, using: &random),
            contrast: Double.random(in: p.contrast, using: &random), noiseSigma: Double.random(in: p.noise, using: &random),
            noiseSeed: random.next())
    }

    /// Renders a spec into `image` (reallocated only if the size changes).
    public func render(_ spec: FrameSpec, into image: GrayImage) throws(VisionError) {
        try OpenCV.check(cvs_image_create(image.handle, Int32(spec.width), Int32(spec.height), 1), "create frame")
        try OpenCV.check(cvs_image_fill(image.handle, Int32(spec.background)), "fill")
        // Conveyor slats.
        for x in stride(from: 0, to: spec.width, by: 160) {
            try OpenCV.check(cvs_draw_rect(image.handle, Int32(x), 0, 6, Int32(spec.height), Int32(spec.background - 15),
                                           Int32(spec.background - 15), Int32(spec.background - 15), -1), "draw")
        }
        for cap in spec.caps {
            var modules: [UInt8] = []
            var side = 0
            if let payload = cap.payload {
                if let cached = moduleCache[payload] {
                    (modules, side) = cached
                } else {
                    let encoded = try QREncoder.modules(for: payload)
                    if moduleCache.count >= 1_024 { moduleCache.removeAll(keepingCapacity: true) }  // bounded on long runs
                    moduleCache[payload] = encoded
                    (modules, side) = encoded
                }
            }
            let status = modules.withUnsafeBufferPointer { buffer in
                cvs_synth_cap(image.handle, buffer.baseAddress, Int32(side), cap.x, cap.y, cap.radius, Int32(cap.capGray),
                              cap.modulePx, cap.angle, cap.tilt, cap.tiltDirection, Int32(cap.dark), Int32(cap.light), work.handle)
            }
            try OpenCV.check(status, "draw cap")
        }
        for o in spec.occlusions {
            try OpenCV.check(cvs_synth_occlude(image.handle, o.x, o.y, o.width, o.height, o.angle, Int32(o.gray)), "occlude")
        }
        try OpenCV.check(cvs_synth_degrade(image.handle, spec.motionPx, spec.motionAngle, spec.defocusSigma, spec.glareStrength,
                                           spec.glareX, spec.glareY, spec.glareRadius, spec.contrast, spec.noiseSigma,
                                           spec.noiseSeed, work.handle), "degrade")
    }

    /// Generates and renders the next random frame; returns its spec (the ground truth).
    public func next(into image: GrayImage) throws(VisionError) -> FrameSpec {
        let spec = makeSpec()
        try render(spec, into: image)
        return spec
    }
}

/// Generated frames as a frame source; `lastSpec` is the ground truth of the last frame.
public final class SyntheticFrameSource: FrameSource {
    public let name = "synthetic"
    public let synthesizer: FrameSynthesizer
    public private(set) var lastSpec: FrameSpec?
    private var sequence: UInt64 = 0
    private let limit: UInt64?
    private var closed = false

    public init(synthesizer: FrameSynthesizer, frames: Int? = nil) {
        self.synthesizer = synthesizer
        limit = frames.map(UInt64.init)
    }

    public func next(into image: GrayImage) throws(VisionError) -> FrameInfo? {
        if closed { throw .sourceClosed(source: name, reason: "closed") }
        if let limit, sequence >= limit { return nil }
        lastSpec = try synthesizer.next(into: image)
        defer { sequence += 1 }
        return FrameInfo(sequence: sequence, capturedAt: Date(), capturedInstant: .now, dropped: 0, file: nil)
    }

    public func close() { closed = true }
}
