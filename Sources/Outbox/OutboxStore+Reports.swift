import Foundation
import GRDB
import LineCore

// What the agent knows about one reporting month, for `lineagent report submit`: the producer checks the registrar's
// App. 9/10 against its own line before signing them. Read-only; it scans the activation table once (a month's
// report is asked for once a month, so it has no index of its own).

/// This agent's activations whose activation time falls in one Astana reporting month, by delivery state.
public struct MonthActivations: Sendable, Equatable {
    public var month: ReportingMonth
    /// Acknowledged by the registrar (`activated`, or `alreadyActivated` by an earlier send of this agent). Their time
    /// is the one the registrar has on record (`server_activated_at`), else the agent's own.
    public var delivered: Int
    /// Not yet answered by the registrar (queued, or in a batch being retried): the registrar does not count them yet.
    public var pending: Int
    /// Refused by the registrar (dead letters: foreign, unknown, a 4xx): not activated there.
    public var dead: Int
    /// The earliest and latest activation time of the pending ones (nil when there are none).
    public var oldestPending: Date?
    public var newestPending: Date?

    public init(month: ReportingMonth, delivered: Int = 0, pending: Int = 0, dead: Int = 0, oldestPending: Date? = nil,
                newestPending: Date? = nil) {
        self.month = month
        self.delivered = delivered
        self.pending = pending
        self.dead = dead
        self.oldestPending = oldestPending
        self.newestPending = newestPending
    }
}

extension OutboxStore {
    /// This agent's activations with an activation time in `month` (00:00 Astana time on its first day up to, not
    /// including, the first of the next), counted by state.
    public func activations(in month: ReportingMonth) async throws(OutboxError) -> MonthActivations {
        let start = Self.millis(month.start), end = Self.millis(month.end)
        return try await read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT
                    coalesce(sum(state = 'delivered' AND coalesce(server_activated_at, activated_at) >= ?1
                                 AND coalesce(server_activated_at, activated_at) < ?2), 0) AS delivered,
                    coalesce(sum(state = 'pending' AND activated_at >= ?1 AND activated_at < ?2), 0) AS pending,
                    coalesce(sum(state = 'dead' AND activated_at >= ?1 AND activated_at < ?2), 0) AS dead,
                    min(CASE WHEN state = 'pending' AND activated_at >= ?1 AND activated_at < ?2 THEN activated_at END) AS oldest,
                    max(CASE WHEN state = 'pending' AND activated_at >= ?1 AND activated_at < ?2 THEN activated_at END) AS newest
                FROM activation
                """, arguments: [start, end])
            let oldest: Int64? = row?["oldest"], newest: Int64? = row?["newest"]
            return MonthActivations(month: month, delivered: row?["delivered"] ?? 0, pending: row?["pending"] ?? 0, dead: row?["dead"] ?? 0,
                                    oldestPending: oldest.map(Self.date), newestPending: newest.map(Self.date))
        }
    }
}
