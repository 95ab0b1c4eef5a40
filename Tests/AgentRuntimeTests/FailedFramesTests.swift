import AgentRuntime
import Foundation
import LineAgentTesting
import LineConfig
import LineCore
import LineDemo
import Testing
import Vision

/// The camera page's library side on a real agent: the simulated line with bad caps, linesim over Modbus TCP, the
/// real registrar, generated frames decoded by the real chain.
@Suite(.serialized) struct FailedFramesTests {
    /// What `lineagent calibrate` wrote to report.json (the figures that do not depend on timing).
    struct CalibrateFigures: Decodable, Equatable {
        var frames: Int
        var framesWithCode: Int
        var codes: Int
        var unreadableFrames: Int
        var sizeMismatches: Int
        var suggestedROI: Rect?
        var medianCodeSidePx: Double?
    }

    @Test func framesOfRejectedBottlesAreKeptOnDiskInABoundedRingAndAnalysedLikeLineagentCalibrate() async throws {
        // Given a line of 150 bottles with about one bad cap in four, and a camera that keeps 12 frames of rejects
        var demo = options(bottles: 150)
        demo.shares = [.unreadable: 0.1, .damaged: 0.05, .duplicate: 0.05, .foreign: 0.05]
        var setup = SimulatedPlant.Setup()
        setup.failedFrames = 12
        try await SimulatedPlant.run(demo, setup: setup, logger: quiet) { plant in
            let folder = plant.plan.failedFramesDirectory.appendingPathComponent("demo-top")
            #expect(folder.path == URL(fileURLWithPath: plant.plan.outboxPath).deletingLastPathComponent().path + "/frames/demo-top")
            // When the line runs (the agent is shut down gracefully at the end: the archive writes what is queued)
            let agent = try await withAgent(plant) { agent in
                try await plant.startLine(agent)
                try await plant.waitForBottles(150, agent: agent, timeout: .seconds(40))
                // The camera page while the line runs: the camera, its figures, its newest frame
                let view = try #require(await agent.cameraView("demo-top"))
                #expect(view.lineID == "demo" && view.state == "delivering")
                #expect(view.frames > 100)
                #expect(view.statistics.histogram.frames == min(view.frames, 1_200))
                #expect(view.statistics.histogram.buckets.map(\.count).reduce(0, +) == view.statistics.histogram.frames)
                #expect(view.statistics.trend.map(\.frames).reduce(0, +) == view.frames)
                #expect(view.statistics.trend.contains { ($0.meanContrast ?? 0) > 0.3 })
                #expect(view.ringSequences.count >= 8, "the last 8 frames at least (a ninth image takes the next frame)")
                let latest = try #require(await agent.latestFrame(camera: "demo-top"))
                #expect(latest.mimeType == "image/jpeg" && latest.image.starts(with: [0xFF, 0xD8]))
                #expect(latest.overlay.width == 640 && latest.overlay.height == 512)
                #expect(await agent.latestFrame(camera: "no-such-camera") == nil)
                #expect(await agent.cameraView("no-such-camera") == nil)
                return agent
            }
            let rejected = plant.reports.filter(\.rejected)
            let withFrame = rejected.filter { $0.frames > 0 }
            try #require(withFrame.count > 12, "the line must reject more bottles with a frame than the camera keeps")

            // Then the folder holds exactly 12 pictures and their sidecars, nothing else (no temporary file left)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            let pictures = names.filter { $0.hasSuffix(".jpg") }
            #expect(pictures.count == 12)
            #expect(names.count == 24)
            let sidecarStems: Set<String> = Set(names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
            let pictureStems: Set<String> = Set(pictures.map { String($0.dropLast(4)) })
            #expect(sidecarStems == pictureStems)

            // And each is a rejected bottle's frame with the bottle's sequence and decision (the simulated camera numbers
            // its frames by bottle)
            let view = try #require(await agent.cameraView("demo-top"))
            let records = view.failedFrames
            #expect(records.count == 12)
            #expect(records.map(\.name) == pictures.reversed(), "newest first")
            let byBottle = Dictionary(rejected.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
            let decoder = FailedFrameRecord.decoder()
            for record in records {
                let report = try #require(byBottle[record.bottleSequence], "bottle \(record.bottleSequence) was not rejected")
                #expect(record.decision == report.kind)
                #expect(record.decision != .good)
                #expect(record.code == report.code?.rawValue)
                #expect(record.frameSequence == record.bottleSequence)
                #expect(record.lineID == "demo" && record.camera == "demo-top" && record.mimeType == "image/jpeg")
                #expect(record.overlay.width == 640 && record.overlay.height == 512)
                if record.decision == .foreign || record.decision == .duplicate {
                    #expect(record.overlay.codes.contains { $0.text.hasSuffix(record.code ?? "-") }, "\(record.overlay)")
                }
                if record.decision == .noRead { #expect(record.overlay.codes.isEmpty) }
                let sidecar = try decoder.decode(FailedFrameRecord.self, from: Data(contentsOf: folder.appendingPathComponent(
                    String(record.name.dropLast(4)) + ".json")))
                #expect(sidecar == record)
                // The picture as served is the file on disk
                let served = try #require(await agent.failedFrame(camera: "demo-top", name: record.name))
                #expect(served.mimeType == "image/jpeg")
                #expect(served.data == (try Data(contentsOf: folder.appendingPathComponent(record.name))))
            }
            // And every reject's frame was asked for once and accounted for; the ring kept the newest: the frames are
            // asked for in decision order (the order of the reports), so the 12 kept are among the last 12 + those not
            // saved (rate limit, full queue, gone from the camera's ring)
            let counts = view.failedFrameCounts
            #expect(counts.saved >= 12)
            #expect(counts.saved + counts.gone + counts.queueFull + counts.rateLimited + counts.lowSpace + counts.diskErrors == withFrame.count)
            #expect(counts.diskErrors == 0 && counts.lowSpace == 0)
            let unsaved = withFrame.count - counts.saved
            #expect(Set(records.map(\.bottleSequence)).isSubset(of: Set(withFrame.suffix(12 + unsaved).map(\.sequence))))

            // And a name is served only if the archive lists it: no path is built from what the caller sends
            let kept = try #require(records.first?.name)
            for name in ["../outbox.sqlite", "../../registrar.sqlite", "demo-top/\(kept)", "./\(kept)", String(kept.dropLast(4)) + ".json",
                         kept.replacingOccurrences(of: "-b", with: "-b9"), "", "/etc/passwd", "20250101T000000000Z-b1-f1.jpg/.."] {
                #expect(await agent.failedFrame(camera: "demo-top", name: name) == nil, "\(name)")
            }
            #expect(await agent.failedFrame(camera: "other", name: kept) == nil)

            // And the analysis of the recent frames gives what `lineagent calibrate` gives for the same files
            let recent = try await agent.analyzeRecent(camera: "demo-top", includeRing: false)
            #expect(recent.frames == 12)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-calibrate-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: out) }
            let calibrate = try #require(await runSibling("lineagent", [
                "calibrate", "--camera", "demo-top", "--calibration", plant.plan.resolve("demo-top.yaml").path,
                "--source", folder.path, "--out", out.path,
            ], timeout: .seconds(60)), "lineagent is built next to the tests")
            #expect(calibrate.status == 0, "\(calibrate)")
            let figures = try JSONDecoder().decode(CalibrateFigures.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
            // (Stage times, overruns and the located caps depend on how busy the machine is: budgets decide whether a
            // step runs. Reads do not: the demo chain's first step always runs, and a cap without a readable code
            // reads in no step.)
            #expect(figures == CalibrateFigures(frames: recent.frames, framesWithCode: recent.framesWithCode, codes: recent.codes,
                                                unreadableFrames: recent.unreadableFrames, sizeMismatches: recent.sizeMismatches,
                                                suggestedROI: recent.suggestedROI, medianCodeSidePx: recent.medianCodeSidePx))
            #expect(calibrate.stdout.contains(recent.summary(try #require(plant.plan.calibrations["demo-top"])).split(separator: "\n")[1]),
                    "the same read-rate line")

            // And with the ring's frames the analysis covers those too
            let withRing = try await agent.analyzeRecent(camera: "demo-top")
            #expect(withRing.frames == 12 + view.ringSequences.count)
            #expect(withRing.source.hasPrefix("recent:demo-top"))
        }
    }
}
