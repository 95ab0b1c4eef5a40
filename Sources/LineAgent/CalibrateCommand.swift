import ArgumentParser
import ConfigKit
import Foundation
import LineConfig
import LineCore
import Vision

/// `lineagent calibrate --camera ID --source PATH|URL [--frames N]`: the line engineer's tool.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Run a camera's calibration over frames: read rate, per-stage times, a suggested region of interest, annotated PNGs and a JSON report.",
        discussion: """
            --source takes a folder of images, a video file, /dev/videoN, rtsp://…, genicam:<id> (empty id: the \
            first camera), or synthetic[:nominal|hard] (generated frames). Annotated PNGs mark the region of interest \
            (blue), located caps (yellow), codes read with their text (green) and misses (red).
            """)

    @Option(help: "The camera id; its calibration is Calibration/<id>.yaml unless --calibration is given.")
    var camera: String

    @Option(help: "Where frames come from (see above).")
    var source: String

    @Option(help: "How many frames to analyse (default: 200, or every image of a folder).")
    var frames: Int?

    @Option(help: "The calibration file (default Calibration/<camera>.yaml).")
    var calibration: String?

    @Option(help: "Folder for annotated PNGs and report.json (default calibration-<camera>).")
    var out: String?

    @Option(help: "At most this many annotated PNGs (misses first).")
    var maxImages = 40

    func validate() throws {
        if let frames, !(1...1_000_000).contains(frames) { throw ValidationError("--frames must be 1-1000000") }
    }

    func run() throws {
        let calibrationPath = calibration ?? "Calibration/\(camera).yaml"
        guard FileManager.default.fileExists(atPath: calibrationPath) else {
            throw ValidationError("no calibration file for camera \"\(camera)\" at \(calibrationPath); pass --calibration FILE or create it from Calibration/line1-top.yaml")
        }
        let chain = try loadCalibration(calibrationPath)
        if chain.camera != camera {
            throw ValidationError("\(calibrationPath) calibrates camera \"\(chain.camera)\", not \"\(camera)\" (key camera)")
        }
        let frameSource = try openSource(acquisition: chain.acquisition)
        defer { frameSource.close() }
        let limit = frames ?? ((frameSource as? FolderFrameSource)?.files.count ?? 200)
        let outFolder = out ?? "calibration-\(camera)"
        try FileManager.default.createDirectory(atPath: outFolder, withIntermediateDirectories: true)

        var progress = ProgressBar(total: limit)
        var annotated: [(miss: Bool, index: Int)] = []
        // The analysis is the library's (the agent runs the same over a camera's recent frames); this command adds
        // the annotated PNGs and the progress bar.
        let report = try CalibrationAnalysis.run(calibration: chain, calibrationName: calibrationPath, source: frameSource,
                                                 limit: limit) { index, info, image, analysis, truth, report in
            let miss = analysis.codes.isEmpty || (truth.map { Set($0) != Set(analysis.codes.map(\.text)) } ?? false)
            let keep = annotated.count < maxImages || (miss && annotated.contains { !$0.miss })
            if keep {
                if annotated.count >= maxImages, let drop = annotated.firstIndex(where: { !$0.miss }) {
                    let name = String(format: "frame-%05d.png", annotated[drop].index)
                    try? FileManager.default.removeItem(atPath: (outFolder as NSString).appendingPathComponent(name))
                    annotated.remove(at: drop)
                }
                try AnnotatedImage(image, analysis: analysis, label: info.file.map { ($0 as NSString).lastPathComponent } ?? "frame \(index)",
                                   truth: truth)
                    .write(to: (outFolder as NSString).appendingPathComponent(String(format: "frame-%05d.png", index)))
                annotated.append((miss, index))
            }
            progress.update(index + 1, suffix: "read \(report.framesWithCode)/\(report.frames)")
        }
        progress.finish()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(report).write(to: URL(fileURLWithPath: (outFolder as NSString).appendingPathComponent("report.json")))
        print(report.summary(chain))
        print("annotated PNGs and report.json in \(outFolder)/")
    }

    private func openSource(acquisition: AcquisitionSettings) throws -> any FrameSource {
        var isDirectory: ObjCBool = false
        if source.hasPrefix("synthetic") {
            let profile: SynthesisProfile = source.hasSuffix(":hard") ? .hard : .nominal
            return SyntheticFrameSource(synthesizer: FrameSynthesizer(profile: profile, seed: 7))
        }
        if source.hasPrefix("genicam:") || source == "genicam" {
            return try GenICamFrameSource(deviceID: String(source.dropFirst("genicam:".count)), acquisition: acquisition)
        }
        if source.hasPrefix("rtsp://") || source.hasPrefix("rtsps://") { return try VideoFrameSource(rtsp: source) }
        if source.hasPrefix("/dev/video") { return try VideoFrameSource(device: source) }
        if FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) {
            return isDirectory.boolValue ? try FolderFrameSource(folder: source) : try VideoFrameSource(video: source)
        }
        throw ValidationError("--source \(source): no such folder or file, and not rtsp://, /dev/videoN, genicam:<id> or synthetic")
    }
}

/// A one-line progress bar on standard error (redrawn in place on a terminal, every 10% otherwise).
struct ProgressBar {
    let total: Int
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastDecile = -1

    init(total: Int) { self.total = max(1, total) }

    mutating func update(_ done: Int, suffix: String) {
        let fraction = Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let line = "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total) frames, \(suffix)"
        if interactive {
            FileHandle.standardError.write(Data("\r\(line)".utf8))
        } else if Int(fraction * 10) > lastDecile {
            lastDecile = Int(fraction * 10)
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
