import Foundation
import LineCore
import Outbox
import Testing
@testable import AgentRuntime

@Suite("Jobs follow the PLC's recipe")
struct RecipeJobsTests {
    @Test("A recipe change ends the open job and starts one for the new recipe, both in the audit log")
    func recipeChangeSwitchesJobs() async throws {
        let store = OutboxStore(database: try AgentDatabase())
        let product = Product(dsnCode: "DSN-2", name: "Gin", type: "gin", capacityMl: 700, strength: 40)
        let events = AgentEventLog()
        let jobs = RecipeJobs(store: store, products: [2: product], events: events)
        let manual = try await store.startJob(NewJob(lineID: "l1", recipe: 1, lot: "OP-1"), by: "op")
        let at = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30 00:53:20 UTC = 05:53:20 in Astana
        await jobs.recipeChanged(line: "l1", to: 2, at: at)
        let ended = try #require(try await store.job(manual.id))
        #expect(ended.endedBy == "plc")
        let open = try #require(try await store.openJob(line: "l1"))
        #expect(open.recipe == 2 && open.productCode == "DSN-2" && open.startedBy == "plc")
        #expect(open.lot == "R2-20261130-0553")
        // The same recipe again changes nothing.
        await jobs.recipeChanged(line: "l1", to: 2, at: at.addingTimeInterval(60))
        #expect(try await store.openJob(line: "l1")?.id == open.id)
        #expect(try await store.auditLog().map(\.action) == ["job-start", "job-end"])
        #expect(events.errors.isEmpty)
    }
}
