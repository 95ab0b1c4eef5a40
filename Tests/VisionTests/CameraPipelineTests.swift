import Foundation
import LineConfig
import Synchronization
import Testing
@testable import Vision

/// Collects events from concurrent pipelines.
final class EventLog: Sendable {
    private let events = Mutex<[CameraEvent]>([])
    func append(_ event: CameraEvent) { events.withLock { $0.append(event) } }
    var all: [CameraEvent] { events.withLock { $0 } }
}

@Suite("Camera pipelines")
struct CameraPipelineTests {
    @Test("a failing camera does not stop another one")
    func isolation() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let synthesizer = FrameSynthesizer(profile: .nominal, seed: 5)
        let image = GrayImage()
        let calibration = try unhurriedCalibration()
        // What the same chain reads from the same frames outside any actor: the good camera must deliver exactly that.
        let direct = try DecodePipeline(calibration: calibration)
        var expected: Set<String> = []
        for index in 0..<6 {
            _ = try synthesizer.next(into: image)
            expected.formUnion(try direct.analyze(image).codes.map(\.text))
            try image.write(to: folder.appendingPathComponent(String(format: "f%02d.png", index)).path)
        }
        try Data("garbage".utf8).write(to: folder.appendingPathComponent("f03-corrupt.png"))
        let good = CameraPipeline(camera: "good", calibration: calibration) { () throws(VisionError) -> any FrameSource in try FolderFrameSource(folder: folder.path) }
        let dead = CameraPipeline(camera: "dead", calibration: calibration, reopenBackoff: .milliseconds(20)) { () throws(VisionError) -> any FrameSource in
            try FolderFrameSource(folder: "/nonexistent/camera")
        }
        let log = EventLog()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await good.run { log.append($0) } }
            group.addTask { await dead.run(maxFrames: 1) { log.append($0) } }
            // The dead camera retries forever; stop it once the good one has finished.
            await group.next()
            group.cancelAll()
        }
        var read: [String] = []
        var frames = 0
        var problems: [String: Int] = [:]
        var ended = false
        for event in log.all {
            switch event {
            case .frame(let result) where result.camera == "good":
                frames += 1
                read += result.codes.map(\.text)
            case .problem(let camera, _): problems[camera, default: 0] += 1
            case .ended(let camera): ended = ended || camera == "good"
            default: break
            }
        }
        #expect(ended)
        #expect(problems["good"] == 1, "the corrupt frame is reported once and skipped")
        #expect((problems["dead"] ?? 0) >= 1)
        #expect(frames == 6, "every readable frame is analysed")
        #expect(!expected.isEmpty)
        #expect(Set(read) == expected)
    }
}
