import COpenCVShim
import ConfigKit
import Foundation
import LineConfig
import LineCore
import Testing
@testable import Vision

/// The case camera at the packing station: generated 2448×2048 frames of open cases read by `CaseFrameReader` with real
/// zxing-cpp, ZBar and OpenCV.
@Suite("Case frames: caps, stamps and the case label")
struct CaseFrameTests {
    /// The SSCC of a label's text ("00" + 18 digits).
    static func sscc(_ label: CaseLabelSpec?) -> UnitCode? { label.map { UnitCode(trusted: String($0.text.dropFirst(2))) } }

    @Test("a full case of 12, 20 or 24 reads completely: every cap, every payload in row order, the label's SSCC",
          arguments: CaseLayout.standard)
    func nominal(_ layout: CaseLayout) throws {
        let synthesizer = CaseFrameSynthesizer(seed: 40 + UInt64(layout.capacity))
        let reader = try CaseFrameReader()
        let frame = GrayImage()
        for _ in 0..<4 {
            let (spec, truth) = try synthesizer.nextNominal(layout: layout, into: frame)
            let reading = try reader.read(frame)
            #expect(reading.caps.count == layout.capacity)
            #expect(reading.unreadCaps == 0)
            // Row by row, left to right: the order the caps were drawn in.
            #expect(reading.caps.map { $0.code?.text } == truth.caps.map(\.payload))
            #expect(reading.capCodes.allSatisfy { $0.format == .qr })
            for (cap, drawn) in zip(reading.caps, truth.caps) {
                #expect(hypot(cap.center.x - drawn.center.x, cap.center.y - drawn.center.y) < drawn.radius / 4)
            }
            #expect(reading.labels.map(\.text) == [spec.label!.text])
            #expect(reading.unitCodes == [Self.sscc(spec.label)!])
            #expect(reading.strayCodes.isEmpty)
        }
    }

    @Test("an empty cell is no cap; a smeared or missing stamp is a cap without a code")
    func emptyAndUnreadable() throws {
        let synthesizer = CaseFrameSynthesizer(seed: 51)
        let reader = try CaseFrameReader()
        let frame = GrayImage()
        for layout in CaseLayout.standard {
            var spec = synthesizer.nominalSpec(layout: layout)
            spec.slots[layout.columns + 1] = .empty
            let truth = try synthesizer.render(spec, into: frame)
            let reading = try reader.read(frame)
            #expect(reading.caps.count == layout.capacity - 1, "\(layout): the empty cell is no cap")
            #expect(reading.unreadCaps == 0)
            #expect(Set(reading.capCodes.map(\.text)) == Set(truth.payloads))
        }
        for (index, layout) in CaseLayout.standard.enumerated() {
            var spec = synthesizer.nominalSpec(layout: layout)
            // Two unreadable caps per frame: one of them missing its stamp or smeared (each chosen at random), in turn.
            spec.slots[index] = .unreadableCap
            spec.slots[layout.capacity - 1 - index] = .unreadableCap
            let truth = try synthesizer.render(spec, into: frame)
            let reading = try reader.read(frame)
            #expect(reading.caps.count == layout.capacity)
            #expect(reading.unreadCaps == 2, "\(layout): two caps without a code")
            for cap in reading.caps where cap.code == nil {
                // Found where an unreadable cap was drawn.
                #expect(truth.caps.contains { $0.payload == nil && hypot($0.center.x - cap.center.x, $0.center.y - cap.center.y) < $0.radius / 4 })
            }
            #expect(Set(reading.capCodes.map(\.text)) == Set(truth.payloads))
        }
    }

    @Test("a cap of another case in the frame is a thirteenth cap; two labels are two labels")
    func extraCapAndSecondLabel() throws {
        let synthesizer = CaseFrameSynthesizer(seed: 52)
        let reader = try CaseFrameReader()
        let frame = GrayImage()
        var spec = synthesizer.nominalSpec(layout: .twelve, symbology: .dataMatrix)
        spec.extraCaps = [synthesizer.randomPayload()]
        spec.secondLabel = CaseLabelSpec(sscc: synthesizer.nextSSCC(), symbology: .gs1_128)
        let truth = try synthesizer.render(spec, into: frame)
        let reading = try reader.read(frame)
        #expect(reading.caps.count == 13)
        #expect(reading.unreadCaps == 0)
        #expect(Set(reading.capCodes.map(\.text)) == Set(truth.payloads))
        #expect(Set(reading.unitCodes) == Set([Self.sscc(spec.label)!, Self.sscc(spec.secondLabel)!]))
        #expect(Set(reading.labels.map(\.format)) == [.dataMatrix, .code128])
    }

    @Test("a damaged label gives no label (and the caps still read); a stamp lying loose is a stray code",
          arguments: CaseLabelSymbology.allCases)
    func damagedLabelAndStray(_ symbology: CaseLabelSymbology) throws {
        let synthesizer = CaseFrameSynthesizer(seed: symbology == .dataMatrix ? 53 : 54)
        let reader = try CaseFrameReader()
        let frame = GrayImage()
        var spec = synthesizer.nominalSpec(layout: .twenty, symbology: symbology)
        spec.label?.damaged = true
        spec.looseStamps = [synthesizer.randomPayload()]
        let truth = try synthesizer.render(spec, into: frame)
        let reading = try reader.read(frame)
        #expect(reading.labels.isEmpty)
        #expect(reading.caps.count == 20 && reading.unreadCaps == 0)
        #expect(Set(reading.capCodes.map(\.text)) == Set(truth.payloads))
        #expect(reading.strayCodes.map(\.text) == spec.looseStamps)
    }

    @Test("a GS1 DataMatrix label and a GS1-128 label each read as GS1 and parse to their SSCC", arguments: CaseLabelSymbology.allCases)
    func labelSymbologies(_ symbology: CaseLabelSymbology) throws {
        let synthesizer = CaseFrameSynthesizer(seed: 55)
        let reader = try CaseFrameReader()
        let frame = GrayImage()
        for layout in CaseLayout.standard {
            let spec = synthesizer.nominalSpec(layout: layout, symbology: symbology)
            _ = try synthesizer.render(spec, into: frame)
            let label = try #require(try reader.read(frame).labels.first)
            #expect(label.format == symbology.format)
            #expect(label.symbol.gs1)  // FNC1 in first position
            let unit = try UnitCode(parsing: label.text)
            #expect(unit == Self.sscc(spec.label))
            #expect(unit.isSSCC)
        }
    }

    @Test("the reader follows a line engineer's calibration: another chain, and a missing cap radius named by key")
    func calibrated() throws {
        let wholeFrame = try calibration("""
            camera: case-top
            roi: { mode: full, minRadius: 110, maxRadius: 190, margin: 30 }
            codeSize: { modulePx: 4.5 }
            decoders:
              - { name: zxing, region: roi, tryHarder: true, budget: 200ms }
              - { name: zbar, region: cap, budget: 50ms }
            totalBudget: 400ms
            maxCodesPerFrame: 40
            """)
        let reader = try CaseFrameReader(calibration: wholeFrame)
        let synthesizer = CaseFrameSynthesizer(seed: 56)
        let frame = GrayImage()
        let (spec, truth) = try synthesizer.nextNominal(layout: .twentyFour, into: frame)
        let reading = try reader.read(frame)
        #expect(reading.caps.map { $0.code?.text } == truth.caps.map(\.payload))
        #expect(reading.capCodes.allSatisfy { $0.step.hasPrefix("zxing@roi") || $0.step.hasPrefix("zbar@cap") })
        #expect(reading.unitCodes == [Self.sscc(spec.label)!])

        let noRadius = try calibration("""
            camera: case-top
            codeSize: { modulePx: 4.5 }
            decoders: [{ name: zxing, budget: 50ms }]
            totalBudget: 100ms
            """)
        #expect(throws: VisionError.calibrationMismatch(
            key: "roi.minRadius", reason: "a case camera needs the caps' radius range (roi.minRadius and roi.maxRadius, in pixels) to tell caps from labels")) {
            try CaseFrameReader(calibration: noRadius)
        }
        #expect(throws: VisionError.self) { try CaseFrameReader(options: CaseReaderOptions(labelFormats: [.qr])) }
    }

    @Test("the synthesizer is deterministic for a seed and refuses slots that do not fill the layout")
    func deterministic() throws {
        let a = GrayImage(), b = GrayImage()
        let first = CaseFrameSynthesizer(width: 1224, height: 1024, seed: 9), second = CaseFrameSynthesizer(width: 1224, height: 1024, seed: 9)
        let truthA = try first.render(first.nominalSpec(layout: .twelve), into: a)
        let truthB = try second.render(second.nominalSpec(layout: .twelve), into: b)
        #expect(truthA.payloads == truthB.payloads)
        #expect(truthA.labels.map(\.text) == truthB.labels.map(\.text))
        #expect(a.withPixels { pa, w, h, s in b.withPixels { pb, _, _, _ in (0..<h).allSatisfy { memcmp(pa + $0 * s, pb + $0 * s, w) == 0 } } })
        let short = CaseFrameSpec(layout: .twenty, slots: [.empty], label: nil)
        #expect(throws: VisionError.calibrationMismatch(key: "slots", reason: "a 20 (4×5) case needs 20 slots, got 1")) {
            try first.render(short, into: a)
        }
    }
}

/// Data Matrix and Code 128 through the shim: written, drawn clean, read back.
@Suite("Symbol formats beyond QR")
struct SymbolFormatTests {
    /// Draws modules (`width`×`height`, one row for Code 128) clean and upright at `module` px per module.
    static func draw(_ symbol: SymbolEncoder.Modules, module: Double = 6) throws -> GrayImage {
        let quiet = symbol.height == 1 ? 10 : 3
        let w = Double(symbol.width + 2 * quiet) * module
        let h = symbol.height == 1 ? 120 : Double(symbol.height + 2 * quiet) * module
        let image = try GrayImage(width: Int(w) + 80, height: Int(h) + 80, fill: 200)
        let quad: [Float] = [40, 40, Float(40 + w), 40, Float(40 + w), Float(40 + h), 40, Float(40 + h)]
        let status = symbol.modules.withUnsafeBufferPointer { m in
            cvs_scene_symbol(image.handle, m.baseAddress, Int32(symbol.width), Int32(symbol.height), Int32(quiet), quad, 20, 240, nil)
        }
        try OpenCV.check(status, "draw")
        return image
    }

    static let engines: [ZXingEngine] = [ZXingEngine.debian] + (ZXingEngine.current.map { [$0] } ?? [])

    @Test("GS1 DataMatrix and GS1-128 written by the shim read back as GS1 with their element strings, by every zxing-cpp",
          arguments: [SymbolFormat.dataMatrix, .code128])
    func gs1RoundTrip(_ format: SymbolFormat) throws {
        let sscc = try SSCC.make(extensionDigit: 3, companyPrefix: "4870001", serial: 987_654)
        for text in ["00" + sscc.rawValue, "00" + sscc.rawValue + "\u{1D}" + "400" + "PO-7781"] {
            let symbol = try SymbolEncoder.encode(text, as: format, gs1: true)
            let image = try Self.draw(symbol)
            for engine in Self.engines {
                let codes = try ZXingDecoder(engine: engine, options: ZXingOptions(tryHarder: true, maxSymbols: 2, formats: [format])).decode(image)
                let code = try #require(codes.first, "\(engine) reads the \(format) of \(text.debugDescription)")
                #expect(code.format == format)
                #expect(code.symbol.gs1, "\(engine): FNC1 in first position")
                #expect(code.text == text, "\(engine)")
                #expect(try UnitCode(parsing: String(code.text.prefix(20))) == sscc)
            }
        }
    }

    @Test("plain Data Matrix and Code 128 are not GS1; every GS1 DataMatrix size the shim writes reads back")
    func plainAndSizes() throws {
        for format in [SymbolFormat.dataMatrix, .code128] {
            let image = try Self.draw(try SymbolEncoder.encode("CASE-0042/A", as: format))
            let code = try #require(try ZXingDecoder(options: ZXingOptions(tryHarder: true, formats: [format])).decode(image).first)
            #expect(code.text == "CASE-0042/A")
            #expect(!code.symbol.gs1)
        }
        // FNC1 and a codeword per two digits: the most each square size from 10×10 to 26×26 holds.
        var sides = Set<Int>()
        for digits in [4, 8, 14, 22, 34, 42, 58, 70, 86] {
            let text = String((0..<digits).map { Character(String($0 % 10)) })
            let symbol = try SymbolEncoder.encode(text, as: .dataMatrix, gs1: true)
            sides.insert(symbol.width)
            let image = try Self.draw(symbol)
            for engine in Self.engines {
                let code = try #require(try ZXingDecoder(engine: engine, options: ZXingOptions(tryHarder: true, formats: [.dataMatrix])).decode(image).first,
                                        "\(engine) reads \(symbol.width)×\(symbol.height) for \(digits) digits")
                #expect(code.text == text)
                #expect(code.symbol.gs1)
            }
        }
        #expect(sides == [10, 12, 14, 16, 18, 20, 22, 24, 26])
        #expect(throws: VisionError.self) { try SymbolEncoder.encode(String(repeating: "7", count: 90), as: .dataMatrix, gs1: true) }
        #expect(throws: VisionError.self) { try SymbolEncoder.encode("Grüße", as: .code128) }
        #expect(throws: VisionError.self) { try SymbolEncoder.encode("text", as: .qr) }
    }

    @Test("a reader reads QR only unless asked: a Data Matrix is not read by default, and QR codes report their format")
    func qrOnlyByDefault() throws {
        let dataMatrix = try Self.draw(try SymbolEncoder.encode("00" + SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: 1).rawValue,
                                                                  as: .dataMatrix, gs1: true))
        for engine in Self.engines {
            #expect(try ZXingDecoder(engine: engine, options: .library()).decode(dataMatrix).isEmpty)
            #expect(try ZXingDecoder(engine: engine, options: .library(formats: [.dataMatrix])).decode(dataMatrix).count == 1)
        }
        let qr = try render(cleanSpec())
        let code = try #require(try ZXingDecoder(options: ZXingOptions(formats: [.qr, .dataMatrix, .code128])).decode(qr).first)
        #expect(code.format == .qr && !code.symbol.gs1)
        #expect(try ZXingDecoder().decode(qr).first?.format == .qr)
    }
}
