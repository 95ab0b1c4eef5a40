import Delivery
import Foundation
import LineCore
import QazAPI
import Testing
@testable import Outbox

@Suite("This agent's activations of a reporting month (for lineagent report submit)")
struct MonthActivationsTests {
    static let november = ReportingMonth("2026-11")!

    static func at(_ iso: String) -> Date { UTCTime.parse(iso)! }

    static func goodAt(_ sequence: UInt64, _ number: Int, _ iso: String) -> BottleDecision {
        BottleDecision(lineID: "line1", bottleSequence: sequence, decidedAt: at(iso), product: vodka, verdict: .good(code(number)))
    }

    @Test("Counts delivered, undelivered and refused activations by Astana month; delivered ones by the registrar's time")
    func countsByMonthAndState() async throws {
        // Given activations on both sides of the month's Astana bounds (2026-10-31T19:00Z … 2026-11-30T19:00Z)
        let store = try memoryStore()
        _ = try await store.append(contentsOf: [
            Self.goodAt(1, 1, "2026-10-31T18:59:59.999Z"),  // 23:59:59.999 on 31 October in Astana
            Self.goodAt(2, 2, "2026-10-31T19:00:00Z"),      // 00:00 on 1 November
            Self.goodAt(3, 3, "2026-11-20T05:00:00Z"),      // the registrar had it activated in October
            Self.goodAt(4, 4, "2026-11-20T06:00:00Z"),
            Self.goodAt(5, 5, "2026-11-30T18:59:59.999Z"),  // refused
            Self.goodAt(6, 6, "2026-11-25T05:00:00Z"),      // in a batch still being retried
            BottleDecision(lineID: "line1", bottleSequence: 7, decidedAt: Self.at("2026-11-21T05:00:00Z"), product: nil, verdict: .noRead),
        ])
        let batch = try #require(try await store.beginBatch(limit: 10, equipmentId: "line1-top"))
        try await store.complete(batch, outcomes: [
            .delivered(ActivationResult(code: code(1).rawValue, result: .activated, activatedAt: Timestamp(Self.at("2026-10-31T18:59:59.999Z")))),
            .delivered(ActivationResult(code: code(2).rawValue, result: .activated, activatedAt: Timestamp(Self.at("2026-10-31T19:00:00Z")))),
            .delivered(ActivationResult(code: code(3).rawValue, result: .alreadyActivated, activatedAt: Timestamp(Self.at("2026-10-15T05:00:00Z")))),
            .delivered(ActivationResult(code: code(4).rawValue, result: .activated, activatedAt: Timestamp(Self.at("2026-11-20T06:00:00Z")))),
            .rejected(ActivationResult(code: code(5).rawValue, result: .foreign, reason: "issued to another participant")),
            .retry(after: nil, reason: "registrar answered 503 unavailable"),
        ])
        // And two not yet batched: one in November, one at 00:00 on 1 December in Astana
        _ = try await store.append(contentsOf: [Self.goodAt(8, 8, "2026-11-30T19:00:00Z"), Self.goodAt(9, 9, "2026-11-10T05:00:00Z")])

        // When the months are counted
        let november = try await store.activations(in: Self.november)
        let october = try await store.activations(in: Self.november.previous)
        let december = try await store.activations(in: Self.november.next)

        // Then each activation falls in exactly one month, by the registrar's time once delivered
        #expect(november == MonthActivations(month: Self.november, delivered: 2, pending: 2, dead: 1,
                                             oldestPending: Self.at("2026-11-10T05:00:00Z"), newestPending: Self.at("2026-11-25T05:00:00Z")))
        #expect(october == MonthActivations(month: Self.november.previous, delivered: 2))
        #expect(december == MonthActivations(month: Self.november.next, pending: 1, oldestPending: Self.at("2026-11-30T19:00:00Z"),
                                             newestPending: Self.at("2026-11-30T19:00:00Z")))
    }

    @Test("An empty outbox has nothing in any month")
    func empty() async throws {
        let store = try memoryStore()
        #expect(try await store.activations(in: Self.november) == MonthActivations(month: Self.november))
    }
}
