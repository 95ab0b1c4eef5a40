// vision-bench --policy: measures candidate decoder steps on every set and orders them greedily by yield per
// millisecond — codes a step reads that the steps chosen before it did not, over the time it takes on what they
// left — which is how the built-in chain's order is chosen (docs/vision.md).
import Foundation
import LineConfig
import LineCore
import Vision

/// What one candidate step did on one frame.
struct CandidateRun {
    /// Truth indices it read.
    var read: Set<Int>
    var ms: Double
}

/// One frame's truth and every candidate's run on it.
struct FrameRuns {
    var set: String
    var expected: Int
    var runs: [Int: CandidateRun]
    /// The cap locator's time on this frame (paid once by the first cap step).
    var locateMs: Double
    /// Whether the locator found any cap.
    var capsFound: Int
}

enum Policy {
    /// The candidate pool: decoders, regions, scales and variants worth measuring.
    static func candidates() -> [DecoderStep] {
        var steps: [DecoderStep] = []
        for name in [DecoderName.zxing, .zxing14] {
            steps.append(DecoderStep(name: name, region: .roi))
            steps.append(DecoderStep(name: name, region: .roi, tryHarder: true))
        }
        steps.append(DecoderStep(name: .zbar, region: .roi))
        steps.append(DecoderStep(name: .zxing, region: .roi, scale: 0.5))
        steps.append(DecoderStep(name: .zxing, region: .roi, scale: 0.5, tryHarder: true))
        steps.append(DecoderStep(name: .zxing, region: .roi, scale: 1.5))
        steps.append(DecoderStep(name: .zbar, region: .roi, scale: 0.5))
        steps.append(DecoderStep(name: .zxing, region: .roi, variant: .normalize))
        for scale in [1.0, 1.5] {
            steps.append(DecoderStep(name: .zxing, region: .cap, scale: scale))
            steps.append(DecoderStep(name: .zbar, region: .cap, scale: scale))
        }
        steps.append(DecoderStep(name: .zxing, region: .cap, tryHarder: true))
        for variant in [DecoderVariant.invert, .clahe, .normalize, .close, .stretch] {
            steps.append(DecoderStep(name: .zbar, region: .cap, variant: variant))
            steps.append(DecoderStep(name: .zxing, region: .cap, scale: 1.5, variant: variant))
        }
        for variant in [DecoderVariant.none, .normalize, .close, .stretch] {
            steps.append(DecoderStep(name: .zbar, region: .unread, variant: variant))
            steps.append(DecoderStep(name: .zxing, region: .unread, scale: 1.5, variant: variant))
        }
        steps.append(DecoderStep(name: .zxing, region: .unread, scale: 1.5, tryHarder: true))
        return steps
    }

    static func calibration(for step: DecoderStep) throws -> CalibrationConfiguration {
        var steps = "  - { name: \(step.name.rawValue), region: \(step.region.rawValue), scale: \(step.scale), variant: \(step.variant.rawValue), tryHarder: \(step.tryHarder), budget: 1s }\n"
        if step.region == .unread { steps = "  - { name: zxing, region: roi, budget: 1s }\n" + steps }
        return try ConfigLoaderShim.decode("""
            camera: policy
            roi: { mode: full, minRadius: 55, maxRadius: 170, margin: 30 }
            codeSize: { modulePx: 3.5 }
            decoders:
            \(steps)
            totalBudget: 1000ms
            maxCodesPerFrame: 32
            """)
    }

    /// Measures every candidate on `frames` frames of each set and prints the greedy order.
    static func run(sets: [String], frames: Int, seed: UInt64, next: (String, GrayImage) throws -> [Expected]) throws {
        let candidates = candidates()
        let pipelines = try candidates.map { try DecodePipeline(calibration: try calibration(for: $0)) }
        let locator = try DecodePipeline(calibration: try calibration(for: DecoderStep(name: .zxing, region: .cap)))
        let frame = GrayImage()
        var all: [FrameRuns] = []
        let clock = ContinuousClock()
        for set in sets {
            let started = clock.now
            for _ in 0..<frames {
                let truth = try next(set, frame)
                let located = try locator.analyze(frame)
                var runs = FrameRuns(set: set, expected: truth.count, runs: [:],
                                     locateMs: located.stages.first { $0.stage == "locate" }?.duration.inMilliseconds ?? 0,
                                     capsFound: located.caps.count)
                for (index, step) in candidates.enumerated() {
                    let analysis = try pipelines[index].analyze(frame)
                    let mine = analysis.codes.filter { $0.step == step.label }
                    let read = Set(mine.compactMap { code in truth.firstIndex { $0.bytes == code.bytes || $0.text == code.text } })
                    let ms = analysis.stages.filter { $0.stage == step.label }.map(\.duration.inMilliseconds).reduce(0, +)
                    runs.runs[index] = CandidateRun(read: read, ms: ms)
                }
                all.append(runs)
            }
            print("policy: measured \(candidates.count) candidate steps on \(frames) \(set) frames in \(started.duration(to: clock.now))")
        }
        // Greedy: the step with the most codes per millisecond on what the chosen steps left, until none adds a code.
        // Every set weighs the same: a code counts 1/(codes in its set) × (codes in all sets)/(number of sets), so the
        // case set's 20 codes per frame do not outvote the others.
        let total = Double(all.map(\.expected).reduce(0, +))
        var weight: [String: Double] = [:]
        for set in sets {
            let codes = Double(all.filter { $0.set == set }.map(\.expected).reduce(0, +))
            weight[set] = codes == 0 ? 0 : total / Double(sets.count) / codes
        }
        var chosen: [Int] = []
        var readSoFar = all.map { _ in Set<Int>() }
        var located = all.map { _ in false }
        print("")
        print("policy: greedy order by yield per millisecond over all sets (codes read that earlier steps missed / ms spent)")
        print("  #  step                           new codes   ms total   codes/ms (weighted)   per set (new codes)")
        while chosen.count < 12 {
            var best: (index: Int, gain: Int, ms: Double, perSet: [String: Int], score: Double)?
            for (index, step) in candidates.enumerated() where !chosen.contains(index) {
                if step.region == .unread && !chosen.contains(where: { candidates[$0].name != .zbar && candidates[$0].region == .roi }) { continue }
                var gain = 0, ms = 0.0, weighted = 0.0
                var perSet: [String: Int] = [:]
                for (f, runs) in all.enumerated() {
                    guard let run = runs.runs[index], readSoFar[f].count < runs.expected || runs.expected == 0 else { continue }
                    let new = run.read.subtracting(readSoFar[f]).count
                    gain += new
                    weighted += Double(new) * weight[runs.set]!
                    perSet[runs.set, default: 0] += new
                    switch step.region {
                    case .roi: ms += run.ms
                    case .cap:
                        // Only caps still without a code are decoded: the cost scales with the share left.
                        let left = runs.capsFound == 0 ? 0 : max(0, runs.capsFound - readSoFar[f].count)
                        ms += runs.capsFound == 0 ? 0 : run.ms * Double(left) / Double(runs.capsFound)
                        if !located[f] { ms += runs.locateMs }
                    case .unread: ms += run.ms
                    }
                }
                let score = weighted / max(ms, 0.001)
                if gain > 0, best == nil || score > best!.score { best = (index, gain, ms, perSet, score) }
            }
            // Below one code per half second of decoding a step is not worth its place.
            guard let pick = best, pick.score >= 0.002 else { break }
            chosen.append(pick.index)
            for (f, runs) in all.enumerated() {
                if let run = runs.runs[pick.index] { readSoFar[f].formUnion(run.read) }
                if candidates[pick.index].region == .cap { located[f] = true }
            }
            let perSet = sets.map { "\($0) \(pick.perSet[$0] ?? 0)" }.joined(separator: ", ")
            print(String(format: "  %2d %-30@ %8d  %9.1f  %9.4f            %@", chosen.count, candidates[pick.index].label as NSString, pick.gain,
                         pick.ms, pick.score, perSet as NSString))
        }
        // Prune: a step whose codes the other chosen steps read anyway costs time for nothing.
        func reads(_ steps: [Int], frame f: Int) -> Set<Int> {
            steps.reduce(into: Set<Int>()) { result, index in result.formUnion(all[f].runs[index]?.read ?? []) }
        }
        for index in chosen.reversed() {
            let without = chosen.filter { $0 != index }
            if all.indices.allSatisfy({ reads(without, frame: $0).count == reads(chosen, frame: $0).count }) {
                print("  prune: \(candidates[index].label) reads nothing the other chosen steps miss")
                chosen = without
            }
        }
        print("  chain: " + chosen.map { candidates[$0].label }.joined(separator: " → "))
        for set in sets {
            let frames = all.indices.filter { all[$0].set == set }
            let expected = frames.map { all[$0].expected }.reduce(0, +)
            let read = frames.map { reads(chosen, frame: $0).count }.reduce(0, +)
            var bestAlone = (name: "", read: 0)
            for (index, step) in candidates.enumerated() where step.region == .roi {
                let alone = frames.map { all[$0].runs[index]?.read.count ?? 0 }.reduce(0, +)
                if alone > bestAlone.read { bestAlone = (step.label, alone) }
            }
            print("  \(set): the chosen steps together read \(read) of \(expected); the best single step alone \(bestAlone.read) (\(bestAlone.name))")
        }
    }
}
