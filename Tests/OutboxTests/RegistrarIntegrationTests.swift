import Delivery
import Foundation
import Hummingbird
import LineAgentTesting
import LineCore
import Logging
@testable import Outbox
import QazAPI
import QazClient
@testable import QazServer
import ServiceLifecycle
import Testing

/// A valid IIN/BIN from 11 digits.
func makeBIN(_ first11: String) -> TaxpayerID {
    var digits = first11.utf8.map { Int($0) - 48 }
    while TaxpayerID.checkDigit(digits) == nil { digits[10] = (digits[10] + 1) % 10 }
    return TaxpayerID(digits.map(String.init).joined() + String(TaxpayerID.checkDigit(digits)!))!
}

/// The real registrar (QazServer on SQLite) on 127.0.0.1 with an ephemeral port, with `count` codes issued to
/// one producer; `body` gets a client speaking as that producer.
func withRealRegistrar<T: Sendable>(codes count: Int, _ body: (_ client: QazAPIClient, _ store: any RegistrarStore) async throws -> T) async throws -> T {
    let producer = makeBIN("97010112345")
    let store = try SQLiteRegistrarStore()
    try await store.migrate()
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    let server = RegistrarServer(store: store, limits: limits)
    let issuedCodes = (0..<count).map { i in IssuedCode(code: code(i).rawValue, series: StampSeries("AB")!, number: StampNumber(i + 1)!) }
    let waybill = WaybillRequest(
        number: "WB-1", date: CalendarDate("2026-11-02")!, issuedOn: CalendarDate("2026-11-02")!,
        application: ApplicationReference(number: "APP-1", date: CalendarDate("2026-10-28")!),
        recipient: Recipient(bin: producer, name: "Test Distillery LLP"),
        product: WaybillProduct(name: "Vodka Test", type: "vodka", capacityMl: 500),
        ranges: [WaybillRange(series: StampSeries("AB")!, first: StampNumber(1)!, last: StampNumber(count)!)],
        quantity: count, codes: issuedCodes)
    _ = try await store.recordWaybill(try server.validator.waybill(waybill, now: .now))
    let token = try await TokenService(store: store).issue(participant: producer, role: .producer).token

    var logger = Logger(label: "registrar-test")
    logger.logLevel = .warning
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = try server.application(host: "127.0.0.1", port: 0, logger: logger, onServerRunning: { continuation.yield($0) })
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let client = try QazAPIClient(configuration: QazClientConfiguration(
            baseURL: "http://127.0.0.1:\(port)", token: token, requestTimeout: .seconds(30), maxBatchItems: 400,
            requestsPerSecond: 10_000, burst: 10_000, maxAttempts: 1, initialBackoff: .milliseconds(10)), logger: Logger(label: "test"))
        do {
            let value = try await body(client, store)
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            try? await client.shutdown()
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
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
                baseURL: "http://127.0.0.1:1", token: "none", connectTimeout: .seconds(2), maxAttempts: 1), logger: Logger(label: "test"))
            let sink = ScriptedSink(unreachable)
            let config = DrainerConfiguration(maxItems: 1000, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5), equipmentId: "cam1")
            let log = EventLog()
            var outageSends = 0
            do {
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
            try await unreachable.shutdown()
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
