// vision-bench: reads, wrong reads, reads on empty frames and latency of each decoder alone and of the decode chains,
// side by side on the same generated frames, per evaluation set (docs/vision.md describes the sets).
//
//   swift run -c release vision-bench [--frames N] [--sets nominal,hard,optics,case,flat] [--seed S]
//                                     [--calibration FILE] [--case-calibration FILE] [--save DIR] [--steps] [--effects]
//   swift run -c release vision-bench --ring      what the frame ring, the statistics and kept frames cost (docs/vision.md)
//   swift run -c release vision-bench --case [--frames N per layout] [--case-reader-calibration FILE]
//                                                 the case camera: caps, codes and labels of 12/20/24-cap frames at 2448×2048
import ConfigKit
import Foundation
import LineConfig
import LineCore
import Vision

struct Options {
    var frames = 500
    var sets = ["nominal", "hard", "optics", "case", "flat"]
    var calibration = "Calibration/line1-top.yaml"
    var caseCalibration = "Calibration/case-top.yaml"
    var seed: UInt64 = 2024
    var save: String?
    var steps = false
    var effects = false
    var policy = false
    var slow: Double?
    var ring = false
    var caseReader = false
    var framesGiven = false
    var caseReaderCalibration: String?

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--frames":
                frames = Int(iterator.next() ?? "") ?? frames
                framesGiven = true
            case "--sets": sets = (iterator.next() ?? "").split(separator: ",").map(String.init)
            case "--calibration": calibration = iterator.next() ?? calibration
            case "--case-calibration": caseCalibration = iterator.next() ?? caseCalibration
            case "--seed": seed = UInt64(iterator.next() ?? "") ?? seed
            case "--save": save = iterator.next()
            case "--steps": steps = true
            case "--effects": effects = true
            case "--policy": policy = true
            case "--slow": slow = Double(iterator.next() ?? "")
            case "--ring": ring = true
            case "--case": caseReader = true
            case "--case-reader-calibration": caseReaderCalibration = iterator.next()
            case "-h", "--help":
                print("""
                    usage: vision-bench [--frames N per set] [--sets nominal,hard,optics,case,flat] [--seed S]
                                        [--calibration FILE (cap sets)] [--case-calibration FILE] [--save DIR (first 20 frames of each set)]
                                        [--steps (per-step yield and time)] [--effects (read rate per effect)]
                                        [--policy (measure candidate steps and order them by yield per millisecond)]
                                        [--slow MS (list the chains' frames slower than MS with their stages)]
                                        [--ring (cost of the frame ring, the camera statistics and kept frames)]
                                        [--case (the case camera: 12/20/24 caps and a label at 2448×2048; --frames per layout,
                                         default 100) [--case-reader-calibration FILE (default: the reader's built-in)]]
                    """)
                exit(0)
            default:
                FileHandle.standardError.write(Data("vision-bench: unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

/// One expected code.
struct Expected {
    var bytes: [UInt8]
    var text: String
}

/// Tallies of one contender on one set.
struct Tally {
    var expected = 0
    var read = 0
    var wrong = 0
    var charsetMismatches = 0
    var readsOnEmptyFrames = 0
    var times: [Double] = []
    var byEffect: [String: (expected: Int, read: Int)] = [:]
    /// Sum and count of the read quality's contrast per effect ("" for every frame), for the chains.
    var contrast: [String: (sum: Double, count: Int)] = [:]

    /// Returns the wrong reads (payloads that are not in the frame).
    @discardableResult
    mutating func add(found: [DecodedCode], truth: [Expected], effects: [String], ms: Double) -> [DecodedCode] {
        var wrongReads: [DecodedCode] = []
        expected += truth.count
        var remaining = truth
        var readHere = 0
        for code in found {
            // The same symbol: the same bytes, or (a decoder that converts to UTF-8) the same text.
            if let index = remaining.firstIndex(where: { $0.bytes == code.bytes || $0.text == code.text }) {
                if remaining[index].text != code.text || remaining[index].bytes != code.bytes { charsetMismatches += 1 }
                remaining.remove(at: index)
                readHere += 1
                if let quality = code.quality {
                    for effect in effects + [""] {
                        contrast[effect, default: (0, 0)].sum += quality.contrast
                        contrast[effect, default: (0, 0)].count += 1
                    }
                }
            } else if !truth.contains(where: { $0.bytes == code.bytes || $0.text == code.text }) {
                wrong += 1
                wrongReads.append(code)
            }
        }
        read += readHere
        if truth.isEmpty { readsOnEmptyFrames += found.count }
        for effect in effects {
            byEffect[effect, default: (0, 0)].expected += truth.count
            byEffect[effect, default: (0, 0)].read += readHere
        }
        times.append(ms)
        return wrongReads
    }

    func percentile(_ p: Double) -> Double { LineCore.percentile(ofSorted: times.sorted(), p) }

    var rate: Double { expected == 0 ? 0 : Double(read) / Double(expected) * 100 }

    var row: String {
        String(format: "%6d/%-6d %6.2f%%  %5d  %7d  %5d   %7.2f  %7.2f", read, expected, rate, wrong, charsetMismatches, readsOnEmptyFrames,
               percentile(0.5), percentile(0.99))
    }
}

/// Per-step figures of a chain: how often it ran, what it cost, what it read that no earlier step had.
struct StepTally {
    var runs = 0
    var times: [Double] = []
    var firstReads = 0
}

/// The process's resident set size in MiB (from /proc/self/statm).
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? Double(Int(fields[1]) ?? 0) * 4096 / 1_048_576 : 0
}

func load(_ path: String) -> CalibrationConfiguration {
    do {
        return try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: URL(fileURLWithPath: path))
    } catch {
        FileHandle.standardError.write(Data("vision-bench: \(error)\n".utf8))
        exit(1)
    }
}

func describe(_ calibration: CalibrationConfiguration) -> String {
    calibration.decoders.map { "\($0.label)(\($0.budget))" }.joined(separator: " → ") + ", total \(calibration.totalBudget)"
        + (calibration.expectedCodes.map { ", expects \($0)" } ?? "")
}

/// Calibrations from YAML text (for the policy's one-step chains).
enum ConfigLoaderShim {
    static func decode(_ yaml: String) throws -> CalibrationConfiguration {
        try ConfigLoader.decode(CalibrationConfiguration.self, yaml: yaml, file: "policy candidate")
    }
}

/// A frame generator per set, into one reusable image.
final class SetFrames {
    private var capSets: [String: FrameSynthesizer] = [:]
    private var scenes: [String: SceneSynthesizer] = [:]
    private let seed: UInt64
    init(seed: UInt64) { self.seed = seed }

    func next(_ set: String, into frame: GrayImage) throws -> (truth: [Expected], effects: [String]) {
        switch set {
        case "nominal", "hard":
            let synthesizer = capSets[set] ?? FrameSynthesizer(profile: set == "hard" ? .hard : .nominal, seed: seed &+ (set == "hard" ? 1 : 0))
            capSets[set] = synthesizer
            let spec = try synthesizer.next(into: frame)
            return (spec.payloads.map { Expected(bytes: Array($0.utf8), text: $0) }, [])
        default:
            guard let kind = SceneKind(rawValue: set) else {
                FileHandle.standardError.write(Data("vision-bench: unknown set \(set) (nominal, hard, optics, case, flat)\n".utf8))
                exit(2)
            }
            let synthesizer = scenes[set] ?? SceneSynthesizer(kind: kind, seed: seed)
            scenes[set] = synthesizer
            let scene = try synthesizer.next(into: frame)
            return (scene.codes.map { Expected(bytes: $0.bytes, text: $0.text) }, scene.effects)
        }
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
if options.ring {
    do {
        try RingBench.run(frames: min(options.frames, 200))
    } catch {
        FileHandle.standardError.write(Data("vision-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
if options.caseReader {
    do {
        try CaseBench.run(frames: options.framesGiven ? options.frames : 100, seed: options.seed, calibrationPath: options.caseReaderCalibration,
                          save: options.save)
    } catch {
        FileHandle.standardError.write(Data("vision-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
if options.policy {
    do {
        let frames = SetFrames(seed: options.seed &+ 7)  // not the frames the comparison runs on
        try Policy.run(sets: options.sets, frames: options.frames, seed: options.seed) { set, frame in try frames.next(set, into: frame).truth }
    } catch {
        FileHandle.standardError.write(Data("vision-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
let lineChain = load(options.calibration)
let caseChain = load(options.caseCalibration)
let builtIn = StandardCalibration.calibration

do {
    #if DEBUG
    print("warning: debug build; run `swift run -c release vision-bench` for real figures")
    #endif
    let clock = ContinuousClock()
    var contenders: [(name: String, decoder: any CodeDecoder)] = [("zbar", try ZBarDecoder())]
    contenders.append(("zxing \(ZXingEngine.debian.version)", try ZXingDecoder(engine: .debian, options: .library())))
    if let current = ZXingEngine.current {
        contenders.append(("zxing \(current.version)", try ZXingDecoder(engine: current, options: .library())))
    } else {
        print("note: \(ZXingEngine.currentUnavailableReason)")
    }
    print("vision-bench: \(options.frames) frames per set, 1280×1024, seed \(options.seed); one thread; decoders alone on the whole frame with the library's defaults")
    print("line chain (\(options.calibration)): \(describe(lineChain))")
    print("case chain (\(options.caseCalibration)): \(describe(caseChain))")
    print("built-in chain (lineagent decode): \(describe(builtIn))")
    let frame = GrayImage()
    for set in options.sets {
        let chains: [(String, CalibrationConfiguration)] = set == "case"
            ? [("case chain", caseChain), ("built-in chain", builtIn)]
            : set == "flat" ? [("built-in chain", builtIn), ("line chain", lineChain)] : [("line chain", lineChain), ("built-in chain", builtIn)]
        let pipelines = try chains.map { ($0.0, try DecodePipeline(calibration: $0.1)) }
        let setFrames = SetFrames(seed: options.seed)
        let next = { try setFrames.next(set, into: frame) }
        var tallies = [String: Tally]()
        var steps = [String: [String: StepTally]]()
        if let save = options.save { try? FileManager.default.createDirectory(atPath: "\(save)/\(set)", withIntermediateDirectories: true) }
        for index in 0..<options.frames {
            let (truth, effects) = try next()
            if let save = options.save, index < 20 { try frame.write(to: "\(save)/\(set)/frame-\(String(format: "%04d", index)).png") }
            func report(_ wrong: [DecodedCode], _ name: String) {
                for code in wrong {
                    let hex = code.bytes.prefix(48).map { String(format: "%02x", $0) }.joined()
                    print("WRONG READ set \(set) frame \(index) by \(name) step \(code.step): \(code.text.debugDescription) [\(hex)] at \(code.center); truth: \(truth.map(\.text))")
                    if let save = options.save {
                        try? FileManager.default.createDirectory(atPath: "\(save)/wrong", withIntermediateDirectories: true)
                        try? frame.write(to: "\(save)/wrong/\(set)-\(index).png")
                    }
                }
            }
            for (name, decoder) in contenders {
                let start = clock.now
                let found = try decoder.decode(frame)
                report(tallies[name, default: Tally()].add(found: found, truth: truth, effects: effects, ms: start.duration(to: clock.now).inMilliseconds), name)
            }
            for (name, pipeline) in pipelines {
                let analysis = try pipeline.analyze(frame)
                if let slow = options.slow, analysis.total.inMilliseconds > slow {
                    let stages = analysis.stages.map { String(format: "%@ %.1f", $0.stage, $0.duration.inMilliseconds) }.joined(separator: ", ")
                    print(String(format: "SLOW %@ frame %d %@: %.1f ms: %@", set, index, name, analysis.total.inMilliseconds, stages))
                }
                report(tallies[name, default: Tally()].add(found: analysis.codes, truth: truth, effects: effects, ms: analysis.total.inMilliseconds), name)
                for (stage, duration) in analysis.stages {
                    steps[name, default: [:]][stage, default: StepTally()].runs += 1
                    steps[name, default: [:]][stage, default: StepTally()].times.append(duration.inMilliseconds)
                }
                for code in analysis.codes where truth.contains(where: { $0.bytes == code.bytes || $0.text == code.text }) {
                    steps[name, default: [:]][code.step, default: StepTally()].firstReads += 1
                }
            }
        }
        let order = contenders.map(\.name) + pipelines.map(\.0)
        print("")
        print("set \(set)")
        print("contender              read/expected   rate  wrong  charset  empty    p50 ms   p99 ms")
        for name in order { print(name.padding(toLength: 21, withPad: " ", startingAt: 0) + "  " + tallies[name]!.row) }
        let best = contenders.map { tallies[$0.name]! }.max { $0.read < $1.read }!
        let fastest = contenders.map { tallies[$0.name]!.percentile(0.5) }.min()!
        for (name, _) in pipelines {
            let t = tallies[name]!
            print(String(format: "  %@: %+d reads against the best single decoder; median %.2f× the fastest decoder's", name, t.read - best.read,
                         t.percentile(0.5) / max(fastest, 0.001)))
        }
        if options.steps {
            for (name, _) in pipelines {
                print("  \(name) steps: runs, p50/p99 ms, codes first read, codes per ms")
                for (stage, s) in (steps[name] ?? [:]).sorted(by: { $0.key < $1.key }) where !stage.isEmpty {
                    let sorted = s.times.sorted()
                    let totalMs = s.times.reduce(0, +)
                    print(String(format: "    %-28@ %6d  %6.2f %6.2f  %6d  %7.3f", stage as NSString, s.runs, percentile(ofSorted: sorted, 0.5),
                                 percentile(ofSorted: sorted, 0.99), s.firstReads, totalMs > 0 ? Double(s.firstReads) / totalMs : 0))
                }
            }
        }
        if options.effects {
            let names = Set(tallies.values.flatMap { $0.byEffect.keys }).sorted()
            print("  read rate by effect: " + order.joined(separator: " | "))
            for effect in names {
                let cells = order.map { name -> String in
                    let e = tallies[name]!.byEffect[effect] ?? (0, 0)
                    return e.expected == 0 ? "-" : String(format: "%.1f%%", Double(e.read) / Double(e.expected) * 100)
                }
                let count = tallies[order[0]]!.byEffect[effect]?.expected ?? 0
                print("    \(effect.padding(toLength: 14, withPad: " ", startingAt: 0)) (\(count) codes) " + cells.joined(separator: " | "))
            }
            if let chain = pipelines.first?.0, let t = tallies[chain], let all = t.contrast[""], all.count > 0 {
                let cells = names.compactMap { effect -> String? in
                    guard let c = t.contrast[effect], c.count > 0 else { return nil }
                    return String(format: "%@ %.2f", effect, c.sum / Double(c.count))
                }
                print(String(format: "  mean contrast of the %@'s reads: all %.2f; ", chain, all.sum / Double(all.count)) + cells.joined(separator: ", "))
            }
        }
        print(String(format: "RSS after the set: %.1f MiB", residentMiB()))
    }
} catch {
    FileHandle.standardError.write(Data("vision-bench: \(error)\n".utf8))
    exit(1)
}
