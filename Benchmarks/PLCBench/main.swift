// plc-bench: the PLC link's numbers on this machine (loopback, in-process linesim as the PLC).
// Run in release: swift run -c release --scratch-path .build-plc plc-bench [--seconds S] [--config FILE] [--line ID]
import ConfigKit
import Foundation
import LineConfig
import LineCore
import LineSimulator
import Logging
import PLC

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Arguments

var seconds = 15.0
var configPath = "Config/agent.example.yaml"
var lineID = "line1"
do {
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--seconds": seconds = Double(arguments.popFirst() ?? "") ?? seconds
        case "--config": configPath = arguments.popFirst() ?? configPath
        case "--line": lineID = arguments.popFirst() ?? lineID
        default:
            print("usage: plc-bench [--seconds S] [--config FILE] [--line ID]")
            exit(2)
        }
    }
}

// MARK: - Helpers

func percentile(_ values: [Duration], _ p: Double) -> Duration {
    guard !values.isEmpty else { return .zero }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func ms(_ d: Duration) -> String {
    let (s, atto) = d.components
    return String(format: "%.3f ms", Double(s) * 1_000 + Double(atto) / 1e15)
}

func processCPU() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return .seconds(Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec))
        + .microseconds(Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec))
}

func fraction(_ a: Duration, _ b: Duration) -> Double {
    let (sa, aa) = a.components, (sb, ab) = b.components
    return (Double(sa) + Double(aa) / 1e18) / max(Double(sb) + Double(ab) / 1e18, 1e-9)
}

var logger = Logger(label: "plc-bench")
logger.logLevel = .error

let (baseSimulation, line): (SimulatorConfiguration, LineConfiguration)
do {
    (baseSimulation, line) = try SimulatorConfiguration.load(agentConfiguration: URL(fileURLWithPath: configPath), line: lineID)
} catch {
    print("plc-bench: \(error)")
    exit(1)
}

func makeSimulator(speed: Double) throws -> LineSimulator {
    var configuration = baseSimulation
    configuration.port = 0
    configuration.bottlesPerHour = speed
    configuration.stationOffset = 3
    configuration.startRunning = false
    configuration.periodJitter = 0.2
    return LineSimulator(configuration: configuration)
}

func plcConfiguration(port: Int) -> PLCConfiguration {
    var plc = line.plc
    plc.host = "127.0.0.1"
    plc.port = ConfigPort(port)
    return plc
}

var failures: [String] = []

print("plc-bench: \(configPath) line \(lineID), poll \(line.plc.pollInterval), libmodbus link vs in-process linesim on 127.0.0.1, "
      + "\(ProcessInfo.processInfo.activeProcessorCount) cores")

// MARK: - 1. Read round-trip

do {
    let simulator = try makeSimulator(speed: 36_000)
    let port = try simulator.start()
    let link = ModbusPLCLink(configuration: plcConfiguration(port: port), logger: logger)
    try await link.connect()
    let plan = link.codec.readPlan
    for _ in 0..<200 { _ = try await link.readInputs() }  // warm-up
    let clock = ContinuousClock()
    var samples: [Duration] = []
    samples.reserveCapacity(5_000)
    for _ in 0..<5_000 {
        let start = clock.now
        _ = try await link.readInputs()
        samples.append(clock.now - start)
    }
    await link.disconnect()
    simulator.stop()
    let shape = plan.map { "\($0.count) \($0.table.rawValue)" }.joined(separator: " + ")
    print("Modbus read round-trip (all inputs: \(plan.count) request\(plan.count == 1 ? "" : "s"), \(shape) registers; 5000 reads): "
          + "p50 \(ms(percentile(samples, 0.5)))  p99 \(ms(percentile(samples, 0.99)))")
}

// MARK: - 2-4. Trigger latency, exactly once, CPU, rejects

for speed in [36_000.0, 72_000.0] {
    let simulator = try makeSimulator(speed: speed)
    let port = try simulator.start()
    let plc = plcConfiguration(port: port)
    let link = ModbusPLCLink(configuration: plc, logger: logger)
    var rejectPolicy = line.reject
    rejectPolicy.stationOffset = 3
    let monitor = PLCMonitor(link: link, options: PLCMonitor.Options(plc: plc, reject: rejectPolicy), logger: logger)
    await monitor.setStatus(.ready)
    let runner = Task { await monitor.run() }

    // The agent's side: receive events, time bottles, reject some at once (every 4th, and runs of 5 in a row).
    let consumer = Task { () -> (latencies: [Duration], bottles: [UInt64], alarms: [String]) in
        var latencies: [Duration] = []
        var bottles: [UInt64] = []
        var alarms: [String] = []
        for await event in monitor.events {
            let received = ContinuousClock.now
            switch event.kind {
            case .bottle(let sequence):
                bottles.append(sequence)
                if let changed = simulator.triggerInstant(of: sequence) { latencies.append(received - changed) }
                if sequence % 4 == 0 || (10...14).contains(sequence % 50) {
                    simulator.expectRejects([sequence])
                    await monitor.reject(sequence: sequence, reason: .noRead)
                }
            case .rejectConfirmed, .recipe, .lineState, .linkUp:
                break
            default:
                if event.isAlarm { alarms.append(event.description) }
            }
        }
        return (latencies, bottles, alarms)
    }

    // Wait for the link, then run the line.
    let linked = Date()
    while await monitor.pollCount < 10, Date().timeIntervalSince(linked) < 5 { try await Task.sleep(for: .milliseconds(5)) }
    let cpuStart = processCPU(), serverCPUStart = simulator.serverCPUTime, pollsStart = await monitor.pollCount
    let wallStart = ContinuousClock.now
    simulator.setRunning(true)
    try await Task.sleep(for: .milliseconds(Int(seconds * 1_000)))
    simulator.setRunning(false)
    let wall = ContinuousClock.now - wallStart
    let cpu = processCPU() - cpuStart, serverCPU = simulator.serverCPUTime - serverCPUStart
    let polls = await monitor.pollCount - pollsStart
    // Let the last bottles be seen and the last rejects reach the station, then stop.
    try await Task.sleep(for: .milliseconds(100))
    let last = simulator.counter
    simulator.setRunning(true)
    while simulator.counter < last + 4 { try await Task.sleep(for: .milliseconds(5)) }
    simulator.setRunning(false)
    try await Task.sleep(for: .milliseconds(100))
    runner.cancel()
    _ = await runner.value
    let (latencies, bottles, alarms) = await consumer.value
    let report = simulator.stop()

    let expected = Array((report.firstSequence ?? 1)...(report.lastSequence ?? 0))
    let exactlyOnce = bottles == expected
    let label = "\(Int(speed).formatted()) bottles/h"
    print("Counter change → bottle event at \(label) (±20 % spacing jitter): \(latencies.count) bottles, p50 \(ms(percentile(latencies, 0.5)))  "
          + "p99 \(ms(percentile(latencies, 0.99)))  max \(ms(latencies.max() ?? .zero)); every bottle exactly once: \(exactlyOnce ? "yes" : "NO")")
    let pollCPU = cpu - serverCPU
    let perPoll = polls > 0 ? pollCPU / polls : .zero
    print("  polling loop CPU (process minus linesim thread): \(String(format: "%.1f", 100 * fraction(pollCPU, wall)))% of one core, "
          + "\(polls) polls in \(ms(wall)) (\(String(format: "%.0f", Double(polls) / fraction(wall, .seconds(1))))/s), "
          + "\(ms(perPoll)) CPU per poll (read + cyclic write + event handling)")
    let margins = report.rejectCommands.compactMap { command -> Duration? in
        guard let atStation = simulator.triggerInstant(of: command.sequence + 3) else { return nil }
        return atStation - command.receivedAt
    }
    let upstream = report.rejectCommands.count - report.rejected.count - report.tooLate.count
    print("  rejects: \(report.rejectCommands.count) commanded, \(report.rejected.count) pushed off (\(upstream) still upstream at the end), too late \(report.tooLate.count), "
          + "never sent \(report.neverCommanded.count), without reason \(report.withoutReason.count), skipped handshakes "
          + "\(report.skippedCommands); least margin before the station (3 bottles downstream): "
          + "\(report.rejectCommands.map(\.bottlesToSpare).min().map { "\($0) bottles" } ?? "-"), \(margins.min().map(ms) ?? "-")")
    if !alarms.isEmpty { print("  alarms: \(alarms.prefix(5).joined(separator: "; "))") }
    if !exactlyOnce { failures.append("\(label): bottles not seen exactly once (\(bottles.count) seen, \(expected.count) passed)") }
    if speed == 72_000 {
        if !report.tooLate.isEmpty || !report.neverCommanded.isEmpty || report.rejectCommands.isEmpty {
            failures.append("\(label): rejects late or missing")
        }
    }
}

if failures.isEmpty {
    print("Targets at 72,000 bottles/h: every bottle seen exactly once, every reject command before its bottle reached the station: MET")
} else {
    print("Targets NOT met: \(failures.joined(separator: "; "))")
    exit(1)
}
