import Delivery
import Foundation
import LineCore
@testable import Outbox
import QazAPI
import QazClient
import Testing

@Suite struct OutboxStoreTests {
    @Test func aGoodDecisionQueuesItsActivationAndMarksTheCodeSeen() async throws {
        // Given an empty outbox
        let store = try memoryStore()
        // When a good bottle and a rejected one are recorded
        let recorded = try await store.append(good(1, 42))
        let rejected = try await store.append(decision(2, .foreign(code(7))))
        // Then only the good one is queued and its code is seen
        #expect(recorded.activationQueued)
        #expect(recorded.decision.verdict == .good(code(42)))
        #expect(!rejected.activationQueued)
        #expect(try store.hasSeen(code(42)))
        #expect(try !store.hasSeen(code(7)))
        #expect(try await store.depth() == OutboxDepth(pending: 1, unbatched: 1, openBatches: 0, deadLetters: 0,
                                                       oldestPending: good(1, 42).decidedAt.roundedToMillis))
    }

    @Test func concurrentAppendsAreAllDurableAndAGoodCodeIsUsedOnlyOnce() async throws {
        // Given 500 bottles arriving at once, every fifth one carrying an already used code
        let store = try memoryStore()
        let results = try await withThrowingTaskGroup(of: RecordedDecision.self) { group in
            for i in 0..<500 {
                group.addTask { try await store.append(good(UInt64(i), i % 5 == 4 ? 0 : i)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Then every one was recorded, and the code 0 passed once only
        #expect(results.count == 500)
        #expect(Set(results.map(\.id)).count == 500)
        let passedZero = results.filter { $0.decision.verdict == .good(code(0)) }
        #expect(passedZero.count == 1)
        #expect(results.filter { $0.decision.verdict == .duplicate(code(0)) }.count == 100)
        #expect(try await store.depth().pending == 400)
    }

    @Test func batchesKeepQueueOrderAndTheirIdsAcrossCalls() async throws {
        // Given 2,500 activations on one line and 10 on another, interleaved at the start
        let store = try memoryStore()
        _ = try await store.append(contentsOf: (0..<5).map { good(UInt64($0), 10_000 + $0, line: "line2") })
        _ = try await store.append(contentsOf: (0..<2500).map { good(UInt64($0), $0) })
        _ = try await store.append(contentsOf: (5..<10).map { good(UInt64($0), 10_000 + $0, line: "line2") })

        // When batches of 1,000 are taken
        let first = try #require(try await store.beginBatch(limit: 1000, equipmentId: "cam1"))
        // Then the oldest line goes first, one line per batch, in queue order
        #expect(first.lineId == "line2")
        #expect(first.records.map(\.code) == (0..<10).map { code(10_000 + $0) })
        // And asking again before it is answered gives the same batch (same id, same members)
        let again = try #require(try await store.beginBatch(limit: 1000, equipmentId: "cam1"))
        #expect(again == first)

        let answer = first.records.map { RecordOutcome.delivered(ActivationResult(code: $0.code.rawValue, result: .activated)) }
        let completion = try await store.complete(first, outcomes: answer)
        #expect(completion.isDone && completion.delivered == 10)

        var sizes = [Int]()
        var codes = [StampCode]()
        while let batch = try await store.beginBatch(limit: 1000, equipmentId: "cam1") {
            sizes.append(batch.records.count)
            codes += batch.records.map(\.code)
            try await store.complete(batch, outcomes: batch.records.map { .delivered(ActivationResult(code: $0.code.rawValue, result: .activated)) })
        }
        #expect(sizes == [1000, 1000, 500])
        #expect(codes == (0..<2500).map { code($0) })
        #expect(try await store.depth().pending == 0)
        #expect(try await store.answer(for: code(17))?.result == "activated")
    }

    @Test func perCodeAnswersDeadLettersAndRetries() async throws {
        // Given a batch of four
        let store = try memoryStore()
        _ = try await store.append(contentsOf: (1...4).map { good(UInt64($0), $0) })
        let batch = try #require(try await store.beginBatch(limit: 10, equipmentId: "cam1"))

        // When the registrar activates one, refuses one as foreign, one fails for good, one is to be retried
        let outcomes: [RecordOutcome] = [
            .delivered(ActivationResult(code: code(1).rawValue, result: .activated)),
            .rejected(ActivationResult(code: code(2).rawValue, result: .foreign, reason: "issued to another participant")),
            .failed(code: ErrorCode(rawValue: "forbidden"), reason: "registrar answered 403"),
            .retry(after: .seconds(7), reason: "registrar answered 503"),
        ]
        let completion = try await store.complete(batch, outcomes: outcomes)

        // Then answers and dead letters are stored, the batch stays open for the last one
        #expect(completion == BatchCompletion(delivered: 1, deadLettered: 2, retry: 1, retryAfter: .seconds(7), retryReason: "registrar answered 503"))
        let letters = try await store.deadLetters()
        #expect(letters.map(\.code) == [code(2), code(3)])
        #expect(letters.map(\.reason) == ["issued to another participant", "registrar answered 403"])
        #expect(letters.allSatisfy { $0.batchId == batch.batchId })
        #expect(try await store.answer(for: code(1))?.state == .delivered)

        // And the re-send carries the same id and all four records; only the pending one is updated
        let resend = try #require(try await store.beginBatch(limit: 10, equipmentId: "cam1"))
        #expect(resend.batchId == batch.batchId)
        #expect(resend.records == batch.records)
        #expect(resend.pending == [false, false, false, true])
        #expect(resend.attempts == 1)
        let final = try await store.complete(resend, outcomes: resend.records.map { .delivered(ActivationResult(code: $0.code.rawValue, result: .alreadyActivated)) })
        #expect(final.isDone && final.delivered == 1)
        #expect(try await store.answer(for: code(2))?.state == .dead)

        // And an operator can requeue the dead letters: they go out in a new batch
        #expect(try await store.requeueDeadLetters() == 2)
        let requeued = try #require(try await store.beginBatch(limit: 10, equipmentId: "cam1"))
        #expect(requeued.batchId != batch.batchId)
        #expect(requeued.records.map(\.code) == [code(2), code(3)])
    }

    @Test func poolImportChecksEveryLineFirst() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try memoryStore()
        // Given a pool file with a comment, a blank line, a URL form and bare codes
        let good = dir.path("pool.txt")
        try "# waybill WB-1\n\(code(1))\n\nhttps://qr.example.kz/c/\(code(2))\n\(code(3))\n".write(toFile: good, atomically: true, encoding: .utf8)
        // When it is imported, then the three codes are in the pool
        #expect(try await store.importPool(from: good) == 3)
        #expect(try store.poolCount() == 3)
        #expect(try store.poolContains(code(2)))
        #expect(try !store.poolContains(code(4)))

        // Given a file with a bad third line
        let bad = dir.path("bad.txt")
        try "\(code(5))\n\(code(6))\nnot a code\n".write(toFile: bad, atomically: true, encoding: .utf8)
        // When it is imported, then the error names the file and line, and nothing was added
        let error = await #expect(throws: OutboxError.self) { try await store.importPool(from: bad) }
        guard case .invalidPoolFile(let path, let line, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == bad && line == 3)
        #expect(try store.poolCount() == 3)
    }

    @Test func appendsAreRefusedBelowTheMinimumFreeSpace() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        // Given an outbox that must keep more free space than any disk has
        let store = OutboxStore(database: try AgentDatabase(path: path), minimumFreeBytes: .max)
        // When a decision comes, then it is refused, naming the file, and nothing is stored
        let error = await #expect(throws: OutboxError.self) { try await store.append(good(1, 1)) }
        guard case .lowDiskSpace(let errorPath, _, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(errorPath == path)
        #expect(try await store.decisionCounts().isEmpty)
    }
}

extension Date {
    var roundedToMillis: Date { Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000) }
}
