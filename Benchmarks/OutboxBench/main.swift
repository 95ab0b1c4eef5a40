// outbox-bench: durable decisions per second with group commit, beside bare SQLite inserts of the same rows
// (one transaction per row) with the same settings (WAL, synchronous = FULL), in the same run and directory.
//
//   swift run -c release --scratch-path .build-agent outbox-bench [--decisions N] [--writers N] [--bare N] [--dir DIR]
import Foundation
import GRDB
import LineCore
import Outbox

var decisions = 100_000
var writers = 64
var bareRows = 2_000
var directory = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-bench-\(getpid())").path
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--decisions": decisions = Int(arguments.next() ?? "") ?? decisions
    case "--writers": writers = Int(arguments.next() ?? "") ?? writers
    case "--bare": bareRows = Int(arguments.next() ?? "") ?? bareRows
    case "--dir": directory = arguments.next() ?? directory
    default:
        print("usage: outbox-bench [--decisions N] [--writers N] [--bare N] [--dir DIR]")
        exit(2)
    }
}
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

let product = Product(dsnCode: "DSN-0001", name: "Vodka Bench", type: "vodka", capacityMl: 500, strength: 40)
let start = Date()
/// Nine good bottles in ten, one no-read: the rows the agent writes at a normal read rate.
func decision(_ i: Int) -> BottleDecision {
    let digits = String(i)
    let code = StampCode(trusted: "QZB" + String(repeating: "0", count: max(0, 18 - digits.count)) + digits)
    return BottleDecision(lineID: "line1", bottleSequence: UInt64(i), decidedAt: start.addingTimeInterval(Double(i) / 20),
                          product: product, verdict: i % 10 == 9 ? .noRead : .good(code))
}

/// `writers` tasks append `decisions` decisions between them, one at a time each, waiting for every commit.
func appendConcurrently(store: OutboxStore, decisions: Int, writers: Int) async throws -> [Duration] {
    let clock = ContinuousClock()
    return try await withThrowingTaskGroup(of: [Duration].self) { group in
        for w in 0..<writers {
            group.addTask {
                var mine = [Duration]()
                var i = w
                while i < decisions {
                    let t0 = clock.now
                    _ = try await store.append(decision(i))
                    mine.append(t0.duration(to: clock.now))
                    i += writers
                }
                return mine
            }
        }
        var all = [Duration]()
        for try await part in group { all += part }
        return all
    }
}

func percentile(_ sorted: [Duration], _ p: Double) -> String {
    guard !sorted.isEmpty else { return "-" }
    let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    return String(format: "%.2f ms", Double(value.components.attoseconds) / 1e15 + Double(value.components.seconds) * 1000)
}

let lineRate = 72_000.0 / 3600.0
print("outbox-bench: \(decisions) decisions from \(writers) concurrent writers (group commit) vs \(bareRows) bare inserts, "
      + "WAL, synchronous=FULL, directory \(directory)")

// 1. Group commit through OutboxStore.append: each writer appends one decision at a time and waits for its commit.
let store = OutboxStore(database: try AgentDatabase(path: directory + "/outbox.sqlite"))
let clock = ContinuousClock()
let began = clock.now
let latencies = try await appendConcurrently(store: store, decisions: decisions, writers: writers).sorted()
let groupElapsed = began.duration(to: clock.now)
let groupSeconds = Double(groupElapsed.components.seconds) + Double(groupElapsed.components.attoseconds) / 1e18
let groupRate = Double(decisions) / groupSeconds
let stats = store.statistics
print(String(format: "group commit: %d decisions in %.2f s = %.0f durable decisions/s; %d transactions (%.1f decisions each, largest %d); "
             + "append latency p50 %@, p99 %@", decisions, groupSeconds, groupRate, stats.transactions,
             Double(stats.decisions) / Double(max(1, stats.transactions)), stats.largestGroup,
             percentile(latencies, 0.5), percentile(latencies, 0.99)))

// 2. Bare SQLite: the same rows (decision, seen code, activation), one transaction per bottle, same settings.
let barePath = directory + "/bare.sqlite"
_ = try AgentDatabase(path: barePath, integrityCheck: .none) // the same schema
var configuration = Configuration()
configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
let bare = try DatabasePool(path: barePath, configuration: configuration)
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys]
let bareBegan = clock.now
for i in 0..<bareRows {
    let d = decision(decisions + i)
    let verdict = String(decoding: try encoder.encode(d.verdict), as: UTF8.self)
    let millis = Int64((d.decidedAt.timeIntervalSince1970 * 1000).rounded())
    try bare.write { db in
        try db.execute(sql: """
            INSERT INTO decision (line_id, bottle_sequence, decided_at, kind, code, product_code, verdict) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [d.lineID, Int64(d.bottleSequence), millis, d.verdict.kind.rawValue, d.verdict.code?.rawValue,
                             product.dsnCode, verdict])
        if let code = d.verdict.code {
            let id = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO seen_code (code, decision_id) VALUES (?, ?)", arguments: [code.rawValue, id])
            try db.execute(sql: """
                INSERT INTO activation (decision_id, code, product_code, activated_at, line_id, bottle_sequence) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [id, code.rawValue, product.dsnCode, millis, d.lineID, Int64(d.bottleSequence)])
        }
    }
}
let bareElapsed = bareBegan.duration(to: clock.now)
let bareSeconds = Double(bareElapsed.components.seconds) + Double(bareElapsed.components.attoseconds) / 1e18
let bareRate = Double(bareRows) / bareSeconds
print(String(format: "bare SQLite:  %d rows in %.2f s = %.0f inserts/s (one transaction per row, synchronous=FULL)", bareRows, bareSeconds, bareRate))
print(String(format: "ratio: group commit / bare = %.1f×; line need at 72,000 bottles/h = %.0f/s, goal ≥ 10× = %.0f/s: group commit gives %.0f× the line rate",
             groupRate / bareRate, lineRate, lineRate * 10, groupRate / lineRate))
