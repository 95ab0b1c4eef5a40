import ConfigKit
import LineCore

/// A camera's calibration (`Calibration/<camera-id>.yaml`), tuned by line engineers: what part of the frame to
/// look at, how to prepare it, which decoders to run in which order and how long each may take.
public struct CalibrationConfiguration: Codable, Sendable, ValidatableConfig {
    /// The camera this file calibrates (must match the camera's id in the agent configuration).
    public var camera: String
    /// Expected frame size; frames of another size are reported (the calibration was made for this size).
    public var frame: FrameSize?
    /// Camera settings applied at start (GenICam and V4L2 sources).
    public var acquisition: AcquisitionSettings
    /// Where in the frame to look for the code.
    public var roi: RegionOfInterest
    /// Rotation applied to the region before decoding, in degrees (counter-clockwise).
    public var rotation: Double
    /// Scale applied to the region before decoding (above 1 upscales small codes; below 1 is refused).
    public var scale: Double
    /// The code's expected size in the frame.
    public var codeSize: CodeSize
    /// Contrast and clean-up steps, in order.
    public var preprocess: [PreprocessStep]
    /// Decoders tried in order until one reads; each has its own time budget.
    public var decoders: [DecoderStep]
    /// The whole chain's budget per frame.
    public var totalBudget: ConfigDuration
    /// At most this many codes are reported per frame.
    public var maxCodesPerFrame: Int
    /// How many codes a frame normally holds (1 for a bottle camera, 12–24 for a case camera): the chain stops once
    /// it has read this many. Unset: every step runs within the budget, looking for every code in the frame.
    public var expectedCodes: Int?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        camera = try c.decode(String.self, forKey: .camera)
        frame = try c.decodeIfPresent(FrameSize.self, forKey: .frame)
        acquisition = try c.decodeIfPresent(AcquisitionSettings.self, forKey: .acquisition) ?? AcquisitionSettings()
        roi = try c.decodeIfPresent(RegionOfInterest.self, forKey: .roi) ?? RegionOfInterest()
        rotation = try c.decodeIfPresent(Double.self, forKey: .rotation) ?? 0
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1
        codeSize = try c.decode(CodeSize.self, forKey: .codeSize)
        preprocess = try c.decodeIfPresent([PreprocessStep].self, forKey: .preprocess) ?? []
        decoders = try c.decode([DecoderStep].self, forKey: .decoders)
        totalBudget = try c.decodeIfPresent(ConfigDuration.self, forKey: .totalBudget) ?? ConfigDuration(.milliseconds(20))
        maxCodesPerFrame = try c.decodeIfPresent(Int.self, forKey: .maxCodesPerFrame) ?? 4
        expectedCodes = try c.decodeIfPresent(Int.self, forKey: .expectedCodes)
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkIdentifier(camera, at: "camera")
        if let frame { v.validate("frame", frame) }
        v.validate("acquisition", acquisition)
        v.nested("roi") { v in roi.validate(&v, frame: frame) }
        v.checkRange(rotation, -180...180, at: "rotation", what: "degrees")
        v.check(scale >= 1 && scale <= 4, at: "scale",
                "expected 1-4, got \(scale): downscaling destroys reads of small modules; to speed up, narrow the roi instead")
        v.nested("codeSize") { v in codeSize.validate(&v, scale: scale) }
        v.each("preprocess", preprocess) { v, step in step.validate(&v) }
        v.check(!decoders.isEmpty, at: "decoders", "at least one decoder is needed (zxing reads most on caps; add zbar as a fallback)")
        v.each("decoders", decoders) { v, step in
            step.validate(&v)
            if step.region == .cap, roi.minRadius == nil || roi.maxRadius == nil {
                v.error(at: "region", "region cap needs roi.minRadius and roi.maxRadius (the cap locator's radius range in pixels)")
            }
        }
        v.check(totalBudget.duration >= .milliseconds(1) && totalBudget.duration <= .milliseconds(1_000), at: "totalBudget",
                "expected 1ms to 1000ms (60,000 bottles/h leaves 60 ms per bottle for everything)")
        v.check(decoders.isEmpty || decoders.contains { $0.budget.duration <= totalBudget.duration }, at: "totalBudget",
                "no decoder fits in totalBudget \(totalBudget.duration); raise totalBudget or lower the decoders' budgets")
        v.checkRange(maxCodesPerFrame, 1...64, at: "maxCodesPerFrame", what: "a count")
        if let expectedCodes {
            v.check(expectedCodes >= 1 && expectedCodes <= maxCodesPerFrame, at: "expectedCodes",
                    "expected 1 to maxCodesPerFrame (\(maxCodesPerFrame)), got \(expectedCodes)")
        }
        if let first = decoders.first, first.region == .unread {
            v.error(at: "decoders", "the first step cannot have region unread: only an earlier zxing step finds unread symbols")
        }
    }
}

/// A frame size in pixels.
public struct FrameSize: Codable, Sendable, Hashable, ValidatableConfig {
    public var width: Int
    public var height: Int

    public func validate(_ v: inout ConfigValidator) {
        v.checkRange(width, 16...16_384, at: "width", what: "pixels")
        v.checkRange(height, 16...16_384, at: "height", what: "pixels")
    }
}

/// Camera trigger modes.
public enum TriggerMode: String, ConfigEnum, Codable {
    /// The camera streams continuously.
    case freeRun
    /// The camera exposes on a hardware trigger line (wired to the photo-eye).
    case hardware
    /// The agent triggers each exposure in software.
    case software
}

/// Exposure, gain and trigger, applied when the camera opens.
public struct AcquisitionSettings: Codable, Sendable, ValidatableConfig {
    /// Exposure time in microseconds (short exposures freeze motion: blur must stay under one module).
    public var exposureUs: Double?
    /// Analogue gain in dB.
    public var gainDb: Double?
    public var trigger: TriggerMode
    /// Frames per second in free-run mode.
    public var frameRate: Double?

    public init() { trigger = .freeRun }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        exposureUs = try c.decodeIfPresent(Double.self, forKey: .exposureUs)
        gainDb = try c.decodeIfPresent(Double.self, forKey: .gainDb)
        trigger = try c.decodeIfPresent(TriggerMode.self, forKey: .trigger) ?? .freeRun
        frameRate = try c.decodeIfPresent(Double.self, forKey: .frameRate)
    }

    public func validate(_ v: inout ConfigValidator) {
        if let exposureUs { v.checkRange(exposureUs, 1...1_000_000, at: "exposureUs", what: "microseconds") }
        if let gainDb { v.checkRange(gainDb, 0...48, at: "gainDb", what: "dB") }
        if let frameRate {
            v.checkRange(frameRate, 0.1...2_000, at: "frameRate", what: "frames per second")
            v.check(trigger == .freeRun, at: "frameRate", "applies to trigger freeRun only")
        }
    }
}

/// How the region of interest is chosen.
public enum ROIMode: String, ConfigEnum, Codable {
    /// The whole frame.
    case full
    /// A fixed rectangle (`x`, `y`, `width`, `height`).
    case fixed
    /// Found in each frame by the cap locator (a bright disc of `minRadius`–`maxRadius` pixels), plus `margin`:
    /// every decoder step looks only at the located caps.
    case cap
}

/// Where in the frame the code is looked for.
public struct RegionOfInterest: Codable, Sendable, ValidatableConfig {
    public var mode: ROIMode
    public var x: Int?
    public var y: Int?
    public var width: Int?
    public var height: Int?
    /// Cap locator: the cap's radius range in pixels (for mode cap, and for decoder steps with `region: cap`).
    public var minRadius: Int?
    public var maxRadius: Int?
    /// Pixels added around the located cap (or the fixed rectangle), clipped to the frame.
    public var margin: Int

    public init() {
        mode = .full
        margin = 0
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.decodeIfPresent(ROIMode.self, forKey: .mode) ?? .full
        x = try c.decodeIfPresent(Int.self, forKey: .x)
        y = try c.decodeIfPresent(Int.self, forKey: .y)
        width = try c.decodeIfPresent(Int.self, forKey: .width)
        height = try c.decodeIfPresent(Int.self, forKey: .height)
        minRadius = try c.decodeIfPresent(Int.self, forKey: .minRadius)
        maxRadius = try c.decodeIfPresent(Int.self, forKey: .maxRadius)
        margin = try c.decodeIfPresent(Int.self, forKey: .margin) ?? 0
    }

    public func validate(_ v: inout ConfigValidator) { validate(&v, frame: nil) }

    public func validate(_ v: inout ConfigValidator, frame: FrameSize?) {
        let rectangle = [("x", x), ("y", y), ("width", width), ("height", height)]
        let radii = [("minRadius", minRadius), ("maxRadius", maxRadius)]
        switch mode {
        case .full:
            for (key, value) in rectangle where value != nil { v.error(at: key, "does not apply to mode full") }
        case .fixed:
            for (key, value) in rectangle where value == nil {
                v.error(at: key, "mode fixed needs x, y, width and height (run `lineagent calibrate` for a suggestion)")
            }
            if let x, let y, let width, let height {
                v.check(x >= 0, at: "x", "expected 0 or more, got \(x)")
                v.check(y >= 0, at: "y", "expected 0 or more, got \(y)")
                v.check(width >= 16, at: "width", "expected at least 16 pixels, got \(width)")
                v.check(height >= 16, at: "height", "expected at least 16 pixels, got \(height)")
                if let frame {
                    v.check(x + width <= frame.width, at: "width",
                            "x + width = \(x + width) is beyond the frame width \(frame.width); lower x or width")
                    v.check(y + height <= frame.height, at: "height",
                            "y + height = \(y + height) is beyond the frame height \(frame.height); lower y or height")
                }
            }
        case .cap:
            for (key, value) in rectangle where value != nil { v.error(at: key, "applies to mode fixed only") }
            for (key, value) in radii where value == nil { v.error(at: key, "mode cap needs minRadius and maxRadius (pixels)") }
        }
        if let minRadius, let maxRadius {
            v.check(minRadius >= 8, at: "minRadius", "expected at least 8 pixels, got \(minRadius)")
            v.check(maxRadius > minRadius, at: "maxRadius", "must be larger than minRadius (\(minRadius))")
        } else if (minRadius == nil) != (maxRadius == nil) {
            v.error(at: minRadius == nil ? "minRadius" : "maxRadius", "minRadius and maxRadius go together")
        }
        v.checkRange(margin, 0...1_000, at: "margin", what: "pixels")
    }
}

/// The code's expected size.
public struct CodeSize: Codable, Sendable, ValidatableConfig {
    /// Pixels per QR module in the frame. Reads need at least 3 after `scale`.
    public var modulePx: Double
    /// The code's side in pixels (optional; used by the cap locator's sanity checks and the calibration report).
    public var sidePx: Double?

    public func validate(_ v: inout ConfigValidator) { validate(&v, scale: 1) }

    public func validate(_ v: inout ConfigValidator, scale: Double) {
        v.checkRange(modulePx, 0.5...100, at: "modulePx", what: "pixels per module")
        if modulePx * scale < 3 {
            let needed = max(1, (3 / modulePx * 10).rounded(.up) / 10)
            let remedy = needed <= 4 ? "set scale: \(needed) or move the camera closer" : "move the camera closer or use a longer lens"
            v.error(at: "modulePx",
                    "\(modulePx) px per module × scale \(scale) is under 3: codes this small do not decode reliably; \(remedy)")
        }
        if let sidePx { v.checkRange(sidePx, 8...4_000, at: "sidePx", what: "pixels") }
    }
}

/// Preprocessing operations.
public enum PreprocessOperation: String, ConfigEnum, Codable {
    /// Contrast-limited adaptive histogram equalization (`clipLimit`, `tileSize`). Alone it lost reads on caps.
    case clahe
    /// Global histogram equalization.
    case equalize
    /// Unsharp mask (`amount`, `sigma`): counters mild defocus.
    case sharpen
    /// Gaussian blur (`sigma`): counters noise.
    case blur
    /// Adaptive threshold to black and white (`blockSize`, `offset`).
    case threshold
    /// Invert (light codes on dark caps).
    case invert
}

/// One preprocessing step.
public struct PreprocessStep: Codable, Sendable, ValidatableConfig {
    public var op: PreprocessOperation
    public var clipLimit: Double?
    public var tileSize: Int?
    public var amount: Double?
    public var sigma: Double?
    public var blockSize: Int?
    public var offset: Double?

    public func validate(_ v: inout ConfigValidator) {
        let applicable: Set<String> = switch op {
        case .clahe: ["clipLimit", "tileSize"]
        case .equalize, .invert: []
        case .sharpen: ["amount", "sigma"]
        case .blur: ["sigma"]
        case .threshold: ["blockSize", "offset"]
        }
        let given: [(String, Bool)] = [("clipLimit", clipLimit != nil), ("tileSize", tileSize != nil), ("amount", amount != nil),
                                       ("sigma", sigma != nil), ("blockSize", blockSize != nil), ("offset", offset != nil)]
        for (key, present) in given where present && !applicable.contains(key) {
            v.error(at: key, "does not apply to op \(op.rawValue)" + (applicable.isEmpty ? "" : " (it takes \(applicable.sorted().joined(separator: ", ")))"))
        }
        if let clipLimit { v.checkRange(clipLimit, 0.1...40, at: "clipLimit", what: "a clip limit") }
        if let tileSize { v.checkRange(tileSize, 2...64, at: "tileSize", what: "tiles") }
        if let amount { v.checkRange(amount, 0.1...5, at: "amount", what: "an amount") }
        if let sigma { v.checkRange(sigma, 0.1...10, at: "sigma", what: "pixels") }
        if let blockSize {
            v.check(blockSize >= 3 && blockSize <= 255 && blockSize % 2 == 1, at: "blockSize", "expected an odd number 3-255, got \(blockSize)")
        }
    }
}

extension DecoderName: ConfigEnum {}

/// What a decoder step looks at.
public enum DecoderRegion: String, ConfigEnum, Codable {
    /// The whole region of interest (after rotation, scale and preprocessing). Runs whenever the chain still lacks
    /// codes: when no cap was located, when a located cap gave no code, when an earlier step found a symbol it could
    /// not decode, and (unless `expectedCodes` is reached) to find codes away from the located caps.
    case roi
    /// Each cap the locator finds in the region of interest, cropped tightly (ZBar reads more, and much faster,
    /// on a crop of the cap than on a full frame). Caps whose code an earlier step already read are skipped.
    case cap
    /// Each place where an earlier zxing step found a symbol it could not decode, cropped with a margin: the cheap
    /// way to give a damaged, glared or low-contrast code a second decoder and a preprocessing variant.
    case unread
}

/// A preprocessing variant applied to one step's image only (after the calibration's `preprocess`).
public enum DecoderVariant: String, ConfigEnum, Codable {
    /// The image as prepared.
    case none
    /// Light on dark made dark on light (ZBar reads only dark-on-light symbols).
    case invert
    /// Contrast-limited adaptive histogram equalisation: glare and uneven light.
    case clahe
    /// Local normalisation (each pixel against its neighbourhood's mean and spread): shadows and glare.
    case normalize
    /// Morphological close: dotted modules and small damage joined.
    case close
    /// Contrast stretch to the full 0–255 range: low contrast (a weak lamp, a faded print).
    case stretch
}

/// One decoder in the chain.
public struct DecoderStep: Codable, Sendable, ValidatableConfig {
    public var name: DecoderName
    /// Time this step may take per frame. A running decoder cannot be interrupted, so a step after the first starts
    /// only if its budget fits in what is left of `totalBudget`; crops stop being tried once the step's budget is
    /// spent; overruns are counted.
    public var budget: ConfigDuration
    /// zxing: also try rotated, downscaled and inverted images (zxing's own harder search).
    public var tryHarder: Bool
    /// What the step decodes: the region of interest, each located cap, or each symbol an earlier step could not read.
    public var region: DecoderRegion
    /// Scaling of this step's image: above 1 upscales small modules (1.5–2 on cap crops), below 1 downscales large
    /// codes (0.5 for codes of 10+ px per module).
    public var scale: Double
    /// A preprocessing variant for this step only.
    public var variant: DecoderVariant

    public init(name: DecoderName, region: DecoderRegion = .roi, scale: Double = 1, variant: DecoderVariant = .none,
                tryHarder: Bool = false, budget: Duration = .milliseconds(15)) {
        self.name = name
        self.region = region
        self.scale = scale
        self.variant = variant
        self.tryHarder = tryHarder
        self.budget = ConfigDuration(budget)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(DecoderName.self, forKey: .name)
        budget = try c.decodeIfPresent(ConfigDuration.self, forKey: .budget) ?? ConfigDuration(.milliseconds(15))
        tryHarder = try c.decodeIfPresent(Bool.self, forKey: .tryHarder) ?? false
        region = try c.decodeIfPresent(DecoderRegion.self, forKey: .region) ?? .roi
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1
        variant = try c.decodeIfPresent(DecoderVariant.self, forKey: .variant) ?? DecoderVariant.none
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(budget.duration >= .microseconds(100) && budget.duration <= .seconds(1), at: "budget", "expected 100us to 1s")
        if tryHarder { v.check(name != .zbar, at: "tryHarder", "applies to zxing only") }
        v.checkRange(scale, 0.25...4, at: "scale", what: "a factor")
    }

    /// The step's name in reports: decoder, region, then scale and variant when they are not the default
    /// (`zxing@cap×1.5`, `zbar@unread+invert`).
    public var label: String {
        var label = "\(name.rawValue)@\(region.rawValue)"
        if scale != 1 { label += "×\(scale.formatted())" }
        if variant != .none { label += "+\(variant.rawValue)" }
        if tryHarder { label += "+harder" }
        return label
    }
}

extension Double {
    /// The shortest decimal text that reads back as the same value (`1.5`, `2`, `0.25`).
    fileprivate func formatted() -> String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
