import AsyncHTTPClient
import Foundation
import LineAgentTesting
import LineCore
import Logging
import NIOCore
import QazAPI
@testable import RetailSimulator
import ServiceLifecycle
import Synchronization
import Testing

@Suite("FDO relay: ordered forwarding in batches, retry without loss or duplication, rechecks, HTTP")
struct FDORelayTests {
    /// Receipts numbered 1…`perRegister` for each register, interleaved the way tills would send them.
    static func interleaved(registers: [String], perRegister: Int, codes: [String]) -> [FiscalReceipt] {
        var receipts: [FiscalReceipt] = []
        var next = codes.makeIterator()
        for number in 1...perRegister {
            for register in registers { receipts.append(handReceipt(register, number, codes: [next.next()!])) }
        }
        return receipts
    }

    @Test("each register's receipts reach the sink in number order, in batches of at most maxBatch, each once")
    func orderingUnderBatching() async throws {
        let registers = ["620000000001", "620000000002", "620000000003"]
        let codes = stampCodes(90)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        let relay = FDORelay(sink: sink, configuration: RelayConfiguration(maxBatch: 7), logger: quiet)
        try await relay.withRunning { _ in
            for receipt in Self.interleaved(registers: registers, perRegister: 30, codes: codes) { _ = try await relay.send(receipt) }
            #expect(await relay.waitUntilSettled(timeout: .seconds(30)))
        }
        let batches = await sink.batches
        #expect(batches.allSatisfy { $0.count <= 7 })
        for register in registers {
            let sent = batches.flatMap { $0 }.filter { $0.registrationNumber == register }.map(\.number)
            #expect(sent == Array(1...30), "register \(register)")
            #expect(await sink.applied[register] == Array(1...30))
        }
        let counts = relay.snapshot()
        #expect(counts.received == 90 && counts.forwarded == 90 && counts.firstAnswers == [.applied: 90] && counts.outcomes == [.redeemed: 90])
        #expect(counts.queueLength == 0 && counts.waiting == 0)
        #expect(await sink.redeemedCodes == Set(codes))
    }

    @Test("an autonomous register's receipts go in order after the ones before them; the relay answers each with a sign")
    func autonomousResend() async throws {
        let codes = stampCodes(8)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        let relay = FDORelay(sink: sink, configuration: RelayConfiguration(maxBatch: 3), logger: quiet)
        var register = CashRegister.sample(1, seller: shopBIN)
        try await relay.withRunning { _ in
            _ = try await register.sale(bottles([codes[0]]), at: at(hours: 0), via: relay)
            register.linkLost(at: at(hours: 1))
            for (index, code) in codes[1..<7].enumerated() { _ = try await register.sale(bottles([code]), at: at(hours: 2 + Double(index)), via: relay) }
            let upload = try #require(register.pendingUpload(at: at(hours: 10)))
            let answer = try await relay.sendAutonomous(upload)
            #expect(answer.receipts.map(\.number) == Array(2...7) && answer.receipts.allSatisfy { $0.fiscalSign.count == 10 && !$0.duplicate })
            register.acknowledge(answer)
            try await register.reconnect(at: at(hours: 10), via: relay)
            _ = try await register.sale(bottles([codes[7]]), at: at(hours: 11), via: relay)
            // The same upload again: duplicates, nothing queued.
            #expect(try await relay.sendAutonomous(upload).receipts.allSatisfy(\.duplicate))
            #expect(await relay.waitUntilSettled(timeout: .seconds(30)))
        }
        #expect(await sink.applied[register.registrationNumber] == Array(1...8))
        let stored = await sink.receipts[register.registrationNumber] ?? []
        #expect(stored.map(\.autonomous) == [false] + Array(repeating: true, count: 6) + [false])
        #expect(stored[1..<7].allSatisfy { $0.fiscalSign == nil && $0.autonomousSign != nil })
        let counts = relay.snapshot()
        #expect(counts.receivedAutonomous == 6 && counts.duplicates == 6 && counts.flags[.autonomous] == 6)
    }

    @Test("a failing sink: the batch is re-sent with backoff (never before Retry-After) until answered; nothing lost, nothing twice")
    func retry() async throws {
        let codes = stampCodes(20)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        await sink.failNext([.connection("refused"), .unavailable(status: 503, retryAfter: .seconds(7)),
                             .unavailable(status: 429, retryAfter: nil), .invalidAnswer("truncated")])
        let clock = TestClock()
        let relay = FDORelay(sink: sink, configuration: RelayConfiguration(maxBatch: 6, initialBackoff: .seconds(1), maxBackoff: .seconds(4)),
                             clock: clock, logger: quiet, random: { 0.5 })
        try await relay.withRunning { _ in
            for receipt in Self.interleaved(registers: ["620000000001", "620000000002"], perRegister: 10, codes: codes) {
                _ = try await relay.send(receipt)
            }
            #expect(await relay.waitUntilSettled(timeout: .seconds(30)))
        }
        #expect(await sink.attempts == (await sink.batches.count) + 4)
        let delivered = await sink.batches.flatMap { $0 }
        #expect(delivered.count == 20 && Set(delivered.map { "\($0.registrationNumber)/\($0.number)" }).count == 20)
        #expect(await sink.redeemedCodes == Set(codes))
        let counts = relay.snapshot()
        #expect(counts.failedAttempts == 4 && counts.forwarded == 20)
        // 1 s · 0.75, then Retry-After 7 s, then 4 s · 0.75 (capped), then 4 s · 0.75.
        #expect(clock.sleeps.filter { $0 > .zero }.prefix(4) == [.milliseconds(750), .seconds(7), .seconds(3), .seconds(3)])
    }

    @Test("a batch the registrar refuses is sent again receipt by receipt; the one refused is answered rejected, the others applied")
    func refusedBatch() async throws {
        let codes = stampCodes(3)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        let refusal = ReceiptSinkError.refused(status: 422, ErrorBody(code: .invalidField, message: "lines[0].catalogueCode"))
        await sink.failNext([refusal, refusal])
        let answers = Mutex<[ReceiptAnswer]>([])
        let relay = FDORelay(sink: sink, logger: quiet, onAnswer: { answer in answers.withLock { $0.append(answer) } })
        // Taken before the relay runs, so that the first batch holds all three.
        for (index, register) in ["620000000001", "620000000002", "620000000003"].enumerated() {
            _ = try await relay.send(handReceipt(register, 1, codes: [codes[index]]))
        }
        try await relay.withRunning { _ in #expect(await relay.waitUntilSettled(timeout: .seconds(30))) }
        #expect(await sink.batches.map(\.count) == [1, 1])  // the refused batch of 3 and the first single were not answered
        let counts = relay.snapshot()
        #expect(counts.firstAnswers == [.rejected: 1, .applied: 2] && counts.rejections == ["invalid_field": 1])
        #expect(answers.withLock { $0.first { $0.state == .rejected }?.registrationNumber } == "620000000001")
        #expect(await sink.redeemedCodes == [codes[1], codes[2]])
    }

    @Test("a receipt answered waiting is rechecked until applied")
    func waitingRechecked() async throws {
        let codes = stampCodes(3)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        let relay = FDORelay(sink: sink, configuration: RelayConfiguration(recheckInterval: .milliseconds(5)), logger: quiet)
        let register = "620000000009"
        try await relay.withRunning { _ in
            _ = try await relay.send(handReceipt(register, 1, codes: [codes[0]]))
            _ = try await relay.send(handReceipt(register, 3, codes: [codes[2]]))  // number 2 is late
            while relay.snapshot().forwarded < 2 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(relay.snapshot().waiting == 1 && relay.snapshot().states[.waiting] == 1)
            #expect(await relay.waitUntilSettled(timeout: .milliseconds(50)) == false)
            _ = try await relay.send(handReceipt(register, 2, codes: [codes[1]]))
            #expect(await relay.waitUntilSettled(timeout: .seconds(30)))
        }
        let counts = relay.snapshot()
        #expect(counts.firstAnswers == [.applied: 2, .waiting: 1] && counts.states == [.applied: 3, .waiting: 0] && counts.rechecks >= 1)
        #expect(counts.outcomes == [.redeemed: 3])
        #expect(await sink.applied[register] == [1, 2, 3])
    }

    @Test("graceful shutdown forwards what is held; with the registrar down it stops after the flush limit, and says what is left")
    func shutdown() async throws {
        let codes = stampCodes(4)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        let relay = FDORelay(sink: sink, configuration: RelayConfiguration(maxBatch: 10, batchLinger: .milliseconds(300)), logger: quiet)
        let started = ContinuousClock.now
        try await relay.withRunning { _ in
            for number in 1...2 { _ = try await relay.send(handReceipt("620000000001", number, codes: [codes[number - 1]])) }
            #expect(relay.snapshot().queueLength > 0)  // still held when the shutdown begins
        }
        #expect(relay.snapshot().forwarded == 2 && relay.snapshot().settled)
        #expect(ContinuousClock.now - started < .seconds(5))  // the flush ended when the queue did, not at the 10 s limit
        await #expect(throws: FDOLinkError.unreachable("the FDO is shutting down")) {
            _ = try await relay.send(handReceipt("620000000001", 3, codes: [codes[2]]))
        }

        let down = InMemoryReceiptSink()
        await down.failNext(Array(repeating: .connection("refused"), count: 10_000))
        let clock = TestClock()
        let stuck = FDORelay(sink: down, configuration: RelayConfiguration(shutdownFlushTimeout: .seconds(30)), clock: clock, logger: quiet)
        try await stuck.withRunning { _ in _ = try await stuck.send(handReceipt("620000000002", 1, codes: [codes[3]])) }
        #expect(stuck.snapshot().queueLength == 1 && stuck.snapshot().forwarded == 0)
    }

    @Test("over HTTP on loopback: registers get signs, autonomous uploads are answered, refusals use the error shape")
    func http() async throws {
        let codes = stampCodes(5)
        let sink = InMemoryReceiptSink(holdings: Dictionary(uniqueKeysWithValues: codes.map { ($0, shopBIN) }))
        let relay = FDORelay(sink: sink, logger: quiet)
        try await relay.withRunning { port in
            try await withHTTPLink(port) { link in try await Self.throughHTTP(link, port: port, codes: codes) }
            #expect(await relay.waitUntilSettled(timeout: .seconds(30)))
        }
        #expect(await sink.applied["620000000001"] == [1, 2, 3])
        #expect(await sink.redeemedCodes == [codes[1], codes[2]])
        #expect(relay.snapshot().outcomes == [.redeemed: 3, .restored: 1])
    }

    static func throughHTTP(_ link: HTTPFDOLink, port: Int, codes: [String]) async throws {
        var register = CashRegister.sample(1, seller: shopBIN)
        let online = try await register.sale(bottles([codes[0], codes[1]]), at: at(hours: 0), via: link)
        #expect(online.fiscalSign?.count == 10)
        register.linkLost(at: at(hours: 1))
        _ = try await register.sale(bottles([codes[2]], as: .bare), at: at(hours: 1), via: link)
        _ = try await register.saleReturn(bottles([codes[0]]), at: at(hours: 2), via: link)
        try await register.reconnect(at: at(hours: 3), via: link)
        #expect(!register.isAutonomous)

        // Another sale under a number the relay holds: 409 with the error shape.
        await #expect {
            _ = try await link.send(handReceipt(register.registrationNumber, 1, codes: [codes[4]]))
        } throws: { error in
            guard case FDOLinkError.refused(409, let body) = error else { return false }
            return body.code == .idempotencyConflict && body.details?["number"] == "1"
        }
        // Not JSON.
        let (status, body) = try await link.post(path: "/receipts", body: Data("{".utf8))
        #expect(status == 400)
        #expect(try WireCoding.decoder().decode(ErrorResponse.self, from: body).error.code == .invalidJSON)
    }

    @Test("a relay whose port is taken fails to start, and says so")
    func portTaken() async throws {
        let first = FDORelay(sink: InMemoryReceiptSink(), logger: quiet)
        try await first.withRunning { port in
            let second = FDORelay(sink: InMemoryReceiptSink(), configuration: RelayConfiguration(port: port), logger: quiet)
            await #expect(throws: (any Error).self) { try await second.withRunning { _ in } }
        }
    }
}
