import COpenCVShim
import Foundation
import LineConfig
import LineCore
import Testing
@testable import Vision

/// The chain's policy: later steps look at what earlier steps did not read, every code in the frame is reported once
/// with its quadrilateral, inverted codes and other character sets read right.
@Suite("Chain policy, several codes, inverted codes, character sets")
struct ChainPolicyTests {
    /// A cap-first chain in the old shape (cap steps, then the whole region), with budgets no machine can miss.
    func capFirstChain(expected: Int? = nil) throws -> CalibrationConfiguration {
        try calibration("""
            camera: probe
            roi: { mode: full, minRadius: 60, maxRadius: 200, margin: 30 }
            codeSize: { modulePx: 4 }
            decoders:
              - { name: zxing, region: cap, scale: 1.5, budget: 200ms }
              - { name: zbar, region: cap, budget: 200ms }
              - { name: zxing, region: roi, budget: 200ms }
            totalBudget: 1000ms
            maxCodesPerFrame: 32
            \(expected.map { "expectedCodes: \($0)" } ?? "")
            """)
    }

    @Test("a cap the locator finds without a code does not hide the code elsewhere in the frame")
    func falseCap() throws {
        // A bare cap (no stamp) on the left, and a code on a label away from any cap on the right.
        var spec = cleanSpec(x: 300, y: 500)
        spec.caps[0].payload = nil
        let image = try render(spec)
        let truth = try SceneSynthesizer(kind: .flat, seed: 1).code("https://qr.example.kz/c/ELSEWHERE00000000000", modulePx: 4,
                                                                     at: Point(x: 950, y: 500), clear: false, into: image)
        let analysis = try DecodePipeline(calibration: try capFirstChain()).analyze(image)
        #expect(analysis.caps.count >= 1, "the locator must find the bare cap for this test to mean anything")
        #expect(analysis.codes.map(\.text) == [truth.text])
        #expect(analysis.codes.first?.step == "zxing@roi")
        #expect(analysis.stages.map(\.stage).contains("zbar@cap"), "the cap steps ran first and found nothing")
    }

    @Test("with expectedCodes reached the chain stops; without it the whole region is still searched")
    func expectedCodesStop() throws {
        let image = try render(cleanSpec())
        let stopping = try DecodePipeline(calibration: try capFirstChain(expected: 1)).analyze(image)
        #expect(stopping.codes.count == 1)
        #expect(stopping.stages.map(\.stage) == ["prepare", "locate", "zxing@cap×1.5"])
        let searching = try DecodePipeline(calibration: try capFirstChain()).analyze(image)
        #expect(searching.codes.count == 1, "the same symbol read again by the whole-region step is not reported twice")
        #expect(searching.stages.map(\.stage).contains("zxing@roi"))
    }

    @Test("a case from above: every code once, each with its quadrilateral where it was drawn")
    func caseOfTwelve() throws {
        let synthesizer = SceneSynthesizer(kind: .flat, seed: 3)
        let image = GrayImage()
        var truths: [TruthCode] = []
        for row in 0..<3 {
            for column in 0..<4 {
                let text = "https://qr.example.kz/c/CASE\(row)\(column)" + String(repeating: "X", count: 14)
                truths.append(try synthesizer.code(text, modulePx: 3.6, at: Point(x: 170 + Double(column) * 310, y: 180 + Double(row) * 330),
                                                   angle: Double(row * 4 + column) * 29, clear: truths.isEmpty, into: image))
            }
        }
        let chain = try calibration("""
            camera: case-probe
            roi: { mode: full, minRadius: 55, maxRadius: 170, margin: 24 }
            codeSize: { modulePx: 3.6 }
            decoders:
              - { name: zxing, region: roi, tryHarder: true, budget: 200ms }
              - { name: zbar, region: unread, budget: 200ms }
              - { name: zbar, region: roi, budget: 200ms }
            totalBudget: 1000ms
            maxCodesPerFrame: 32
            """)
        let analysis = try DecodePipeline(calibration: chain).analyze(image)
        #expect(analysis.codes.count == 12, "each code once, though several steps read them")
        #expect(Set(analysis.codes.map(\.text)) == Set(truths.map(\.text)))
        for truth in truths {
            let code = try #require(analysis.codes.first { $0.text == truth.text })
            let expected = Point(x: truth.corners.map(\.x).reduce(0, +) / 4, y: truth.corners.map(\.y).reduce(0, +) / 4)
            #expect(abs(code.center.x - expected.x) < 6 && abs(code.center.y - expected.y) < 6, "\(truth.text): \(code.center) vs \(expected)")
            #expect(code.corners.count == 4)
        }
    }

    @Test("the same payload at two places is two symbols; one symbol read by two steps is one")
    func duplicates() throws {
        let synthesizer = SceneSynthesizer(kind: .flat, seed: 4)
        let image = GrayImage()
        let text = "https://qr.example.kz/c/TWINTWINTWINTWINTWIN"
        _ = try synthesizer.code(text, modulePx: 4, at: Point(x: 350, y: 500), into: image)
        _ = try synthesizer.code(text, modulePx: 4, at: Point(x: 950, y: 500), clear: false, into: image)
        let chain = try calibration("""
            camera: probe
            codeSize: { modulePx: 4 }
            decoders:
              - { name: zxing, region: roi, budget: 200ms }
              - { name: zbar, region: roi, budget: 200ms }
            totalBudget: 1000ms
            """)
        let analysis = try DecodePipeline(calibration: chain).analyze(image)
        #expect(analysis.codes.map(\.text) == [text, text])
        #expect(Set(analysis.codes.map { Int($0.center.x / 100) }) == [3, 9])
    }

    @Test("an inverted code (light on dark) reads through zxing's inverted search and through the invert variant")
    func invertedCode() throws {
        let image = GrayImage()
        let truth = try SceneSynthesizer(kind: .flat, seed: 5).code("https://qr.example.kz/c/INVERTED000000000000", modulePx: 5, angle: 12,
                                                                     inverted: true, background: 30, into: image)
        #expect(try ZBarDecoder().decode(image).isEmpty, "ZBar reads only dark-on-light symbols")
        let harder = try ZXingDecoder(options: .library())
        let read = try #require(harder.decode(image).first)
        #expect(read.text == truth.text)
        if ZXingEngine.current != nil { #expect(read.symbol.inverted) }
        let chain = try calibration("""
            camera: probe
            codeSize: { modulePx: 5 }
            decoders:
              - { name: zbar, region: roi, budget: 200ms }
              - { name: zbar, region: roi, variant: invert, budget: 200ms }
            totalBudget: 1000ms
            """)
        let analysis = try DecodePipeline(calibration: chain).analyze(image)
        #expect(analysis.codes.map(\.text) == [truth.text])
        #expect(analysis.codes.first?.step == "zbar@roi+invert")
    }

    @Test("text comes out as the symbol's character set says; the bytes stay the symbol's own", arguments: [
        ("Қазақстан Республикасы, акциз", "UTF-8"), ("ｻﾝﾌﾟﾙ ﾗﾍﾞﾙ 42", "Shift_JIS"), ("Привет, мир", "ISO-8859-5"),
    ])
    func characterSets(_ text: String, _ charset: String) throws {
        let image = GrayImage()
        let truth = try SceneSynthesizer(kind: .flat, seed: 6).code(text, charset: charset, modulePx: 5, into: image)
        if charset != "UTF-8" { #expect(truth.bytes != Array(text.utf8), "the symbol holds \(charset) bytes") }
        for engine in [ZXingEngine.debian] + (ZXingEngine.current.map { [$0] } ?? []) {
            let code = try #require(try ZXingDecoder(engine: engine).decode(image).first, "\(engine)")
            #expect(code.text == text, "\(engine)")
            #expect(code.bytes == truth.bytes, "\(engine)")
            #expect(code.symbol.hasECI, "\(engine): zxing writes an ECI for \(charset)")
        }
        let zbar = try #require(try ZBarDecoder().decode(image).first)
        #expect(zbar.text == text)
        #expect(zbar.symbol.bytesConverted, "ZBar hands out UTF-8 text, not the symbol's bytes")
    }

    @Test("the built-in chain reads each kind of scene with no wrong reads", arguments: SceneKind.allCases)
    func scenes(_ kind: SceneKind) throws {
        let pipeline = try DecodePipeline(calibration: unhurried(StandardCalibration.calibration))
        let synthesizer = SceneSynthesizer(kind: kind, seed: 21)
        let image = GrayImage()
        var expected = 0, read = 0, wrong = 0
        for _ in 0..<6 {
            let scene = try synthesizer.next(into: image)
            let found = try pipeline.analyze(image).codes
            expected += scene.codes.count
            read += found.filter { code in scene.codes.contains { $0.bytes == code.bytes } }.count
            wrong += found.filter { code in !scene.codes.contains { $0.bytes == code.bytes || $0.text == code.text } }.count
        }
        #expect(wrong == 0)
        #expect(read > 0 && Double(read) >= 0.5 * Double(expected), "read \(read) of \(expected)")
    }
}

@Suite("Bad images through the chain")
struct BadImageTests {
    @Test("pure noise gives no code")
    func noise() throws {
        let image = try GrayImage(width: 1280, height: 1024)
        var optics = cvs_optics(motion_px: 0, motion_angle: 0, defocus_radius: 0, haze: 0, gain: 1, vignetting: 0, read_noise: 60,
                                shot_noise: 0, jpeg_quality: 0, seed: 99)
        try OpenCV.check(cvs_image_fill(image.handle, 128), "fill")
        try OpenCV.check(cvs_scene_optics(image.handle, &optics, GrayImage().handle), "noise")
        let analysis = try DecodePipeline(calibration: StandardCalibration.calibration).analyze(image)
        #expect(analysis.codes.isEmpty)
    }

    @Test("a code cut by the frame edge gives no code or its own code, never another")
    func cutByEdge() throws {
        let synthesizer = SceneSynthesizer(kind: .flat, seed: 8)
        let pipeline = try DecodePipeline(calibration: StandardCalibration.calibration)
        let image = GrayImage()
        for x in [-40.0, 0, 30, 1250] {
            let truth = try synthesizer.code("https://qr.example.kz/c/EDGEEDGEEDGEEDGE0000", modulePx: 5, at: Point(x: x, y: 500), into: image)
            for code in try pipeline.analyze(image).codes { #expect(code.text == truth.text) }
        }
    }

    @Test("an empty file and a 16-bit image: a clear error, and 16 bits read as 8")
    func emptyAndSixteenBit() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty.png")
        try Data().write(to: empty)
        let image = GrayImage()
        #expect { try ImageFile.read(empty.path, into: image) } throws: { error in
            "\(error)" == "\(empty.path): cannot read the image: the file is empty"
        }
        // A 16-bit PGM of a code: OpenCV converts it to 8 bits and the code reads.
        let truth = try SceneSynthesizer(kind: .flat, width: 400, height: 400, seed: 9).code("https://qr.example.kz/c/SIXTEENBITS000000000", modulePx: 4, into: image)
        var pgm = Data("P5\n400 400\n65535\n".utf8)
        image.withPixels { data, width, height, stride in
            for y in 0..<height {
                for x in 0..<width {
                    let value = UInt16(data[y * stride + x]) * 257
                    pgm.append(UInt8(value >> 8))
                    pgm.append(UInt8(value & 0xFF))
                }
            }
        }
        let path = folder.appendingPathComponent("sixteen.pgm")
        try pgm.write(to: path)
        let read = GrayImage()
        try ImageFile.read(path.path, into: read)
        #expect(try DecodePipeline(calibration: StandardCalibration.calibration).analyze(read).codes.map(\.text) == [truth.text])
    }
}
