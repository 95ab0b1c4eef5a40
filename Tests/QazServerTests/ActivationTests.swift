import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

@Suite("Activations (in process, through the router)")
struct ActivationTests {
    @Test("every per-code result: activated, alreadyActivated, foreign, unknown, writtenOff, malformed", arguments: TestBackend.allCases)
    func perCodeResults(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let own = try await registrar.issue(4, to: producerA, prefix: "QZA")
            let other = try await registrar.issue(1, to: producerB, prefix: "QZB", series: "BB")
            let batchId = UUID()
            try await registrar.with("producerA") { client in
                // Given one code activated before and one written off
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items([own[0]])))
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: .now, reason: "damaged", codes: [own[1]]))
                // When a batch mixes every case (the URL form of a code is accepted too)
                let batch = ActivationBatch(batchId: batchId, lineId: "line-1", equipmentId: "cam-1", items: items([
                    "https://qr.example.kz/c/\(own[2])", own[0], other[0], makeCode("QZX", 7), own[1], "not a code!",
                ]))
                let (receipt, replayed) = try await client.activate(batch)
                // Then each item has its result, in request order
                #expect(!replayed)
                #expect(receipt.results.map(\.result) == [.activated, .alreadyActivated, .foreign, .unknown, .writtenOff, .malformed])
                #expect(receipt.results[1].activatedAt != nil)
                #expect(receipt.results[5].reason?.hasPrefix("code_mismatch") == true)
                #expect(receipt.summary.activated == 1 && receipt.summary.malformed == 1)
                #expect(receipt.participant == producerA)
                // And the stored answer is the same
                #expect(try await client.activation(batchId: batch.batchId) == receipt)
                // And the code shows status, owner, product, time (UTC and Astana) and line
                let info = try await client.code(own[2])
                #expect(info.status == .activated && info.owner == producerA && info.lineId == "line-1" && info.productCode == "DSN-0001")
                #expect(info.activatedAt == Timestamp(text: "2026-11-21T17:10:05Z"))
                #expect(info.activatedAtAstana == "2026-11-21T22:10:05+05:00")
                #expect(info.batchId == batch.batchId)
                // And the other producer's code is untouched
                #expect(try await registrar.store.code(StampCode(trusted: other[0]))?.status == .issued)
            }
            // Another producer cannot read that batch (404, as if it did not exist); the revenue body can.
            try await registrar.with("producerB") { client in
                do { _ = try await client.activation(batchId: batchId); Issue.record("another producer read the batch") } catch {
                    #expect(error.errorCode == .notFound)
                }
            }
            let seen = try await registrar.with("revenue") { client in try await client.activation(batchId: batchId).participant }
            #expect(seen == producerA)
        }
    }

    @Test("same batchId + same body → stored answer, nothing changes; different body → 409, nothing changes", arguments: TestBackend.allCases)
    func idempotency(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.issue(3, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                let batch = ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items(Array(codes.prefix(2))))
                let first = try await client.activate(batch)
                let again = try await client.activate(batch)
                #expect(!first.replayed && again.replayed)
                #expect(first.receipt == again.receipt)
                #expect(again.receipt.results.allSatisfy { $0.result == .activated })
                var changed = batch
                changed.items = items(Array(codes.suffix(2)))
                do {
                    _ = try await client.activate(changed)
                    Issue.record("a different body under the same batchId was accepted")
                } catch {
                    #expect(error.errorCode == .idempotencyConflict)
                    #expect(!error.isRetryable)
                }
                let status = try await client.code(codes[2]).status
                #expect(status == .issued)
                let counters = try await registrar.store.monthlyCounters(participant: producerA)
                #expect(counters.map(\.activated).reduce(0, +) == 2)
            }
        }
    }

    @Test("concurrent re-sends of one batch apply it exactly once and all get the same answer", arguments: TestBackend.allCases)
    func concurrentResends(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.issue(500, to: producerA, prefix: "QZA")
            let batch = ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items(codes))
            let answers = try await withThrowingTaskGroup(of: (ActivationReceipt, Bool).self) { group in
                for _ in 0..<8 {
                    group.addTask { try await registrar.with("producerA") { try await $0.activate(batch) } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 8)
            #expect(answers.filter { !$0.1 }.count == 1, "exactly one request applied the batch")
            #expect(Set(answers.map { $0.0.results.map(\.result) }).count == 1)
            #expect(answers[0].0.summary.activated == 500)
            let counters = try await registrar.store.monthlyCounters(participant: producerA)
            #expect(counters.first { $0.month == ReportingMonth("2026-11") }?.activated == 500)
            #expect(try await registrar.store.pool(owner: producerA, status: .activated, after: nil, limit: 10_000).count == 500)
        }
    }

    @Test("activations count in the Astana month of their time; issuance in the month of the waybill's issue date")
    func monthlyCounters() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(3, to: producerA, prefix: "QZA", issuedOn: "2026-10-01")
            try await registrar.with("producerA") { client in
                // 2026-10-31T19:30Z is 2026-11-01 00:30 in Astana: November; 18:59:59Z is still October there.
                let batch = ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e", items: [
                    ActivationItem(code: codes[0], activatedAt: Timestamp(text: "2026-10-31T19:30:00Z")!, productCode: "P1"),
                    ActivationItem(code: codes[1], activatedAt: Timestamp(text: "2026-10-31T18:59:59Z")!, productCode: "P1"),
                ])
                _ = try await client.activate(batch)
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: Timestamp(text: "2026-11-05T10:00:00+05:00")!, reason: "damaged", codes: [codes[2]]))
            }
            let counters = try await registrar.store.monthlyCounters(participant: producerA)
            #expect(counters == [
                MonthlyCounters(participant: producerA, month: ReportingMonth("2026-10")!, received: 3, activated: 1, writtenOff: 0),
                MonthlyCounters(participant: producerA, month: ReportingMonth("2026-11")!, received: 0, activated: 1, writtenOff: 1),
            ])
        }
    }
}
