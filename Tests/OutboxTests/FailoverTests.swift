import Delivery
import Foundation
import LineAgentTesting
import LineCore
import Logging
@testable import Outbox
import QazAPI
import QazClient
import QazServer
import ServiceLifecycle
import Synchronization
import Testing

/// Every move between registrar addresses a client made.
final class SwitchLog: Sendable {
    private let state = Mutex<[RegistrarSwitch]>([])
    func record(_ move: RegistrarSwitch) { state.withLock { $0.append(move) } }
    var moves: [RegistrarSwitch] { state.withLock { $0 } }
}

/// Two real registrars (QazServer) on loopback over one SQLite store, as `qazserver` instances over one database:
/// `codes` issued to one producer. `body` gets both base URLs, A's service group (to stop it), a producer token and
/// the shared store.
func withTwoRegistrars<T: Sendable>(
    codes count: Int,
    _ body: (_ a: String, _ aGroup: ServiceGroup, _ b: String, _ token: String, _ store: any RegistrarStore) async throws -> T
) async throws -> T {
    let producer = makeBIN("97010112345")
    let store = try SQLiteRegistrarStore()
    try await store.migrate()
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    let a = RegistrarServer(store: store, limits: limits)
    let b = RegistrarServer(store: store, limits: limits)
    let waybill = try #require(WaybillRequest.consecutive(
        number: "WB-FAILOVER-1", date: CalendarDate("2026-11-02")!, recipient: Recipient(bin: producer, name: "Test Distillery LLP"),
        product: WaybillProduct(name: "Vodka Test", type: "vodka", capacityMl: 500), series: StampSeries("AB")!,
        codes: (0..<count).map { code($0).rawValue }))
    _ = try await store.recordWaybill(try a.command(for: waybill))
    let token = try await TokenService(store: store).issue(participant: producer, role: .producer).token
    return try await a.withLoopbackServer(logger: quietLogger) { portA, groupA in
        try await b.withLoopbackServer(logger: quietLogger) { portB, _ in
            try await body("http://127.0.0.1:\(portA)", groupA, "http://127.0.0.1:\(portB)", token, store)
        }
    }
}

/// A registrar serving `store` on a chosen loopback port while `body` runs (to bring an address back).
func serveRegistrar<T: Sendable>(_ store: any RegistrarStore, port: Int, _ body: () async throws -> T) async throws -> T {
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    let (running, continuation) = AsyncStream<Int>.makeStream()
    let app = try RegistrarServer(store: store, limits: limits).application(host: "127.0.0.1", port: port, logger: quietLogger,
                                                                             onServerRunning: { continuation.yield($0) })
    let group = ServiceGroup(configuration: .init(services: [app], logger: quietLogger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = running.makeAsyncIterator()
        guard await iterator.next() != nil else {
            try await tasks.next()
            throw CancellationError()
        }
        do {
            let value = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// A producer's client over `urls` (the preferred first), no retries inside the client (the drainer retries).
func failoverClient(_ urls: [String], token: String, failback: Duration = .seconds(300), clock: any Clock<Duration> = ContinuousClock(),
                    switches: SwitchLog) throws -> QazAPIClient {
    try QazAPIClient(configuration: QazClientConfiguration(
        baseURLs: urls, failback: failback, token: token, connectTimeout: .seconds(2), requestTimeout: .seconds(10),
        requestsPerSecond: 100_000, burst: 100_000, maxAttempts: 1), logger: quietLogger, clock: clock, onSwitch: switches.record)
}

/// Every code's activation in the shared registrar store, by code (more than one event for a code would be a
/// second activation).
func activationCounts(_ store: any RegistrarStore) async throws -> [String: Int] {
    var counts: [String: Int] = [:]
    var after: Int64 = 0
    while true {
        let page = try await store.activations(after: after, participant: nil, limit: 1_000)
        guard let last = page.last else { return counts }
        for event in page { counts[event.code, default: 0] += 1 }
        after = last.id
    }
}

@Suite("Registrar failover: several addresses, real registrars on loopback over one store", .serialized)
struct FailoverTests {
    let config = DrainerConfiguration(maxItems: 100, maxAge: .milliseconds(10), initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5),
                                      equipmentId: "cam1")

    @Test("the first address a closed port: every activation delivered through the second, one failover logged")
    func closedFirstPort() async throws {
        try await withTwoRegistrars(codes: 300) { _, _, b, token, registrar in
            // Given a client whose preferred address refuses connections (nothing listens on port 1)
            let switches = SwitchLog()
            let client = try failoverClient(["http://127.0.0.1:1", b], token: token, switches: switches)
            try await client.closing { client in
                let store = try memoryStore()
                _ = try await store.append(contentsOf: (0..<300).map { good(UInt64($0), $0) })
                let log = EventLog()
                let drainer = OutboxDrainer(store: store, sink: client, configuration: config, clock: TestClock(), logger: quietLogger,
                                            onEvent: log.record)
                // When the drainer sends
                try await drain(drainer, log: log) { try await store.depth().pending == 0 }
                // Then everything was delivered through the second address, after one move there
                #expect(try await store.deadLetters().isEmpty)
                for i in [0, 150, 299] { #expect(try await store.answer(for: code(i))?.result == "activated") }
                let counts = try await activationCounts(registrar)
                #expect(counts.count == 300 && counts.values.allSatisfy { $0 == 1 })
                #expect(switches.moves.count == 1)
                #expect(switches.moves.first?.reason == .failover)
                #expect(switches.moves.first?.fromURL == "http://127.0.0.1:1" && switches.moves.first?.toURL == b)
                #expect(client.registrarStatus == RegistrarAddressStatus(urls: ["http://127.0.0.1:1", b], activeIndex: 1, failovers: 1, failbacks: 0))
            }
        }
    }

    @Test("the first registrar stopped mid-stream: the rest through the second, every code activated exactly once")
    func firstStoppedMidStream() async throws {
        try await withTwoRegistrars(codes: 2_000) { a, aGroup, b, token, registrar in
            let switches = SwitchLog()
            let client = try failoverClient([a, b], token: token, switches: switches)
            try await client.closing { client in
                let store = try memoryStore()
                _ = try await store.append(contentsOf: (0..<2_000).map { good(UInt64($0), $0) })
                let log = EventLog()
                let drainer = OutboxDrainer(store: store, sink: client, configuration: config, clock: TestClock(), logger: quietLogger,
                                            onEvent: log.record)
                // When registrar A shuts down after five batches, while the drainer keeps sending
                let stopped = Mutex(false)
                let sentBeforeStop = Mutex(0)
                try await drain(drainer, log: log) {
                    let sent = log.events.filter { if case .sent = $0 { true } else { false } }.count
                    if sent >= 5, stopped.withLock({ let was = $0; $0 = true; return !was }) {
                        sentBeforeStop.withLock { $0 = sent }
                        await aGroup.triggerGracefulShutdown()
                    }
                    return try await store.depth().pending == 0
                }
                // Then every activation was answered, none twice: each code is activated once in the shared store,
                // and no answer says `alreadyActivated` (a batch re-sent to B after A applied it is answered from storage)
                #expect(stopped.withLock { $0 })
                #expect(sentBeforeStop.withLock { $0 } < 20, "A must stop before the stream ends")
                #expect(try await store.deadLetters().isEmpty)
                var results: [String: Int] = [:]
                for i in 0..<2_000 { results[try await store.answer(for: code(i))?.result ?? "none", default: 0] += 1 }
                #expect(results == ["activated": 2_000])
                let counts = try await activationCounts(registrar)
                #expect(counts.count == 2_000)
                #expect(counts.values.allSatisfy { $0 == 1 })
                // And the client moved once, from A to B, and stays there
                #expect(switches.moves.map(\.reason) == [.failover])
                #expect(switches.moves.first?.fromURL == a && switches.moves.first?.toURL == b)
                #expect(client.registrarStatus.activeURL == b)
            }
        }
    }

    @Test("after the failback interval the client returns to the first address once it answers again")
    func failback() async throws {
        try await withTwoRegistrars(codes: 30) { _, _, b, token, registrar in
            // Given a preferred address where no registrar runs yet, and a failback interval of one minute
            let port = try freeLoopbackPort()
            let a = "http://127.0.0.1:\(port)"
            let clock = TestClock()
            let switches = SwitchLog()
            let client = try failoverClient([a, b], token: token, failback: .seconds(60), clock: clock, switches: switches)
            try await client.closing { client in
                func activate(_ number: Int) async throws -> ActivationOutcome? {
                    try await client.activate(ActivationBatch(batchId: UUID(), lineId: "line1", equipmentId: "cam1", items: [
                        ActivationItem(code: code(number).rawValue, activatedAt: Timestamp(Date()), productCode: "DSN-0001"),
                    ])).receipt.results.first?.result
                }
                // When a request fails at A, it goes to B
                #expect(try await activate(0) == .activated)
                #expect(client.registrarStatus.activeIndex == 1)
                try await serveRegistrar(registrar, port: port) { () async throws -> Void in
                    // And while the interval has not passed, requests stay on B though A answers again
                    clock.advance(by: .seconds(59))
                    #expect(try await activate(1) == .activated)
                    #expect(client.registrarStatus.activeIndex == 1)
                    // Then after the interval the next request goes to A, and the client stays there
                    clock.advance(by: .seconds(1))
                    #expect(try await activate(2) == .activated)
                    #expect(client.registrarStatus.activeIndex == 0)
                    #expect(try await activate(3) == .activated)
                    #expect(client.registrarStatus.activeIndex == 0)
                }
                #expect(switches.moves.map(\.reason) == [.failover, .failback])
                #expect(switches.moves.last?.fromURL == b && switches.moves.last?.toURL == a)
                #expect(client.registrarStatus.failovers == 1 && client.registrarStatus.failbacks == 1)
            }
            #expect(try await activationCounts(registrar).count == 4)
        }
    }

    @Test("a failed failback probe keeps the client on the second address and tries again one interval later")
    func failbackProbeFails() async throws {
        try await withTwoRegistrars(codes: 10) { _, _, b, token, _ in
            let clock = TestClock()
            let switches = SwitchLog()
            let client = try failoverClient(["http://127.0.0.1:1", b], token: token, failback: .seconds(60), clock: clock, switches: switches)
            try await client.closing { client in
                _ = try await client.code(code(0).rawValue)
                clock.advance(by: .seconds(61))
                // The probe of A fails; the same request is answered by B
                #expect(try await client.code(code(1).rawValue).status == .issued)
                #expect(client.registrarStatus.activeIndex == 1)
                #expect(switches.moves.map(\.reason) == [.failover])
            }
        }
    }

    @Test("a 409 conflict and a 422 refusal are the registrar's answers: no failover", arguments: [409, 422])
    func conflictDoesNotFailOver(status: Int) async throws {
        try await withTwoRegistrars(codes: 10) { a, _, b, token, _ in
            let switches = SwitchLog()
            let client = try failoverClient([a, b], token: token, switches: switches)
            try await client.closing { client in
                let first = ActivationBatch(batchId: UUID(), lineId: "line1", equipmentId: "cam1", items: [
                    ActivationItem(code: code(0).rawValue, activatedAt: Timestamp(Date()), productCode: "DSN-0001")])
                _ = try await client.activate(first)
                // The same batch id with other items (409), or a batch with no items (422)
                var refused = first
                if status == 409 {
                    refused.items = [ActivationItem(code: code(1).rawValue, activatedAt: Timestamp(Date()), productCode: "DSN-0001")]
                } else {
                    refused = ActivationBatch(batchId: UUID(), lineId: "line1", equipmentId: "cam1", items: [])
                }
                do {
                    _ = try await client.activate(refused)
                    Issue.record("the registrar accepted the batch")
                } catch let error as QazClientError {
                    guard case .server(let answered, _, _) = error else { Issue.record("\(error)"); return }
                    #expect(answered == status)
                }
                #expect(switches.moves.isEmpty)
                #expect(client.registrarStatus == RegistrarAddressStatus(urls: [a, b], activeIndex: 0, failovers: 0, failbacks: 0))
            }
        }
    }
}

/// The address choice on its own (no I/O): order, compare-and-set moves, one failback probe per interval.
@Suite("RegistrarAddresses")
struct RegistrarAddressesTests {
    @Test("requests try the active address first, then the others in list order")
    func order() {
        let addresses = RegistrarAddresses(urls: ["a", "b", "c"], failback: .seconds(60), clock: TestClock())
        #expect(addresses.plan().order == [0, 1, 2])
        let plan = addresses.plan()
        #expect(addresses.answered(at: 2, plan: plan, cause: "refused")?.toURL == "c")
        #expect(addresses.plan().order == [2, 0, 1])
    }

    @Test("concurrent requests that saw the same failure move the client once")
    func compareAndSet() {
        let addresses = RegistrarAddresses(urls: ["a", "b"], failback: .seconds(60), clock: TestClock())
        let first = addresses.plan()
        let second = addresses.plan()
        #expect(addresses.answered(at: 1, plan: first) != nil)
        #expect(addresses.answered(at: 1, plan: second) == nil)
        #expect(addresses.failedWithoutResend(at: 0, plan: second, cause: "reset") == nil)
        #expect(addresses.status().failovers == 1)
    }

    @Test("after the interval one request probes the first address; the next probe waits another interval")
    func oneProbePerInterval() {
        let clock = TestClock()
        let addresses = RegistrarAddresses(urls: ["a", "b"], failback: .seconds(60), clock: clock)
        _ = addresses.answered(at: 1, plan: addresses.plan())
        clock.advance(by: .seconds(60))
        #expect(addresses.plan(mayProbe: false).failbackProbe == false, "a request that cannot be re-sent never probes")
        let probe = addresses.plan()
        #expect(probe.failbackProbe && probe.order == [0, 1])
        #expect(addresses.plan().order == [1, 0], "other requests meanwhile stay on b")
        clock.advance(by: .seconds(59))
        #expect(!addresses.plan().failbackProbe)
        clock.advance(by: .seconds(1))
        let again = addresses.plan()
        #expect(again.failbackProbe)
        #expect(addresses.answered(at: 0, plan: again)?.reason == .failback)
        #expect(addresses.status() == RegistrarAddressStatus(urls: ["a", "b"], activeIndex: 0, failovers: 1, failbacks: 1))
    }

    @Test("a request that is not re-sent moves the client to the next address for the next request")
    func moveWithoutResend() {
        let addresses = RegistrarAddresses(urls: ["a", "b"], failback: .seconds(60), clock: TestClock())
        let plan = addresses.plan(mayProbe: false)
        let move = addresses.failedWithoutResend(at: 0, plan: plan, cause: "connection reset")
        #expect(move == RegistrarSwitch(reason: .failover, from: 0, fromURL: "a", to: 1, toURL: "b", cause: "connection reset"))
        #expect(addresses.plan().order == [1, 0])
    }
}
