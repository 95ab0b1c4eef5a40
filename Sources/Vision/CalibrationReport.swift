import ConfigKit
import Foundation
import LineConfig
import LineCore

/// The calibration tool's analysis: a camera's chain run over frames, with the read rate, per-stage times, a
/// suggested region of interest and advice that names the calibration key to change. One implementation for
/// `lineagent calibrate` and for the agent's analysis of a camera's recent frames (the console's camera page).
public enum CalibrationAnalysis {
    /// Runs `calibration`'s chain over up to `limit` frames of `source` and reports on them.
    /// - Parameters:
    ///   - calibrationName: names the calibration in the report (its file).
    ///   - onFrame: called after each analysed frame with its index, what the source said, the frame (valid only
    ///     during the call), the analysis and the ground truth when the source knows it (generated frames); what
    ///     it throws ends the run.
    public static func run(
        calibration: CalibrationConfiguration, calibrationName: String, source: any FrameSource, limit: Int,
        onFrame: (_ index: Int, _ info: FrameInfo, _ frame: GrayImage, _ analysis: FrameAnalysis, _ truth: [String]?,
                  _ report: CalibrationReport) throws -> Void = { _, _, _, _, _, _ in }
    ) throws -> CalibrationReport {
        let pipeline = try DecodePipeline(calibration: calibration)
        let image = GrayImage()
        var report = CalibrationReport(camera: calibration.camera, calibration: calibrationName, source: source.name)
        var problems: [String] = []
        for index in 0..<limit {
            let info: FrameInfo?
            do {
                info = try source.next(into: image)
            } catch {
                problems.append("\(error)")
                report.unreadableFrames += 1
                if case .sourceClosed = error { break }
                continue
            }
            guard let info else { break }
            if let expected = calibration.frame, expected.width != image.width || expected.height != image.height {
                report.sizeMismatches += 1
            }
            let analysis: FrameAnalysis
            do {
                analysis = try pipeline.analyze(image)
            } catch {
                problems.append("frame \(index): \(error)")
                continue
            }
            let truth = (source as? SyntheticFrameSource)?.lastSpec?.payloads
            report.add(analysis, truth: truth, frame: (image.width, image.height))
            try onFrame(index, info, image, analysis, truth, report)
        }
        report.problems = Array(problems.prefix(50))
        report.advice = report.advise(calibration)
        return report
    }
}

/// Per-frame statistics and advice of a calibration run (`report.json` of `lineagent calibrate`).
public struct CalibrationReport: Encodable, Sendable {
    public struct Percentiles: Encodable, Sendable, Hashable { public var p50: Double; public var p95: Double; public var p99: Double; public var runs: Int }

    public var camera: String
    public var calibration: String
    public var source: String
    public var frames = 0
    public var framesWithCode = 0
    public var codes = 0
    public var expectedCodes: Int?
    public var wrongReads: Int?
    public var unreadableFrames = 0
    public var sizeMismatches = 0
    public var overruns = 0
    public var stageTimes: [String: Percentiles] = [:]
    public var totalTime: Percentiles?
    public var suggestedROI: Rect?
    public var medianCodeSidePx: Double?
    public var capsLocatedWithoutCode = 0
    public var problems: [String] = []
    public var advice: [String] = []

    private var samples: [String: [Double]] = [:]
    private var totals: [Double] = []
    private var sides: [Double] = []
    private var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
    private var frameSize = (0, 0)

    enum CodingKeys: String, CodingKey {
        case camera, calibration, source, frames, framesWithCode, codes, expectedCodes, wrongReads, unreadableFrames,
             sizeMismatches, overruns, stageTimes, totalTime, suggestedROI, medianCodeSidePx, capsLocatedWithoutCode, problems, advice
    }

    public init(camera: String, calibration: String, source: String) {
        self.camera = camera
        self.calibration = calibration
        self.source = source
    }

    public mutating func add(_ analysis: FrameAnalysis, truth: [String]?, frame: (Int, Int)) {
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

    public static func percentiles(_ values: [Double]) -> Percentiles {
        let sorted = values.sorted()
        func at(_ p: Double) -> Double { (percentile(ofSorted: sorted, p) * 100).rounded() / 100 }
        return Percentiles(p50: at(0.5), p95: at(0.95), p99: at(0.99), runs: sorted.count)
    }

    /// Advice that names the calibration key and what to try.
    public func advise(_ chain: CalibrationConfiguration) -> [String] {
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

    public func summary(_ chain: CalibrationConfiguration) -> String {
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
