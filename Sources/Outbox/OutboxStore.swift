import Foundation
import GRDB
import Delivery
import LineCore
import QazAPI
import Synchronization

/// A decision as the outbox recorded it.
public struct RecordedDecision: Sendable, Equatable {
    /// The decision's row id (append order).
    public var id: Int64
    /// The decision as stored: a `good` decision whose code the outbox had already seen comes back `duplicate`.
    public var decision: BottleDecision
    /// Whether an activation was queued for delivery.
    public var activationQueued: Bool
}

/// A batch of activations handed to the drainer (`beginBatch`). Its id and membership were committed when it
/// was formed: every re-send uses the same id and the same records, so the registrar answers it idempotently.
public struct OutboxBatch: Sendable, Equatable {
    /// The batch's row id.
    public var rowID: Int64
    /// The idempotency key sent to the registrar.
    public var batchId: UUID
    public var lineId: String
    public var equipmentId: String
    /// All members in queue order (including any already answered by an earlier attempt).
    public var records: [ActivationRecord]
    /// The members' activation row ids, parallel to `records`.
    public var activationIDs: [Int64]
    /// Which members still wait for an answer, parallel to `records`.
    public var pending: [Bool]
    /// Send attempts so far.
    public var attempts: Int

    /// The submission for an ``ActivationSink``.
    public var submission: ActivationSubmission {
        ActivationSubmission(batchId: batchId, lineId: lineId, equipmentId: equipmentId, records: records)
    }
}

/// What ``OutboxStore/complete(_:outcomes:at:)`` did with one answer.
public struct BatchCompletion: Sendable, Equatable {
    public var delivered = 0
    public var deadLettered = 0
    /// Members still pending (to be re-sent with the same batch id).
    public var retry = 0
    /// The longest `Retry-After` among retryable outcomes.
    public var retryAfter: Duration?
    /// The reason of the first retryable outcome.
    public var retryReason: String?
    /// Whether the batch is finished (no member pending).
    public var isDone: Bool { retry == 0 }
}

/// Counts for status screens and metrics.
public struct OutboxDepth: Sendable, Equatable {
    /// Activations not yet answered (in open batches or not yet batched).
    public var pending: Int
    /// Activations not yet in a batch.
    public var unbatched: Int
    /// Batches formed but not finished.
    public var openBatches: Int
    /// Dead letters not requeued.
    public var deadLetters: Int
    /// Decision time of the oldest pending activation.
    public var oldestPending: Date?
}

/// A permanently refused activation.
public struct DeadLetter: Sendable, Equatable {
    public var code: StampCode
    public var batchId: UUID
    /// The registrar's per-code result or error code, if any.
    public var result: String?
    public var reason: String
    public var deadAt: Date
}

/// The stored answer for one code.
public struct StoredAnswer: Sendable, Equatable {
    public enum State: String, Sendable { case pending, delivered, dead }
    public var code: StampCode
    public var state: State
    public var result: String?
    public var batchId: UUID?
}

/// The durable outbox: every bottle decision, the queue of activations with their batches and per-code answers,
/// dead letters, the seen-codes set and the local pool, in one ``AgentDatabase``.
///
/// ``append(_:)`` returns only after the decision's transaction committed (`synchronous = FULL`). Appends that
/// arrive while a transaction is being written are committed together in the next one (group commit), so the
/// cost of an fsync is shared by every decision waiting for it.
///
/// The drainer's side follows Telegraf's buffer transactions: ``beginBatch(limit:equipmentId:now:)`` → send →
/// ``complete(_:outcomes:at:)``, where delivered members are accepted, refused ones become dead letters and the
/// rest stay in the batch for a re-send under the same id.
public final class OutboxStore: Sendable {
    public let database: AgentDatabase
    /// Appends are refused below this many free bytes (nil: no check).
    public let minimumFreeBytes: Int64?
    private let queue = Mutex<(slots: [Slot], flushing: Bool)>(([], false))
    private let counters = Mutex<CommitStatistics>(CommitStatistics())
    /// Group-commit counters since the store was opened.
    public struct CommitStatistics: Sendable, Equatable {
        /// Transactions that recorded decisions.
        public var transactions = 0
        /// Decisions recorded.
        public var decisions = 0
        /// The most decisions committed in one transaction.
        public var largestGroup = 0
    }

    /// Group-commit counters since the store was opened.
    public var statistics: CommitStatistics { counters.withLock { $0 } }

    /// Decisions waiting for the next group commit, with the caller waiting for them.
    private final class Slot: Sendable {
        let decisions: [BottleDecision]
        let continuation: CheckedContinuation<Result<[RecordedDecision], OutboxError>, Never>
        init(_ decisions: [BottleDecision], _ continuation: CheckedContinuation<Result<[RecordedDecision], OutboxError>, Never>) {
            self.decisions = decisions
            self.continuation = continuation
        }
    }

    /// - Parameters:
    ///   - database: the opened, migrated database.
    ///   - minimumFreeBytes: refuse appends when the file system has less free space (`outbox.minFreeSpace`).
    public init(database: AgentDatabase, minimumFreeBytes: Int64? = nil) {
        self.database = database
        self.minimumFreeBytes = minimumFreeBytes
    }

    private var writer: any DatabaseWriter { database.writer }
    private var path: String { database.path }

    // MARK: Decisions (group commit)

    /// Records a decision durably; returns after the commit. A good decision queues its activation and adds its
    /// code to the seen set in the same transaction; if the code was seen before, the decision is stored (and
    /// returned) as `duplicate` instead.
    /// - Throws: ``OutboxError`` (disk full, low disk space, corrupt file…): the bottle must not be acknowledged.
    public func append(_ decision: BottleDecision) async throws(OutboxError) -> RecordedDecision {
        try await append(contentsOf: [decision])[0]
    }

    /// Records several decisions in the same group commit (tests, imports, benchmarks).
    public func append(contentsOf decisions: [BottleDecision]) async throws(OutboxError) -> [RecordedDecision] {
        guard !decisions.isEmpty else { return [] }
        let result = await withCheckedContinuation { continuation in
            let startFlush = queue.withLock { queue -> Bool in
                queue.slots.append(Slot(decisions, continuation))
                if queue.flushing { return false }
                queue.flushing = true
                return true
            }
            // One flush at a time runs on GRDB's writer queue (its own thread, never a cooperative one): it commits
            // everything queued in one transaction, then everything that queued meanwhile, until the queue is empty.
            if startFlush { writer.asyncWriteWithoutTransaction { db in self.flushQueued(db) } }
        }
        return try result.get()
    }

    /// Runs on the writer: commits queued decisions, one transaction per round, until none are left.
    private func flushQueued(_ db: Database) {
        while true {
            let slots = queue.withLock { queue -> [Slot] in
                if queue.slots.isEmpty { queue.flushing = false; return [] }
                let taken = queue.slots
                queue.slots.removeAll(keepingCapacity: true)
                return taken
            }
            if slots.isEmpty { return }
            commit(slots, db)
        }
    }

    private func commit(_ slots: [Slot], _ db: Database) {
        var results = [[RecordedDecision]]()
        results.reserveCapacity(slots.count)
        var count = 0
        do {
            if let minimum = minimumFreeBytes, let free = database.freeBytes(), free < minimum {
                throw OutboxError.lowDiskSpace(path: path, freeBytes: free, minimumBytes: minimum)
            }
            try db.inTransaction {
                for slot in slots {
                    results.append(try slot.decisions.map { try self.insert($0, db) })
                    count += slot.decisions.count
                }
                return .commit
            }
            counters.withLock {
                $0.transactions += 1
                $0.decisions += count
                $0.largestGroup = max($0.largestGroup, count)
            }
            for (slot, result) in zip(slots, results) { slot.continuation.resume(returning: .success(result)) }
        } catch {
            let mapped = AgentDatabase.map(error, path: path)
            for slot in slots { slot.continuation.resume(returning: .failure(mapped)) }
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private func insert(_ original: BottleDecision, _ db: Database) throws -> RecordedDecision {
        var decision = original
        var reworkOf: StampCode?
        switch decision.verdict {
        case .good(let code), .reworked(let code):
            let seen = try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM seen_code WHERE code = ?"), arguments: [code.rawValue]) != nil
            guard seen || decision.verdict.kind == .reworked else { break }
            // A code seen before passes again only once per rework allowance, and not while it is in a case (a bottle
            // of a dissolved case packed again is in its new case, not on the line); otherwise it is a duplicate.
            let allowed = try Int.fetchOne(db.cachedStatement(sql: Self.reworkAllowed), arguments: [code.rawValue]) != nil
            if allowed && seen {
                decision.verdict = .reworked(code)
                reworkOf = code
            } else {
                decision.verdict = .duplicate(code)
            }
        default:
            break
        }
        let decidedAt = Self.millis(decision.decidedAt)
        let verdictJSON = String(decoding: try Self.encoder.encode(decision.verdict), as: UTF8.self)
        try db.cachedStatement(sql: """
            INSERT INTO decision (line_id, bottle_sequence, decided_at, kind, code, product_code, verdict, job_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT id FROM job WHERE line_id = ? AND started_at <= ?
                                          AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at DESC LIMIT 1))
            """).execute(arguments: [decision.lineID, Int64(bitPattern: decision.bottleSequence), decidedAt,
                                     decision.verdict.kind.rawValue, decision.verdict.code?.rawValue,
                                     decision.product?.dsnCode, verdictJSON, decision.lineID, decidedAt, decidedAt])
        let id = db.lastInsertedRowID
        if let reworkOf {
            try db.cachedStatement(sql: "UPDATE rework SET used_decision_id = ?, used_at = ? WHERE code = ?")
                .execute(arguments: [id, decidedAt, reworkOf.rawValue])
        }
        var queued = false
        if case .good(let code) = decision.verdict {
            try db.cachedStatement(sql: "INSERT INTO seen_code (code, decision_id) VALUES (?, ?)")
                .execute(arguments: [code.rawValue, id])
            if let activation = decision.activation {
                try db.cachedStatement(sql: """
                    INSERT INTO activation (decision_id, code, product_code, activated_at, line_id, bottle_sequence)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [id, activation.code.rawValue, activation.productCode, decidedAt,
                                             activation.lineID, Int64(bitPattern: activation.bottleSequence)])
                queued = true
            }
        }
        return RecordedDecision(id: id, decision: decision, activationQueued: queued)
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    // MARK: Batches (the drainer's transactions)

    /// The oldest open batch (formed earlier, not finished), or a new one of up to `limit` unbatched activations
    /// of one line in queue order; nil when there is nothing to send.
    public func beginBatch(limit: Int, equipmentId: String, now: Date = Date()) async throws(OutboxError) -> OutboxBatch? {
        if let open = try await openBatch() { return open }
        return try await formBatch(limit: limit, equipmentId: equipmentId, now: now)
    }

    /// The oldest open batch with its full membership.
    public func openBatch() async throws(OutboxError) -> OutboxBatch? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, batch_id, line_id, equipment_id, attempts FROM delivery_batch WHERE state = 'open' ORDER BY id LIMIT 1
                """) else { return nil }
            return try Self.loadBatch(row, db)
        }
    }

    /// Forms a new batch from the oldest unbatched activations (one line, queue order) and commits its id and
    /// membership before returning it.
    public func formBatch(limit: Int, equipmentId: String, now: Date = Date()) async throws(OutboxError) -> OutboxBatch? {
        let limit = max(1, min(limit, 10_000))
        return try await write { db in
            guard let line = try String.fetchOne(db, sql: """
                SELECT line_id FROM activation WHERE batch IS NULL ORDER BY id LIMIT 1
                """) else { return nil }
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM activation WHERE batch IS NULL AND line_id = ? ORDER BY id LIMIT ?
                """, arguments: [line, limit])
            let batchId = UUID()
            try db.execute(sql: """
                INSERT INTO delivery_batch (batch_id, line_id, equipment_id, formed_at, item_count, state)
                VALUES (?, ?, ?, ?, ?, 'open')
                """, arguments: [batchId.uuidString, line, equipmentId, Self.millis(now), ids.count])
            let rowID = db.lastInsertedRowID
            let update = try db.cachedStatement(sql: "UPDATE activation SET batch = ? WHERE id = ?")
            for id in ids { try update.execute(arguments: [rowID, id]) }
            let row = try Row.fetchOne(db, sql: "SELECT id, batch_id, line_id, equipment_id, attempts FROM delivery_batch WHERE id = ?",
                                       arguments: [rowID])!
            return try Self.loadBatch(row, db)
        }
    }

    private static func loadBatch(_ row: Row, _ db: Database) throws -> OutboxBatch {
        let rowID: Int64 = row["id"]
        let members = try Row.fetchAll(db, sql: """
            SELECT id, code, product_code, activated_at, line_id, bottle_sequence, state FROM activation WHERE batch = ? ORDER BY id
            """, arguments: [rowID])
        let batchText: String = row["batch_id"]
        return OutboxBatch(
            rowID: rowID, batchId: UUID(uuidString: batchText)!, lineId: row["line_id"], equipmentId: row["equipment_id"],
            records: members.map { member in
                ActivationRecord(code: StampCode(trusted: member["code"]), productCode: member["product_code"],
                                 activatedAt: date(member["activated_at"]), lineID: member["line_id"],
                                 bottleSequence: UInt64(bitPattern: member["bottle_sequence"]))
            },
            activationIDs: members.map { $0["id"] },
            pending: members.map { ($0["state"] as String) == "pending" },
            attempts: row["attempts"])
    }

    /// Stores the answer to one send of `batch`: one outcome per record, in order. Delivered members keep the
    /// registrar's answer; rejected and failed ones become dead letters with their reason; the rest stay pending
    /// in the batch. An answer of the wrong length is treated as "retry" for every pending member.
    @discardableResult
    public func complete(_ batch: OutboxBatch, outcomes: [RecordOutcome], at now: Date = Date()) async throws(OutboxError) -> BatchCompletion {
        let outcomes = outcomes.count == batch.records.count ? outcomes
            : batch.records.map { _ in RecordOutcome.retry(after: nil, reason: "the sink answered \(outcomes.count) outcomes for \(batch.records.count) records") }
        return try await write { db in
            var completion = BatchCompletion()
            let at = Self.millis(now)
            let deliver = try db.cachedStatement(sql: """
                UPDATE activation SET state = 'delivered', result = ?, server_activated_at = ?, answered_at = ? WHERE id = ? AND state = 'pending'
                """)
            let kill = try db.cachedStatement(sql: """
                UPDATE activation SET state = 'dead', result = ?, answered_at = ? WHERE id = ? AND state = 'pending'
                """)
            let letter = try db.cachedStatement(sql: """
                INSERT INTO dead_letter (activation_id, code, batch_id, result, reason, dead_at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            func dead(_ index: Int, result: String?, reason: String) throws {
                try kill.execute(arguments: [result, at, batch.activationIDs[index]])
                if db.changesCount > 0 {
                    try letter.execute(arguments: [batch.activationIDs[index], batch.records[index].code.rawValue,
                                                   batch.batchId.uuidString, result, reason, at])
                    completion.deadLettered += 1
                }
            }
            for (index, outcome) in outcomes.enumerated() where batch.pending[index] {
                switch outcome {
                case .delivered(let answer):
                    try deliver.execute(arguments: [answer.result.rawValue, answer.activatedAt?.milliseconds, at, batch.activationIDs[index]])
                    if db.changesCount > 0 { completion.delivered += 1 }
                case .rejected(let answer):
                    try dead(index, result: answer.result.rawValue, reason: answer.reason ?? "registrar answered \(answer.result.rawValue)")
                case .failed(let code, let reason):
                    try dead(index, result: code?.rawValue, reason: reason)
                case .retry(let after, let reason):
                    completion.retry += 1
                    if let after { completion.retryAfter = max(completion.retryAfter ?? .zero, after) }
                    if completion.retryReason == nil { completion.retryReason = reason }
                }
            }
            try db.execute(sql: """
                UPDATE delivery_batch SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?,
                    state = CASE WHEN ? THEN 'done' ELSE 'open' END WHERE id = ?
                """, arguments: [at, completion.retryReason, completion.retry == 0, batch.rowID])
            return completion
        }
    }

    /// Moves every dead letter back into the queue (after an operator fixed the cause, e.g. a token); they are
    /// sent in a new batch. Returns how many were requeued.
    @discardableResult
    public func requeueDeadLetters(at now: Date = Date()) async throws(OutboxError) -> Int {
        try await write { db in
            try db.execute(sql: """
                UPDATE activation SET state = 'pending', batch = NULL, result = NULL, answered_at = NULL
                WHERE id IN (SELECT activation_id FROM dead_letter WHERE requeued_at IS NULL)
                """)
            let count = db.changesCount
            try db.execute(sql: "UPDATE dead_letter SET requeued_at = ? WHERE requeued_at IS NULL", arguments: [Self.millis(now)])
            return count
        }
    }

    /// What ``withdraw(decisionID:at:)`` did.
    public enum Withdrawal: Sendable, Equatable {
        /// The activation was still unbatched: removed; the decision now reads `timeout` and the code is unused.
        case withdrawn
        /// The activation is already in a batch (its body must not change): it stays; the operator must write the
        /// code off.
        case alreadyBatched(StampCode)
        /// Nothing to withdraw (not a good decision, or unknown id).
        case nothing
    }

    /// Takes back a good decision whose bottle was rejected anyway (its commit came after the reject deadline):
    /// the bottle left the line, so its code must not be activated.
    public func withdraw(decisionID: Int64, at now: Date = Date()) async throws(OutboxError) -> Withdrawal {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT code, batch FROM activation WHERE decision_id = ?",
                                             arguments: [decisionID]) else { return .nothing }
            let code = StampCode(trusted: row["code"])
            if (row["batch"] as Int64?) != nil {
                // Activated (or being activated) but physically rejected: the bottle may pass once more as reworked.
                try Self.allowRework(db, codes: [code], reason: .rejectedAfterActivation, source: "decision \(decisionID)",
                                     at: Self.millis(now), after: decisionID)
                return .alreadyBatched(code)
            }
            try db.execute(sql: "DELETE FROM activation WHERE decision_id = ?", arguments: [decisionID])
            try db.execute(sql: "DELETE FROM seen_code WHERE decision_id = ?", arguments: [decisionID])
            let verdict = String(decoding: try Self.encoder.encode(Verdict.timeout), as: UTF8.self)
            try db.execute(sql: "UPDATE decision SET kind = 'timeout', verdict = ? WHERE id = ?",
                           arguments: [verdict, decisionID])
            return .withdrawn
        }
    }

    // MARK: Queries

    /// Queue counts and the age of the oldest pending activation.
    public func depth() async throws(OutboxError) -> OutboxDepth {
        try await read { db in
            let pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM activation WHERE state = 'pending'") ?? 0
            let unbatched = try Int.fetchOne(db, sql: "SELECT count(*) FROM activation WHERE batch IS NULL") ?? 0
            let open = try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery_batch WHERE state = 'open'") ?? 0
            let dead = try Int.fetchOne(db, sql: "SELECT count(*) FROM dead_letter WHERE requeued_at IS NULL") ?? 0
            let oldest = try Int64.fetchOne(db, sql: "SELECT activated_at FROM activation WHERE state = 'pending' ORDER BY id LIMIT 1")
            return OutboxDepth(pending: pending, unbatched: unbatched, openBatches: open, deadLetters: dead,
                               oldestPending: oldest.map(Self.date))
        }
    }

    /// Activations not yet in a batch.
    public func unbatchedCount() async throws(OutboxError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM activation WHERE batch IS NULL") ?? 0 }
    }

    /// Dead letters not requeued, oldest first.
    public func deadLetters(limit: Int = 1000) async throws(OutboxError) -> [DeadLetter] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT code, batch_id, result, reason, dead_at FROM dead_letter WHERE requeued_at IS NULL ORDER BY id LIMIT ?
                """, arguments: [limit]).map { row in
                DeadLetter(code: StampCode(trusted: row["code"]), batchId: UUID(uuidString: row["batch_id"])!,
                           result: row["result"], reason: row["reason"], deadAt: Self.date(row["dead_at"]))
            }
        }
    }

    /// The stored state and answer for a code's activation, if it was queued.
    public func answer(for code: StampCode) async throws(OutboxError) -> StoredAnswer? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.state, a.result, b.batch_id FROM activation a LEFT JOIN delivery_batch b ON b.id = a.batch WHERE a.code = ?
                """, arguments: [code.rawValue]) else { return nil }
            let batch: String? = row["batch_id"]
            return StoredAnswer(code: code, state: StoredAnswer.State(rawValue: row["state"]) ?? .pending, result: row["result"],
                                batchId: batch.flatMap(UUID.init(uuidString:)))
        }
    }

    /// Takes codes out of the local pool (written off at the registrar: a bottle still carrying one is `foreign`).
    /// Returns how many were in it.
    @discardableResult
    public func removeFromPool(_ codes: [StampCode]) async throws(OutboxError) -> Int {
        try await write { db in try Self.changedRows(db, "DELETE FROM pool_code WHERE code = ?", codes) }
    }

    /// Whether the file system has room again after a failure: free space at least `minimumFreeBytes` (or 1 MiB
    /// without a minimum). Cheap (one `statvfs`); the agent probes with it while it cannot record decisions.
    public func hasRoom() -> Bool {
        guard let free = database.freeBytes() else { return true }
        return free >= (minimumFreeBytes ?? 1 << 20)
    }

    /// Activations the registrar answered (delivered or refused for good).
    public func sentActivations() async throws(OutboxError) -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM activation WHERE state IN ('delivered', 'dead')") ?? 0
        }
    }

    /// Decisions recorded so far, by kind.
    public func decisionCounts() async throws(OutboxError) -> [DecisionKind: Int] {
        try await read { db in
            var counts = [DecisionKind: Int]()
            for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM decision GROUP BY kind") {
                if let kind = DecisionKind(rawValue: row["kind"]) { counts[kind] = row["n"] }
            }
            return counts
        }
    }

    // MARK: Seen codes and the local pool

    /// Whether a code was already used on a bottle that passed (the persistent duplicate filter). Synchronous:
    /// one indexed read (operator commands; the line uses ``lookup(_:)``).
    public func hasSeen(_ code: StampCode) throws(OutboxError) -> Bool {
        try readSync { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM seen_code WHERE code = ?", arguments: [code.rawValue]) ?? false }
    }

    /// Whether a code may pass once more as reworked: an unused allowance, and the code in no case (its bottle is in
    /// that case, so a bottle with it at the camera is a copy).
    static let reworkAllowed = """
        SELECT 1 FROM rework WHERE code = ? AND used_decision_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM case_member WHERE case_member.code = rework.code)
        """

    /// What the outbox knows of a code for a bottle's decision: whether it was on a bottle that passed before, and
    /// whether the local pool holds it (nil: no pool loaded). One read on the database's own queue: the caller's
    /// thread (the cooperative pool) never blocks on SQLite, and a failed read throws.
    public func lookup(_ code: StampCode) async throws(OutboxError) -> (seen: Bool, inPool: Bool?, reworkable: Bool) {
        let raw = code.rawValue
        return try await read { db in
            let seen = try Bool.fetchOne(db, sql: "SELECT 1 FROM seen_code WHERE code = ?", arguments: [raw]) ?? false
            let allowance = try Bool.fetchOne(db, sql: Self.reworkAllowed, arguments: [raw]) ?? false
            let reworkable = seen && allowance
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM pool_code LIMIT 1") ?? false else { return (seen, nil, reworkable) }
            let inPool = try Bool.fetchOne(db, sql: "SELECT 1 FROM pool_code WHERE code = ?", arguments: [raw]) ?? false
            return (seen, inPool, reworkable)
        }
    }

    /// Whether the local pool holds a code. Synchronous: one indexed read (operator commands; the line uses
    /// ``lookup(_:)``).
    public func poolContains(_ code: StampCode) throws(OutboxError) -> Bool {
        try readSync { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM pool_code WHERE code = ?", arguments: [code.rawValue]) ?? false }
    }

    /// Codes in the local pool (0: no pool loaded, so no bottle is judged `foreign` locally).
    public func poolCount() throws(OutboxError) -> Int {
        try readSync { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM pool_code") ?? 0 }
    }

    /// Adds codes to the local pool (e.g. from the registrar's pool endpoint). Returns how many were new.
    @discardableResult
    public func addToPool(_ codes: [StampCode], source: String, at now: Date = Date()) async throws(OutboxError) -> Int {
        try await write { db in
            let added = try Self.changedRows(db, "INSERT OR IGNORE INTO pool_code (code) VALUES (?)", codes)
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM pool_code") ?? 0
            try db.execute(sql: "INSERT INTO pool_import (source, imported_at, added, total) VALUES (?, ?, ?, ?)",
                           arguments: [source, Self.millis(now), added, total])
            return added
        }
    }

    /// Runs `sql` (one `?` for the code) once per code; returns the rows it changed.
    private static func changedRows(_ db: Database, _ sql: String, _ codes: [StampCode]) throws -> Int {
        let statement = try db.cachedStatement(sql: sql)
        var changed = 0
        for code in codes {
            try statement.execute(arguments: [code.rawValue])
            changed += db.changesCount
        }
        return changed
    }

    /// Imports a file of codes, one per line (bare codes or QR payload URLs; blank lines and `#` comments are
    /// skipped). Every line is checked first: one bad line imports nothing and names the file and line.
    /// - Returns: how many codes were new.
    @discardableResult
    public func importPool(from file: String, rules: PayloadRules = .default, at now: Date = Date()) async throws(OutboxError) -> Int {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw .invalidPoolFile(path: file, line: 0, reason: "cannot read the file: \(error.localizedDescription)")
        }
        var codes = [StampCode]()
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            switch rules.parse(Array(trimmed.utf8)) {
            case .success(let code): codes.append(code)
            case .failure(let why): throw .invalidPoolFile(path: file, line: lineNumber, reason: "not a code: \(why)")
            }
        }
        return try await addToPool(codes, source: file, at: now)
    }

    // MARK: Plumbing

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OutboxError) -> T {
        do { return try await writer.write(body) } catch { throw AgentDatabase.map(error, path: path) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OutboxError) -> T {
        do { return try await writer.read(body) } catch { throw AgentDatabase.map(error, path: path) }
    }

    private func readSync<T>(_ body: (Database) throws -> T) throws(OutboxError) -> T {
        do { return try writer.read(body) } catch { throw AgentDatabase.map(error, path: path) }
    }
}
