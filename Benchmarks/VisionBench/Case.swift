import ConfigKit
import Foundation
import LineConfig
import LineCore
import Vision

/// `vision-bench --case`: the case camera at the packing station (`CaseFrameReader` on `CaseFrameSynthesizer`'s frames,
/// 2448×2048). Per layout (12, 20, 24 caps): caps found, codes read, labels read, wrong reads and the time per frame;
/// the same frames through a chain that searches the whole frame first (what cropping the caps saves); then the
/// defects the station must catch, each on its own frames.
enum CaseBench {
    /// Tallies of one reader on one group of frames.
    struct Tally {
        var frames = 0
        var capsExpected = 0, capsFound = 0, capsMisplaced = 0
        var codesExpected = 0, codesRead = 0, wrongCodes = 0
        var labelsExpected = 0, labelsRead = 0, wrongLabels = 0
        var strays = 0
        var times: [Double] = []
        var stages: [String: [Double]] = [:]

        mutating func add(_ reading: CaseReading, _ truth: CaseFrameTruth) {
            frames += 1
            capsExpected += truth.caps.count
            capsFound += reading.caps.count
            // Every cap found lies on a cap drawn.
            capsMisplaced += reading.caps.filter { found in
                !truth.caps.contains { hypot($0.center.x - found.center.x, $0.center.y - found.center.y) < $0.radius / 2 }
            }.count
            codesExpected += truth.payloads.count
            for cap in reading.caps {
                guard let code = cap.code else { continue }
                // Right when its payload is the payload drawn on this cap.
                let drawn = truth.caps.first { hypot($0.center.x - cap.center.x, $0.center.y - cap.center.y) < $0.radius / 2 }
                if drawn?.payload == code.text { codesRead += 1 } else { wrongCodes += 1 }
            }
            let expected = truth.readableLabels
            labelsExpected += expected.count
            for label in reading.labels {
                if expected.contains(label.text), (try? UnitCode(parsing: label.text))?.isSSCC == true { labelsRead += 1 } else { wrongLabels += 1 }
            }
            strays += reading.strayCodes.count
            times.append(reading.decodeTime.inMilliseconds)
            for (stage, duration) in reading.stages { stages[stage, default: []].append(duration.inMilliseconds) }
        }

        func percentile(_ p: Double) -> Double { LineCore.percentile(ofSorted: times.sorted(), p) }

        var row: String {
            String(format: "%6d  %9d/%-6d %9d/%-6d %7.2f%%  %5d/%-5d %5d  %6d  %7.2f  %7.2f  %7.2f", frames, capsFound, capsExpected, codesRead,
                   codesExpected, codesExpected == 0 ? 0 : Double(codesRead) / Double(codesExpected) * 100, labelsRead, labelsExpected,
                   wrongCodes + wrongLabels + capsMisplaced, strays, percentile(0.5), percentile(0.99), times.max() ?? 0)
        }
    }

    /// A calibration that reads the whole frame first (zxing-cpp's full search), then the caps still without a code.
    static let wholeFrameYAML = """
        camera: case-station-whole-frame
        frame: { width: 2448, height: 2048 }
        roi: { mode: full, minRadius: 100, maxRadius: 200, margin: 24 }
        codeSize: { modulePx: 4.5 }
        decoders:
          - { name: zxing, region: roi, tryHarder: true, budget: 100ms }
          - { name: zxing, region: cap, tryHarder: true, budget: 30ms }
          - { name: zxing, region: cap, scale: 1.5, budget: 20ms }
          - { name: zbar, region: cap, budget: 20ms }
        totalBudget: 180ms
        maxCodesPerFrame: 64
        """

    static func run(frames: Int, seed: UInt64, calibrationPath: String?, save: String?) throws {
        #if DEBUG
        print("warning: debug build; run `swift run -c release vision-bench --case` for real figures")
        #endif
        let calibration = try calibrationPath.map { try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: URL(fileURLWithPath: $0)) }
        let reader = try CaseFrameReader(calibration: calibration)
        let wholeFrame = try CaseFrameReader(calibration: try ConfigLoader.decode(CalibrationConfiguration.self, yaml: wholeFrameYAML, file: "whole frame"))
        let describe = { (c: CalibrationConfiguration) in
            "roi \(c.roi.mode.rawValue) (caps of \(c.roi.minRadius ?? 0)-\(c.roi.maxRadius ?? 0) px): "
                + c.decoders.map { "\($0.label)(\($0.budget))" }.joined(separator: " → ") + ", total \(c.totalBudget)"
        }
        print("vision-bench --case: \(frames) frames per layout, 2448×2048, seed \(seed); one thread; zxing-cpp \(ZXingEngine.best.version)")
        print("case reader (\(calibrationPath ?? "built-in calibration")): \(describe(reader.calibration))")
        print("whole frame first: \(describe(wholeFrame.calibration))")
        if let save { try FileManager.default.createDirectory(atPath: save, withIntermediateDirectories: true) }
        let frame = GrayImage()
        let header = "                         frames  caps found/drawn  codes read/drawn    rate   labels       wrong  strays   p50 ms   p99 ms   max ms"
        var rows: [(String, Tally)] = []
        var whole: [(String, Tally)] = []
        var renderMs: [Double] = []  // the synthesizer's own time: what the simulated plant's case camera spends per case
        for (index, layout) in CaseLayout.standard.enumerated() {
            let synthesizer = CaseFrameSynthesizer(seed: seed &+ UInt64(index))
            var tally = Tally(), wholeTally = Tally()
            for n in 0..<frames {
                let started = ContinuousClock.now
                let (_, truth) = try synthesizer.nextNominal(layout: layout, into: frame)
                renderMs.append((ContinuousClock.now - started).inMilliseconds)
                if let save, n < 3 { try frame.write(to: "\(save)/case-\(layout.capacity)-\(n).png") }
                let reading = try reader.read(frame)
                tally.add(reading, truth)
                wholeTally.add(try wholeFrame.read(frame), truth)
                if reading.unreadCaps > 0 || reading.caps.count != truth.caps.count || reading.labels.count != 1 {
                    print("MISS \(layout) frame \(n): \(reading.caps.count) caps, \(reading.unreadCaps) without code, labels \(reading.labels.map(\.text))")
                    if let save { try frame.write(to: "\(save)/miss-\(layout.capacity)-\(n).png") }
                }
            }
            rows.append(("\(layout.capacity) caps (\(layout.rows)×\(layout.columns))", tally))
            whole.append(("\(layout.capacity) caps (\(layout.rows)×\(layout.columns))", wholeTally))
        }
        print("")
        print("nominal frames, case reader")
        print(header)
        for (name, tally) in rows { print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + " " + tally.row) }
        let stageNames = rows.flatMap { $0.1.stages.keys }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        print("  stages p50/p99 ms (all layouts): " + stageNames.compactMap { stage -> String? in
            let times = rows.flatMap { $0.1.stages[stage] ?? [] }.sorted()
            guard !times.isEmpty, times.last! >= 0.05 else { return nil }
            return String(format: "%@ %.1f/%.1f (%d runs)", stage, percentile(ofSorted: times, 0.5), percentile(ofSorted: times, 0.99), times.count)
        }.joined(separator: ", "))
        renderMs.sort()
        print(String(format: "  rendering a frame (CaseFrameSynthesizer) p50/p99 ms: %.1f/%.1f (%d frames)",
                     percentile(ofSorted: renderMs, 0.5), percentile(ofSorted: renderMs, 0.99), renderMs.count))
        print("")
        print("the same frames, whole frame first")
        print(header)
        for (name, tally) in whole { print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + " " + tally.row) }

        // Defects, each on its own frames (layouts in turn).
        print("")
        print("defects (\(max(6, frames / 5)) frames each, layouts in turn)")
        print("  defect                        frames  as expected   p50 ms   p99 ms")
        let defects: [(String, (inout CaseFrameSpec, CaseFrameSynthesizer) -> Void, (CaseReading, CaseFrameSpec) -> Bool)] = [
            ("one empty cell", { spec, _ in spec.slots[spec.slots.count / 2] = .empty },
             { r, s in r.caps.count == s.layout.capacity - 1 && r.unreadCaps == 0 }),
            ("one unreadable cap", { spec, _ in spec.slots[1] = .unreadableCap },
             { r, s in r.caps.count == s.layout.capacity && r.unreadCaps == 1 }),
            ("a cap beyond the case", { spec, synthesizer in spec.extraCaps = [synthesizer.randomPayload()] },
             { r, s in r.caps.count == s.layout.capacity + 1 && r.unreadCaps == 0 }),
            ("two labels", { spec, synthesizer in spec.secondLabel = CaseLabelSpec(sscc: synthesizer.nextSSCC(), symbology: .gs1_128) },
             { r, s in Set(r.labels.map(\.text)) == Set([s.label!.text, s.secondLabel!.text]) }),
            ("damaged label", { spec, _ in spec.label?.damaged = true },
             { r, s in r.labels.isEmpty && r.caps.count == s.layout.capacity }),
            ("a stamp lying loose", { spec, synthesizer in spec.looseStamps = [synthesizer.randomPayload()] },
             { r, s in r.strayCodes.map(\.text) == s.looseStamps && r.caps.count == s.layout.capacity }),
        ]
        for (index, (name, change, check)) in defects.enumerated() {
            let synthesizer = CaseFrameSynthesizer(seed: seed &+ 100 &+ UInt64(index))
            var passed = 0
            var times: [Double] = []
            let count = max(6, frames / 5)
            for n in 0..<count {
                var spec = synthesizer.nominalSpec(layout: CaseLayout.standard[n % 3])
                change(&spec, synthesizer)
                _ = try synthesizer.render(spec, into: frame)
                if let save, n < 1 { try frame.write(to: "\(save)/defect-\(index)-\(n).png") }
                let reading = try reader.read(frame)
                times.append(reading.decodeTime.inMilliseconds)
                if check(reading, spec) { passed += 1 } else {
                    print("  FAILED \(name) frame \(n): \(reading.caps.count) caps, \(reading.unreadCaps) without code, labels \(reading.labels.map(\.text)), strays \(reading.strayCodes.count)")
                }
            }
            times.sort()
            print(String(format: "  %@ %6d  %6d/%-6d %7.2f  %7.2f", name.padding(toLength: 28, withPad: " ", startingAt: 0), count, passed, count,
                         percentile(ofSorted: times, 0.5), percentile(ofSorted: times, 0.99)))
        }
    }
}
