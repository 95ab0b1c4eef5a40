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

        let pipeline = try DecodePipeline(calibration: chain)
        let image = GrayImage()
        var report = CalibrationReport(camera: camera, calibration: calibrationPath, source: frameSource.name)
        var progress = ProgressBar(total: limit)
        var annotated: [(miss: Bool, index: Int)] = []
        var problems: [String] = []
        for index in 0..<limit {
            let info: FrameInfo?
            do {
                info = try frameSource.next(into: image)
            } catch {
                problems.append("\(error)")
                report.unreadableFrames += 1
                if case .sourceClosed = error { break }
                continue
            }
            guard let info else { break }
            if let expected = chain.frame, expected.width != image.width || expected.height != image.height {
                report.sizeMismatches += 1
            }
            let analysis: FrameAnalysis
            do {
                analysis = try pipeline.analyze(image)
            } catch {
                problems.append("frame \(index): \(error)")
                continue
            }
            let truth = (frameSource as? SyntheticFrameSource)?.lastSpec?.payloads
            report.add(analysis, truth: truth, frame: (image.width, image.height))
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
        report.problems = Array(problems.prefix(50))
        report.advice = report.advise(chain)
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


/// Per-frame statistics and advice of a calibration run.
struct CalibrationReport: Encodable {
    struct Percentiles: Encodable { var p50: Double; var p95: Double; var p99: Double; var runs: Int }

    var camera: String
    var calibration: String
    var source: String
    var frames = 0
    var framesWithCode = 0
    var codes = 0
    var expectedCodes: Int?
    var wrongReads: Int?
    var unreadableFrames = 0
    var sizeMismatches = 0
    var overruns = 0
    var stageTimes: [String: Percentiles] = [:]
    var totalTime: Percentiles?
    var suggestedROI: Rect?
    var medianCodeSidePx: Double?
    var capsLocatedWithoutCode = 0
    var problems: [String] = []
    var advice: [String] = []

    private var samples: [String: [Double]] = [:]
    private var totals: [Double] = []
    private var sides: [Double] = []
    private var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
    private var frameSize = (0, 0)

    enum CodingKeys: String, CodingKey {
        case camera, calibration, source, frames, framesWithCode, codes, expectedCodes, wrongReads, unreadableFrames,
             sizeMismatches, overruns, stageTimes, totalTime, suggestedROI, medianCodeSidePx, capsLocatedWithoutCode, problems, advice
    }

    init(camera: String, calibration: String, source: String) {
        self.camera = camera
        self.calibration = calibration
        self.source = source
    }

    mutating func add(_ analysis: FrameAnalysis, truth: [String]?, frame: (Int, Int)) {
        frames += 1
        frameSize = frame
        if !analysis.codes.isEmpty { framesWithCode += 1 }
        codes += analysis.codes.count
        overruns += analysis.overruns.count
        if let truth {
            expectedCodes = (expectedCodes ?? 0) + truth.count
            wrongReads = (wrongReads ?? 0) + Set(analysis.codes.map(\.text)).subtracting(truth).count
        }
        capsLocatedWithoutCode += analysis.caps.filter { cap in !analysis.codes.contains { cap.contains($0.center) } }.count
        for (stage, duration) in analysis.stages { samples[stage, default: []].append(duration.inMilliseconds) }
        totals.append(analysis.total.inMilliseconds)
        for code in analysis.codes {
            for point in code.corners {
                minX = min(minX, point.x); minY = min(minY, point.y); maxX = max(maxX, point.x); maxY = max(maxY, point.y)
            }
            if code.corners.count == 4 {
                let edges = (0..<4).map { i in hypot(code.corners[i].x - code.corners[(i + 1) % 4].x, code.corners[i].y - code.corners[(i + 1) % 4].y) }
                sides.append(edges.reduce(0, +) / 4)
            }
        }
        stageTimes = samples.mapValues(Self.percentiles)
        totalTime = Self.percentiles(totals)
        if minX.isFinite {
            let margin = 0.5 * (sides.max() ?? 50)
            let x = max(0, Int(minX - margin)), y = max(0, Int(minY - margin))
            suggestedROI = Rect(x: x, y: y, width: min(frame.0, Int(maxX + margin)) - x, height: min(frame.1, Int(maxY + margin)) - y)
        }
        let sorted = sides.sorted()
        medianCodeSidePx = sorted.isEmpty ? nil : (sorted[sorted.count / 2] * 10).rounded() / 10
    }

    static func percentiles(_ values: [Double]) -> Percentiles {
        let sorted = values.sorted()
        func at(_ p: Double) -> Double { (percentile(ofSorted: sorted, p) * 100).rounded() / 100 }
        return Percentiles(p50: at(0.5), p95: at(0.95), p99: at(0.99), runs: sorted.count)
    }

    /// Advice that names the calibration key and what to try.
    func advise(_ chain: CalibrationConfiguration) -> [String] {
        var advice: [String] = []
        let rate = frames == 0 ? 0 : Double(framesWithCode) / Double(frames)
        if sizeMismatches > 0, let frame = chain.frame {
            advice.append("frame: \(sizeMismatches) frames were not \(frame.width)×\(frame.height); set frame to the camera's real size")
        }
        if let side = medianCodeSidePx, let expected = chain.codeSize.sidePx, abs(side - expected) / expected > 0.25 {
            advice.append("codeSize.sidePx is \(expected) but codes measure \(side) px: set codeSize.sidePx: \(Int(side.rounded()))")
        }
        if let side = medianCodeSidePx, side / 29 * chain.scale < 3 {
            advice.append("codes measure about \(String(format: "%.1f", side / 29)) px per module (version 3): try scale: 1.5 or a cap step with scale: 1.5, or move the camera closer")
        }
        if capsLocatedWithoutCode > frames / 10 {
            advice.append("\(capsLocatedWithoutCode) located caps had no code read: check focus and exposure (acquisition.exposureUs), or add preprocess: [{ op: sharpen }]")
        }
        if let minR = chain.roi.minRadius, let maxR = chain.roi.maxRadius, let side = medianCodeSidePx,
           side * 0.6 < Double(minR) || side * 1.6 > Double(maxR) {
            advice.append("roi.minRadius/maxRadius (\(minR)-\(maxR)) may not fit caps around codes of \(Int(side)) px: try minRadius: \(Int(side * 0.6)), maxRadius: \(Int(side * 1.6))")
        }
        if let p99 = totalTime?.p99, p99 > chain.totalBudget.duration.inMilliseconds {
            advice.append("p99 \(p99) ms exceeds totalBudget \(chain.totalBudget): narrow the roi (mode fixed, see suggestedROI) or lower the decoders' budgets")
        }
        if chain.roi.mode == .full, let roi = suggestedROI, frameSize.0 > 0,
           Double(roi.width * roi.height) < 0.5 * Double(frameSize.0 * frameSize.1) {
            advice.append("codes appeared only within \(roi.width)×\(roi.height)+\(roi.x)+\(roi.y): roi { mode: fixed, x: \(roi.x), y: \(roi.y), width: \(roi.width), height: \(roi.height) } would halve the work")
        }
        if rate < 0.99 && frames > 0 && advice.isEmpty {
            advice.append("read rate \(String(format: "%.1f", rate * 100))%: look at the red frames in the annotated PNGs")
        }
        return advice
    }

    func summary(_ chain: CalibrationConfiguration) -> String {
        var lines: [String] = []
        let rate = frames == 0 ? 0 : Double(framesWithCode) / Double(frames) * 100
        lines.append("camera \(camera): \(frames) frames from \(source)")
        var readLine = "read rate \(String(format: "%.1f", rate))% (\(framesWithCode)/\(frames) frames with a code, \(codes) codes)"
        if let expected = expectedCodes { readLine += "; ground truth: \(expected) codes expected, \(wrongReads ?? 0) wrong reads" }
        lines.append(readLine)
        lines.append("stage            p50 ms   p95 ms   p99 ms   runs")
        for (stage, p) in stageTimes.sorted(by: { $0.key < $1.key }) {
            lines.append(stage.padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: "  %7.2f  %7.2f  %7.2f  %5d", p.p50, p.p95, p.p99, p.runs))
        }
        if let t = totalTime {
            lines.append("total".padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: "  %7.2f  %7.2f  %7.2f  %5d", t.p50, t.p95, t.p99, t.runs)
                         + "   (budget \(chain.totalBudget), \(overruns) step overruns)")
        }
        if let roi = suggestedROI { lines.append("suggested roi: { mode: fixed, x: \(roi.x), y: \(roi.y), width: \(roi.width), height: \(roi.height) }") }
        if let side = medianCodeSidePx { lines.append("code side: median \(side) px") }
        if unreadableFrames > 0 { lines.append("\(unreadableFrames) frames could not be read (see problems in report.json)") }
        lines += advice.map { "advice: \($0)" }
        return lines.joined(separator: "\n")
    }
}
