import Delivery
import Foundation
import GRDB
import LineAgentTesting
import LineCore
import Logging
@testable import Outbox
import QazAPI
import QazClient
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// Collects the aggregation drainer's reports and lets a test wait (on reports, not on time) for a condition.
final class AggregationLog: Sendable {
    private let state = Mutex<[AggregationDrainerEvent]>([])
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    init() { (stream, continuation) = AsyncStream.makeStream() }
    func record(_ event: AggregationDrainerEvent) {
        state.withLock { $0.append(event) }
        continuation.yield()
    }
    var events: [AggregationDrainerEvent] { state.withLock { $0 } }
    func waitUntil(_ condition: @Sendable () async throws -> Bool) async throws {
        if try await condition() { return }
        for await _ in stream { if try await condition() { return } }
    }
}

/// A store whose activations were all answered, with `cases` packed cases of 12 (codes 12·i+1 … 12·i+12) at the given
/// stations in turn.
func storeWithCases(_ cases: Int, stations: [String] = ["case1"]) async throws -> OutboxStore {
    let store = try memoryStore()
    try await store.pass(1...(12 * cases))
    try await store.deliverAllActivations()
    for index in 0..<cases {
        try await store.record(packed(caseCode(Int64(index + 1)), (12 * index + 1)...(12 * index + 12), sequence: UInt64(index + 1),
                                      station: stations[index % stations.count]))
    }
    return store
}

func makeDrainer(_ store: OutboxStore, _ sink: any AggregationSink, maxEvents: Int = 200, clock: any Clock<Duration> = ContinuousClock(),
                 log: AggregationLog = AggregationLog()) -> AggregationDrainer {
    AggregationDrainer(store: store, sink: sink,
                       configuration: DrainerConfiguration(initialBackoff: .milliseconds(100), maxBackoff: .seconds(10),
                                                           shutdownFlushTimeout: .seconds(5), equipmentId: "cam1"),
                       maxEvents: maxEvents, clock: clock, logger: quietLogger, onEvent: log.record)
}

@Suite("Aggregation drainer")
struct AggregationDrainerTests {
    @Test("events go out in queue order, one request per line and station, at most maxEvents each, and are stored delivered")
    func deliveredInOrder() async throws {
        // Given five packed cases, alternating between two stations except the last two, and a pallet of the first
        let store = try await storeWithCases(5, stations: ["case1", "case2", "case1", "case1", "case1"])
        _ = try await store.buildPallet(code: palletCode(1), cases: [caseCode(1)], lineID: "line1", stationID: "case1", by: "anna")
        let sink = InMemoryAggregationSink()
        let log = AggregationLog()
        let drainer = makeDrainer(store, sink, maxEvents: 2, log: log)
        // When the drainer flushes
        let pending = await drainer.flush(timeout: .seconds(10))
        // Then every event was delivered, in queue order, grouped by station without reordering
        #expect(pending == 0)
        let received = await sink.received
        #expect(received.map(\.equipmentId) == ["case1", "case2", "case1", "case1"])
        #expect(received.map { $0.events.map(\.unit) } == [
            [caseCode(1)], [caseCode(2)], [caseCode(3), caseCode(4)], [caseCode(5), palletCode(1)],
        ])
        #expect(received.allSatisfy { $0.lineId == "line1" })
        #expect(received.flatMap(\.events).map(\.kind) == [.casePacked, .casePacked, .casePacked, .casePacked, .casePacked, .palletBuilt])
        #expect(received[0].events[0].contents == (1...12).map { code($0).rawValue })
        #expect(try await store.aggregationDepth() == AggregationDepth(pending: 0, dead: 0, delivered: 6, waitingForActivations: 0))
        #expect(try await store.cases(code: caseCode(2).rawValue).first?.events == ["casePacked: delivered"])
        #expect(log.events == [1, 1, 2, 2].map { AggregationDrainerEvent.sent(delivered: $0, dead: 0, refusals: []) })
        // And a second flush sends nothing again
        #expect(await drainer.flush(timeout: .seconds(10)) == 0)
        #expect(await sink.received.count == 4)
    }

    @Test("events wait for the activations queued before them")
    func waitsForActivations() async throws {
        let store = try memoryStore()
        try await store.pass(1...12)
        try await store.record(packed(caseCode(1), 1...12))
        let sink = InMemoryAggregationSink()
        let drainer = makeDrainer(store, sink)
        #expect(await drainer.flush(timeout: .seconds(10)) == 1)
        #expect(await sink.received.isEmpty, "nothing goes out before the activations are answered")
        try await store.deliverAllActivations()
        drainer.notify()
        #expect(await drainer.flush(timeout: .seconds(10)) == 0)
        #expect(await sink.received.map { $0.events.map(\.unit) } == [[caseCode(1)]])
    }

    @Test("without a settling answer the same events go again under the same ids; the registrar answers them once")
    func retriedWithTheSameIDs() async throws {
        let store = try await storeWithCases(2)
        let sink = InMemoryAggregationSink()
        await sink.script([.retry(after: .seconds(3), reason: "registrar answered 503"), .retry(after: nil, reason: "connection reset")])
        let log = AggregationLog()
        let drainer = makeDrainer(store, sink, log: log)
        // When the first two sends get no settling answer
        #expect(await drainer.flush(timeout: .seconds(10)) == 2)
        #expect(await drainer.flush(timeout: .seconds(10)) == 2)
        // Then the events stay pending with their attempts counted and the last error kept
        let waiting = try await store.nextAggregationEvents(limit: 10)
        #expect(waiting.map(\.attempts) == [2, 2])
        let errors = try await store.rows("SELECT last_error FROM aggregation_event ORDER BY id").map { $0["last_error"] as String? }
        #expect(errors == ["connection reset", "connection reset"])
        #expect(log.events == [.retrying(events: 2, reason: "registrar answered 503"), .retrying(events: 2, reason: "connection reset")])
        // And the third send carries the same events under the same ids, and is applied
        #expect(await drainer.flush(timeout: .seconds(10)) == 0)
        let ids = await sink.receivedEventIDs
        #expect(ids.count == 3)
        #expect(ids[0] == ids[1] && ids[1] == ids[2])
        #expect(await sink.received[0] == sink.received[2], "the same bodies too")
        #expect(await sink.appliedEvents.count == 2)
        #expect(try await store.aggregationDepth().delivered == 2)
    }

    @Test("a lost answer: the re-sent events are answered alreadyApplied and count as delivered")
    func alreadyApplied() async throws {
        let store = try await storeWithCases(1)
        let sink = InMemoryAggregationSink()
        // The registrar applies the event, but the agent never gets the answer (as a crash between send and commit)
        let items = try await store.nextAggregationEvents(limit: 10)
        _ = await sink.deliver(AggregationBatch(lineId: "line1", equipmentId: "case1", events: items.map(\.event)))
        // When the drainer sends it
        #expect(await makeDrainer(store, sink).flush(timeout: .seconds(10)) == 0)
        // Then it is delivered, applied once
        #expect(await sink.appliedEvents.count == 1)
        #expect(await sink.received.count == 2)
        #expect(try await store.rows("SELECT result FROM aggregation_event").map { $0["result"] as String? } == ["alreadyApplied"])
    }

    @Test("the retry backoff of the service loop honours Retry-After, and the loop delivers after the outage")
    func serviceLoopRetries() async throws {
        let store = try await storeWithCases(1)
        let sink = InMemoryAggregationSink()
        await sink.script([.retry(after: .seconds(30), reason: "registrar answered 503 (Retry-After: 30)")])
        let clock = TestClock()
        let log = AggregationLog()
        let drainer = makeDrainer(store, sink, clock: clock, log: log)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await drainer.run() }
                try await log.waitUntil { try await store.aggregationDepth().delivered == 1 }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(await sink.received.count == 2)
        #expect(clock.sleeps.contains(.seconds(30)), "slept for the Retry-After: \(clock.sleeps.prefix(5))")
        #expect(log.events.first == .retrying(events: 1, reason: "registrar answered 503 (Retry-After: 30)"))
    }

    @Test("refused events are dead with the registrar's reason; the others are delivered; a request refused as a whole kills its events")
    func refusedAndFailed() async throws {
        let store = try await storeWithCases(3)
        let sink = InMemoryAggregationSink()
        await sink.refuse(caseCode(2), .alreadyInCase, detail: "\(code(13)) is in case 000")
        let log = AggregationLog()
        let drainer = makeDrainer(store, sink, log: log)
        #expect(await drainer.flush(timeout: .seconds(10)) == 0)
        // Then case 2 is dead with the reason and the detail; 1 and 3 are delivered
        let dead = try await store.deadAggregationEvents()
        #expect(dead.map(\.unit) == [caseCode(2).rawValue])
        #expect(dead.first?.result == "refused: alreadyInCase (\(code(13)) is in case 000)")
        #expect(try await store.cases(code: caseCode(2).rawValue).first?.events == ["casePacked: dead (refused: alreadyInCase (\(code(13)) is in case 000))"])
        #expect(try await store.aggregationDepth() == AggregationDepth(pending: 0, dead: 1, delivered: 2, waitingForActivations: 0))
        #expect(log.events == [.sent(delivered: 2, dead: 1, refusals: ["casePacked \(caseCode(2)): refused: alreadyInCase (\(code(13)) is in case 000)"])])

        // When a request is refused as a whole (a revoked token)
        _ = try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "broken bottle")
        await sink.script([.failed(reason: "registrar answered 401 unauthorized")])
        #expect(await drainer.flush(timeout: .seconds(10)) == 0)
        // Then its events are dead with that reason, and not sent again
        #expect(try await store.deadAggregationEvents().map(\.result).last == "failed: registrar answered 401 unauthorized")
        #expect(await drainer.flush(timeout: .seconds(10)) == 0)
        #expect(await sink.received.count == 2)
    }
}

/// Against the real registrar (QazServer on SQLite over loopback HTTP, `POST /v1/aggregations`) through the real client.
@Suite("Aggregation drainer against the real registrar")
struct AggregationRegistrarTests {
    @Test("cases and a pallet reach the registrar after their activations; a dissolve follows; an unknown code is refused and dead")
    func realRegistrar() async throws {
        try await withRealRegistrar(codes: 24) { client, _ in
            let file = try FileStore()
            defer { file.cleanup() }
            let store = file.store
            // Given 24 bottles passed and two cases packed, a pallet of both, and a case of a code never issued
            try await store.append(contentsOf: (0..<24).map { good(UInt64($0), $0) })
            try await store.record(packed(caseCode(1), 0...11))
            try await store.record(packed(caseCode(2), 12...23, sequence: 2))
            _ = try await store.buildPallet(code: palletCode(1), cases: [caseCode(1), caseCode(2)], lineID: "line1", stationID: "case1",
                                            by: "anna", at: packedAt)
            try await store.record(packed(caseCode(3), [9_999], sequence: 3))
            let drainer = makeDrainer(store, client)
            // When the activations are delivered first (the events wait for them), then the events
            #expect(await drainer.flush(timeout: .seconds(10)) == 4)
            while let batch = try await store.beginBatch(limit: 1000, equipmentId: "cam1") {
                try await store.complete(batch, outcomes: await client.deliver(batch.submission).outcomes)
            }
            #expect(try await store.depth().pending == 0)
            #expect(await drainer.flush(timeout: .seconds(20)) == 0)

            // Then the registrar holds the cases on the pallet
            let one = try await client.unit(caseCode(1).rawValue)
            #expect(one.kind == .case && one.status == .packed)
            #expect(one.contents == (0...11).map { code($0).rawValue })
            #expect(one.pallet == palletCode(1))
            #expect(one.equipmentId == "case1" && one.lineId == "line1")
            let pallet = try await client.unit(palletCode(1).rawValue)
            #expect(pallet.kind == .pallet && pallet.contents == [caseCode(1).rawValue, caseCode(2).rawValue])
            let bottle = try await client.code(code(5).rawValue)
            #expect(bottle.case == caseCode(1) && bottle.pallet == palletCode(1))
            // And the case of an unknown code is dead with the registrar's reason
            let dead = try await store.deadAggregationEvents()
            #expect(dead.map(\.unit) == [caseCode(3).rawValue])
            #expect(dead.first?.result.hasPrefix("refused: unknownCode") == true, "\(dead)")
            #expect(try await store.aggregationDepth().delivered == 3)

            // When the pallet and then case 1 are dissolved on the line
            _ = try await store.dissolvePallet(palletCode(1).rawValue, by: "anna", reason: "restack")
            _ = try await store.dissolveCase(caseCode(1).rawValue, by: "anna", reason: "broken bottle")
            #expect(await drainer.flush(timeout: .seconds(20)) == 0)
            // Then the registrar follows
            #expect(try await client.unit(caseCode(1).rawValue).status == .dissolved)
            #expect(try await client.unit(palletCode(1).rawValue).status == .dissolved)
            #expect(try await client.unit(caseCode(2).rawValue).pallet == nil)
            #expect(try await client.code(code(5).rawValue).case == nil)
            #expect(try await store.aggregationDepth() == AggregationDepth(pending: 0, dead: 1, delivered: 5, waitingForActivations: 0))
        }
    }
}
