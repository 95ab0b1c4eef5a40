import Delivery
import Foundation
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

/// Collects drainer events and lets a test wait for a condition on them.
final class EventLog: Sendable {
    private let state = Mutex<[DrainerEvent]>([])
    private let stream: AsyncStream<DrainerEvent>
    private let continuation: AsyncStream<DrainerEvent>.Continuation
    init() { (stream, continuation) = AsyncStream.makeStream() }
    func record(_ event: DrainerEvent) {
        state.withLock { $0.append(event) }
        continuation.yield(event)
    }
    var events: [DrainerEvent] { state.withLock { $0 } }
    /// Waits (on events, not on time) until `condition` holds.
    func waitUntil(_ condition: @Sendable () async throws -> Bool) async throws {
        if try await condition() { return }
        for await _ in stream { if try await condition() { return } }
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "outbox-test")
    logger.logLevel = .critical
    return logger
}()

/// Runs the drainer's loop until `until` holds, then cancels it.
func drain(_ drainer: OutboxDrainer, log: EventLog, until condition: @escaping @Sendable () async throws -> Bool) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await drainer.drainLoop() }
        try await log.waitUntil(condition)
        group.cancelAll()
    }
}

@Suite struct OutboxDrainerTests {
    @Test func deliversEverythingInOrderInBatchesOfTheConfiguredSize() async throws {
        // Given 2,500 queued activations and a registrar that issued them
        let store = try memoryStore()
        _ = try await store.append(contentsOf: (0..<2500).map { good(UInt64($0), $0) })
        let registrar = InMemoryActivationSink(issued: Set((0..<2500).map { code($0).rawValue }))
        let log = EventLog()
        let clock = TestClock()
        let drainer = OutboxDrainer(store: store, sink: registrar, configuration: DrainerConfiguration(maxItems: 1000, equipmentId: "cam1"),
                                    clock: clock, logger: quietLogger, onEvent: log.record)
        // When the drainer runs
        try await drain(drainer, log: log) { try await store.depth().pending == 0 }
        // Then three batches went out in queue order, each code once, all answered `activated`
        let received = await registrar.received
        #expect(received.map(\.records.count) == [1000, 1000, 500])
        #expect(received.flatMap(\.records).map(\.code) == (0..<2500).map { code($0) })
        #expect(Set(received.map(\.batchId)).count == 3)
        #expect(try await store.answer(for: code(2499))?.result == "activated")
    }

    @Test func aPartialBatchWaitsForMaxAgeUnlessFull() async throws {
        // Given 10 activations and a batch size of 1,000 with 2 s max age, after the start-up backlog is drained
        let store = try memoryStore()
        let registrar = InMemoryActivationSink(issued: Set((0..<20).map { code($0).rawValue }))
        let log = EventLog()
        let clock = TestClock()
        let drainer = OutboxDrainer(store: store, sink: registrar, configuration: DrainerConfiguration(maxItems: 1000, maxAge: .seconds(2), equipmentId: "cam1"),
                                    clock: clock, logger: quietLogger, onEvent: log.record)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await drainer.drainLoop() }
            // Let the drainer see an empty queue first (its clock moves by maxAge per idle wait).
            while clock.elapsed < .seconds(4) { await Task.yield() }
            let before = clock.elapsed
            _ = try await store.append(contentsOf: (0..<10).map { good(UInt64($0), $0) })
            drainer.notifyAppended()
            try await log.waitUntil { try await store.depth().pending == 0 }
            group.cancelAll()
            // Then the batch was sent only once it was 2 s old on the drainer's clock (one batch of ten)
            #expect(clock.elapsed - before >= .seconds(2))
            #expect(await registrar.received.map(\.records.count) == [10])
        }
    }

    @Test func hoursOfOutageAreALongerQueueThenTheSameBatchIdsGoOutInOrder() async throws {
        // Given a registrar that is unreachable for three hours (on the test clock), and 3,000 activations
        let store = try memoryStore()
        let registrar = InMemoryActivationSink(issued: Set((0..<3000).map { code($0).rawValue }))
        let sink = ScriptedSink(registrar)
        sink.setOutage(true)
        let log = EventLog()
        let clock = TestClock()
        let config = DrainerConfiguration(maxItems: 1000, initialBackoff: .milliseconds(500), maxBackoff: .seconds(60), equipmentId: "cam1")
        let drainer = OutboxDrainer(store: store, sink: sink, configuration: config, clock: clock, logger: quietLogger,
                                    random: { 0.5 }, onEvent: log.record)
        _ = try await store.append(contentsOf: (0..<3000).map { good(UInt64($0), $0) })

        // When the drainer runs through the outage and the registrar comes back
        try await drain(drainer, log: log) {
            if sink.deliveries.count >= 1, clock.elapsed >= .seconds(3 * 3600) { sink.setOutage(false) }
            return try await store.depth().pending == 0
        }

        // Then during the outage only the first batch was tried, always under the same id and with the same records
        let deliveries = sink.deliveries
        let firstId = deliveries[0].batchId
        let outageTries = deliveries.prefix { $0.batchId == firstId }
        #expect(outageTries.count > 100)
        #expect(outageTries.allSatisfy { $0 == deliveries[0] })
        // And the waits grew exponentially with jitter up to the ceiling
        let waits = clock.sleeps.filter { $0 > .zero }
        #expect(waits.prefix(3) == [.milliseconds(375), .milliseconds(750), .milliseconds(1500)])
        #expect(waits.max() == .seconds(45)) // 60 s × (0.5 + 0.5 × 0.5)
        // And afterwards everything was delivered once, in order, nothing dead
        let received = await registrar.received
        #expect(received.flatMap(\.records).map(\.code) == (0..<3000).map { code($0) })
        #expect(try await store.depth() == OutboxDepth(pending: 0, unbatched: 0, openBatches: 0, deadLetters: 0, oldestPending: nil))
    }

    @Test func retryAfterIsHonoured() async throws {
        let store = try memoryStore()
        let registrar = InMemoryActivationSink(issued: [code(1).rawValue])
        let sink = ScriptedSink(registrar)
        sink.setOutage(true, retryAfter: .seconds(30))
        let log = EventLog()
        let clock = TestClock()
        let drainer = OutboxDrainer(store: store, sink: sink, configuration: DrainerConfiguration(equipmentId: "cam1"), clock: clock,
                                    logger: quietLogger, random: { 0 }, onEvent: log.record)
        _ = try await store.append(good(1, 1))
        try await drain(drainer, log: log) {
            if sink.deliveries.count >= 2 { sink.setOutage(false) }
            return try await store.depth().pending == 0
        }
        // The backoff would have been 250 ms; the registrar asked for 30 s
        #expect(clock.sleeps.filter { $0 > .zero }.prefix(2) == [.seconds(30), .seconds(30)])
    }

    @Test func anAnswerLostAfterSendingIsFetchedAgainUnderTheSameBatchId() async throws {
        // Given a registrar that applies a batch but whose answer is lost (as if the agent died before storing it)
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        let registrar = InMemoryActivationSink(issued: Set((0..<50).map { code($0).rawValue }))
        let firstBatch: OutboxBatch
        do {
            let store = OutboxStore(database: try AgentDatabase(path: path))
            _ = try await store.append(contentsOf: (0..<50).map { good(UInt64($0), $0) })
            firstBatch = try #require(try await store.beginBatch(limit: 1000, equipmentId: "cam1"))
            _ = await registrar.deliver(firstBatch.submission) // sent, applied; the process "dies" here
        }
        // When the agent starts again from the same file and drains
        let store = OutboxStore(database: try AgentDatabase(path: path))
        let log = EventLog()
        let drainer = OutboxDrainer(store: store, sink: registrar, configuration: DrainerConfiguration(equipmentId: "cam1"),
                                    clock: TestClock(), logger: quietLogger, onEvent: log.record)
        try await drain(drainer, log: log) { try await store.depth().pending == 0 }
        // Then the re-send used the same id and records, the registrar answered from storage, no code twice
        let received = await registrar.received
        #expect(received.count == 2)
        #expect(received[1] == received[0])
        #expect(received[1].batchId == firstBatch.batchId)
        for i in 0..<50 { #expect(try await store.answer(for: code(i))?.result == "activated") }
    }

    @Test func refusedCodesBecomeDeadLettersAndDoNotBlockTheQueue() async throws {
        let store = try memoryStore()
        let registrar = InMemoryActivationSink(issued: [code(1).rawValue, code(3).rawValue], foreign: [code(2).rawValue])
        let log = EventLog()
        let drainer = OutboxDrainer(store: store, sink: registrar, configuration: DrainerConfiguration(equipmentId: "cam1"),
                                    clock: TestClock(), logger: quietLogger, onEvent: log.record)
        _ = try await store.append(contentsOf: [good(1, 1), good(2, 2), good(3, 3)])
        try await drain(drainer, log: log) { try await store.depth().pending == 0 }
        #expect(try await store.deadLetters().map(\.code) == [code(2)])
        #expect(try await store.deadLetters().first?.result == "foreign")
        #expect(log.events.contains { if case .deadLettered(_, 1) = $0 { true } else { false } })
    }

    @Test func gracefulShutdownFlushesOnce() async throws {
        // Given queued activations and a drainer that waits 2 s before sending partial batches
        let store = try memoryStore()
        let registrar = InMemoryActivationSink(issued: Set((0..<10).map { code($0).rawValue }))
        let log = EventLog()
        let drainer = OutboxDrainer(store: store, sink: registrar,
                                    configuration: DrainerConfiguration(maxAge: .seconds(3600), shutdownFlushTimeout: .seconds(30), equipmentId: "cam1"),
                                    clock: ContinuousClock(), logger: quietLogger, onEvent: log.record)
        // The start-up backlog is sent at once; these arrive afterwards and would wait an hour.
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await drainer.run() }
                try await Task.sleep(for: .milliseconds(50)) // let the idle loop start waiting
                _ = try await store.append(contentsOf: (0..<10).map { good(UInt64($0), $0) })
                // When the service group shuts down
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        // Then one flush delivered them
        #expect(try await store.depth().pending == 0)
        #expect(log.events.last == .flushed(unsent: 0, timedOut: false))
    }

    @Test func theShutdownFlushIsTimeLimitedAndUnsentRowsStayOnDisk() async throws {
        // Given a registrar that never answers
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.path("outbox.sqlite")
        let store = OutboxStore(database: try AgentDatabase(path: path))
        _ = try await store.append(contentsOf: (0..<5).map { good(UInt64($0), $0) })
        let log = EventLog()
        let drainer = OutboxDrainer(store: store, sink: HangingSink(), configuration: DrainerConfiguration(shutdownFlushTimeout: .seconds(5), equipmentId: "cam1"),
                                    clock: TestClock(), logger: quietLogger, onEvent: log.record)
        // When the flush runs out of time (on the test clock: at once)
        let unsent = await drainer.flush(timeout: .seconds(5))
        // Then the rows are still there after a restart
        #expect(unsent == 5)
        #expect(try await OutboxStore(database: try AgentDatabase(path: path)).depth().pending == 5)
    }
}

/// A registrar that never answers until the request is cancelled (then: retry).
struct HangingSink: ActivationSink {
    func deliver(_ submission: ActivationSubmission) async -> ActivationDelivery {
        try? await Task.sleep(for: .seconds(3600))
        return ActivationDelivery(outcomes: submission.records.map { _ in .retry(after: nil, reason: "cancelled") }, sentBatchIds: [submission.batchId])
    }
}
