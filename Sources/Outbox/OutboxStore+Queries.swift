import Foundation
import GRDB
import LineCore

// Read queries and operator actions for `lineagent status`, `outbox list|retry|export`. They read the same file as
// the running agent (WAL: readers never block the writer); the one write, a selective requeue, is a short
// transaction like ``OutboxStore/requeueDeadLetters(at:)``.

/// A queued activation as `lineagent outbox list --pending` shows it.
public struct PendingActivation: Sendable, Equatable {
    public var code: StampCode
    public var lineId: String
    public var bottleSequence: UInt64
    /// When the bottle was decided (the activation time sent to the registrar), UTC.
    public var decidedAt: Date
    /// The batch it was sent in (nil: not yet in a batch).
    public var batchId: UUID?
    /// Send attempts of that batch so far (0 when not batched).
    public var attempts: Int
    /// The last retryable failure of that batch, if any.
    public var lastError: String?
}

/// A dead letter (not requeued) with the bottle it came from.
public struct DeadLetterRow: Sendable, Equatable {
    public var code: StampCode
    public var lineId: String
    public var bottleSequence: UInt64
    public var decidedAt: Date
    /// The batch that was refused (nil only if the stored id is unreadable).
    public var batchId: UUID?
    /// The registrar's per-code result or error code, if any.
    public var result: String?
    public var reason: String
    public var deadAt: Date
}

/// Delivered activations in the whole file.
public struct DeliverySummary: Sendable, Equatable {
    /// Activations the registrar accepted.
    public var delivered: Int
    /// When the last one was answered (UTC).
    public var lastAnsweredAt: Date?
}

/// One recorded decision with the state of its activation, for exports.
public struct ExportedDecision: Sendable, Equatable {
    /// The decision's row id (append order).
    public var id: Int64
    public var lineId: String
    public var bottleSequence: UInt64
    public var decidedAt: Date
    public var kind: DecisionKind
    /// The code of a good, duplicate or foreign verdict.
    public var code: StampCode?
    /// The product's ДСН code, when the recipe was known.
    public var productCode: String?
    /// The verdict as stored (nil if the stored JSON cannot be read: the kind is still exact).
    public var verdict: Verdict?
    /// `pending`, `delivered` or `dead` for good bottles; nil for bottles without an activation.
    public var activationState: String?
    /// The registrar's per-code result (`activated`, `alreadyActivated`, `foreign`, …).
    public var result: String?
    public var batchId: UUID?
    /// The registrar's activation time (delivered only).
    public var serverActivatedAt: Date?
    /// When the registrar's answer was stored.
    public var answeredAt: Date?
    /// The reason of the latest dead letter of this activation (also after a requeue).
    public var deadReason: String?
}

extension OutboxStore {
    /// Activations waiting for the registrar's answer, in queue order.
    public func pendingActivations(limit: Int = 1000) async throws(OutboxError) -> [PendingActivation] {
        try await queryRead { db in
            try Row.fetchAll(db, sql: """
                SELECT a.code, a.line_id, a.bottle_sequence, a.activated_at, b.batch_id, b.attempts, b.last_error
                FROM activation a LEFT JOIN delivery_batch b ON b.id = a.batch
                WHERE a.state = 'pending' ORDER BY a.id LIMIT ?
                """, arguments: [max(0, limit)]).map { row in
                let batch: String? = row["batch_id"]
                let attempts: Int? = row["attempts"]
                return PendingActivation(
                    code: StampCode(trusted: row["code"]), lineId: row["line_id"],
                    bottleSequence: UInt64(bitPattern: row["bottle_sequence"]), decidedAt: Self.date(row["activated_at"]),
                    batchId: batch.flatMap(UUID.init(uuidString:)), attempts: attempts ?? 0, lastError: row["last_error"])
            }
        }
    }

    /// Dead letters not requeued, oldest first, with their bottles.
    public func deadLetterRows(limit: Int = 1000) async throws(OutboxError) -> [DeadLetterRow] {
        try await queryRead { db in
            try Row.fetchAll(db, sql: """
                SELECT d.code, d.batch_id, d.result, d.reason, d.dead_at, a.line_id, a.bottle_sequence, a.activated_at
                FROM dead_letter d JOIN activation a ON a.id = d.activation_id
                WHERE d.requeued_at IS NULL ORDER BY d.id LIMIT ?
                """, arguments: [max(0, limit)]).map { row in
                let batch: String = row["batch_id"]
                return DeadLetterRow(
                    code: StampCode(trusted: row["code"]), lineId: row["line_id"],
                    bottleSequence: UInt64(bitPattern: row["bottle_sequence"]), decidedAt: Self.date(row["activated_at"]),
                    batchId: UUID(uuidString: batch), result: row["result"], reason: row["reason"],
                    deadAt: Self.date(row["dead_at"]))
            }
        }
    }

    /// Delivered activations and the time of the last answer.
    public func deliverySummary() async throws(OutboxError) -> DeliverySummary {
        try await queryRead { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, max(answered_at) AS last FROM activation WHERE state = 'delivered'")
            let last: Int64? = row?["last"]
            return DeliverySummary(delivered: row?["n"] ?? 0, lastAnsweredAt: last.map(Self.date))
        }
    }

    /// Moves the dead letters of the given codes back into the queue (a new batch, a new id), like
    /// ``requeueDeadLetters(at:)`` for all of them.
    /// - Returns: the codes requeued; codes with no dead letter waiting are not in it.
    @discardableResult
    public func requeueDeadLetters(codes: [StampCode], at now: Date = Date()) async throws(OutboxError) -> [StampCode] {
        let wanted = Array(Set(codes.map(\.rawValue))).sorted()
        guard !wanted.isEmpty else { return [] }
        let at = Self.millis(now)
        return try await queryWrite { db in
            var requeued = [StampCode]()
            let find = try db.cachedStatement(sql: "SELECT activation_id FROM dead_letter WHERE code = ? AND requeued_at IS NULL")
            let update = try db.cachedStatement(sql: """
                UPDATE activation SET state = 'pending', batch = NULL, result = NULL, answered_at = NULL WHERE id = ? AND state = 'dead'
                """)
            let mark = try db.cachedStatement(sql: "UPDATE dead_letter SET requeued_at = ? WHERE code = ? AND requeued_at IS NULL")
            for code in wanted {
                let ids = try Int64.fetchAll(find, arguments: [code])
                guard !ids.isEmpty else { continue }
                for id in ids { try update.execute(arguments: [id]) }
                try mark.execute(arguments: [at, code])
                requeued.append(StampCode(trusted: code))
            }
            return requeued
        }
    }

    /// Decisions in append order after `afterID`, decided at or after `since`, with their activation's answer:
    /// one page of an export (call again with the last id until it returns fewer than `limit`).
    public func exportDecisions(after afterID: Int64 = 0, since: Date? = nil, limit: Int = 5000) async throws(OutboxError) -> [ExportedDecision] {
        let sinceMillis = since.map(Self.millis) ?? Int64.min
        return try await queryRead { db in
            let decoder = JSONDecoder()
            return try Row.fetchAll(db, sql: """
                SELECT d.id, d.line_id, d.bottle_sequence, d.decided_at, d.kind, d.code, d.product_code, d.verdict,
                       a.state, a.result, a.server_activated_at, a.answered_at, b.batch_id,
                       (SELECT reason FROM dead_letter WHERE activation_id = a.id ORDER BY id DESC LIMIT 1) AS dead_reason
                FROM decision d
                LEFT JOIN activation a ON a.decision_id = d.id
                LEFT JOIN delivery_batch b ON b.id = a.batch
                WHERE d.id > ? AND d.decided_at >= ? ORDER BY d.id LIMIT ?
                """, arguments: [afterID, sinceMillis, max(1, limit)]).map { row in
                let code: String? = row["code"]
                let verdictText: String = row["verdict"]
                let batch: String? = row["batch_id"]
                let serverAt: Int64? = row["server_activated_at"]
                let answeredAt: Int64? = row["answered_at"]
                let kindText: String = row["kind"]
                return ExportedDecision(
                    id: row["id"], lineId: row["line_id"], bottleSequence: UInt64(bitPattern: row["bottle_sequence"]),
                    decidedAt: Self.date(row["decided_at"]), kind: DecisionKind(rawValue: kindText) ?? .timeout,
                    code: code.map(StampCode.init(trusted:)), productCode: row["product_code"],
                    verdict: try? decoder.decode(Verdict.self, from: Data(verdictText.utf8)),
                    activationState: row["state"], result: row["result"], batchId: batch.flatMap(UUID.init(uuidString:)),
                    serverActivatedAt: serverAt.map(Self.date), answeredAt: answeredAt.map(Self.date),
                    deadReason: row["dead_reason"])
            }
        }
    }

    // MARK: Plumbing (the store's own helpers are private to its file)

    private func queryRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OutboxError) -> T {
        do { return try await database.writer.read(body) } catch { throw AgentDatabase.map(error, path: database.path) }
    }

    private func queryWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OutboxError) -> T {
        do { return try await database.writer.write(body) } catch { throw AgentDatabase.map(error, path: database.path) }
    }
}
