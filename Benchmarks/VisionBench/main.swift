// vision-bench: read rate and latency of ZBar alone, zxing-cpp alone and the calibrated pipeline, side by side on
// the same generated 1280×1024 frames (nominal and hard sets reported separately).
//
//   swift run -c release vision-bench [--frames N] [--calibration FILE] [--seed S] [--save DIR]
import ConfigKit
import Foundation
import LineConfig
import LineCore
import Vision

struct Options {
    var frames = 1_000
    var calibration = "Calibration/line1-top.yaml"
    var seed: UInt64 = 2024
    var save: String?

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--frames": frames = Int(iterator.next() ?? "") ?? frames
            case "--calibration": calibration = iterator.next() ?? calibration
            case "--seed": seed = UInt64(iterator.next() ?? "") ?? seed
            case "--save": save = iterator.next()
            case "-h", "--help":
                print("usage: vision-bench [--frames N per set] [--calibration FILE] [--seed S] [--save DIR (writes the first 20 frames of each set)]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("vision-bench: unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

/// Tallies of one contender on one set.
struct Tally {
    var expected = 0
    var read = 0
    var wrong = 0
    var readsOnEmptyFrames = 0
    var times: [Double] = []

    mutating func add(found: [DecodedCode], truth: FrameSpec, ms: Double) {
        let expectedPayloads = Set(truth.payloads)
        expected += expectedPayloads.count
        let texts = Set(found.map(\.text))
        read += texts.intersection(expectedPayloads).count
        wrong += texts.subtracting(expectedPayloads).count
        if expectedPayloads.isEmpty { readsOnEmptyFrames += found.count }
        times.append(ms)
    }

    func percentile(_ p: Double) -> Double { LineCore.percentile(ofSorted: times.sorted(), p) }

    var row: String {
        let rate = expected == 0 ? 0 : Double(read) / Double(expected) * 100
        let mean = times.reduce(0, +) / Double(max(1, times.count))
        return String(format: "%6d/%-6d %6.2f%%  %5d  %5d   %7.2f  %7.2f  %7.1f", read, expected, rate, wrong, readsOnEmptyFrames,
                      percentile(0.5), percentile(0.99), 1000 / max(mean, 0.001))
    }
}

/// The process's resident set size in MiB (from /proc/self/statm).
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? Double(Int(fields[1]) ?? 0) * 4096 / 1_048_576 : 0
}


let options = Options(Array(CommandLine.arguments.dropFirst()))
let calibration: CalibrationConfiguration
do {
    calibration = try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: URL(fileURLWithPath: options.calibration))
} catch {
    FileHandle.standardError.write(Data("vision-bench: \(error)\n".utf8))
    exit(1)
}

do {
    let zbar = try ZBarDecoder()
    let zxing = try ZXingDecoder()
    let pipeline = try DecodePipeline(calibration: calibration)
    let frame = GrayImage()
    let clock = ContinuousClock()
    #if DEBUG
    print("warning: debug build; run `swift run -c release vision-bench` for real figures")
    #endif
    print("vision-bench: \(options.frames) frames per set, 1280×1024, seed \(options.seed), calibration \(options.calibration)")
    print("pipeline: " + calibration.decoders.map { "\($0.name.rawValue)(\($0.region.rawValue), \($0.budget))" }.joined(separator: " → ")
          + ", total budget \(calibration.totalBudget); one thread")
    for profile in [SynthesisProfile.nominal, .hard] {
        let synthesizer = FrameSynthesizer(profile: profile, seed: options.seed &+ (profile.name == "hard" ? 1 : 0))
        var tallies = ["zbar (full frame)": Tally(), "zxing (full frame)": Tally(), "pipeline": Tally()]
        var stageTimes: [String: [Double]] = [:]
        var overruns = 0
        if let save = options.save { try? FileManager.default.createDirectory(atPath: "\(save)/\(profile.name)", withIntermediateDirectories: true) }
        for index in 0..<options.frames {
            let spec = try synthesizer.next(into: frame)
            if let save = options.save, index < 20 {
                try frame.write(to: "\(save)/\(profile.name)/frame-\(String(format: "%04d", index)).png")
            }
            var start = clock.now
            let byZBar = try zbar.decode(frame)
            tallies["zbar (full frame)"]!.add(found: byZBar, truth: spec, ms: start.duration(to: clock.now).inMilliseconds)
            start = clock.now
            let byZXing = try zxing.decode(frame)
            tallies["zxing (full frame)"]!.add(found: byZXing, truth: spec, ms: start.duration(to: clock.now).inMilliseconds)
            let analysis = try pipeline.analyze(frame)
            tallies["pipeline"]!.add(found: analysis.codes, truth: spec, ms: analysis.total.inMilliseconds)
            for (stage, duration) in analysis.stages { stageTimes[stage, default: []].append(duration.inMilliseconds) }
            overruns += analysis.overruns.count
        }
        print("")
        print("set \(profile.name): \(profile.modulePx.lowerBound)-\(profile.modulePx.upperBound) px/module")
        print("contender             read/expected   rate  wrong  empty    p50 ms   p99 ms  frames/s")
        for name in ["zbar (full frame)", "zxing (full frame)", "pipeline"] {
            print(name.padding(toLength: 20, withPad: " ", startingAt: 0) + "  " + tallies[name]!.row)
        }
        let stages = stageTimes.keys.sorted().map { stage -> String in
            let sorted = stageTimes[stage]!.sorted()
            return String(format: "%@ p50 %.2f p99 %.2f ms (%d runs)", stage, percentile(ofSorted: sorted, 0.5),
                          percentile(ofSorted: sorted, 0.99), sorted.count)
        }
        print("pipeline stages: " + stages.joined(separator: "; ") + "; budget overruns \(overruns)")
        print(String(format: "RSS after the set: %.1f MiB (the pipeline reuses its buffers; it should not grow between sets)", residentMiB()))
    }
} catch {
    FileHandle.standardError.write(Data("vision-bench: \(error)\n".utf8))
    exit(1)
}
