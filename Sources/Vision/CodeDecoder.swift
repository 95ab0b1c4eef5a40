import LineConfig

/// A point in image coordinates (pixels).
public struct Point: Hashable, Sendable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One QR symbol read from an image.
public struct DecodedCode: Hashable, Sendable {
    /// The symbol's raw payload bytes (parsed by `PayloadRules`, never trusted as text).
    public var bytes: [UInt8]
    /// Which decoder read it.
    public var decoder: DecoderName
    /// The symbol's four corners (top-left, top-right, bottom-right, bottom-left) in frame coordinates.
    public var corners: [Point]

    public init(bytes: [UInt8], decoder: DecoderName, corners: [Point]) {
        self.bytes = bytes
        self.decoder = decoder
        self.corners = corners
    }

    /// The payload as text (invalid UTF-8 shown with replacement characters).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The centre of the corners.
    public var center: Point {
        guard !corners.isEmpty else { return Point(x: 0, y: 0) }
        return Point(x: corners.map(\.x).reduce(0, +) / Double(corners.count),
                     y: corners.map(\.y).reduce(0, +) / Double(corners.count))
    }
}

/// The decoder seam: reads QR symbols from a gray image. Implementations hold reusable native state, so one
/// instance belongs to one camera pipeline (not `Sendable`).
public protocol CodeDecoder: AnyObject {
    /// The decoder's name in reports and calibration files.
    var name: DecoderName { get }
    /// Reads every QR symbol in the image; corners are in the image's own coordinates.
    func decode(_ image: GrayImage) throws(VisionError) -> [DecodedCode]
}

/// Makes the decoder a calibration step names.
public func makeDecoder(_ step: DecoderStep, maxCodes: Int) throws(VisionError) -> any CodeDecoder {
    switch step.name {
    case .zxing: try ZXingDecoder(tryHarder: step.tryHarder, maxCodes: maxCodes)
    case .zbar: try ZBarDecoder()
    }
}
