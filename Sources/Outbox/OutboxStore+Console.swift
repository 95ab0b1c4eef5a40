import Foundation
import GRDB
import LineCore
import QazAPI

// What the console and `lineagent job|user` keep in the agent's database beside the outbox: production jobs, the
// console's users, the audit log of operator actions, and write-offs made from this agent. Short transactions on
// the same writer as the bottle path's group commits.

/// A production job on one line: from its start (operator, terminal or the PLC's recipe change) to its end.
public struct ProductionJob: Sendable, Equatable, Codable {
    public var id: Int64
    public var lineID: String
    /// The product's ДСН code (nil: whatever the recipe says).
    public var productCode: String?
    public var recipe: Int?
    /// The lot (batch) number printed on the product.
    public var lot: String
    /// The planned quantity of bottles.
    public var planned: Int?
    public var startedAt: Date
    /// Who started it: a user name, `plc` for a recipe change.
    public var startedBy: String
    public var endedAt: Date?
    public var endedBy: String?

    public var isOpen: Bool { endedAt == nil }
}

/// A job to start.
public struct NewJob: Sendable, Equatable {
    public var lineID: String
    public var productCode: String?
    public var recipe: Int?
    public var lot: String
    public var planned: Int?

    public init(lineID: String, productCode: String? = nil, recipe: Int? = nil, lot: String, planned: Int? = nil) {
        self.lineID = lineID
        self.productCode = productCode
        self.recipe = recipe
        self.lot = lot
        self.planned = planned
    }

    /// Why this job cannot be started, or nil.
    public var problem: String? {
        let lot = lot.trimmingCharacters(in: .whitespaces)
        if lot.isEmpty { return "the lot number is empty" }
        if lot.count > 64 { return "the lot number is longer than 64 characters" }
        if lot.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the lot number contains control characters"
        }
        if let planned, !(1...10_000_000).contains(planned) { return "the planned quantity must be 1-10000000, got \(planned)" }
        return nil
    }
}

/// A job's figures: from the decisions that carry it and the write-offs made while it ran.
public struct JobReport: Sendable, Equatable, Codable {
    public var job: ProductionJob
    public var bottles: Int
    public var good: Int
    /// Rejected bottles by decision kind (`no-read`, `duplicate`, …).
    public var rejectedByKind: [String: Int]
    /// Codes activated (good bottles): the stamps used.
    public var codesUsed: Int
    /// Codes written off from this agent while the job ran.
    public var codesWrittenOff: Int

    public var rejected: Int { rejectedByKind.values.reduce(0, +) }
}

/// A console user (the password only as its bcrypt hash).
public struct ConsoleAccount: Sendable, Equatable {
    public enum Role: String, CaseIterable, Sendable, Codable {
        /// Acknowledges alarms, starts and ends jobs, retries dead letters.
        case `operator`
        /// Everything an operator may, and write-offs and the camera analysis.
        case engineer
    }
    public var name: String
    public var role: Role
    public var passwordHash: String
    public var disabled: Bool
}

/// One operator action: who, what, when.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    public var user: String
    /// A stable verb: `login`, `login-failed`, `alarm-ack`, `job-start`, `job-end`, `outbox-retry`, `write-off`, …
    public var action: String
    /// What it concerned (a job id, an alarm, a code).
    public var target: String?
    public var detail: String?
}

extension OutboxStore {
    // MARK: Jobs

    /// Starts a job on its line.
    /// - Throws: ``OutboxError/refused(path:reason:)`` if the line already has an open job or the job is invalid.
    public func startJob(_ new: NewJob, by user: String, at now: Date = Date()) async throws(OutboxError) -> ProductionJob {
        if let problem = new.problem { throw .refused(path: database.path, reason: problem) }
        let path = database.path
        let result: Result<ProductionJob, OutboxError> = try await write { db in
            if let open = try Self.fetchJobs(db, "WHERE line_id = ? AND ended_at IS NULL", [new.lineID]).first {
                return .failure(.refused(path: path, reason: "line \(new.lineID) already has job \(open.id) open (lot \(open.lot)): end it first"))
            }
            // A job starts no earlier than the last one ended (decisions are matched to jobs by time).
            let lastEnd = try Int64.fetchOne(db, sql: "SELECT MAX(ended_at) FROM job WHERE line_id = ?", arguments: [new.lineID]) ?? 0
            let start = max(Self.millis(now), lastEnd)
            try db.execute(sql: """
                INSERT INTO job (line_id, product_code, recipe, lot, planned, started_at, started_by) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [new.lineID, new.productCode, new.recipe, new.lot.trimmingCharacters(in: .whitespaces),
                                 new.planned, start, user])
            return .success(try Self.fetchJobs(db, "WHERE id = ?", [db.lastInsertedRowID])[0])
        }
        return try result.get()
    }

    /// Ends the open job of `lineID`.
    /// - Throws: ``OutboxError/refused(path:reason:)`` if the line has no open job (or `id` is not it).
    public func endJob(line lineID: String, id: Int64? = nil, by user: String, at now: Date = Date()) async throws(OutboxError) -> ProductionJob {
        let path = database.path
        let result: Result<ProductionJob, OutboxError> = try await write { db in
            guard let open = try Self.fetchJobs(db, "WHERE line_id = ? AND ended_at IS NULL", [lineID]).first else {
                return .failure(.refused(path: path, reason: "line \(lineID) has no open job"))
            }
            if let id, id != open.id {
                return .failure(.refused(path: path, reason: "job \(id) is not the open job of line \(lineID) (that is job \(open.id))"))
            }
            try db.execute(sql: "UPDATE job SET ended_at = MAX(?, started_at), ended_by = ? WHERE id = ?",
                           arguments: [Self.millis(now), user, open.id])
            return .success(try Self.fetchJobs(db, "WHERE id = ?", [open.id])[0])
        }
        return try result.get()
    }

    /// The open job of a line, if any.
    public func openJob(line lineID: String) async throws(OutboxError) -> ProductionJob? {
        try await read { db in try Self.fetchJobs(db, "WHERE line_id = ? AND ended_at IS NULL", [lineID]).first }
    }

    /// One job.
    public func job(_ id: Int64) async throws(OutboxError) -> ProductionJob? {
        try await read { db in try Self.fetchJobs(db, "WHERE id = ?", [id]).first }
    }

    /// Jobs, newest first.
    public func jobs(limit: Int = 200) async throws(OutboxError) -> [ProductionJob] {
        try await read { db in try Self.fetchJobs(db, "ORDER BY started_at DESC, id DESC LIMIT ?", [limit]) }
    }

    /// A job's figures.
    /// - Throws: ``OutboxError/refused(path:reason:)`` for an unknown job.
    public func jobReport(_ id: Int64) async throws(OutboxError) -> JobReport {
        let path = database.path
        let result: Result<JobReport, OutboxError> = try await read { db in
            guard let job = try Self.fetchJobs(db, "WHERE id = ?", [id]).first else {
                return .failure(.refused(path: path, reason: "there is no job \(id)"))
            }
            var byKind: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM decision WHERE job_id = ? GROUP BY kind", arguments: [id]) {
                byKind[row["kind"]] = row["n"]
            }
            let good = byKind.removeValue(forKey: DecisionKind.good.rawValue) ?? 0
            let used = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM activation JOIN decision ON decision.id = activation.decision_id WHERE decision.job_id = ?
                """, arguments: [id]) ?? 0
            let writtenOff = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT code) FROM write_off WHERE job_id = ? AND result = 'written-off'",
                                              arguments: [id]) ?? 0
            return .success(JobReport(job: job, bottles: good + byKind.values.reduce(0, +), good: good, rejectedByKind: byKind,
                                      codesUsed: used, codesWrittenOff: writtenOff))
        }
        return try result.get()
    }

    private static func fetchJobs(_ db: Database, _ tail: String, _ arguments: StatementArguments) throws -> [ProductionJob] {
        try Row.fetchAll(db, sql: """
            SELECT id, line_id, product_code, recipe, lot, planned, started_at, started_by, ended_at, ended_by FROM job \(tail)
            """, arguments: arguments).map { row in
            ProductionJob(id: row["id"], lineID: row["line_id"], productCode: row["product_code"], recipe: row["recipe"], lot: row["lot"],
                          planned: row["planned"], startedAt: date(row["started_at"]), startedBy: row["started_by"],
                          endedAt: (row["ended_at"] as Int64?).map(date), endedBy: row["ended_by"])
        }
    }

    // MARK: Users

    /// Adds a console user.
    /// - Throws: ``OutboxError/refused(path:reason:)`` if the name is taken or not a valid name.
    public func addUser(_ name: String, role: ConsoleAccount.Role, passwordHash: String, at now: Date = Date()) async throws(OutboxError) {
        let path = database.path
        guard name.count <= 64, !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw .refused(path: path, reason: "a user name is 1-64 letters, digits, '.', '_' or '-', got \"\(name)\"")
        }
        let result: Result<Void, OutboxError> = try await write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM console_user WHERE name = ?", arguments: [name]) != nil {
                return .failure(.refused(path: path, reason: "user \(name) exists already (set a new password with `lineagent user password`)"))
            }
            try db.execute(sql: "INSERT INTO console_user (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, role.rawValue, passwordHash, Self.millis(now)])
            return .success(())
        }
        try result.get()
    }

    /// Replaces a user's password hash (and enables the user).
    public func setPassword(_ name: String, passwordHash: String) async throws(OutboxError) {
        let path = database.path
        let changed = try await write { db in
            try db.execute(sql: "UPDATE console_user SET password_hash = ?, disabled = 0 WHERE name = ?", arguments: [passwordHash, name])
            return db.changesCount
        }
        if changed == 0 { throw .refused(path: path, reason: "there is no user \(name)") }
    }

    /// Disables a user (kept for the audit log's sake).
    public func disableUser(_ name: String) async throws(OutboxError) {
        let path = database.path
        let changed = try await write { db in
            try db.execute(sql: "UPDATE console_user SET disabled = 1 WHERE name = ?", arguments: [name])
            return db.changesCount
        }
        if changed == 0 { throw .refused(path: path, reason: "there is no user \(name)") }
    }

    /// A user by name (case-insensitive).
    public func account(named name: String) async throws(OutboxError) -> ConsoleAccount? {
        try await read { db in try Self.fetchAccounts(db, "WHERE name = ?", [name]).first }
    }

    /// Every user, by name.
    public func accounts() async throws(OutboxError) -> [ConsoleAccount] {
        try await read { db in try Self.fetchAccounts(db, "ORDER BY name", []) }
    }

    private static func fetchAccounts(_ db: Database, _ tail: String, _ arguments: StatementArguments) throws -> [ConsoleAccount] {
        try Row.fetchAll(db, sql: "SELECT name, role, password_hash, disabled FROM console_user \(tail)", arguments: arguments).map { row in
            ConsoleAccount(name: row["name"], role: ConsoleAccount.Role(rawValue: row["role"]) ?? .operator,
                           passwordHash: row["password_hash"], disabled: row["disabled"])
        }
    }

    // MARK: Audit log

    /// Records an operator action.
    @discardableResult
    public func audit(user: String, action: String, target: String? = nil, detail: String? = nil,
                      at now: Date = Date()) async throws(OutboxError) -> AuditEntry {
        try await write { db in
            try db.execute(sql: "INSERT INTO audit_event (at, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Self.millis(now), user, action, target, detail])
            return AuditEntry(id: db.lastInsertedRowID, at: Self.date(Self.millis(now)), user: user, action: action, target: target,
                              detail: detail)
        }
    }

    /// The audit log, newest first.
    public func auditLog(limit: Int = 500) async throws(OutboxError) -> [AuditEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, at, user, action, target, detail FROM audit_event ORDER BY id DESC LIMIT ?",
                             arguments: [limit]).map { row in
                AuditEntry(id: row["id"], at: Self.date(row["at"]), user: row["user"], action: row["action"], target: row["target"],
                           detail: row["detail"])
            }
        }
    }

    // MARK: Write-offs

    /// Records write-offs made from this agent (each code with the registrar's result), in the job open on `lineID`
    /// (or, without a line, the one open job if exactly one line has one).
    public func recordWriteOffs(_ results: [(code: StampCode, result: String)], reason: String, user: String, line lineID: String? = nil,
                                at now: Date = Date()) async throws(OutboxError) {
        let rows = results.map { ($0.code.rawValue, $0.result) }
        try await write { db in
            let open = try Int64.fetchAll(db, sql: "SELECT id FROM job WHERE ended_at IS NULL AND (? IS NULL OR line_id = ?)",
                                          arguments: [lineID, lineID])
            let job = open.count == 1 ? open[0] : nil
            for (code, result) in rows {
                try db.execute(sql: "INSERT INTO write_off (code, reason, at, user, job_id, result) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [code, reason, Self.millis(now), user, job, result])
            }
        }
    }
}

extension WriteOffOutcome {
    /// The result as the agent's database records it (`written-off` counts in the job report).
    public var recorded: String {
        switch self {
        case .writtenOff: "written-off"
        case .alreadyWrittenOff: "already-written-off"
        case .activated: "activated"
        case .unknown: "unknown"
        case .malformed: "malformed"
        }
    }
}
