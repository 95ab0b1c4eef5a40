import COpenCVShim
import Foundation
import LineConfig
import LineCore
import Testing
@testable import Vision

/// The camera pipeline's ring of last frames, their encoding on demand, and the per-camera statistics: real OpenCV,
/// real decoders, generated frames.
@Suite("The frame ring")
struct FrameRingTests {
    @Test("the last frames stay in the ring with their overlays; latest() encodes once per frame; frames that left are gone")
    func ringAndCapture() async throws {
        // Given a folder of 10 generated frames and a pipeline keeping the last 4
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let synthesizer = FrameSynthesizer(profile: .nominal, seed: 11)
        let image = GrayImage()
        for index in 0..<10 {
            _ = try synthesizer.next(into: image)
            try image.write(to: folder.appendingPathComponent(String(format: "f%02d.png", index)).path)
        }
        let pipeline = CameraPipeline(camera: "top", calibration: try unhurriedCalibration(), ringSize: 4) { () throws(VisionError) -> any FrameSource in
            try FolderFrameSource(folder: folder.path)
        }
        let log = EventLog()
        // When every frame is analysed
        await pipeline.run { log.append($0) }
        let results = log.all.compactMap { event -> CameraFrameResult? in
            if case .frame(let result) = event { return result }
            return nil
        }
        try #require(results.count == 10)

        // Then the ring holds the last 4 frames at least, oldest first (a fifth image takes the next frame: at the end
        // of the source it kept its frame)
        #expect(pipeline.ringSequences() == [5, 6, 7, 8, 9])

        // And the newest frame comes encoded (JPEG) with the overlay of what the chain saw in it
        let latest = try #require(await pipeline.latest())
        #expect(latest.sequence == 9)
        #expect(latest.mimeType == "image/jpeg")
        #expect(latest.image.starts(with: [0xFF, 0xD8]))
        let last = results[9]
        #expect(latest.overlay.width == 1280 && latest.overlay.height == 1024)
        #expect(latest.overlay.roi == last.roi)
        #expect(latest.overlay.codes.map(\.text) == last.codes.map(\.text))
        #expect(latest.overlay.codes.map(\.step) == last.codes.map(\.step))
        #expect(latest.overlay.caps == last.caps)
        #expect(latest.overlay.unread == last.unread)
        let decoded = GrayImage()
        try latest.image.withUnsafeBytes { buffer in
            #expect(cvs_decode_for_test(decoded, buffer) == 0)
        }
        #expect(decoded.width == 1280 && decoded.height == 1024)

        // And asking again for the same frame does not encode it again
        let encodedBefore = pipeline.encodedFrames
        let again = try #require(await pipeline.latest())
        #expect(again.image == latest.image)
        #expect(pipeline.encodedFrames == encodedBefore)

        // And a frame still in the ring comes back pixel for pixel (PNG is lossless): the ring never mixed frames up,
        // and the decode chain left the frame as the source delivered it
        let captures = await pipeline.capture(sequences: [4, 7], encoding: .png(level: 1))
        #expect(captures.map(\.sequence) == [7], "frame 4 left the ring")
        let seventh = try #require(captures.first)
        #expect(seventh.mimeType == "image/png")
        let original = GrayImage()
        try ImageFile.read(folder.appendingPathComponent("f07.png").path, into: original)
        let roundTrip = GrayImage()
        try seventh.image.withUnsafeBytes { buffer in
            #expect(cvs_decode_for_test(roundTrip, buffer) == 0)
        }
        #expect(FramePixels(roundTrip).bytes == FramePixels(original).bytes)
        #expect(seventh.overlay.codes.map(\.text) == results[7].codes.map(\.text))

        // And the statistics count every frame
        let statistics = pipeline.statistics()
        #expect(statistics.histogram.frames == 10)
        #expect(statistics.histogram.buckets.map(\.count).reduce(0, +) == 10)
        #expect(statistics.trend.map(\.frames).reduce(0, +) == 10)
        #expect(statistics.trend.map(\.reads).reduce(0, +) == results.map(\.codes.count).reduce(0, +))
    }

    @Test("the histogram covers the last frames only, the trend the last 60 minutes, both per frame in constant time")
    func statisticsRecorder() throws {
        var recorder = CameraStatisticsRecorder(window: 5)
        let start = Date(timeIntervalSince1970: 1_700_000_000 - 1_700_000_000.truncatingRemainder(dividingBy: 60))
        func code(contrast: Double, step: Int) -> DecodedCode {
            DecodedCode(bytes: Array("X".utf8), decoder: .zxing, corners: [], quality: ReadQuality(contrast: contrast, modulePx: nil, stepIndex: step))
        }
        // Three slow frames, then five fast ones: the histogram keeps the last five
        for _ in 0..<3 { recorder.record(decodeMs: 120, codes: [], at: start) }
        for ms in [1.0, 3, 7, 12, 18] { recorder.record(decodeMs: ms, codes: [code(contrast: 0.6, step: 0)], at: start) }
        var statistics = recorder.statistics(now: start)
        #expect(statistics.histogram.frames == 5)
        #expect(statistics.histogram.buckets.map(\.count) == [1, 1, 1, 1, 1, 0, 0, 0, 0])
        #expect(statistics.histogram.buckets.first?.fromMs == 0 && statistics.histogram.buckets.first?.toMs == 2)
        #expect(statistics.histogram.buckets.last?.fromMs == 100 && statistics.histogram.buckets.last?.toMs == nil)
        #expect(statistics.trend.count == 1)
        #expect(statistics.trend.first?.frames == 8)
        #expect(statistics.trend.first?.framesWithCode == 5)
        #expect(statistics.trend.first?.meanContrast == 0.6)
        #expect(statistics.trend.first?.fallbackShare == 0)

        // A minute later: a read by a fallback step at a lower contrast
        recorder.record(decodeMs: 4, codes: [code(contrast: 0.2, step: 2)], at: start.addingTimeInterval(60))
        statistics = recorder.statistics(now: start.addingTimeInterval(60))
        #expect(statistics.trend.map(\.frames) == [8, 1])
        #expect(statistics.trend.last?.meanContrast == 0.2)
        #expect(statistics.trend.last?.fallbackShare == 1)

        // An hour on, the first minute has left the trend; the slot it used serves the new minute
        recorder.record(decodeMs: 4, codes: [], at: start.addingTimeInterval(3_600))
        statistics = recorder.statistics(now: start.addingTimeInterval(3_600))
        #expect(statistics.trend.map(\.minute) == [start.addingTimeInterval(60), start.addingTimeInterval(3_600)])
        #expect(statistics.trend.map(\.frames) == [1, 1])
    }

    @Test("the overlay round-trips through JSON")
    func overlayCodable() throws {
        let overlay = FrameOverlay(width: 640, height: 512, roi: Rect(x: 0, y: 0, width: 640, height: 512),
                                   caps: [Circle(x: 320, y: 256, radius: 90)],
                                   codes: [.init(corners: [Point(x: 1, y: 2), Point(x: 3, y: 2), Point(x: 3, y: 4), Point(x: 1, y: 4)],
                                                 text: "https://qr.example.kz/c/ABC", step: "zxing@roi", decoder: .zxing, contrast: 0.61)],
                                   unread: [[Point(x: 5, y: 5), Point(x: 9, y: 5), Point(x: 9, y: 9), Point(x: 5, y: 9)]], decodeMs: 3.5)
        let decoded = try JSONDecoder().decode(FrameOverlay.self, from: JSONEncoder().encode(overlay))
        #expect(decoded == overlay)
    }
}

/// Decodes encoded bytes with the shim, as `ImageFile` does (gray).
private func cvs_decode_for_test(_ image: GrayImage, _ buffer: UnsafeRawBufferPointer) -> Int32 {
    cvs_image_decode(image.handle, buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count, 0)
}
