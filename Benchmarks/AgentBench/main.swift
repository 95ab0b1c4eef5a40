// agent-bench: the whole line agent on the simulated line (linesim over Modbus TCP, a triggered camera of generated
// caps, the outbox, delivery to the registrar on SQLite), at a given speed; prints trigger-to-decision latency, late
// and missed rejects, CPU and RSS. Everything runs in this one process (agent, linesim, camera generator, registrar),
// so CPU and RSS are upper bounds for the agent.
//
//   swift run -c release agent-bench [--speed BPH] [--bottles N]            one run
//   swift run -c release agent-bench --find-max [--bottles N]               raise the speed until a reject is late
//   swift run -c release agent-bench --soak-minutes 30 [--speed 36000]      RSS over a long run (printed each minute)
//   swift run -c release agent-bench --no-console                          without the line console
//   swift run -c release agent-bench --browsers 2                          with two headless Chromium overviews open
//                                                                           (scripts/console-viewer.py, Selenium)
import Foundation
import LineCore
import LineDemo
import Logging
import Synchronization

var speed = 72_000.0
var bottles = 3_000
var findMax = false
var soakMinutes: Double?
var console = true
var browsers = 0
nonisolated(unsafe) var bottlesPerCase: Int? = 12  // set once while parsing the arguments, before any run
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--speed": speed = Double(arguments.next() ?? "") ?? speed
    case "--bottles": bottles = Int(arguments.next() ?? "") ?? bottles
    case "--find-max": findMax = true
    case "--soak-minutes": soakMinutes = Double(arguments.next() ?? "")
    case "--no-console": console = false
    case "--browsers": browsers = Int(arguments.next() ?? "") ?? 0
    case "--bottles-per-case": bottlesPerCase = Int(arguments.next() ?? "") ?? 12
    case "--no-case-station": bottlesPerCase = nil
    default:
        print("usage: agent-bench [--speed BPH] [--bottles N] [--find-max] [--soak-minutes M] [--no-console] [--browsers N] [--bottles-per-case 12|20|24] [--no-case-station]")
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

func runLine(speed: Double, bottles: Int, sampleEvery: Double? = nil, console: Bool, browsers: Int) async throws -> RunResult {
    var options = DemoOptions()
    options.bottles = bottles
    options.caseStation = bottlesPerCase != nil
    options.bottlesPerCase = bottlesPerCase ?? 12
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
    options.console = console
    let viewers = Viewers()
    if browsers > 0 {
        options.onConsole = { console in
            if let user = console.users.first { viewers.open(browsers, url: console.url, user: user.name, password: user.password) }
        }
    }
    defer { viewers.close() }
    // CPU and wall time count from the moment the line starts (after set-up, and after the browsers signed in: their
    // start-up is not the console's cost) to the end of the run.
    let mark = Mutex((cpu: cpuSeconds(), wall: Date()))
    options.beforeLineStarts = {
        if browsers > 0 { await viewers.waitUntilLive(browsers) }
        mark.withLock { $0 = (cpuSeconds(), Date()) }
    }
    let summary = try await LineDemo.run(options, logger: Logger(label: "agent-bench"))
    let (cpu0, wall0) = mark.withLock { $0 }
    return RunResult(summary: summary, wall: Date().timeIntervalSince(wall0), cpu: cpuSeconds() - cpu0, rssStart: rssStart,
                     rssEnd: rssMiB(), rssSamples: samples.withLock { $0 }.map { (minute: $0.0, mib: $0.1) })
}

/// Headless Chromium overviews of the console (`scripts/console-viewer.py`), each signed in.
final class Viewers: Sendable {
    private let processes = Mutex<[Process]>([])
    private let live = Mutex(0)

    func open(_ count: Int, url: String, user: String, password: String) {
        let python = FileManager.default.isExecutableFile(atPath: ".venv/bin/python") ? ".venv/bin/python" : "/usr/bin/python3"
        for _ in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["scripts/console-viewer.py", url, user, password]
            let pipe = Pipe()
            process.standardOutput = pipe
            pipe.fileHandleForReading.readabilityHandler = { [self] handle in
                if String(decoding: handle.availableData, as: UTF8.self).contains("live") { self.live.withLock { $0 += 1 } }
            }
            do { try process.run() } catch { print("agent-bench: cannot start \(python) scripts/console-viewer.py: \(error)") }
            processes.withLock { $0.append(process) }
        }
    }

    func waitUntilLive(_ count: Int) async {
        let deadline = ContinuousClock.now + .seconds(60)
        while live.withLock({ $0 }) < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(200)) }
        print("agent-bench: \(live.withLock { $0 }) of \(count) console overviews open and live")
    }

    /// Ends the browsers (each viewer quits its Chromium on SIGTERM) and waits for them.
    func close() {
        let all = processes.withLock { $0 }
        for process in all where process.isRunning { process.terminate() }
        for process in all { process.waitUntilExit() }
    }
}

/// The case station's figures of a run (empty without a case station).
func caseLine(_ r: RunResult, speed: Double) -> String {
    guard let c = r.summary.cases else { return "" }
    let rejected = c.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    return String(format: "  cases: %d of %d bottles at %.0f cases/min  trigger→decision p50 %.1f ms p99 %.1f ms (deadline 1500 ms; includes rendering the simulated 2448×2048 frame)  agent per case (frame delivered→decision) p50 %.1f ms p99 %.1f ms  case frame (%d caps) decode p50 %.1f ms p99 %.1f ms  good cases rejected %d  defective accepted %d  rejected: %@",
                  c.decided, c.bottlesPerCase, speed / 60 / Double(max(1, c.bottlesPerCase)), c.decisionLatencyP50Ms, c.decisionLatencyP99Ms,
                  c.processingP50Ms, c.processingP99Ms, c.bottlesPerCase, c.decodeP50Ms, c.decodeP99Ms, c.checks["no good case rejected"] == true ? 0 : c.problemCases.filter { $0.hasPrefix("good case") }.count,
                  c.problemCases.filter { $0.hasPrefix("DEFECTIVE") }.count, rejected.isEmpty ? "none" : rejected)
}

func line(_ r: RunResult) -> String {
    let s = r.summary
    let timeouts = s.rejectedByReason["timeout"] ?? 0
    return String(format: "%7.0f b/h %6d bottles  decision p50 %6.1f ms p99 %6.1f ms  late %d missed %d timeouts %d  spare ≥ %@ bottles  good caps rejected %d  CPU %5.1f%% of one core  RSS %.0f→%.0f MiB  %@",
                  s.bottlesPerHour, s.bottles, s.decisionLatencyP50Ms, s.decisionLatencyP99Ms, s.rejectsLate, s.rejectsMissed,
                  timeouts, s.leastBottlesToSpare.map(String.init) ?? "-", s.goodCapsRejected, 100 * r.cpu / r.wall,
                  r.rssStart, r.rssEnd, s.reconciled ? "reconciled" : "NOT RECONCILED")
}

print("agent-bench: linesim (Modbus TCP) + generated 640×512 caps (triggered camera) + agent + registrar (SQLite)\(bottlesPerCase.map { " + case station (\($0)-bottle cases, 2448×2048 case frames rendered per case, its own linesim PLC)" } ?? ""), one process; \(ProcessInfo.processInfo.activeProcessorCount) cores; console \(console ? "on, \(browsers) browser(s) watching" : "off")")
if let soakMinutes {
    let count = Int(speed * soakMinutes / 60)
    print("soak: \(Int(speed)) bottles/h for \(soakMinutes) minutes (\(count) bottles)")
    let result = try await runLine(speed: speed, bottles: count, sampleEvery: 1, console: console, browsers: browsers)
    print(line(result))
    if let first = result.rssSamples.first, let last = result.rssSamples.last {
        print(String(format: "RSS: minute %.1f %.1f MiB → minute %.1f %.1f MiB (growth %.1f MiB)", first.minute, first.mib,
                     last.minute, last.mib, last.mib - first.mib))
    }
} else if findMax {
    var best: Double?
    for rate in [72_000.0, 90_000, 108_000, 126_000, 144_000, 162_000, 180_000, 216_000] {
        let result = try await runLine(speed: rate, bottles: bottles, console: console, browsers: browsers)
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
    let result = try await runLine(speed: speed, bottles: bottles, console: console, browsers: browsers)
    print(line(result))
    print(caseLine(result, speed: speed))
    print(LineDemo.render(result.summary))
}
