import Logging
// load-bench: N simulated agents (default 8) against one registrar process for a fixed time (default 60 s). The
// registrar is the real `qazserver serve` (a child process, SQLite, loopback HTTP) so its RSS is its own; each agent
// is one producer with its own token and codes that sends activation batches back to back, as an agent's drainer
// does after an outage (batches of --batch codes, each waiting for its answer).
//
//   swift build -c release --product qazserver && swift run -c release load-bench [--agents 8] [--seconds 60] [--batch 1000]
import Foundation
import LineCore
import QazAPI
import QazClient
import QazServer
import Synchronization

var agents = 8
var seconds = 60.0
var batchSize = 1_000
var codesPerAgent = 400_000
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    let value = arguments.next() ?? ""
    switch flag {
    case "--agents": agents = Int(value) ?? agents
    case "--seconds": seconds = Double(value) ?? seconds
    case "--batch": batchSize = Int(value) ?? batchSize
    case "--codes": codesPerAgent = Int(value) ?? codesPerAgent
    default:
        print("usage: load-bench [--agents N] [--seconds S] [--batch N] [--codes N-per-agent]")
        exit(2)
    }
}

func bin(_ index: Int) -> TaxpayerID {
    var digits = String(format: "97010%06d", 100 + index).utf8.map { Int($0) - 48 }
    while TaxpayerID.checkDigit(digits) == nil { digits[10] = (digits[10] + 1) % 10 }
    return TaxpayerID(digits.map(String.init).joined() + String(TaxpayerID.checkDigit(digits)!))!
}
func code(_ agent: Int, _ i: Int) -> String { String(format: "LB%02d%016d", agent, i) }

func rssMiB(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

func run(_ executable: String, _ args: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    return String(decoding: data, as: UTF8.self)
}

let server = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qazserver").path
guard FileManager.default.isExecutableFile(atPath: server) else {
    print("load-bench: \(server) not found: build it first (swift build -c release --product qazserver)")
    exit(1)
}
let directory = NSTemporaryDirectory() + "load-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let port = 20_000 + Int(getpid() % 20_000)
let config = directory + "/server.yaml"
try """
listen: { host: 127.0.0.1, port: \(port) }
storage: { backend: sqlite, path: registrar.sqlite }
limits: { maxBodySize: 16MiB, maxBatchItems: 10000, requestsPerSecond: 100000, burst: 100000, requestTimeout: 30s, shutdownGracePeriod: 10s }
""".write(toFile: config, atomically: true, encoding: .utf8)

// Seed: each agent's producer holds codesPerAgent issued codes.
let seedStart = ContinuousClock.now
do {
    let store = try SQLiteRegistrarStore(path: directory + "/registrar.sqlite")
    try await store.migrate()
    let seeder = RegistrarServer(store: store)
    for agent in 0..<agents {
        var start = 0
        while start < codesPerAgent {
            let count = min(100_000, codesPerAgent - start)
            let series = StampSeries("L\(agent)")!
            let waybill = WaybillRequest.consecutive(
                number: "WB-\(agent)-\(start)", date: CalendarDate("2026-11-02")!,
                application: ApplicationReference(number: "A-\(agent)", date: CalendarDate("2026-10-30")!),
                recipient: Recipient(bin: bin(agent), name: "Producer \(agent)"),
                product: WaybillProduct(name: "Vodka", type: "vodka", capacityMl: 500), series: series, first: start + 1,
                codes: (0..<count).map { code(agent, start + $0) })!
            _ = try await store.recordWaybill(try seeder.command(for: waybill))
            start += count
        }
    }
}
var tokens: [String] = []
for agent in 0..<agents {
    let output = try run(server, ["token", "issue", "--config", config, "--log-level", "error", "--bin", bin(agent).rawValue, "--role", "producer"])
    guard let token = output.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("qzt_") }) else {
        print("load-bench: no token in: \(output)")
        exit(1)
    }
    tokens.append(String(token))
}
print(String(format: "load-bench: %d agents × %d issued codes seeded in %.1f s; registrar: %@ serve (SQLite), 127.0.0.1:%d",
             agents, codesPerAgent, (ContinuousClock.now - seedStart).inSeconds, server, port))

// The registrar as its own process.
let serve = Process()
serve.executableURL = URL(fileURLWithPath: server)
serve.arguments = ["serve", "--config", config, "--log-level", "error"]
try serve.run()
defer { if serve.isRunning { serve.terminate() } }
let probe = try QazAPIClient(configuration: QazClientConfiguration(baseURL: "http://127.0.0.1:\(port)", token: tokens[0]), logger: Logger(label: "bench"))
var up = false
for _ in 0..<200 where !up {
    up = (try? await probe.raw(method: "GET", path: "/health", body: nil, authorized: false).status) == 200
    if !up { try await Task.sleep(for: .milliseconds(50)) }
}
try await probe.shutdown()
guard up else { print("load-bench: the registrar did not start"); exit(1) }
let rssStart = rssMiB(pid: serve.processIdentifier)

// N agents, each sending batches back to back until the time is up.
let product = "KZ-VDK-LOAD-0500"
let started = ContinuousClock.now
let deadline = started + .milliseconds(Int(seconds * 1_000))
let results = try await withThrowingTaskGroup(of: (codes: Int, latencies: [Double], failures: Int).self) { group in
    let (batchSize, codesPerAgent) = (batchSize, codesPerAgent)
    for agent in 0..<agents {
        let token = tokens[agent]
        group.addTask {
            let client = try QazAPIClient(configuration: QazClientConfiguration(
                baseURL: "http://127.0.0.1:\(port)", token: token, requestTimeout: .seconds(30), requestsPerSecond: 100_000,
                burst: 100_000, maxAttempts: 1), logger: Logger(label: "bench"))
            var next = 0, sent = 0, failures = 0
            var latencies: [Double] = []
            while ContinuousClock.now < deadline, next + batchSize <= codesPerAgent {
                let now = Timestamp(Date())
                let items = (next..<next + batchSize).map { ActivationItem(code: code(agent, $0), activatedAt: now, productCode: product) }
                let batch = ActivationBatch(batchId: UUID(), lineId: "line\(agent)", equipmentId: "load-agent-\(agent)", items: items)
                let t0 = ContinuousClock.now
                do {
                    let answer = try await client.activate(batch)
                    latencies.append((ContinuousClock.now - t0).inMilliseconds)
                    sent += answer.receipt.results.filter { $0.result == .activated }.count
                } catch {
                    failures += 1
                }
                next += batchSize
            }
            try await client.shutdown()
            return (sent, latencies, failures)
        }
    }
    var all: [(codes: Int, latencies: [Double], failures: Int)] = []
    for try await result in group { all.append(result) }
    return all
}
let wall = (ContinuousClock.now - started).inSeconds
let rssEnd = rssMiB(pid: serve.processIdentifier)
serve.terminate()
serve.waitUntilExit()
let activated = results.map(\.codes).reduce(0, +)
let latencies = results.flatMap(\.latencies).sorted()
let failures = results.map(\.failures).reduce(0, +)
print(String(format: "%d agents for %.1f s: %d codes activated in %d batches = %.0f activations/s; batch latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; failed requests %d",
             agents, wall, activated, latencies.count, Double(activated) / wall, percentile(ofSorted: latencies, 0.5),
             percentile(ofSorted: latencies, 0.99), latencies.last ?? 0, failures))
print(String(format: "registrar RSS: %.1f MiB at start, %.1f MiB at the end", rssStart, rssEnd))
if activated < latencies.count * batchSize { print("note: some items were not answered `activated` (see the registrar)") }
