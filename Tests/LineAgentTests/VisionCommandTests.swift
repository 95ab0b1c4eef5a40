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
}
