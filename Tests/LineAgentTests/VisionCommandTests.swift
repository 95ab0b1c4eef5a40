import Foundation
import LineAgentTesting
import Testing
@testable import LineAgent
import Vision

/// `lineagent decode` and `lineagent generate-frames` as a user runs them.
@Suite("lineagent decode and generate-frames")
struct VisionCommandTests {
    func folder(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-decode-\(name.filter(\.isLetter))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("text as the symbol's ECI says, the bytes in hex and base64, the step; bad files get a line naming them")
    func decodeStdin() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = GrayImage()
        let synthesizer = SceneSynthesizer(kind: .flat, width: 640, height: 480, seed: 12)
        let japanese = try synthesizer.code("ｻﾝﾌﾟﾙ ﾗﾍﾞﾙ 42", charset: "Shift_JIS", modulePx: 5, into: image)
        try image.write(to: dir.appendingPathComponent("sjis.png").path)
        let stamp = try synthesizer.code("https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R", modulePx: 4, angle: 30, into: image)
        try image.write(to: dir.appendingPathComponent("stamp.png").path)
        try Data().write(to: dir.appendingPathComponent("empty.png"))
        let input = ["sjis.png", "stamp.png", "empty.png", "missing.png"].map { dir.appendingPathComponent($0).path }.joined(separator: "\n")
        let stdin = dir.appendingPathComponent("paths.txt")
        try Data((input + "\n").utf8).write(to: stdin)
        let annotated = dir.appendingPathComponent("annotated")
        let run = try await lineagent(["decode", "--stdin", "--annotate", annotated.path], stdin: stdin)
        #expect(run.status == 0, "\(run)")
        let lines = try run.stdout.split(separator: "\n").map { try JSONDecoder().decode(DecodeLine.self, from: Data($0.utf8)) }
        try #require(lines.count == 4, "\(run)")
        let sjis = try #require(lines[0].codes.first)
        #expect(sjis.text == japanese.text)
        #expect(sjis.hex == japanese.bytes.map { String(format: "%02x", $0) }.joined(), "the symbol's Shift_JIS bytes, not UTF-8")
        #expect(Data(base64Encoded: sjis.base64).map(Array.init) == japanese.bytes)
        #expect(sjis.eci)
        #expect(lines[1].texts == [stamp.text])
        #expect(lines[1].codes.first?.step.hasPrefix("zxing@roi") == true)
        #expect((lines[1].codes.first?.contrast ?? 0) > 0.5)
        #expect(lines[2].error == "\(dir.path)/empty.png: cannot read the image: the file is empty")
        #expect(lines[3].error == "\(dir.path)/missing.png: cannot read the image: no such file")
        let pictures = try FileManager.default.contentsOfDirectory(atPath: annotated.path).sorted()
        #expect(pictures == ["sjis.jpg", "stamp.jpg"])
    }

    @Test("generate-frames writes each set with its truth, and decode reads them back", arguments: ["optics", "case", "flat"])
    func generateSets(_ set: String) async throws {
        let dir = try folder(set)
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try await lineagent(["generate-frames", "--out", dir.path, "--count", "2", "--set", set, "--seed", "5"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("wrote 2 \(set) frames"))
        let truth = try String(contentsOf: dir.appendingPathComponent("truth.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(truth.count == 2)
        #expect(truth.allSatisfy { $0.contains("\"effects\"") && $0.contains("\"corners\"") })
        let decoded = try await lineagent(["decode", dir.appendingPathComponent("frame-00000.png").path], timeout: 60)
        #expect(decoded.status == 0, "\(decoded)")
        #expect(decoded.stdout.contains("\"texts\""))
    }

    @Test("calibrate prints read rate, stage times, suggested region and advice, and writes report.json and annotated PNGs: the library's analysis (CalibrationAnalysis, which the agent also runs)")
    func calibrate() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let frames = dir.appendingPathComponent("frames")
        let generated = try await lineagent(["generate-frames", "--out", frames.path, "--count", "6", "--set", "hard", "--seed", "9"], timeout: 60)
        try #require(generated.status == 0, "\(generated)")
        try FileManager.default.removeItem(at: frames.appendingPathComponent("truth.jsonl"))
        // The shipped chain with budgets no machine misses: what is read must not depend on how busy the machine is
        let shipped = try String(contentsOf: repositoryRoot.appendingPathComponent("Calibration/line1-top.yaml"), encoding: .utf8)
        let unhurried = shipped.replacingOccurrences(of: #"budget: \d+ms"#, with: "budget: 500ms", options: .regularExpression)
            .replacingOccurrences(of: #"totalBudget: \d+ms"#, with: "totalBudget: 1000ms", options: .regularExpression)
        let calibrationFile = dir.appendingPathComponent("line1-top.yaml")
        try unhurried.write(to: calibrationFile, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let run = try await lineagent(["calibrate", "--camera", "line1-top", "--calibration", calibrationFile.path, "--source", frames.path,
                                       "--out", out.path], timeout: 60)
        #expect(run.status == 0, "\(run)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "camera line1-top: 6 frames from folder:\(frames.path)")
        #expect(lines.contains("stage            p50 ms   p95 ms   p99 ms   runs"))
        #expect(lines.contains { $0.hasPrefix("total ") && $0.hasSuffix("(budget 1s, 0 step overruns)") }, "\(run)")
        #expect(lines.last == "annotated PNGs and report.json in \(out.path)/")
        let pictures = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(pictures == (0..<6).map { String(format: "frame-%05d.png", $0) } + ["report.json"])

        // The same analysis in process reads the same: the command adds only its pictures and its progress bar
        let chain = try loadCalibration(calibrationFile.path)
        let report = try CalibrationAnalysis.run(calibration: chain, calibrationName: calibrationFile.path,
                                                 source: try FolderFrameSource(folder: frames.path), limit: 6)
        let summary = report.summary(chain).split(separator: "\n").map(String.init)
        #expect(lines[1] == summary[1], "the read-rate line")
        #expect(lines.filter { $0.hasPrefix("suggested roi") || $0.hasPrefix("code side") } == summary.filter { $0.hasPrefix("suggested roi") || $0.hasPrefix("code side") })
        #expect(lines.filter { $0.hasPrefix("advice:") } == report.advice.map { "advice: \($0)" })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any])
        // (No ground truth for a folder: expectedCodes and wrongReads are left out.)
        #expect(Set(json.keys) == ["camera", "calibration", "source", "frames", "framesWithCode", "codes", "unreadableFrames", "sizeMismatches",
                                   "overruns", "stageTimes", "totalTime", "suggestedROI", "medianCodeSidePx", "capsLocatedWithoutCode",
                                   "problems", "advice"] as Set<String>)
        #expect(json["frames"] as? Int == 6 && json["codes"] as? Int == report.codes && json["framesWithCode"] as? Int == report.framesWithCode)
        #expect(json["capsLocatedWithoutCode"] as? Int == report.capsLocatedWithoutCode)
    }
}
