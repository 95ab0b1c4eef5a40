import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import SystemdNotify

@Suite("The notify service: READY=1 when the runtime says so, watchdog pings while healthy, STOPPING=1 on shutdown",
       .serialized)
struct SystemdNotifyServiceTests {
    static let quiet = Logger(label: "systemd-notify-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("start-up pings, READY=1 with its status, pings every half timeout, withheld while unhealthy, STOPPING=1")
    func lifecycle() async throws {
        // Given a service manager's socket and a runtime that becomes ready when told, healthy when told
        let listener = try NotifyListener()
        let ready = ReadinessFlag()
        let healthy = Mutex(true)
        let service = SystemdNotifyService(
            notifier: SystemdNotifier(address: listener.address), watchdog: WatchdogSettings(timeout: .seconds(1)),
            isReady: { ready.isSet }, readyStatus: { "serving on 127.0.0.1:8080" },
            health: { healthy.withLock { $0 } ? .healthy : .unhealthy("the store did not answer") }, logger: Self.quiet)
        #expect(service.checkTimeout == .milliseconds(250))
        let group = ServiceGroup(services: [service], logger: Self.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // While starting: pings without a health check (start-up is bounded by TimeoutStartSec), no READY=1
            let starting = await listener.collect(for: .milliseconds(1200))
            #expect(starting.count >= 2 && starting.allSatisfy { $0 == "WATCHDOG=1" }, "\(starting)")
            // When the runtime is ready
            ready.set()
            let untilReady = try #require(await listener.collect(until: "READY=1"))
            #expect(untilReady.last?.text == "READY=1\nSTATUS=serving on 127.0.0.1:8080")
            // Then pings come every 500 ms, never a second apart
            let pings = try #require(await listener.collect(until: "WATCHDOG=1"))
            var times = [pings.last!.at]
            for _ in 0..<4 {
                let next = try #require(await listener.collect(until: "WATCHDOG=1", timeout: .seconds(2)))
                #expect(next.map(\.text) == ["WATCHDOG=1"])
                times.append(next.last!.at)
            }
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 > .milliseconds(300) && $0 < .milliseconds(900) }, "gaps \(gaps)")
            // When the health check fails: the status says why and the pings stop
            healthy.withLock { $0 = false }
            let unhealthy = await listener.collect(for: .milliseconds(2000))
            #expect(unhealthy.contains("STATUS=unhealthy: the store did not answer"), "\(unhealthy)")
            #expect(unhealthy.filter { $0 == "WATCHDOG=1" }.count <= 1, "\(unhealthy)")  // one may have left before the change
            #expect(unhealthy.suffix(2).allSatisfy { $0 != "WATCHDOG=1" }, "\(unhealthy)")
            // When it passes again: pings resume and the status returns
            healthy.withLock { $0 = true }
            let resumed = try #require(await listener.collect(until: "STATUS=serving on 127.0.0.1:8080"))
            #expect(resumed.map(\.text).contains("WATCHDOG=1"))
            // When graceful shutdown begins: STOPPING=1
            await group.triggerGracefulShutdown()
            let stopping = try #require(await listener.collect(until: "STOPPING=1"))
            #expect(stopping.last?.text == "STOPPING=1\nSTATUS=stopping")
            try await tasks.next()
        }
    }

    @Test("a health check that hangs counts as failed after the time limit, and is not started again beside itself")
    func hangingCheck() async throws {
        let calls = Mutex(0)
        let probe = HealthProbe {
            calls.withLock { $0 += 1 }
            try? await Task.sleep(for: .milliseconds(600))
            return .healthy
        }
        let first = await probe.check(within: .milliseconds(100))
        #expect(first == .unhealthy("the health check did not answer within 0.1 seconds"))
        #expect(await probe.check(within: .milliseconds(100)) != .healthy)
        #expect(calls.withLock { $0 } == 1)
        // The same check, once it answers, answers the round that waits for it; the next round starts a new one
        #expect(await probe.check(within: .seconds(5)) == .healthy)
        #expect(calls.withLock { $0 } == 1)
        #expect(await probe.check(within: .seconds(5)) == .healthy)
        #expect(calls.withLock { $0 } == 2)
    }

    @Test("not under systemd: sends nothing and leaves the group on graceful shutdown")
    func notUnderSystemd() async throws {
        let asked = Mutex(0)
        let service = SystemdNotifyService(notifier: SystemdNotifier(address: nil), watchdog: WatchdogSettings(timeout: .seconds(1)),
                                           isReady: { asked.withLock { $0 += 1 }; return true }, health: { .healthy },
                                           logger: Self.quiet)
        let group = ServiceGroup(services: [service], logger: Self.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(100))
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(asked.withLock { $0 } == 0)
    }

    @Test("the start tracker: true once every wrapped service runs; graceful shutdown still reaches them")
    func startTracker() async throws {
        let tracker = ServiceStartTracker()
        let counter = Counter()
        let wrapped = tracker.wrap([CountingService(counter: counter), CountingService(counter: counter)])
        #expect(!tracker.allStarted && tracker.progress == (0, 2))
        #expect(String(describing: wrapped[0]).contains("CountingService"))
        let group = ServiceGroup(services: wrapped, logger: Self.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while !tracker.allStarted, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(tracker.allStarted)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(counter.value == 2)
    }
}

/// Counts services that saw their graceful shutdown.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Waits for graceful shutdown, then counts.
struct CountingService: Service {
    let counter: Counter
    func run() async throws {
        try? await gracefulShutdown()
        counter.increment()
    }
}
