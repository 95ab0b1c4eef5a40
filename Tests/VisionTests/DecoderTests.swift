import COpenCVShim
import Foundation
import LineConfig
import LineCore
import Testing
@testable import Vision

@Suite("ZBar and zxing-cpp decoders")
struct DecoderTests {
    @Test("every decoder reads a clean code's raw bytes with its corners", arguments: [DecoderName.zxing, .zxing14, .zbar])
    func cleanCode(_ name: DecoderName) throws {
        let image = try render(cleanSpec())
        let decoder = try makeDecoder(DecoderStep(name: name))
        let codes = try decoder.decode(image)
        #expect(codes.count == 1)
        let code = try #require(codes.first)
        #expect(code.text == "https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R")
        #expect(code.decoder == (name == .zxing && ZXingEngine.current == nil ? .zxing14 : name))
        #expect(code.corners.count == 4)
        // The code is centred on the cap at (640, 512).
        #expect(abs(code.center.x - 640) < 10 && abs(code.center.y - 512) < 10)
        #expect(try PayloadRules.default.parse(code.bytes).get() == StampCode(trusted: "7KQ2M9X4TZ8WB3N5JH6R"))
    }

    @Test("an image without a code gives no codes, and a colour image is refused by name")
    func emptyAndColour() throws {
        let empty = try GrayImage(width: 640, height: 480, fill: 90)
        #expect(try ZXingDecoder().decode(empty).isEmpty)
        #expect(try ZBarDecoder().decode(empty).isEmpty)
        let colour = try AnnotatedImageProbe.colourImage()
        #expect(throws: VisionError.self) { try ZBarDecoder().decode(colour) }
        #expect(throws: VisionError.self) { try ZXingDecoder().decode(colour) }
    }

    @Test("several codes in one frame are all read")
    func severalCodes() throws {
        var spec = cleanSpec()
        var second = spec.caps[0]
        second.payload = "https://qr.example.kz/c/AAAABBBBCCCCDDDDEEEE"
        second.x = 300
        spec.caps[0].x = 950
        spec.caps.append(second)
        let image = try render(spec)
        let texts = Set(try ZXingDecoder().decode(image).map(\.text))
        #expect(texts == Set(spec.payloads))
    }

    @Test("the encoder's modules decode back to the same text", arguments: ["7KQ2M9X4TZ8WB3N5JH6R", "https://qr.example.kz/c/0123456789ABCDEFGHIJ"])
    func encoderRoundTrip(_ text: String) throws {
        let (modules, side) = try QREncoder.modules(for: text)
        #expect(side >= 21 && (side - 17) % 4 == 0)
        #expect(modules.count == side * side)
        let image = try render(cleanSpec(payload: text))
        #expect(try ZXingDecoder().decode(image).map(\.text) == [text])
    }
}

/// Makes a 3-channel image through the annotation path (the only colour images the project creates).
enum AnnotatedImageProbe {
    static func colourImage() throws -> GrayImage {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("colour.png").path
        try AnnotatedImage(try GrayImage(width: 64, height: 64, fill: 128)).write(to: path)
        let image = GrayImage()
        #expect(cvsReadColour(path, into: image))
        return image
    }
}

/// Reads an image file keeping its colour channels.
func cvsReadColour(_ path: String, into image: GrayImage) -> Bool {
    cvs_image_read(image.handle, path, 1) == 0 && image.channels == 3
}
