// Subcommands of the vision issue: `lineagent decode`, `lineagent calibrate`, `lineagent generate-frames`.
import ArgumentParser
import ConfigKit
import Foundation
import LineConfig
import LineCore
import Vision

let visionCommands: [any ParsableCommand.Type] = [DecodeCommand.self, CalibrateCommand.self, GenerateFramesCommand.self]

/// Loads a calibration file, turning its problems into one readable error.
func loadCalibration(_ path: String) throws -> CalibrationConfiguration {
    do {
        return try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw ValidationError(error.description)
    }
}

/// One JSON line of `lineagent decode`.
struct DecodeLine: Encodable {
    struct Code: Encodable {
        var text: String
        var decoder: String
        var corners: [[Double]]
    }
    var file: String
    var texts: [String]
    var codes: [Code]
    var ms: Double
    var error: String?
}

/// `lineagent decode [--calibration FILE] IMAGE...` / `--stdin`.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode the stamp QR codes in image files; one JSON line per image.",
        discussion: """
            Without --calibration the standard chain runs (zxing on located caps, ZBar on caps zxing missed, zxing on \
            the whole frame when no cap was found). With --stdin, reads one image path per line and answers one line \
            per path, flushing each, until end of input: other tools can drive it as a persistent decoder.
            """)

    @Option(help: "A camera calibration file (Calibration/<camera>.yaml).")
    var calibration: String?

    @Flag(help: "Read image paths from standard input, one per line.")
    var stdin = false

    @Argument(help: "Image files (PNG, JPEG, BMP, PGM, TIFF).")
    var images: [String] = []

    func validate() throws {
        if stdin && !images.isEmpty { throw ValidationError("give image paths either as arguments or with --stdin, not both") }
        if !stdin && images.isEmpty { throw ValidationError("give at least one image, or --stdin") }
    }

    func run() throws {
        let chain = try calibration.map(loadCalibration) ?? StandardCalibration.calibration
        let pipeline = try DecodePipeline(calibration: chain)
        let image = GrayImage()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var failures = 0
        func handle(_ path: String) {
            var line = DecodeLine(file: path, texts: [], codes: [], ms: 0, error: nil)
            do {
                try ImageFile.read(path, into: image)
                let analysis = try pipeline.analyze(image)
                line.codes = analysis.codes.map { code in
                    DecodeLine.Code(text: code.text, decoder: code.decoder.rawValue,
                                    corners: code.corners.map { [($0.x * 10).rounded() / 10, ($0.y * 10).rounded() / 10] })
                }
                line.texts = line.codes.map(\.text)
                line.ms = (analysis.total.inMilliseconds * 100).rounded() / 100
            } catch {
                failures += 1
                line.error = "\(error)"
            }
            let data = (try? encoder.encode(line)) ?? Data("{}".utf8)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if stdin {
            while let path = readLine(strippingNewline: true) {
                if path.isEmpty { continue }
                handle(path)
            }
        } else {
            images.forEach(handle)
        }
        if failures > 0 && !stdin { throw ExitCode(1) }
    }
}

/// `lineagent generate-frames`: synthetic cap frames with their ground truth.
struct GenerateFramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-frames",
        abstract: "Write generated 1280×1024 cap frames (PNG) and their ground truth (truth.jsonl) for tests, demos and calibration.")

    enum Set: String, ExpressibleByArgument, CaseIterable { case nominal, hard }

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "How many frames.")
    var count = 100

    @Option(help: "nominal (3-4.5 px/module, mild blur) or hard (2.4-3.2 px/module, blur, glare, low contrast, occlusion).")
    var set: Set = .nominal

    @Option(help: "Random seed (the same seed gives the same frames).")
    var seed: UInt64 = 1

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be 1-100000") }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let synthesizer = FrameSynthesizer(profile: set == .hard ? .hard : .nominal, seed: seed)
        let image = GrayImage()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var truth = Data()
        for index in 0..<count {
            let spec = try synthesizer.next(into: image)
            let name = String(format: "frame-%05d.png", index)
            try image.write(to: (out as NSString).appendingPathComponent(name))
            struct Line: Encodable { var file: String; var payloads: [String]; var spec: FrameSpec }
            truth += try encoder.encode(Line(file: name, payloads: spec.payloads, spec: spec)) + Data("\n".utf8)
        }
        try truth.write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("truth.jsonl")))
        print("wrote \(count) \(set.rawValue) frames and truth.jsonl to \(out)")
    }
}
