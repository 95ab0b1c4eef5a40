// The three measured phases on one backend (bare storage, the store, HTTP over loopback), the verdict and the disk cost.
import ConfigKit
import NIOHTTP1
import AsyncHTTPClient
import Foundation
import LineCore
import Logging
import NIOCore
import QazAPI
import QazServer

/// What a backend offers the phases: its migrated, seeded store (codes `0..<2N` held by the retailer), a bare copy of
/// the same data, and a few read-backs.
struct Backend: Sendable {
    let name: String
    /// The registrar store of the store and HTTP phases (running, when it is a service).
    let store: any RegistrarStore
    /// Redeems the phase's codes with the minimum writes on the bare copy; the lines written.
    let bare: @Sendable (Phase) async throws -> Int
    /// Bytes the main database and the bare copy use (pages in use, or the database's size).
    let size: @Sendable () async throws -> Int64
    let bareSize: @Sendable () async throws -> Int64
    /// Of codes `range`: how many the retailer redeemed, and the redemption rows that name them, in the main database
    /// (`bare: true`: in the bare copy).
    let redeemed: @Sendable (_ range: Range<Int>, _ bare: Bool) async throws -> (codes: Int, rows: Int)
}

struct Timing {
    var lines: Int
    var seconds: Double
    var rate: Double { Double(lines) / seconds }
}

/// Peak target: 1,000,000 lines a day, peaks 10× the average (issue 17).
let dailyLines = 1_000_000
let peakRate = Double(dailyLines) / 86_400 * 10

func runPhases(_ backend: Backend, settings: Settings, logger: Logger) async throws -> Bool {
    let label = "[\(backend.name)]"
    var ok = true
    let n = settings.lines
    let storePhase = Phase(tag: "S", firstCode: 0, settings: settings)
    let httpPhase = Phase(tag: "H", firstCode: n, settings: settings)

    // 1. Bare storage: the same redemptions, the minimum writes, on the copy.
    let bareBefore = try await backend.bareSize()
    var clock = ContinuousClock.now
    let bareLines = try await backend.bare(storePhase)
    let bare = Timing(lines: bareLines, seconds: clock.duration(to: .now).inSeconds)
    let bareGrowth = try await backend.bareSize() - bareBefore
    let bareCheck = try await backend.redeemed(storePhase.firstCode..<storePhase.firstCode + n, true)
    print(String(format: "%@ bare:  %@ lines in %.2f s = %@ lines/s (per line UPDATE code SET redeemed_at, redeemed_by WHERE code = ? and one INSERT INTO redemption; one transaction per %@ lines; %@ codes redeemed, %@ rows)",
                 label, grouped(bare.lines), bare.seconds, grouped(bare.rate), grouped(settings.linesPerBatch), grouped(bareCheck.codes), grouped(bareCheck.rows)))
    if bareCheck.codes != n || bareCheck.rows != n { print("\(label) FAILED: the bare loop redeemed \(bareCheck.codes) codes, \(bareCheck.rows) rows, of \(n)"); ok = false }

    // 2. The store: recordReceipts through the RetailStore protocol.
    guard let retail = backend.store as? any RetailStore else {
        print("\(label) store: this backend does not implement RetailStore yet; store and HTTP phases skipped")
        return false
    }
    let now = Timestamp.now
    // Commands are built before the clock starts (validation and parsing are the HTTP layer's work, timed in phase 3).
    let work = try storePhase.batches().map { js in
        let receipts = js.map(storePhase.receipt)
        return (receipts, try receipts.map { try command($0, issuedAt: storePhase.issuedAt, now: now) })
    }
    let storeBefore = try await backend.size()
    var answers = [[ReceiptAnswer]]()
    answers.reserveCapacity(work.count)
    clock = ContinuousClock.now
    for (_, commands) in work { answers.append(try await retail.recordReceipts(commands)) }
    let storeSeconds = clock.duration(to: .now).inSeconds
    let storeGrowth = try await backend.size() - storeBefore
    var storeLines = 0, failures = [String]()
    for ((receipts, _), batch) in zip(work, answers) {
        let (lines, failed) = redeemedLines(batch, expected: receipts)
        storeLines += lines
        failures += failed
    }
    let store = Timing(lines: storeLines, seconds: storeSeconds)
    let storeCheck = try await backend.redeemed(storePhase.firstCode..<storePhase.firstCode + n, false)
    print(String(format: "%@ store: %@ lines in %.2f s = %@ lines/s, %@ receipts/s (recordReceipts: %d-line receipts, %d per call, %d registers, one caller); store / bare = %.2f",
                 label, grouped(store.lines), store.seconds, grouped(store.rate), grouped(Double(settings.receipts) / store.seconds),
                 settings.linesPerReceipt, settings.receiptsPerBatch, settings.registers, store.rate / bare.rate))
    report(label, "store", failures: failures, receipts: settings.receipts, check: storeCheck, lines: n, ok: &ok)

    // 3. HTTP over loopback: a real RegistrarServer, C clients each with its own registers.
    let replay = storePhase.batches()[0].map(storePhase.receipt)
    let (http, latencies, httpFailures, httpGrowth, replayed) = try await measureHTTP(backend, phase: httpPhase, settings: settings, replay: replay, logger: logger)
    let httpCheck = try await backend.redeemed(httpPhase.firstCode..<httpPhase.firstCode + n, false)
    print(String(format: "%@ HTTP:  %@ lines in %.2f s = %@ lines/s, %@ receipts/s (POST /v1/fdo/receipts, %d clients over 127.0.0.1, %d receipts per batch); batch latency p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d batches); HTTP / store = %.2f",
                 label, grouped(http.lines), http.seconds, grouped(http.rate), grouped(Double(settings.receipts) / http.seconds), settings.clients,
                 settings.receiptsPerBatch, percentile(ofSorted: latencies, 0.5), percentile(ofSorted: latencies, 0.99), latencies.last ?? 0,
                 latencies.count, http.rate / store.rate))
    report(label, "HTTP", failures: httpFailures, receipts: settings.receipts, check: httpCheck, lines: n, ok: &ok)
    if replayed.isEmpty {
        print("\(label)        replay: the store phase's first batch sent again over HTTP was answered from storage (\(replay.count) receipts, the same answers): the bench's body hashes are the server's")
    } else {
        ok = false
        print("\(label) FAILED (replay over HTTP): \(replayed.count) answers differ; first: \(replayed[0])")
    }

    // 4. Verdict and disk.
    print(String(format: "%@ verdict: a day's %@ lines in %.1f min at the store rate (%.1f min over HTTP); peak target %.0f lines/s: headroom %@× at the store rate, %@× over HTTP",
                 label, grouped(dailyLines), Double(dailyLines) / store.rate / 60, Double(dailyLines) / http.rate / 60, peakRate,
                 grouped(store.rate / peakRate), grouped(http.rate / peakRate)))
    let perMillion = { (growth: Int64) in Double(growth) / Double(n) * 1_000_000 }
    print(String(format: "%@ disk: +%@ per million lines through the store (+%@ over HTTP; bare writes +%@) → %.1f GiB a year at %@ lines a day",
                 label, mebibytes(perMillion(storeGrowth)), mebibytes(perMillion(httpGrowth)), mebibytes(perMillion(bareGrowth)),
                 perMillion(storeGrowth) * Double(dailyLines) / 1_000_000 * 365 / 1_073_741_824, grouped(dailyLines)))
    return ok
}

/// Prints the checks of a phase: every receipt applied, every line redeemed, the rows in the database.
func report(_ label: String, _ phase: String, failures: [String], receipts: Int, check: (codes: Int, rows: Int), lines: Int, ok: inout Bool) {
    if failures.isEmpty, check.codes == lines, check.rows == lines {
        print("\(label)        checked: \(grouped(receipts)) receipts applied, every line redeemed; \(grouped(check.codes)) codes redeemed by the retailer, \(grouped(check.rows)) redemption rows")
    } else {
        ok = false
        print("\(label) FAILED (\(phase)): \(failures.count) answers not applied/redeemed; \(check.codes) codes redeemed, \(check.rows) redemption rows of \(lines)")
        for failure in failures.prefix(5) { print("    \(failure)") }
    }
}

/// Sends the phase's batches from C clients and checks their answers; then sends `replay` (receipts the store phase
/// recorded) once more, which must be answered from storage as before (failures returned last).
func measureHTTP(_ backend: Backend, phase: Phase, settings: Settings, replay: [FiscalReceipt], logger: Logger) async throws
    -> (Timing, [Double], [String], Int64, [String])
{
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    limits.maxBodySize = .init(bytes: 64 << 20)
    let server = RegistrarServer(store: backend.store, limits: limits)
    let token = try await TokenService(store: backend.store).issue(participant: fiscalDataOperator, role: .fiscalDataOperator).token
    let (clients, registers) = (settings.clients, settings.registers)
    // Each client sends its own registers' receipts in order; bodies are encoded before the clock starts.
    var plans = [[(receipts: [FiscalReceipt], body: ByteBuffer)]]()
    for client in 0..<clients {
        plans.append(try phase.batches(where: { ($0 % registers) % clients == client }).map { js in
            let receipts = js.map(phase.receipt)
            return (receipts, ByteBuffer(bytes: try WireCoding.encoder().encode(ReceiptBatch(receipts: receipts))))
        })
    }
    let work = plans
    let before = try await backend.size()
    let (elapsed, latencies, responses) = try await server.withLoopbackServer(logger: logger) { port, _ in
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: ([Double], [(Int, ByteBuffer)]).self) { group in
            for client in 0..<clients {
                group.addTask {
                    var configuration = HTTPClient.Configuration()
                    configuration.timeout = .init(connect: .seconds(5))
                    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                    var latencies = [Double](), answers = [(Int, ByteBuffer)]()
                    do {
                        for batch in work[client] {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/fdo/receipts")
                            request.method = .POST
                            request.headers.add(name: "Authorization", value: "Bearer \(token)")
                            request.headers.add(name: "Content-Type", value: "application/json")
                            request.body = .bytes(batch.body)
                            let sent = ContinuousClock.now
                            let response = try await http.execute(request, timeout: .seconds(120))
                            let bytes = try await response.body.collect(upTo: 64 << 20)
                            latencies.append(sent.duration(to: .now).inMilliseconds)
                            answers.append((Int(response.status.code), bytes))
                        }
                    } catch {
                        try? await http.shutdown()
                        throw error
                    }
                    try await http.shutdown()
                    return (latencies, answers)
                }
            }
            var all = [[(Int, ByteBuffer)]](repeating: [], count: clients)
            var latencies = [Double]()
            var index = 0
            for try await (l, a) in group {
                latencies += l
                all[index] = a
                index += 1
            }
            return (latencies, all)
        }
        let elapsed = start.duration(to: .now).inSeconds
        // The replay, after the clock stopped.
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/fdo/receipts")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try WireCoding.encoder().encode(ReceiptBatch(receipts: replay))))
        let replayed: (Int, ByteBuffer)
        do {
            let response = try await http.execute(request, timeout: .seconds(120))
            replayed = (Int(response.status.code), try await response.body.collect(upTo: 64 << 20))
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        return (elapsed, results.0.sorted(), results.1 + [[replayed]])
    }
    let growth = try await backend.size() - before
    // Answers decoded after the clock stopped: every receipt applied, every line redeemed.
    var lines = 0, failures = [String]()
    let byReceipts = Dictionary(uniqueKeysWithValues: work.flatMap { $0 }.map { ("\($0.receipts[0].registrationNumber)/\($0.receipts[0].number)", $0.receipts) })
    func check(_ status: Int, _ bytes: ByteBuffer, _ expected: (String) -> [FiscalReceipt]?) -> (lines: Int, failures: [String]) {
        let data = Data(bytes.readableBytesView)
        guard status == 200, let answer = try? WireCoding.decoder().decode(ReceiptBatchAnswer.self, from: data), let first = answer.receipts.first,
              let receipts = expected("\(first.registrationNumber)/\(first.number)") else {
            return (0, ["HTTP \(status): \(String(decoding: data.prefix(300), as: UTF8.self))"])
        }
        return redeemedLines(answer.receipts, expected: receipts)
    }
    let (replayStatus, replayBytes) = responses.last![0]
    let replayFailures = check(replayStatus, replayBytes, { _ in replay }).failures
    for (status, bytes) in responses.dropLast().flatMap({ $0 }) {
        let (n, failed) = check(status, bytes, { byReceipts[$0] })
        lines += n
        failures += failed
    }
    return (Timing(lines: lines, seconds: elapsed), latencies, failures, growth, replayFailures)
}
