// agent-bench: the whole line agent on the simulated line (linesim over Modbus TCP, a triggered camera of generated
// caps, the outbox, delivery to the registrar on SQLite), at a given speed; prints trigger-to-decision latency, late
// and missed rejects, CPU and RSS. Everything runs in this one process (agent, linesim, camera generator, registrar),
// so CPU and RSS are upper bounds for the agent.
//
//   swift run -c release agent-bench [--speed BPH] [--bottles N]            one run
//   swift run -c release agent-bench --find-max [--bottles N]               raise the speed until a reject is late
//   swift run -c release agent-bench --soak-minutes 30 [--speed 36000]      RSS over a long run (printed each minute)
import Foundation
import LineCore
import LineDemo
import Logging
import Synchronization

var speed = 72_000.0
var bottles = 3_000
var findMax = false
var soakMinutes: Double?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--speed": speed = Double(arguments.next() ?? "") ?? speed
    case "--bottles": bottles = Int(arguments.next() ?? "") ?? bottles
    case "--find-max": findMax = true
    case "--soak-minutes": soakMinutes = Double(arguments.next() ?? "")
    default:
        print("usage: agent-bench [--speed BPH] [--bottles N] [--find-max] [--soak-minutes M]")
        exit(2)
    }
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .error
    return handler
}

func rssMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

struct RunResult {
    var summary: DemoSummary
    var wall: Double
    var cpu: Double
    var rssStart: Double
    var rssEnd: Double
    var rssSamples: [(minute: Double, mib: Double)]
}

func runLine(speed: Double, bottles: Int, sampleEvery: Double? = nil) async throws -> RunResult {
    var options = DemoOptions()
    options.bottles = bottles
    options.bottlesPerHour = speed
    options.progress = false
    let samples = Mutex<[(Double, Double)]>([])
    let started = Date()
    let rssStart = rssMiB()
    if let sampleEvery {
        options.onProgress = { _ in
            let minute = Date().timeIntervalSince(started) / 60
            samples.withLock { list in
                if minute - (list.last?.0 ?? -sampleEvery) >= sampleEvery {
                    list.append((minute, rssMiB()))
                    print(String(format: "  minute %5.1f: RSS %.1f MiB", minute, list.last!.1))
                    fflush(nil)
                }
            }
        }
    }
    let cpu0 = cpuSeconds()
    let summary = try await LineDemo.run(options, logger: Logger(label: "agent-bench"))
    return RunResult(summary: summary, wall: Date().timeIntervalSince(started), cpu: cpuSeconds() - cpu0, rssStart: rssStart,
                     rssEnd: rssMiB(), rssSamples: samples.withLock { $0 }.map { (minute: $0.0, mib: $0.1) })
}

func line(_ r: RunResult) -> String {
    let s = r.summary
    let timeouts = s.rejectedByReason["timeout"] ?? 0
    return String(format: "%7.0f b/h %6d bottles  decision p50 %6.1f ms p99 %6.1f ms  late %d missed %d timeouts %d  spare ≥ %@ bottles  good caps rejected %d  CPU %5.1f%% of one core  RSS %.0f→%.0f MiB  %@",
                  s.bottlesPerHour, s.bottles, s.decisionLatencyP50Ms, s.decisionLatencyP99Ms, s.rejectsLate, s.rejectsMissed,
                  timeouts, s.leastBottlesToSpare.map(String.init) ?? "-", s.goodCapsRejected, 100 * r.cpu / r.wall,
                  r.rssStart, r.rssEnd, s.reconciled ? "reconciled" : "NOT RECONCILED")
}

print("agent-bench: linesim (Modbus TCP) + generated 640×512 caps (triggered camera) + agent + registrar (SQLite), one process; \(ProcessInfo.processInfo.activeProcessorCount) cores")
if let soakMinutes {
    let count = Int(speed * soakMinutes / 60)
    print("soak: \(Int(speed)) bottles/h for \(soakMinutes) minutes (\(count) bottles)")
    let result = try await runLine(speed: speed, bottles: count, sampleEvery: 1)
    print(line(result))
    if let first = result.rssSamples.first, let last = result.rssSamples.last {
        print(String(format: "RSS: minute %.1f %.1f MiB → minute %.1f %.1f MiB (growth %.1f MiB)", first.minute, first.mib,
                     last.minute, last.mib, last.mib - first.mib))
    }
} else if findMax {
    var best: Double?
    for rate in [72_000.0, 90_000, 108_000, 126_000, 144_000, 162_000, 180_000, 216_000] {
        let result = try await runLine(speed: rate, bottles: bottles)
        print(line(result))
        fflush(nil)
        let s = result.summary
        if s.rejectsLate == 0, s.rejectsMissed == 0, (s.rejectedByReason["timeout"] ?? 0) == 0, s.reconciled {
            best = rate
        } else {
            break
        }
    }
    print("highest rate with zero late rejects, zero missed rejects, zero timeouts: \(best.map { "\(Int($0)) bottles/h" } ?? "none")")
} else {
    let result = try await runLine(speed: speed, bottles: bottles)
    print(line(result))
    print(LineDemo.render(result.summary))
}
