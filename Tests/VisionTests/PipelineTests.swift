import Foundation
import LineConfig
import LineCore
import Testing
@testable import Vision

@Suite("The calibrated decode chain")
struct PipelineTests {
    @Test("the shipped chain reads generated nominal frames with no wrong reads")
    func nominalFrames() throws {
        let pipeline = try DecodePipeline(calibration: try unhurriedCalibration())
        let synthesizer = FrameSynthesizer(profile: .nominal, seed: 11)
        let image = GrayImage()
        var expected = 0, read = 0, wrong = 0
        for _ in 0..<40 {
            let spec = try synthesizer.next(into: image)
            let texts = Set(try pipeline.analyze(image).codes.map(\.text))
            expected += spec.payloads.count
            read += texts.intersection(spec.payloads).count
            wrong += texts.subtracting(spec.payloads).count
        }
        #expect(wrong == 0)
        #expect(Double(read) >= 0.95 * Double(expected), "read \(read) of \(expected)")
    }

    @Test("a frame with no cap gives nothing, within budget bookkeeping")
    func emptyFrame() throws {
        let pipeline = try DecodePipeline(calibration: try unhurriedCalibration())
        var spec = cleanSpec()
        spec.caps = []
        spec.noiseSigma = 6
        let analysis = try pipeline.analyze(try render(spec))
        #expect(analysis.codes.isEmpty)
        #expect(analysis.caps.isEmpty)
        #expect(analysis.stages.map(\.stage).contains("zxing@roi+harder"), "without a located cap the whole region is searched")
    }

    @Test("corners come back in frame coordinates through fixed ROI, rotation and scale",
          arguments: [(0.0, 1.0), (90.0, 1.0), (30.0, 1.0), (0.0, 2.0), (-45.0, 1.5)])
    func coordinates(_ rotation: Double, _ scale: Double) throws {
        let chain = try calibration("""
            camera: probe
            frame: { width: 1280, height: 1024 }
            roi: { mode: fixed, x: 400, y: 300, width: 500, height: 420 }
            rotation: \(rotation)
            scale: \(scale)
            codeSize: { modulePx: 4 }
            decoders: [ { name: zxing, budget: 50ms } ]
            totalBudget: 200ms
            """)
        let pipeline = try DecodePipeline(calibration: chain)
        let analysis = try pipeline.analyze(try render(cleanSpec(x: 650, y: 500)))
        let code = try #require(analysis.codes.first)
        #expect(abs(code.center.x - 650) < 6 && abs(code.center.y - 500) < 6, "centre \(code.center)")
        #expect(analysis.roi == Rect(x: 400, y: 300, width: 500, height: 420))
    }

    @Test("cap steps skip caps already read; ZBar picks up what zxing missed")
    func capSteps() throws {
        let chain = try calibration("""
            camera: probe
            roi: { mode: full, minRadius: 60, maxRadius: 200, margin: 30 }
            codeSize: { modulePx: 4 }
            decoders:
              - { name: zxing, region: cap, scale: 1.5, budget: 50ms }
              - { name: zbar, region: cap, budget: 50ms }
            totalBudget: 200ms
            """)
        let pipeline = try DecodePipeline(calibration: chain)
        let analysis = try pipeline.analyze(try render(cleanSpec()))
        #expect(analysis.caps.count == 1)
        #expect(analysis.codes.map(\.decoder) == [ZXingEngine.best.name])
        #expect(!analysis.stages.map(\.stage).contains("zbar@cap"), "a read cap needs no second decoder")
    }

    @Test("a fixed ROI outside the frame names the calibration key")
    func roiOutsideFrame() throws {
        let chain = try calibration("""
            camera: probe
            roi: { mode: fixed, x: 5000, y: 5000, width: 100, height: 100 }
            codeSize: { modulePx: 4 }
            decoders: [ { name: zxing } ]
            """)
        let pipeline = try DecodePipeline(calibration: chain)
        #expect { try pipeline.analyze(try render(cleanSpec())) } throws: { error in
            guard case .calibrationMismatch(let key, let reason) = error as? VisionError else { return false }
            return key == "roi" && reason.contains("outside")
        }
    }

    @Test("preprocessing steps run in order without breaking reads", arguments: [
        "[{ op: sharpen, amount: 0.8, sigma: 1.0 }]", "[{ op: clahe, clipLimit: 2.0, tileSize: 8 }]", "[{ op: equalize }]",
        "[{ op: blur, sigma: 0.6 }, { op: sharpen }]", "[{ op: threshold, blockSize: 31, offset: 5 }]",
        "[{ op: invert }, { op: invert }]",
    ])
    func preprocessing(_ steps: String) throws {
        let chain = try calibration("""
            camera: probe
            codeSize: { modulePx: 4 }
            preprocess: \(steps)
            decoders: [ { name: zxing, budget: 50ms } ]
            totalBudget: 200ms
            """)
        let analysis = try DecodePipeline(calibration: chain).analyze(try render(cleanSpec()))
        #expect(analysis.codes.map(\.text) == ["https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R"])
    }

    @Test("the built-in chain is the order vision-bench --policy measured, and validates")
    func standardChain() {
        let chain = StandardCalibration.calibration
        #expect(chain.decoders.map(\.label) == ["zxing@roi+harder", "zxing@cap×1.5", "zxing@cap×1.5+close", "zbar@cap", "zbar@unread+normalize"])
        #expect(chain.expectedCodes == nil, "the built-in chain looks for every code in the image")
    }
}

