import Foundation
import LineCore
import NIOCore
import QazAPI
import QazClient
@testable import QazServer
import ServiceLifecycle
import Testing

/// Decodes SSE events as activation events, checking that each `id:` is the event's id and the name is `activation`.
func activationEvents(_ events: [(id: String?, name: String?, data: String)]) throws -> [ActivationEvent] {
    try events.map { sse in
        let event = try WireCoding.decoder().decode(ActivationEvent.self, from: Data(sse.data.utf8))
        #expect(sse.id == String(event.id), "SSE id \(sse.id ?? "nil") vs data id \(event.id)")
        #expect(sse.name == ActivationStreamFormat.eventName)
        return event
    }
}

extension Registrar {
    /// Activates `codes` as `who` in one batch and returns the answer.
    @discardableResult
    func activate(_ who: String, _ codes: [String], line: String = "line-1") async throws -> ActivationReceipt {
        try await with(who) { client in
            try await client.activate(ActivationBatch(batchId: UUID(), lineId: line, equipmentId: "cam-1", items: items(codes))).receipt
        }
    }
}

@Suite("Live activation stream (Server-Sent Events) over loopback HTTP")
struct ActivationStreamTests {
    @Test("store contract: event ids follow commits without gaps; participant filter; pages; replays and repeats add nothing",
          arguments: TestBackend.allCases)
    func storeContract(_ backend: TestBackend) async throws {
        try await withRegistrar(over: .socket, backend: backend) { registrar in
            let store = registrar.store
            #expect(try await store.latestActivationEventID() == 0)
            #expect(try await store.activations(after: 0, participant: nil, limit: 10).isEmpty)
            let a = try await registrar.issue(5, to: producerA, prefix: "QZA")
            let b = try await registrar.issue(3, to: producerB, prefix: "QZB", series: "BB")
            let c = try await registrar.issue(2, to: importerC, prefix: "QZC", series: "CC")
            // Given: a batch with a foreign and an unknown code, another producer's batch, a replay, a repeat, an import report
            let first = ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1",
                                        items: items(Array(a[0..<3]) + [b[0], makeCode("QZX", 1)]))
            try await registrar.with("producerA") { client in _ = try await client.activate(first) }
            try await registrar.activate("producerB", b, line: "line-b")
            let replayed = try await registrar.with("producerA") { client in try await client.activate(first).replayed }
            #expect(replayed)
            let repeated = try await registrar.activate("producerA", [a[2], a[3]])
            #expect(repeated.results.map(\.result) == [.alreadyActivated, .activated])
            let report = ImportReportRequest(reportId: UUID(), rows: [
                ImportReportRow(code: c[0], stamp: AffixedStamp(series: StampSeries("CC")!, number: StampNumber(1)!),
                                affixedAt: Timestamp(text: "2026-11-10T12:00:00+05:00")!),
            ])
            try await registrar.with("importerC") { client in
                let answer = try await post(client, "/v1/import-reports", String(decoding: try WireCoding.encoder().encode(report), as: UTF8.self))
                #expect(answer.status == 200)
            }

            // Then every activation has one event, in commit order, ids 1…8 without gaps
            let all = try await store.activations(after: 0, participant: nil, limit: 100)
            #expect(all.map(\.id) == Array(1...8))
            #expect(all.map(\.code) == Array(a[0..<3]) + b + [a[3], c[0]])
            #expect(all[0] == ActivationEvent(id: 1, code: a[0], participant: producerA, lineId: "line-1", equipmentId: "cam-1",
                                              productCode: "DSN-0001", activatedAt: Timestamp(text: "2026-11-21T22:10:05+05:00")!,
                                              batchId: first.batchId))
            #expect(all[3].participant == producerB && all[3].lineId == "line-b")
            #expect(all[7].lineId == RegistrarServer.importLineId && all[7].productCode == nil && all[7].batchId == report.reportId)
            #expect(all[7].activatedAt == Timestamp(text: "2026-11-10T07:00:00Z"))
            #expect(try await store.latestActivationEventID() == 8)
            // And the filter returns one participant's events, after a given id
            #expect(try await store.activations(after: 0, participant: producerB, limit: 100).map(\.code) == b)
            #expect(try await store.activations(after: 4, participant: producerB, limit: 100).map(\.id) == [5, 6])
            #expect(try await store.activations(after: 0, participant: importerC, limit: 100).map(\.id) == [8])
            // And pages of 3 put together are the whole list
            var paged = [ActivationEvent]()
            while true {
                let page = try await store.activations(after: paged.last?.id ?? 0, participant: nil, limit: 3)
                if page.isEmpty { break }
                #expect(page.count <= 3)
                paged += page
            }
            #expect(paged == all)
            #expect(try await store.activations(after: 8, participant: nil, limit: 10).isEmpty)
        }
    }

    @Test("the hand-written event encoding decodes to the same ActivationEvent with JSONDecoder, escapes included")
    func eventEncoding() throws {
        let time = Timestamp(text: "2026-11-21T22:10:05.123+05:00")!
        let events = [
            ActivationEvent(id: 7, code: "QZA000000000000000001", participant: producerA, lineId: "line-1", equipmentId: "cam-1",
                            productCode: "DSN-0001", activatedAt: time, batchId: UUID()),
            ActivationEvent(id: 9_007_199_254_740_993, code: "C", participant: producerB, lineId: "линия \"1\" \\ main\t\u{1}",
                            equipmentId: "камера\n2", productCode: nil, activatedAt: Timestamp(milliseconds: -1), batchId: UUID()),
        ]
        for event in events {
            var buffer = ByteBuffer()
            EventEncoding.append(event, to: &buffer)
            let text = String(buffer: buffer)
            #expect(text.hasSuffix("\n\n"))
            guard case .event(let id, let name, let data) = SSEConnection.parse(String(text.dropLast(2))) else {
                Issue.record("not an event: \(text)")
                continue
            }
            #expect(id == String(event.id) && name == "activation")
            #expect(!data.contains("\n"), "data is one line")
            #expect(try WireCoding.decoder().decode(ActivationEvent.self, from: Data(data.utf8)) == event)
        }
    }

    @Test("the stream delivers activations accepted after connecting, as SSE events with the wire type", arguments: TestBackend.allCases)
    func deliversNewActivations(_ backend: TestBackend) async throws {
        try await withRegistrar(over: .socket, backend: backend) { registrar in
            let a = try await registrar.issue(6, to: producerA, prefix: "QZA")
            let b = try await registrar.issue(3, to: producerB, prefix: "QZB", series: "BB")
            // Given an activation before the stream opens
            try await registrar.activate("producerA", [a[0]])
            // When the registrar connects and producers activate
            let stream = try await registrar.stream("registrar")
            #expect(stream.status == 200)
            #expect(stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(stream.headers["cache-control"] == "no-cache")
            let first = try await registrar.activate("producerA", Array(a[1...5]))
            try await registrar.activate("producerB", b, line: "line-b")
            // Then exactly the new activations arrive, in order, with every field
            let events = try activationEvents(try await stream.events(8))
            #expect(events.map(\.code) == Array(a[1...5]) + b)
            #expect(events.map(\.id) == Array(2...9))
            #expect(events[0].participant == producerA && events[0].batchId == first.batchId && events[0].productCode == "DSN-0001")
            #expect(events[0].activatedAt == Timestamp(text: "2026-11-21T17:10:05Z") && events[0].equipmentId == "cam-1")
            #expect(events[5].participant == producerB && events[5].lineId == "line-b")
            // And nothing else follows (the earlier activation was not sent)
            #expect(try await stream.events(within: .milliseconds(300)).isEmpty)
            stream.close()
        }
    }

    @Test("reconnecting with Last-Event-ID (or ?after=) gets exactly the missed events in order, no duplicates", arguments: TestBackend.allCases)
    func resumesAfterLastEventID(_ backend: TestBackend) async throws {
        try await withRegistrar(over: .socket, backend: backend) { registrar in
            let a = try await registrar.issue(20, to: producerA, prefix: "QZA")
            let stream = try await registrar.stream("revenue")
            try await registrar.activate("producerA", Array(a[0..<10]))
            // Given a client that read four events and went away
            let seen = try activationEvents(try await stream.events(4))
            stream.close()
            // When more is activated while it is away
            try await registrar.activate("producerA", Array(a[10..<20]))
            // Then reconnecting with Last-Event-ID gives the rest, exactly once and in order
            let resumed = try await registrar.stream("revenue", headers: [("Last-Event-ID", String(seen[3].id))])
            let rest = try activationEvents(try await resumed.events(16))
            #expect(rest.map(\.code) == Array(a[4..<20]))
            #expect((seen + rest).map(\.id) == Array(1...20))
            #expect(try await resumed.events(within: .milliseconds(300)).isEmpty, "no duplicates or extra events")
            resumed.close()
            // ?after= for clients that cannot set headers; the header wins over the URL's after (a reconnecting EventSource)
            let byQuery = try await registrar.stream("revenue", query: "?after=17")
            #expect(try activationEvents(try await byQuery.events(3)).map(\.id) == [18, 19, 20])
            byQuery.close()
            let both = try await registrar.stream("revenue", query: "?after=0", headers: [("Last-Event-ID", "19")])
            #expect(try activationEvents(try await both.events(1)).map(\.code) == [a[19]])
            both.close()
            // after=0 replays from the first activation
            let replay = try await registrar.stream("revenue", query: "?after=0")
            #expect(try activationEvents(try await replay.events(20)).map(\.code) == a)
            replay.close()
        }
    }

    @Test("?bin= filters by participant; a producer streams only its own codes", arguments: TestBackend.allCases)
    func participantFilter(_ backend: TestBackend) async throws {
        try await withRegistrar(over: .socket, backend: backend) { registrar in
            let a = try await registrar.issue(4, to: producerA, prefix: "QZA")
            let b = try await registrar.issue(4, to: producerB, prefix: "QZB", series: "BB")
            let revenueB = try await registrar.stream("revenue", query: "?bin=\(producerB)")
            let ownA = try await registrar.stream("producerA")
            let ownAExplicit = try await registrar.stream("producerA", query: "?bin=\(producerA)")
            for index in 0..<4 {
                try await registrar.activate("producerA", [a[index]])
                try await registrar.activate("producerB", [b[index]])
            }
            #expect(try activationEvents(try await revenueB.events(4)).map(\.code) == b)
            #expect(try activationEvents(try await ownA.events(4)).map(\.code) == a)
            #expect(try activationEvents(try await ownAExplicit.events(4)).map(\.code) == a)
            for stream in [revenueB, ownA, ownAExplicit] {
                #expect(try await stream.events(within: .milliseconds(200)).isEmpty, "another participant's event leaked")
                stream.close()
            }
        }
    }

    @Test("access: 401 without a token, 403 not_owner for another producer's bin, 403 for the banknote factory, 422 for bad input")
    func accessControl() async throws {
        try await withRegistrar(over: .socket) { registrar in
            func refused(_ who: String?, query: String = "", headers: [(String, String)] = []) async throws -> (Int, ErrorBody?) {
                let connection = try await registrar.stream(who, query: query, headers: headers)
                defer { connection.close() }
                #expect(connection.headers["content-type"]?.hasPrefix("application/json") == true)
                let body = try await connection.readBody()
                return (connection.status, try? WireCoding.decoder().decode(ErrorResponse.self, from: Data(body.utf8)).error)
            }
            let anonymous = try await refused(nil)
            #expect(anonymous.0 == 401 && anonymous.1?.code == .unauthenticated)
            let bogus = try await refused("qzt_00000000_nope")
            #expect(bogus.0 == 401)
            let other = try await refused("producerA", query: "?bin=\(producerB)")
            #expect(other.0 == 403 && other.1?.code == .notOwner)
            let importer = try await refused("importerC", query: "?bin=\(producerA)")
            #expect(importer.0 == 403 && importer.1?.code == .notOwner)
            let factory = try await refused("factory")
            #expect(factory.0 == 403 && factory.1?.code == .forbidden)
            let badBin = try await refused("registrar", query: "?bin=123")
            #expect(badBin.0 == 422 && badBin.1?.details?["field"] == "bin")
            let badID = try await refused("registrar", headers: [("Last-Event-ID", "-3")])
            #expect(badID.0 == 422 && badID.1?.details?["field"] == "Last-Event-ID")
            let badAfter = try await refused("registrar", query: "?after=x")
            #expect(badAfter.0 == 422 && badAfter.1?.details?["field"] == "after")
            // the registrar and the revenue body may stream another participant
            for who in ["registrar", "revenue"] {
                let allowed = try await registrar.stream(who, query: "?bin=\(producerB)")
                #expect(allowed.status == 200)
                allowed.close()
            }
        }
    }

    @Test("heartbeat comments on an idle stream; a client that goes away ends its stream on the server")
    func heartbeatAndDisconnect() async throws {
        try await withRegistrar(over: .socket, stream: StreamConfiguration(heartbeat: .milliseconds(100))) { registrar in
            let stream = try await registrar.stream("registrar")
            for _ in 0..<3 {
                let message = try await stream.next(timeout: .seconds(5))
                #expect(message == .comment("keep-alive"))
            }
            #expect(registrar.server.activationFeed.subscriberCount == 1)
            stream.close()
            // the next heartbeat write fails and the stream's subscription ends (a generous deadline: parallel suites load
            // the 2 cores; alone this takes one or two heartbeats)
            let deadline = ContinuousClock.now + .seconds(20)
            while registrar.server.activationFeed.subscriberCount > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(registrar.server.activationFeed.subscriberCount == 0)
        }
    }

    @Test("graceful shutdown ends open streams (idle and stalled) and is not held up by them", arguments: [TestBackend.sqliteFile])
    func shutdownEndsStreams(_ backend: TestBackend) async throws {
        let clock = ContinuousClock()
        var triggered = clock.now
        let idleEnded = try await withRegistrar(over: .socket, backend: backend) { registrar in
            let codes = try await registrar.issue(10_000, to: producerA, prefix: "QZA")
            let idle = try await registrar.stream("registrar", query: "?bin=\(producerB)")
            let stalled = try await registrar.stream("registrar", receiveBuffer: 4096)
            for start in stride(from: 0, to: 10_000, by: 5_000) {
                try await registrar.activate("producerA", Array(codes[start..<start + 5_000]))
            }
            try await Task.sleep(for: .milliseconds(200))
            triggered = clock.now
            await registrar.group.triggerGracefulShutdown()
            // the idle stream ends cleanly (the terminating chunk arrives)
            let ended = try await idle.ends(within: .seconds(5))
            idle.close()
            stalled.close()
            return ended
        }
        let shutdown = triggered.duration(to: clock.now)
        #expect(idleEnded)
        // Without ending the streams the shutdown would wait forever; the bound is generous for a loaded machine.
        #expect(shutdown < .seconds(30), "shutdown took \(shutdown)")
    }

    @Test("a consumer that never reads does not slow ingest of 20,000 activations; resuming, it still gets every event in order",
          arguments: TestBackend.allCases)
    func stalledConsumerDoesNotSlowIngest(_ backend: TestBackend) async throws {
        let perServer = 20_000, batch = 2_000
        // Two registrars on the same backend, one with a consumer that never reads, one without; their batches alternate,
        // so both see the same machine load (other suites and builds share the 2 cores) and the comparison is fair.
        try await withRegistrar(over: .socket, backend: backend) { stalledServer in
            try await withRegistrar(over: .socket, backend: backend) { quietServer in
                let stalledCodes = try await stalledServer.issue(perServer, to: producerA, prefix: "QZA", series: "AA")
                let quietCodes = try await quietServer.issue(perServer, to: producerA, prefix: "QZA", series: "AA")
                let stalled = try await stalledServer.stream("registrar", receiveBuffer: 4096)
                let toStalled = try stalledServer.client("producerA"), toQuiet = try quietServer.client("producerA")
                var withStalled = Duration.zero, withoutConsumer = Duration.zero
                var activated = (stalled: 0, quiet: 0)
                do {
                    for start in stride(from: 0, to: perServer, by: batch) {
                        for (client, codes, isStalled) in [(toStalled, stalledCodes, true), (toQuiet, quietCodes, false)] {
                            let begin = ContinuousClock.now
                            let receipt = try await client.activate(ActivationBatch(
                                batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items(Array(codes[start..<start + batch])))).receipt
                            let spent = begin.duration(to: .now)
                            if isStalled { withStalled += spent; activated.stalled += receipt.summary.activated } else {
                                withoutConsumer += spent; activated.quiet += receipt.summary.activated
                            }
                        }
                    }
                } catch {
                    try? await toStalled.shutdown()
                    try? await toQuiet.shutdown()
                    throw error
                }
                try await toStalled.shutdown()
                try await toQuiet.shutdown()
                let waiting = stalledServer.server.activationFeed.subscribersInWrite
                print("stream-bench \(backend): ingest of \(perServer) activations without a consumer \(withoutConsumer), with a stalled consumer \(withStalled)")
                // Then every activation was accepted and ingest was not measurably slower
                #expect(activated.stalled == perServer && activated.quiet == perServer)
                #expect(withStalled < withoutConsumer * 2 + .seconds(1), "without a consumer \(withoutConsumer), with a stalled one \(withStalled)")
                #expect(waiting == 1, "the server side of the stalled stream waits in a write")
                // And the consumer, reading again, gets every event in order
                let events = try activationEvents(try await stalled.events(perServer, timeout: .seconds(120)))
                #expect(events.map(\.code) == stalledCodes)
                #expect(events.map(\.id) == Array(1...Int64(perServer)))
                #expect(try await stalled.events(within: .milliseconds(200)).isEmpty)
                stalled.close()
            }
        }
    }

    @Test("concurrent ingest by several producers: a live consumer gets every event once, ids without gaps", arguments: TestBackend.allCases)
    func concurrentIngest(_ backend: TestBackend) async throws {
        try await withRegistrar(over: .socket, backend: backend) { registrar in
            let producers = [("producerA", producerA, "QZA", "AA"), ("producerB", producerB, "QZB", "BB")]
            var codes = [String: [String]]()
            for (name, bin, prefix, series) in producers { codes[name] = try await registrar.issue(2_000, to: bin, prefix: prefix, series: series) }
            let stream = try await registrar.stream("registrar")
            let all = codes
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, _, _, _) in producers {
                    for part in 0..<2 {  // two clients per producer, 250-code batches
                        group.addTask {
                            let mine = Array(all[name]![(part * 1_000)..<((part + 1) * 1_000)])
                            for start in stride(from: 0, to: 1_000, by: 250) {
                                try await registrar.activate(name, Array(mine[start..<start + 250]))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let events = try activationEvents(try await stream.events(4_000, timeout: .seconds(60)))
            #expect(events.map(\.id) == Array(1...4_000))
            #expect(Set(events.map(\.code)) == Set(all.values.flatMap { $0 }))
            #expect(try await stream.events(within: .milliseconds(200)).isEmpty)
            stream.close()
        }
    }
}
