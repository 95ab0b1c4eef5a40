import Delivery
import Foundation
import LineAgentTesting
import LineCore
import Logging
@testable import Outbox
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// A valid IIN/BIN from 11 digits.
func makeBIN(_ first11: String) -> TaxpayerID { TaxpayerID.completing(first11) }

/// The real registrar (QazServer on SQLite) on 127.0.0.1 with an ephemeral port, with `count` codes issued to
/// one producer; `body` gets a client speaking as that producer.
func withRealRegistrar<T: Sendable>(codes count: Int, _ body: (_ client: QazAPIClient, _ store: any RegistrarStore) async throws -> T) async throws -> T {
    try await withSeededRegistrar(codes: (0..<count).map { code($0).rawValue }, producer: makeBIN("97010112345")) { url, token, store in
        try await QazAPIClient(configuration: QazClientConfiguration(
            baseURL: url, token: token, requestTimeout: .seconds(30), maxBatchItems: 400,
            requestsPerSecond: 10_000, burst: 10_000, maxAttempts: 1, initialBackoff: .milliseconds(10)), logger: quietLogger).closing { client in
            try await body(client, store)
        }
    }
}

@Suite struct RegistrarIntegrationTests {
    @Test func outageLostAnswerAndRestartAgainstTheRealRegistrar() async throws {
        try await withRealRegistrar(codes: 1500) { client, _ in
            let dir = TempDir()
            defer { dir.cleanup() }
            let path = dir.path("outbox.sqlite")
            // Given a registrar that cannot be reached at first (a real refused connection on a closed port)
            let unreachable = try QazAPIClient(configuration: QazClientConfiguration(
                baseURL: "http://127.0.0.1:1", token: "none", connectTimeout: .seconds(2), maxAttempts: 1), logger: quietLogger)
            let sink = ScriptedSink(unreachable)
            let config = DrainerConfiguration(maxItems: 1000, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5), equipmentId: "cam1")
            let log = EventLog()
            var outageSends = 0
            try await unreachable.closing { _ in
                let store = OutboxStore(database: try AgentDatabase(path: path))
                _ = try await store.append(contentsOf: (0..<1200).map { good(UInt64($0), $0) })
                let drainer = OutboxDrainer(store: store, sink: sink, configuration: config, clock: TestClock(), logger: quietLogger,
                                            onEvent: log.record)
                // When the drainer keeps trying through the outage
                try await drain(drainer, log: log) { sink.deliveries.count >= 5 }
                #expect(try await store.depth().pending == 1200)
                #expect(Set(sink.deliveries.map(\.batchId)).count == 1)
                #expect(Set(sink.deliveries.map(\.records)).count == 1)
                outageSends = sink.deliveries.count
                // And the registrar comes back, but the answer to the first send is lost ("crash" after sending)
                sink.setTarget(client)
                sink.loseNextAnswers(1)
                try await drain(drainer, log: log) { [outageSends] in sink.forwarded.count >= outageSends + 1 }
            }
            // And the agent restarts from the same file
            let store = OutboxStore(database: try AgentDatabase(path: path))
            let drainer = OutboxDrainer(store: store, sink: sink, configuration: config, clock: TestClock(), logger: quietLogger,
                                        onEvent: log.record)
            _ = try await store.append(contentsOf: (1200..<1500).map { good(UInt64($0), $0) })
            try await drain(drainer, log: log) { try await store.depth().pending == 0 }

            // Then the first batch went out again under its id with the same records and was answered from storage
            let forwarded = Array(sink.forwarded.dropFirst(outageSends)) // what reached the registrar
            #expect(forwarded.first?.batchId == sink.deliveries.first?.batchId)
            #expect(forwarded.count >= 3)
            #expect(forwarded[1] == forwarded[0])
            let receipt = try await client.activation(batchId: QazAPIClient.derivedBatchId(forwarded[0].batchId, part: 0))
            #expect(receipt.results.count == 400)
            // And every code was activated exactly once: no answer says `alreadyActivated` (that would be a second
            // batch id for the same code), nothing is dead, and the registrar holds all 1,500 as activated
            for i in stride(from: 0, to: 1500, by: 1) {
                #expect(try await store.answer(for: code(i))?.result == "activated", "code \(i)")
            }
            #expect(try await store.deadLetters().isEmpty)
            for i in [0, 399, 400, 999, 1000, 1199, 1200, 1499] {
                #expect(try await client.code(code(i).rawValue).status == .activated)
            }
            // And the batches reached the registrar in queue order
            #expect(Array(forwarded.dropFirst()).flatMap(\.records).map(\.code) == (0..<1500).map { code($0) })
        }
    }
}
