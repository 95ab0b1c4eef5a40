import AgentRuntime
import Foundation
import LineConfig
import LineCore
import Testing
import Vision

/// The archive of rejected bottles' frames without a line: what it finds on disk after a restart, the names it
/// serves, and how it sheds load (rate limit, full queue) without ever blocking the caller.
@Suite struct FailedFrameArchiveTests {
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A camera pipeline that is never run (its ring stays empty).
    func idlePipeline(_ camera: String) throws -> CameraPipeline {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let calibration = try #require(try AgentPlan.load(contentsOf: root.appendingPathComponent("Config/agent.example.yaml"))
            .calibrations["line1-top"])
        return CameraPipeline(camera: camera, calibration: calibration) { () throws(VisionError) -> any FrameSource in
            throw .sourceUnavailable(source: "none", reason: "never opened")
        }
    }

    func record(_ name: String, bottle: UInt64) -> FailedFrameRecord {
        FailedFrameRecord(name: name, mimeType: "image/jpeg", lineID: "line1", camera: "top", bottleSequence: bottle, frameSequence: bottle,
                          decision: .noRead, code: nil, decidedAt: Date(timeIntervalSince1970: 1_765_000_000.123),
                          capturedAt: Date(timeIntervalSince1970: 1_765_000_000.05),
                          overlay: FrameOverlay(width: 640, height: 512, roi: Rect(x: 0, y: 0, width: 640, height: 512), caps: [], codes: [],
                                                unread: [], decodeMs: 3))
    }

    @Test func afterARestartTheFolderIsReadBackBoundedAndLeftoversOfAnInterruptedWriteAreDeleted() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let camera = root.appendingPathComponent("top")
        try FileManager.default.createDirectory(at: camera, withIntermediateDirectories: true)
        // Given three kept frames, a picture whose sidecar was never written, a temporary file, and a stray sidecar
        let names = ["20251206T054000100Z-b10-f10.jpg", "20251206T054001100Z-b11-f11.jpg", "20251206T054002100Z-b12-f12.jpg"]
        for (index, name) in names.enumerated() {
            try Data([0xFF, 0xD8, UInt8(index)]).write(to: camera.appendingPathComponent(name))
            try FailedFrameRecord.encoder().encode(record(name, bottle: UInt64(10 + index)))
                .write(to: camera.appendingPathComponent(String(name.dropLast(4)) + ".json"))
        }
        try Data([0xFF]).write(to: camera.appendingPathComponent("20251206T054003100Z-b13-f13.jpg"))
        try Data([0xFF]).write(to: camera.appendingPathComponent(".20251206T054004100Z-b14-f14.jpg.tmp"))
        try Data("{}".utf8).write(to: camera.appendingPathComponent("notes.json"))

        // When an archive keeping two frames for this camera starts
        let archive = FailedFrameArchive(directory: root, events: AgentEventLog(), metrics: AgentMetrics(), minimumFreeBytes: 0)
        archive.register(try idlePipeline("top"), line: "line1", keep: 2)
        let records = await archive.records(camera: "top")

        // Then it lists the two newest, newest first, exactly as their sidecars say, and the folder holds only them
        #expect(records.map(\.name) == [names[2], names[1]])
        let written = try FailedFrameRecord.decoder().decode(FailedFrameRecord.self,
                                                             from: FailedFrameRecord.encoder().encode(record(names[2], bottle: 12)))
        #expect(records.first == written)
        let left = try FileManager.default.contentsOfDirectory(atPath: camera.path).sorted()
        #expect(left == [names[1], String(names[1].dropLast(4)) + ".json", names[2], String(names[2].dropLast(4)) + ".json"].sorted())
        #expect(await archive.image(camera: "top", name: names[2])?.data == Data([0xFF, 0xD8, 2]))
        #expect(await archive.image(camera: "top", name: names[0]) == nil, "deleted beyond the bound")
        #expect(await archive.imagePaths(camera: "top") == [names[1], names[2]].map { camera.appendingPathComponent($0).path })
    }

    @Test func onlyTheShapeOfAKeptFramesNameIsAccepted() {
        #expect(FailedFrameArchive.isEntryName("20251206T054000100Z-b10-f10.jpg"))
        #expect(FailedFrameArchive.isEntryName("20251206T054000100Z-b10-f10.png"))
        for name in ["", "../20251206T054000100Z-b10-f10.jpg", "20251206T054000100Z-b10-f10.jpg/..", "a/20251206T054000100Z-b10-f10.jpg",
                     "20251206T054000100Z-b10-f10.json", "20251206T054000100Z-b10-f10.JPG", ".20251206T054000100Z-b10-f10.jpg",
                     "20251206T054000100Z-b10-f1.0.jpg", "20251206T054000100Z-b-f10.jpg", "20251206X054000100Z-b10-f10.jpg",
                     "20251206T054000100Z-b10-f10-x.jpg", "20251206T05400010Z-b10-f10.jpg", "20251206T054000100Z-b10-f10.jpg\u{0}",
                     "20251206T054000100Z-b1０-f10.jpg"] {
            #expect(!FailedFrameArchive.isEntryName(name), "\(name)")
        }
    }

    @Test func overTheRateOrWithTheQueueFullFramesAreDroppedAndCountedNeverWaitedFor() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let metrics = AgentMetrics()
        func request(_ n: UInt64) -> FailedFrameRequest {
            FailedFrameRequest(lineID: "line1", camera: "top", frameSequence: n, bottleSequence: n, decision: .noRead, code: nil, decidedAt: Date())
        }
        // A rate of 2 a second: of five at once, two are taken
        let limited = FailedFrameArchive(directory: root, events: AgentEventLog(), metrics: metrics, minimumFreeBytes: 0, maxPerSecond: 2)
        limited.register(try idlePipeline("top"), line: "line1", keep: 10)
        for n in UInt64(1)...5 { limited.submit(request(n)) }
        limited.finish()
        await limited.run()
        // (The camera never ran: the two taken are gone from its ring, nothing is written.)
        let counts = try #require(limited.counts(camera: "top"))
        #expect(counts.rateLimited == 3 && counts.gone == 2)
        #expect(counts.saved == 0 && counts.queueFull == 0 && counts.lowSpace == 0 && counts.diskErrors == 0)

        // A queue of one: of five before the archive runs, one waits
        let small = FailedFrameArchive(directory: root, events: AgentEventLog(), metrics: metrics, minimumFreeBytes: 0, maxPerSecond: 100,
                                       queueCapacity: 1)
        small.register(try idlePipeline("other"), line: "line1", keep: 10)
        let started = ContinuousClock.now
        for n in UInt64(1)...5 { small.submit(FailedFrameRequest(lineID: "line1", camera: "other", frameSequence: n, bottleSequence: n,
                                                         decision: .malformed, code: nil, decidedAt: Date())) }
        #expect(ContinuousClock.now - started < .milliseconds(50), "submitting never waits")
        small.finish()
        await small.run()
        #expect(small.counts(camera: "other")?.queueFull == 4)
        #expect(small.counts(camera: "other")?.gone == 1)
        // Unknown cameras and cameras keeping nothing take nothing
        small.submit(request(9))
        #expect(small.counts(camera: "top") == nil)
        let metricsText = String(decoding: metrics.render(), as: UTF8.self)
        #expect(metricsText.contains(#"qazline_failed_frames_total{line="line1",camera="top",outcome="rate-limited"} 3"#), "\(metricsText)")
        #expect(metricsText.contains(#"qazline_failed_frames_total{line="line1",camera="other",outcome="queue-full"} 4"#))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    @Test func aDiskErrorIsReportedAndCountedNeverRaised() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        // Given a camera that analysed one generated frame
        let frames = root.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        let image = GrayImage()
        _ = try FrameSynthesizer(width: 640, height: 512, profile: .nominal, seed: 4).next(into: image)
        try image.write(to: frames.appendingPathComponent("f0.png").path)
        let base = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let calibration = try #require(try AgentPlan.load(contentsOf: base.appendingPathComponent("Config/agent.example.yaml")).calibrations["line1-top"])
        let pipeline = CameraPipeline(camera: "top", calibration: calibration) { () throws(VisionError) -> any FrameSource in
            try FolderFrameSource(folder: frames.path)
        }
        await pipeline.run(maxFrames: 1) { _ in }
        let request = FailedFrameRequest(lineID: "line1", camera: "top", frameSequence: 0, bottleSequence: 7, decision: .noRead, code: nil,
                                         decidedAt: Date())

        // When the camera's folder cannot be made (a file is in its place)
        let broken = root.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data("in the way".utf8).write(to: broken.appendingPathComponent("top"))
        let events = AgentEventLog()
        let failing = FailedFrameArchive(directory: broken, events: events, metrics: AgentMetrics(), minimumFreeBytes: 0)
        failing.register(pipeline, line: "line1", keep: 5)
        failing.submit(request)
        failing.submit(request)
        failing.finish()
        await failing.run()
        // Then both frames count as disk errors, one error is reported (at most one a minute per camera), and nothing throws
        #expect(failing.counts(camera: "top")?.diskErrors == 2)
        #expect(events.errors.filter { $0.kind == "failed-frames" }.count == 1)
        #expect(events.errors.first?.message.contains("camera top: could not keep frame 0 of bottle 7") == true, "\(events.errors)")

        // And where the folder can be made, the same frame is kept: a JPEG and its sidecar
        let working = FailedFrameArchive(directory: root.appendingPathComponent("frames"), events: events, metrics: AgentMetrics(),
                                         minimumFreeBytes: 0)
        working.register(pipeline, line: "line1", keep: 5)
        working.submit(request)
        working.finish()
        await working.run()
        #expect(working.counts(camera: "top")?.saved == 1)
        let kept = try #require(await working.records(camera: "top").first)
        #expect(kept.bottleSequence == 7 && kept.frameSequence == 0 && kept.overlay.width == 640)
        let picture = try #require(await working.image(camera: "top", name: kept.name))
        #expect(picture.data.starts(with: [0xFF, 0xD8]) && picture.mimeType == "image/jpeg")

        // And nothing is written while the disk has less free space than the reserve
        let reserved = FailedFrameArchive(directory: root.appendingPathComponent("reserved"), events: events, metrics: AgentMetrics(),
                                          minimumFreeBytes: .max)
        reserved.register(pipeline, line: "line1", keep: 5)
        reserved.submit(request)
        reserved.finish()
        await reserved.run()
        #expect(reserved.counts(camera: "top")?.lowSpace == 1)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("reserved").path))
    }
}
