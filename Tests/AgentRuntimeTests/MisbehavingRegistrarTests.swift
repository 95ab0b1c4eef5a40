import AgentRuntime
import Foundation
import Hummingbird
import LineAgentTesting
import LineDemo
import Logging
import NIOCore
import Outbox
import QazClient
import ServiceLifecycle
import Synchronization
import Testing

/// A registrar impostor over real loopback HTTP: answers every request with garbage, or answers too late.
final class MisbehavingRegistrar: Sendable {
    enum Mode: Sendable { case garbage, slow(Duration) }
    let mode = Mutex<Mode>(.garbage)
    let requests = Atomic<Int>(0)

    func run(_ body: (_ port: Int) async throws -> Void) async throws {
        let router = Router()
        router.post("v1/activations") { [self] _, _ -> Response in
            requests.add(1, ordering: .relaxed)
            switch mode.withLock({ $0 }) {
            case .garbage:
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"results\": [nul")))
            case .slow(let delay):
                try await Task.sleep(for: delay)
                return Response(status: .serviceUnavailable)
            }
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            do {
                try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

@Suite(.serialized) struct MisbehavingRegistrarTests {
    @Test func aRegistrarThatAnswersGarbageThenTooSlowlyLosesAndDoublesNothing() async throws {
        var demo = options(bottles: 120)
        demo.shares = [.unreadable: 0.05, .duplicate: 0.05]
        try await SimulatedPlant.run(demo, logger: quiet) { plant in
            let impostor = MisbehavingRegistrar()
            try await impostor.run { port in
                // Given a "registrar" that answers garbage
                let bad = try QazAPIClient(configuration: QazClientConfiguration(
                    baseURL: "http://127.0.0.1:\(port)", token: plant.registrar.producerToken, requestTimeout: .milliseconds(500),
                    maxAttempts: 1), logger: quiet)
                let summary = try await bad.closing { bad in
                    try await withAgent(plant, deliveringFirstTo: bad) { agent, sink, real in
                        try await plant.startLine(agent)
                        try await plant.waitForBottles(60, agent: agent, timeout: .seconds(30))
                        // Then nothing is taken as delivered and the errors say why
                        try await LineDemo.waitUntil(timeout: .seconds(10), "a garbage answer") { impostor.requests.load(ordering: .relaxed) >= 1 }
                        #expect(agent.outboxWatch.delivered == 0)
                        #expect(await agent.snapshot().lastErrors.contains { $0.kind == "delivery" })
                        // When it then answers later than the client waits
                        impostor.mode.withLock { $0 = .slow(.seconds(2)) }
                        let before = impostor.requests.load(ordering: .relaxed)
                        try await LineDemo.waitUntil(timeout: .seconds(15), "a slow answer") {
                            impostor.requests.load(ordering: .relaxed) > before
                        }
                        try await plant.waitForBottles(120, agent: agent, timeout: .seconds(30))
                        #expect(agent.outboxWatch.delivered == 0)
                        #expect(try await agent.store.depth().pending == plant.reports.filter(\.kind.passes).count)
                        // And when the real registrar answers, everything is delivered exactly once
                        sink.setTarget(real)
                        #expect(try await plant.waitForDelivery(agent, timeout: .seconds(40)))
                        return try await plant.summarize(agent)
                    }
                }
                #expect(summary.reconciled, "\(LineDemo.render(summary))")
                #expect(summary.registrar.activated == summary.good)
                #expect(summary.activationsAccepted == summary.good)
            }
        }
    }
}
