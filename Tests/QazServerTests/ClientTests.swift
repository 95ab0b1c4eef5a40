import Logging
import ConfigKit
import Delivery
import Foundation
import LineAgentTesting
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

@Suite("QazClient: splitting, classification, retries, the ActivationSink seam")
struct ClientTests {
    func records(_ codes: [String]) -> [ActivationRecord] {
        codes.enumerated().map { index, code in
            ActivationRecord(code: StampCode(trusted: code), productCode: "DSN-1", activatedAt: Date(timeIntervalSince1970: 1_790_000_000),
                             lineID: "line-1", bottleSequence: UInt64(index))
        }
    }

    @Test("an oversize batch is split under stable derived ids; every record gets its outcome; a re-send changes nothing")
    func splitting() async throws {
        try await withRegistrar(over: .socket) { registrar in
            let codes = try await registrar.issue(25, to: producerA, prefix: "QZA")
            let foreign = try await registrar.issue(1, to: producerB, prefix: "QZB", series: "BB")
            try await registrar.with("producerA", maxBatchItems: 10) { client in
                let submission = ActivationSubmission(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1",
                                                      records: records(codes + foreign + [makeCode("QZX", 1)]))
                let delivery = await client.deliver(submission)
                #expect(delivery.sentBatchIds.count == 3)
                #expect(Set(delivery.sentBatchIds).count == 3 && !delivery.sentBatchIds.contains(submission.batchId))
                #expect(delivery.outcomes.count == 27)
                #expect(delivery.outcomes.prefix(25).allSatisfy { $0.isDelivered })
                #expect(delivery.outcomes[25] == .rejected(ActivationResult(code: foreign[0], result: .foreign)))
                #expect(delivery.outcomes[26] == .rejected(ActivationResult(code: makeCode("QZX", 1), result: .unknown)))
                let again = await client.deliver(submission)
                #expect(again.sentBatchIds == delivery.sentBatchIds)
                #expect(again.outcomes == delivery.outcomes, "the stored answers")
            }
            #expect(try await registrar.store.monthlyCounters(participant: producerA).map(\.activated).reduce(0, +) == 25)
        }
    }

    @Test("a permanent failure is never retried; every record carries it")
    func permanentNotRetried() async throws {
        try await withRegistrar(over: .socket) { registrar in
            let codes = try await registrar.issue(2, to: producerA, prefix: "QZA")
            try await registrar.with("producerA", maxAttempts: 5) { client in
                let id = UUID()
                _ = await client.deliver(ActivationSubmission(batchId: id, lineId: "l", equipmentId: "c", records: records([codes[0]])))
                let conflict = await client.deliver(ActivationSubmission(batchId: id, lineId: "l", equipmentId: "c", records: records(codes)))
                #expect(conflict.outcomes.count == 2)
                for outcome in conflict.outcomes {
                    guard case .failed(let code, _) = outcome else { Issue.record("expected failed, got \(outcome)"); continue }
                    #expect(code == .idempotencyConflict)
                }
                let metrics = try await client.raw(method: "GET", path: "/metrics", body: nil, authorized: false)
                let text = String(decoding: metrics.body, as: UTF8.self)
                let line = text.split(separator: "\n").first { $0.hasPrefix("qaz_http_requests_total") && $0.contains(#"status="409""#) }
                #expect(line?.hasSuffix(" 1") == true, "one 409 request, no retries: \(line ?? "none")")
            }
        }
    }

    @Test("no server: a retryable connection failure, after the configured attempts")
    func connectionRefused() async throws {
        // Find a free port, then leave it closed.
        let port = try await withRegistrar(over: .socket) { $0.port }
        let client = try QazAPIClient(configuration: QazClientConfiguration(
            baseURL: "http://127.0.0.1:\(port)", token: "t", connectTimeout: .seconds(2), maxAttempts: 2,
            initialBackoff: .milliseconds(10)), logger: Logger(label: "test"))
        let delivery = await client.deliver(ActivationSubmission(batchId: UUID(), lineId: "l", equipmentId: "c",
                                                                 records: records([makeCode("QZA", 1)])))
        try await client.shutdown()
        guard case .retry(_, let reason) = delivery.outcomes.first else {
            Issue.record("expected retry, got \(delivery.outcomes)")
            return
        }
        #expect(reason.contains("connection"))
    }

    @Test("failure classification: 5xx, 408, 429 and connection errors retry; other 4xx are permanent")
    func classification() {
        let body = ErrorBody(code: .internal, message: "x")
        #expect(QazClientError.server(status: 503, error: body, retryAfter: .seconds(1)).isRetryable)
        #expect(QazClientError.server(status: 500, error: body, retryAfter: nil).isRetryable)
        #expect(QazClientError.server(status: 429, error: body, retryAfter: .seconds(2)).retryAfter == .seconds(2))
        #expect(QazClientError.connection("reset").isRetryable)
        for status in [400, 401, 403, 404, 409, 413, 415, 422] {
            #expect(!QazClientError.server(status: status, error: body, retryAfter: nil).isRetryable)
        }
        #expect(!QazClientError.invalidRequest("bad url").isRetryable)
        #expect(RecordOutcome(ActivationResult(code: "C", result: .alreadyActivated)).isDelivered)
        #expect(!RecordOutcome(ActivationResult(code: "C", result: .writtenOff)).isDelivered)
    }

    @Test("derived batch ids are stable, distinct per part, and differ from the parent")
    func derivedIDs() {
        let parent = UUID()
        let ids = (0..<300).map { QazAPIClient.derivedBatchId(parent, part: $0) }
        #expect(Set(ids).count == 300)
        #expect(!ids.contains(parent))
        #expect(ids == (0..<300).map { QazAPIClient.derivedBatchId(parent, part: $0) })
    }

    @Test("the in-memory sink answers like the registrar, replays stored answers and injects failures")
    func inMemorySink() async {
        let sink = InMemoryActivationSink(issued: ["QZA000000000000000001"], foreign: ["QZB000000000000000001"])
        let submission = ActivationSubmission(batchId: UUID(), lineId: "l", equipmentId: "c",
                                              records: records(["QZA000000000000000001", "QZB000000000000000001"]))
        await sink.failNext([.connection("down")])
        let failed = await sink.deliver(submission)
        #expect(failed.outcomes.allSatisfy { if case .retry = $0 { true } else { false } })
        let first = await sink.deliver(submission)
        #expect(first.outcomes.map(\.isDelivered) == [true, false])
        #expect(await sink.deliver(submission) == first)
    }

    @Test("the client-side token bucket spaces requests out")
    func clientRateLimit() async throws {
        try await withRegistrar(over: .socket) { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            let start = ContinuousClock.now
            try await registrar.client("producerA", rps: 10, burst: 1).closing { client in
                for _ in 0..<4 { _ = try await client.code(codes[0]) }
            }
            let elapsed = start.duration(to: .now)
            // One token at once, then one every 100 ms: four requests need at least 300 ms.
            #expect(elapsed >= .milliseconds(290), "\(elapsed)")
        }
    }

    @Test("a request over the server's time limit is 503 timeout (retryable); its batch is applied whole or not at all")
    func requestTimeout() async throws {
        var limits = LimitsConfiguration()
        limits.requestTimeout = .init(.milliseconds(1))
        try await withRegistrar(over: .socket, limits: limits, backend: .sqliteFile) { registrar in
            let codes = try await registrar.issue(5_000, to: producerA, prefix: "QZA")
            let client = try registrar.client("producerA")
            let batch = ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c", items: items(codes))
            do {
                _ = try await client.activate(batch)
                Issue.record("answered within 1 ms")
            } catch {
                #expect(error.errorCode == .timeout)
                #expect(error.isRetryable && error.retryAfter == .seconds(1))
            }
            try await client.shutdown()
            try await Task.sleep(for: .milliseconds(500))
            let activated = try await registrar.store.pool(owner: producerA, status: .activated, after: nil, limit: 10_000).count
            #expect(activated == 0 || activated == 5_000)
        }
    }
}
