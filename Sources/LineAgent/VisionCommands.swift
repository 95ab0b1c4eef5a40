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

/// One JSON line of `lineagent decode` (Decodable too: tests read the lines back).
struct DecodeLine: Codable {
    struct Code: Codable {
        /// The text, converted from the character set the symbol's ECI names (or the decoder's guess without one).
        var text: String
        /// The payload bytes in hex and base64 (what the payload rules check).
        var hex: String
        var base64: String
        /// Whether the symbol names its character set (ECI), and whether the bytes are the decoder's UTF-8 text
        /// rather than the symbol's own (ZBar beyond ASCII).
        var eci: Bool
        var bytesConverted: Bool?
        var inverted: Bool?
        var decoder: String
        var step: String
        var contrast: Double?
        var modulePx: Double?
        var corners: [[Double]]
    }
    var file: String
    var texts: [String]
    var codes: [Code]
    /// Symbols a decoder found but no step could read.
    var unread: Int
    var ms: Double
    var error: String?
}

/// `lineagent decode [--calibration FILE] IMAGE...` / `--stdin`.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode the stamp QR codes in image files; one JSON line per image.",
        discussion: """
            Without --calibration the built-in chain runs, made for images it was not tuned for (any code size, caps or \
            not, several codes): zxing-cpp on the half-size image, zxing-cpp's full search, then each located cap \
            still without a code (upscaled, dotted modules joined, ZBar), then ZBar on each symbol found but not read. \
            Each code is printed with its text (as the symbol's ECI says), its bytes (hex and base64), the step that \
            read it and its read quality. With --stdin, reads one image path per line and answers one line per path, \
            flushing each, until end of input: other tools can drive it as a persistent decoder.
            """)

    @Option(help: "A camera calibration file (Calibration/<camera>.yaml).")
    var calibration: String?

    @Flag(help: "Read image paths from standard input, one per line.")
    var stdin = false

    @Option(help: "Write each image with what the chain saw drawn on it (caps, codes and the step that read them, symbols not read) into this folder, as JPEG at half size.")
    var annotate: String?

    @Argument(help: "Image files (PNG, JPEG, BMP, PGM, TIFF).")
    var images: [String] = []

    func validate() throws {
        if stdin && !images.isEmpty { throw ValidationError("give image paths either as arguments or with --stdin, not both") }
        if !stdin && images.isEmpty { throw ValidationError("give at least one image, or --stdin") }
    }

    func run() throws {
        let chain = try calibration.map(loadCalibration) ?? StandardCalibration.calibration
        if let annotate { try FileManager.default.createDirectory(atPath: annotate, withIntermediateDirectories: true) }
        let pipeline = try DecodePipeline(calibration: chain)
        let image = GrayImage()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var failures = 0
        func handle(_ path: String) {
            var line = DecodeLine(file: path, texts: [], codes: [], unread: 0, ms: 0, error: nil)
            do {
                try ImageFile.read(path, into: image)
                let analysis = try pipeline.analyze(image)
                line.codes = analysis.codes.map { code in
                    DecodeLine.Code(text: code.text, hex: code.bytes.map { String(format: "%02x", $0) }.joined(),
                                    base64: Data(code.bytes).base64EncodedString(), eci: code.symbol.hasECI,
                                    bytesConverted: code.symbol.bytesConverted ? true : nil, inverted: code.symbol.inverted ? true : nil,
                                    decoder: code.decoder.rawValue, step: code.step, contrast: code.quality?.contrast,
                                    modulePx: code.quality?.modulePx,
                                    corners: code.corners.map { [($0.x * 10).rounded() / 10, ($0.y * 10).rounded() / 10] })
                }
                line.texts = line.codes.map(\.text)
                line.unread = analysis.unread.count
                if let annotate {
                    let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".jpg"
                    try AnnotatedImage(image, analysis: analysis, label: (path as NSString).lastPathComponent)
                        .write(to: (annotate as NSString).appendingPathComponent(name), scale: 0.5)
                }
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

/// `lineagent generate-frames`: synthetic frames with their ground truth.
struct GenerateFramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-frames",
        abstract: "Write generated 1280×1024 frames (PNG) and their ground truth (truth.jsonl) for tests, demos and calibration.",
        discussion: """
            Sets (docs/vision.md shows frames of each): nominal and hard are the simulated line's caps; optics models \
            caps photographed by a real camera (glare, shadows, folds, hologram sheen, dust, a failing lamp, JPEG; \
            2-20 px/module); case is a case of 12-24 caps seen from above; flat is codes not on caps (paper, screens, \
            cardboard, several codes, inverted, other character sets).
            """)

    enum Set: String, ExpressibleByArgument, CaseIterable { case nominal, hard, optics, `case`, flat }

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "How many frames.")
    var count = 100

    @Option(help: "nominal, hard, optics, case or flat.")
    var set: Set = .nominal

    @Option(help: "Random seed (the same seed gives the same frames).")
    var seed: UInt64 = 1

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be 1-100000") }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let image = GrayImage()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var truth = Data()
        struct CapLine: Encodable { var file: String; var payloads: [String]; var spec: FrameSpec }
        struct SceneLine: Encodable { var file: String; var payloads: [String]; var scene: Scene }
        let frames: () throws -> (payloads: [String], line: (String) throws -> Data)
        switch set {
        case .nominal, .hard:
            let synthesizer = FrameSynthesizer(profile: set == .hard ? .hard : .nominal, seed: seed)
            frames = {
                let spec = try synthesizer.next(into: image)
                return (spec.payloads, { try encoder.encode(CapLine(file: $0, payloads: spec.payloads, spec: spec)) })
            }
        case .optics, .case, .flat:
            let synthesizer = SceneSynthesizer(kind: SceneKind(rawValue: set.rawValue)!, seed: seed)
            frames = {
                let scene = try synthesizer.next(into: image)
                let payloads = scene.codes.map(\.text)
                return (payloads, { try encoder.encode(SceneLine(file: $0, payloads: payloads, scene: scene)) })
            }
        }
        for index in 0..<count {
            let (_, line) = try frames()
            let name = String(format: "frame-%05d.png", index)
            try image.write(to: (out as NSString).appendingPathComponent(name))
            truth += try line(name) + Data("\n".utf8)
        }
        try truth.write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("truth.jsonl")))
        print("wrote \(count) \(set.rawValue) frames and truth.jsonl to \(out)")
    }
}
