import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// The storage queries of the registrar console (activations per participant per hour, the participants with codes),
/// on every backend: the console reads only through the storage protocol.
@Suite("Console queries on every storage backend")
struct ConsoleQueryTests {
    @Test("activations per participant per hour: whole hours, half-open range, only activated codes; participants with names",
          arguments: TestBackend.allCases)
    func hourlyAndParticipants(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let a = try await registrar.issue(5, to: producerA, prefix: "QZA", name: "Alpha Distillery")
            let b = try await registrar.issue(3, to: producerB, prefix: "QZB", series: "BB", name: "Beta Spirits")
            _ = try await registrar.issue(2, to: importerC, prefix: "QZC", series: "CC", name: "Gamma Import")
            func activate(_ who: String, _ codes: [String], at time: String) async throws {
                try await registrar.with(who) { client in
                    _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1",
                                                                  items: items(codes, at: time)))
                }
            }
            try await activate("producerA", Array(a[0..<3]), at: "2026-11-21T22:10:05+05:00")  // 17:10:05Z
            try await activate("producerA", [a[3]], at: "2026-11-21T23:00:00+05:00")           // 18:00:00Z
            try await activate("producerB", Array(b[0..<2]), at: "2026-11-21T22:59:59+05:00")  // 17:59:59Z
            let store = registrar.store
            let h17 = Timestamp(text: "2026-11-21T17:00:00Z")!, h18 = Timestamp(text: "2026-11-21T18:00:00Z")!
            let h19 = Timestamp(text: "2026-11-21T19:00:00Z")!
            #expect(try await store.activationsPerHour(from: h17, to: h19) == [
                HourlyActivations(participant: producerA, hour: h17, count: 3), HourlyActivations(participant: producerB, hour: h17, count: 2),
                HourlyActivations(participant: producerA, hour: h18, count: 1),
            ])
            #expect(try await store.activationsPerHour(from: h18, to: h19) == [HourlyActivations(participant: producerA, hour: h18, count: 1)])
            // The end is excluded: 17:10:05.000 itself is not before 17:10:05.000.
            #expect(try await store.activationsPerHour(from: h17, to: Timestamp(text: "2026-11-21T17:10:05Z")!).isEmpty)
            #expect(try await store.activationsPerHour(from: h19, to: Timestamp(text: "2026-11-22T19:00:00Z")!).isEmpty)
            #expect(try await store.participants() == [
                ParticipantSummary(participant: producerA, name: "Alpha Distillery"),
                ParticipantSummary(participant: importerC, name: "Gamma Import"),
                ParticipantSummary(participant: producerB, name: "Beta Spirits"),
            ])
        }
    }
}
