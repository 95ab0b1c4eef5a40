import Foundation
import GRDB
import LineCore
import QazAPI

// Aggregation in the agent's database: cases with their contents and current members, pallets, SSCC serials, the
// rework allowances of codes whose bottles were physically rejected, and the queue of aggregation events for the
// registrar. Every change that the registrar must learn queues its event in the same transaction, after the
// activations already queued (``AggregationQueueItem/afterActivation``): the events never overtake the activations
// of the codes they contain.

/// Why a code may pass the line once more (``Verdict/reworked(_:)``).
public enum ReworkReason: String, Sendable, Codable, CaseIterable {
    /// A good bottle whose activation was already batched was rejected after all (its decision came too late).
    case rejectedAfterActivation = "rejected-after-activation"
    /// The PLC's watchdog rejected a bottle the agent had passed.
    case failSafeReject = "fail-safe-reject"
    /// The bottle's case was dissolved.
    case caseDissolved = "case-dissolved"
    /// An operator said so.
    case `operator`

    /// Whether the bottle is known to be off the line (rejected): it must pass the line again before it is packed.
    public var bottleWasRejected: Bool { self == .rejectedAfterActivation || self == .failSafeReject }
}

/// What the database knows of a code found in a case.
public struct CaseCodeState: Sendable, Equatable {
    /// Passed on this agent's line (good or reworked) and not physically rejected since.
    public var passedHere: Bool
    /// The case (packed, or rejected and not dissolved) the code is held by.
    public var inCase: UnitCode?

    public init(passedHere: Bool, inCase: UnitCode?) {
        self.passedHere = passedHere
        self.inCase = inCase
    }
}

/// A case to record.
public struct CaseRecord: Sendable, Equatable {
    public var code: UnitCode?
    public var lineID: String
    public var stationID: String
    /// The station PLC's case sequence.
    public var sequence: UInt64
    /// Accepted (packed) or rejected.
    public var good: Bool
    /// For a rejected case: the reasons (case reject reasons' names).
    public var reasons: [String]
    public var detail: String?
    public var at: Date
    /// Every valid code seen in the case, in cap order.
    public var contents: [StampCode]
    /// For a rejected case: the codes it holds until dissolved.
    public var held: [StampCode]
    /// Caps seen (with or without a code).
    public var bottleCount: Int

    public init(code: UnitCode?, lineID: String, stationID: String, sequence: UInt64, good: Bool, reasons: [String] = [],
                detail: String? = nil, at: Date, contents: [StampCode], held: [StampCode] = [], bottleCount: Int) {
        self.code = code
        self.lineID = lineID
        self.stationID = stationID
        self.sequence = sequence
        self.good = good
        self.reasons = reasons
        self.detail = detail
        self.at = at
        self.contents = contents
        self.held = held
        self.bottleCount = bottleCount
    }
}

/// What ``OutboxStore/recordCase(_:)`` did.
public enum CaseRecordOutcome: Sendable, Equatable {
    /// Recorded (packed, with its event queued; or rejected, holding its codes). The case's row id.
    case recorded(id: Int64)
    /// A good case that storage refuses as it stands (a code in another case, the case code in use — a race with
    /// another station): nothing written; record it as rejected.
    case conflict(String)
}

/// A case as `lineagent case show` and the console show it.
public struct CaseDetail: Sendable, Equatable, Codable {
    public var id: Int64
    public var code: String?
    public var lineID: String
    public var stationID: String
    public var sequence: UInt64
    /// `packed`, `rejected` or `dissolved`.
    public var status: String
    /// Whether it was packed (accepted) before any dissolving.
    public var wasPacked: Bool
    public var reasons: [String]
    public var detail: String?
    public var at: Date
    public var bottleCount: Int
    public var contents: [String]
    /// Codes it holds now (a packed case: all; a rejected one: those not elsewhere; a dissolved one: none).
    public var members: [String]
    public var pallet: String?
    public var dissolvedAt: Date?
    public var dissolvedBy: String?
    public var dissolveReason: String?
    /// The registrar's state of its events (`pending`, `delivered`, `dead: reason`).
    public var events: [String]
}

/// A pallet as shown.
public struct PalletDetail: Sendable, Equatable, Codable {
    public var id: Int64
    public var code: String
    public var status: String
    public var builtAt: Date
    public var builtBy: String
    public var cases: [String]
    public var dissolvedAt: Date?
    public var dissolvedBy: String?
    public var events: [String]
}

/// Why a dissolve or a pallet was refused.
public enum AggregationRefused: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownCase(String)
    case alreadyDissolved(String)
    case onPallet(case: String, pallet: String)
    case unknownPallet(String)
    case caseNotPacked(String)
    case caseOnPallet(case: String, pallet: String)
    case palletCodeInUse(String)
    case noCases

    public var description: String {
        switch self {
        case .unknownCase(let code): "no case \(code) is recorded"
        case .alreadyDissolved(let code): "case or pallet \(code) is already dissolved"
        case .onPallet(let c, let p): "case \(c) is on pallet \(p): dissolve the pallet first (lineagent pallet dissolve \(p))"
        case .unknownPallet(let code): "no built pallet \(code) is recorded"
        case .caseNotPacked(let code): "case \(code) is not a packed case (rejected, dissolved or unknown)"
        case .caseOnPallet(let c, let p): "case \(c) is already on pallet \(p)"
        case .palletCodeInUse(let code): "pallet code \(code) is already on a built pallet"
        case .noCases: "a pallet needs at least one case"
        }
    }
}

/// An aggregation event waiting for the registrar, in queue order.
public struct AggregationQueueItem: Sendable, Equatable {
    public var rowID: Int64
    public var event: AggregationEvent
    public var lineID: String
    public var equipmentID: String
    /// The largest activation row id when the event was queued: sent only once none up to it is pending.
    public var afterActivation: Int64
    public var attempts: Int
}

/// Counts of the aggregation queue.
public struct AggregationDepth: Sendable, Equatable {
    public var pending: Int
    public var dead: Int
    public var delivered: Int
    /// Pending events held back because activations before them are still pending.
    public var waitingForActivations: Int
}

extension OutboxStore {
    // MARK: Facts for the case rules

    /// What the database knows of each code of a case, and whether `unit` is on a packed case.
    public func caseState(of codes: [StampCode], unit: UnitCode?) async throws(OutboxError) -> (codes: [StampCode: CaseCodeState], unitInUse: Bool) {
        try await read { db in
            var states: [StampCode: CaseCodeState] = [:]
            let seen = try db.cachedStatement(sql: "SELECT 1 FROM seen_code WHERE code = ?")
            let rejected = try db.cachedStatement(sql: """
                SELECT 1 FROM rework WHERE code = ? AND used_decision_id IS NULL AND reason IN ('rejected-after-activation', 'fail-safe-reject')
                """)
            let member = try db.cachedStatement(sql: """
                SELECT case_unit.code, case_unit.id FROM case_member JOIN case_unit ON case_unit.id = case_member.case_id WHERE case_member.code = ?
                """)
            for code in codes {
                let isSeen = try Bool.fetchOne(seen, arguments: [code.rawValue]) ?? false
                let isRejected = try Bool.fetchOne(rejected, arguments: [code.rawValue]) ?? false
                let row = try Row.fetchOne(member, arguments: [code.rawValue])
                let inCase = row.map { row in UnitCode(trusted: (row["code"] as String?) ?? "#\(row["id"] as Int64)") }
                states[code] = CaseCodeState(passedHere: isSeen && !isRejected, inCase: inCase)
            }
            let inUse = try unit.map { unit in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM case_unit WHERE code = ? AND status = 'packed'", arguments: [unit.rawValue]) ?? false
            } ?? false
            return (states, inUse)
        }
    }

    // MARK: SSCC serials

    /// Allocates the next serial reference for an SSCC prefix (extension digit + company prefix), durably: a serial
    /// is never handed out twice, even across a crash (a case rejected after allocation leaves a gap).
    public func allocateSerial(prefix: String, capacity: Int64) async throws(OutboxError) -> Int64 {
        try await write { db in
            let next = try Int64.fetchOne(db, sql: "SELECT next FROM unit_serial WHERE prefix = ?", arguments: [prefix]) ?? 1
            guard next < capacity else {
                throw OutboxError.refused(path: "unit_serial", reason: "SSCC serials of prefix \(prefix) are used up (\(capacity - 1)): configure another extension digit")
            }
            try db.execute(sql: "INSERT INTO unit_serial (prefix, next) VALUES (?, ?) ON CONFLICT(prefix) DO UPDATE SET next = excluded.next",
                           arguments: [prefix, next + 1])
            return next
        }
    }

    // MARK: Cases

    /// Records one case in one transaction: a good case as packed (its members and its `casePacked` event queued
    /// after every activation already queued), a rejected case with the codes it holds until dissolved.
    public func recordCase(_ record: CaseRecord) async throws(OutboxError) -> CaseRecordOutcome {
        try await write { db in
            let at = Self.millis(record.at)
            if record.good {
                guard let code = record.code else { return .conflict("a packed case needs a case code") }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM case_unit WHERE code = ? AND status = 'packed'", arguments: [code.rawValue]) ?? false {
                    return .conflict("case code \(code) is already on a packed case")
                }
                for member in record.contents {
                    if let other = try String.fetchOne(db, sql: """
                        SELECT coalesce(case_unit.code, '#' || case_unit.id) FROM case_member JOIN case_unit ON case_unit.id = case_member.case_id
                        WHERE case_member.code = ?
                        """, arguments: [member.rawValue]) {
                        return .conflict("\(member) is in case \(other)")
                    }
                }
            }
            try db.execute(sql: """
                INSERT INTO case_unit (code, line_id, station_id, case_sequence, status, packed_ok, reasons, detail, at, bottle_count, job_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT id FROM job WHERE line_id = ? AND started_at <= ?
                                                        AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at DESC LIMIT 1))
                """, arguments: [record.code?.rawValue, record.lineID, record.stationID, Int64(bitPattern: record.sequence),
                                 record.good ? "packed" : "rejected", record.good, record.reasons.isEmpty ? nil : record.reasons.joined(separator: ","),
                                 record.detail, at, record.bottleCount, record.lineID, at, at])
            let id = db.lastInsertedRowID
            let content = try db.cachedStatement(sql: "INSERT INTO case_content (case_id, position, code) VALUES (?, ?, ?)")
            for (position, code) in record.contents.enumerated() { try content.execute(arguments: [id, position, code.rawValue]) }
            let members = record.good ? record.contents : record.held
            let member = try db.cachedStatement(sql: "INSERT OR IGNORE INTO case_member (code, case_id) VALUES (?, ?)")
            for code in members { try member.execute(arguments: [code.rawValue, id]) }
            if record.good, let code = record.code {
                try Self.queueEvent(db, kind: .casePacked, unit: code, contents: record.contents.map(\.rawValue), at: record.at,
                                    lineID: record.lineID, equipmentID: record.stationID)
            }
            return .recorded(id: id)
        }
    }

    /// Dissolves the newest packed or rejected case with this code (or `#id`): releases its codes, lets each pass the
    /// line once more as reworked, queues `caseDissolved` if the registrar knows the case, and writes the audit log.
    /// - Returns: the dissolved case.
    public func dissolveCase(_ reference: String, by user: String, reason: String, at now: Date = Date()) async throws(OutboxError) -> CaseDetail {
        let id: Int64 = try await write { db in
            let byMember = try Row.fetchOne(db, sql: """
                SELECT case_unit.* FROM case_member JOIN case_unit ON case_unit.id = case_member.case_id WHERE case_member.code = ?
                """, arguments: [reference])
            guard let row = try Self.caseRow(db, reference, statuses: ["packed", "rejected"]) ?? byMember else {
                if try Self.caseRow(db, reference, statuses: ["dissolved"]) != nil { throw AggregationRefused.alreadyDissolved(reference) }
                throw AggregationRefused.unknownCase(reference)
            }
            let id: Int64 = row["id"]
            try Self.dissolve(db, caseRow: row, by: user, reason: reason, at: now)
            return id
        }
        return try await caseDetail(id: id)!
    }

    private static func caseRow(_ db: Database, _ reference: String, statuses: [String]) throws -> Row? {
        let list = statuses.map { "'\($0)'" }.joined(separator: ",")
        if reference.hasPrefix("#"), let id = Int64(reference.dropFirst()) {
            return try Row.fetchOne(db, sql: "SELECT * FROM case_unit WHERE id = ? AND status IN (\(list))", arguments: [id])
        }
        return try Row.fetchOne(db, sql: "SELECT * FROM case_unit WHERE code = ? AND status IN (\(list)) ORDER BY id DESC LIMIT 1",
                                arguments: [reference])
    }

    private static func dissolve(_ db: Database, caseRow row: Row, by user: String, reason: String, at now: Date) throws {
        let id: Int64 = row["id"]
        let code: String? = row["code"]
        let wasPacked = (row["status"] as String) == "packed"
        if wasPacked, let palletID = row["pallet_id"] as Int64?,
           let pallet = try String.fetchOne(db, sql: "SELECT code FROM pallet WHERE id = ? AND status = 'built'", arguments: [palletID]) {
            throw AggregationRefused.onPallet(case: code ?? "#\(id)", pallet: pallet)
        }
        let members = try String.fetchAll(db, sql: "SELECT code FROM case_member WHERE case_id = ?", arguments: [id]).map(StampCode.init(trusted:))
        try db.execute(sql: "DELETE FROM case_member WHERE case_id = ?", arguments: [id])
        try db.execute(sql: "UPDATE case_unit SET status = 'dissolved', dissolved_at = ?, dissolved_by = ?, dissolve_reason = ? WHERE id = ?",
                       arguments: [millis(now), user, reason, id])
        // The dissolve concerns every decision made so far: an allowance used by any of them (even the newest, a reworked
        // bottle packed and dissolved with nothing decided since) is granted again.
        let lastDecision = try Int64.fetchOne(db, sql: "SELECT max(id) FROM decision") ?? 0
        try allowRework(db, codes: members, reason: .caseDissolved, source: "case \(code ?? "#\(id)")", at: millis(now), after: lastDecision + 1)
        if wasPacked, let code {
            try queueEvent(db, kind: .caseDissolved, unit: UnitCode(trusted: code), contents: [], at: now,
                           lineID: row["line_id"], equipmentID: row["station_id"])
        }
        try db.execute(sql: "INSERT INTO audit_event (at, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                       arguments: [millis(now), user, "case-dissolve", code ?? "#\(id)",
                                   "\(wasPacked ? "packed" : "rejected") case, \(members.count) code(s) released: \(reason)"])
    }

    /// Grants codes one more pass as reworked. A code whose last allowance was used by a decision made before
    /// `after` (the decision id the new rejection concerns) gets a new one; an allowance used after it is left alone
    /// (the same rejection reported twice, e.g. the PLC's fail-safe report read again at restart).
    static func allowRework(_ db: Database, codes: [StampCode], reason: ReworkReason, source: String, at: Int64, after decisionID: Int64) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO rework (code, reason, source, at) VALUES (?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET reason = excluded.reason, source = excluded.source, at = excluded.at,
                used_decision_id = NULL, used_at = NULL
            WHERE rework.used_decision_id IS NOT NULL AND rework.used_decision_id < ?
            """)
        for code in codes { try statement.execute(arguments: [code.rawValue, reason.rawValue, source, at, decisionID]) }
    }

    /// The PLC rejected items `first...last` fail-safe. On a filling line: good bottles among them may pass once more
    /// as reworked. At a case station: packed cases among them are dissolved (recorded, their codes released).
    /// Idempotent: the same report read again changes nothing.
    /// - Returns: how many bottles got a rework allowance and how many cases were dissolved.
    @discardableResult
    public func failSafeRejected(line lineID: String, station stationID: String?, first: UInt64, last: UInt64,
                                 at now: Date = Date()) async throws(OutboxError) -> (bottles: Int, cases: Int) {
        try await write { db in
            let low = Int64(bitPattern: first), high = Int64(bitPattern: last)
            guard high >= low, high - low < 10_000 else { return (0, 0) }
            if let stationID {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM case_unit WHERE station_id = ? AND status = 'packed' AND case_sequence BETWEEN ? AND ?
                    """, arguments: [stationID, low, high])
                var dissolved = 0
                for row in rows {
                    if (row["pallet_id"] as Int64?) != nil { continue }  // on a pallet already: not in the reject lane
                    try Self.dissolve(db, caseRow: row, by: "plc", reason: "rejected fail-safe by the station's PLC after it was recorded", at: now)
                    dissolved += 1
                }
                return (0, dissolved)
            }
            // Good and reworked bottles: a reworked bottle rejected fail-safe is off the line again and gets its
            // allowance back (the one its own decision used, hence `after` its id).
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, code FROM decision WHERE line_id = ? AND kind IN ('good', 'reworked') AND bottle_sequence BETWEEN ? AND ?
                """, arguments: [lineID, low, high])
            var count = 0
            for row in rows {
                let before = db.totalChangesCount
                try Self.allowRework(db, codes: [StampCode(trusted: row["code"])], reason: .failSafeReject,
                                     source: "line \(lineID) bottle rejected fail-safe", at: Self.millis(now), after: (row["id"] as Int64) + 1)
                if db.totalChangesCount > before { count += 1 }
            }
            return (count, 0)
        }
    }

    /// One case by row id, with its contents, members, pallet and the state of its events.
    public func caseDetail(id: Int64) async throws(OutboxError) -> CaseDetail? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM case_unit WHERE id = ?", arguments: [id]) else { return nil }
            return try Self.detail(db, row)
        }
    }

    /// The cases with this code (or `#id`), newest first.
    public func cases(code reference: String) async throws(OutboxError) -> [CaseDetail] {
        try await read { db in
            let rows: [Row]
            if reference.hasPrefix("#"), let id = Int64(reference.dropFirst()) {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM case_unit WHERE id = ?", arguments: [id])
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM case_unit WHERE code = ? ORDER BY id DESC", arguments: [reference])
                if rows.isEmpty {
                    // A bottle's code: the case holding it now, else the newest case that contained it.
                    let holding = try Row.fetchAll(db, sql: """
                        SELECT case_unit.* FROM case_member JOIN case_unit ON case_unit.id = case_member.case_id WHERE case_member.code = ?
                        UNION ALL
                        SELECT * FROM (SELECT case_unit.* FROM case_content JOIN case_unit ON case_unit.id = case_content.case_id
                                       WHERE case_content.code = ? ORDER BY case_unit.id DESC LIMIT 1)
                        """, arguments: [reference, reference])
                    return try holding.prefix(1).map { try Self.detail(db, $0) }
                }
            }
            return try rows.map { try Self.detail(db, $0) }
        }
    }

    /// The newest cases (optionally of one status), newest first.
    public func recentCases(status: String? = nil, limit: Int = 100) async throws(OutboxError) -> [CaseDetail] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM case_unit WHERE (? IS NULL OR status = ?) ORDER BY id DESC LIMIT ?
                """, arguments: [status, status, limit])
            return try rows.map { try Self.detail(db, $0) }
        }
    }

    /// Counts of cases by status, and bottles in packed cases.
    public func caseCounts() async throws(OutboxError) -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, packed_ok, count(*) AS n FROM case_unit GROUP BY status, packed_ok") {
                let status: String = row["status"]
                counts[status, default: 0] += row["n"] as Int
                if status == "dissolved", (row["packed_ok"] as Bool) { counts["dissolved-after-packing", default: 0] += row["n"] as Int }
            }
            counts["bottles-in-cases"] = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM case_member JOIN case_unit ON case_unit.id = case_member.case_id WHERE case_unit.status = 'packed'
                """) ?? 0
            counts["pallets"] = try Int.fetchOne(db, sql: "SELECT count(*) FROM pallet WHERE status = 'built'") ?? 0
            return counts
        }
    }

    private static func detail(_ db: Database, _ row: Row) throws -> CaseDetail {
        let id: Int64 = row["id"]
        let code: String? = row["code"]
        let pallet = try (row["pallet_id"] as Int64?).flatMap { palletID in
            try String.fetchOne(db, sql: "SELECT code FROM pallet WHERE id = ? AND status = 'built'", arguments: [palletID])
        }
        let events = try code.map { code in
            try Row.fetchAll(db, sql: "SELECT kind, state, result FROM aggregation_event WHERE unit = ? ORDER BY id", arguments: [code])
                .map { event -> String in
                    let state: String = event["state"]
                    let result: String? = event["result"]
                    return "\(event["kind"] as String): \(state)\(result.map { state == "dead" ? " (\($0))" : "" } ?? "")"
                }
        } ?? []
        return CaseDetail(
            id: id, code: code, lineID: row["line_id"], stationID: row["station_id"],
            sequence: UInt64(bitPattern: row["case_sequence"]), status: row["status"], wasPacked: row["packed_ok"],
            reasons: (row["reasons"] as String?)?.split(separator: ",").map(String.init) ?? [], detail: row["detail"],
            at: date(row["at"]), bottleCount: row["bottle_count"],
            contents: try String.fetchAll(db, sql: "SELECT code FROM case_content WHERE case_id = ? ORDER BY position", arguments: [id]),
            members: try String.fetchAll(db, sql: "SELECT code FROM case_member WHERE case_id = ? ORDER BY code", arguments: [id]),
            pallet: pallet, dissolvedAt: (row["dissolved_at"] as Int64?).map(date), dissolvedBy: row["dissolved_by"],
            dissolveReason: row["dissolve_reason"], events: events)
    }

    // MARK: Pallets

    /// Builds a pallet of packed cases (none on another pallet) and queues `palletBuilt`.
    public func buildPallet(code: UnitCode, cases: [UnitCode], lineID: String, stationID: String, by user: String,
                            at now: Date = Date()) async throws(OutboxError) -> PalletDetail {
        let id: Int64 = try await write { db in
            guard !cases.isEmpty else { throw AggregationRefused.noCases }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM pallet WHERE code = ? AND status = 'built'", arguments: [code.rawValue]) ?? false {
                throw AggregationRefused.palletCodeInUse(code.rawValue)
            }
            var caseIDs: [Int64] = []
            for unit in cases {
                guard let row = try Row.fetchOne(db, sql: "SELECT id, pallet_id FROM case_unit WHERE code = ? AND status = 'packed'",
                                                 arguments: [unit.rawValue]) else { throw AggregationRefused.caseNotPacked(unit.rawValue) }
                if let palletID = row["pallet_id"] as Int64?,
                   let other = try String.fetchOne(db, sql: "SELECT code FROM pallet WHERE id = ? AND status = 'built'", arguments: [palletID]) {
                    throw AggregationRefused.caseOnPallet(case: unit.rawValue, pallet: other)
                }
                caseIDs.append(row["id"])
            }
            try db.execute(sql: """
                INSERT INTO pallet (code, line_id, station_id, status, built_at, built_by, case_count) VALUES (?, ?, ?, 'built', ?, ?, ?)
                """, arguments: [code.rawValue, lineID, stationID, Self.millis(now), user, cases.count])
            let palletID = db.lastInsertedRowID
            for caseID in caseIDs { try db.execute(sql: "UPDATE case_unit SET pallet_id = ? WHERE id = ?", arguments: [palletID, caseID]) }
            try Self.queueEvent(db, kind: .palletBuilt, unit: code, contents: cases.map(\.rawValue), at: now, lineID: lineID, equipmentID: stationID)
            try db.execute(sql: "INSERT INTO audit_event (at, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Self.millis(now), user, "pallet-build", code.rawValue, "\(cases.count) case(s)"])
            return palletID
        }
        return try await palletDetail(id: id)!
    }

    /// Dissolves a built pallet (its cases stay packed) and queues `palletDissolved`.
    public func dissolvePallet(_ code: String, by user: String, reason: String, at now: Date = Date()) async throws(OutboxError) -> PalletDetail {
        let id: Int64 = try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM pallet WHERE code = ? AND status = 'built'", arguments: [code]) else {
                throw AggregationRefused.unknownPallet(code)
            }
            let id: Int64 = row["id"]
            try db.execute(sql: "UPDATE case_unit SET pallet_id = NULL WHERE pallet_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE pallet SET status = 'dissolved', dissolved_at = ?, dissolved_by = ?, dissolve_reason = ? WHERE id = ?",
                           arguments: [Self.millis(now), user, reason, id])
            try Self.queueEvent(db, kind: .palletDissolved, unit: UnitCode(trusted: code), contents: [], at: now,
                                lineID: row["line_id"], equipmentID: row["station_id"])
            try db.execute(sql: "INSERT INTO audit_event (at, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Self.millis(now), user, "pallet-dissolve", code, reason])
            return id
        }
        return try await palletDetail(id: id)!
    }

    /// Packed cases of a station on no pallet, oldest first (what an automatic palletiser stacks next).
    /// - Parameter sequence: only cases with a station sequence up to this one (those past the station's reject gate:
    ///   a case still upstream may yet be rejected fail-safe); nil: any.
    public func casesWithoutPallet(station: String, limit: Int, through sequence: UInt64? = nil) async throws(OutboxError) -> [UnitCode] {
        try await read { db in
            try String.fetchAll(db, sql: """
                SELECT code FROM case_unit WHERE station_id = ? AND status = 'packed' AND pallet_id IS NULL
                AND (? IS NULL OR case_sequence <= ?) ORDER BY id LIMIT ?
                """, arguments: [station, sequence.map { Int64(bitPattern: $0) }, sequence.map { Int64(bitPattern: $0) }, limit])
                .map(UnitCode.init(trusted:))
        }
    }

    /// One pallet by row id.
    public func palletDetail(id: Int64) async throws(OutboxError) -> PalletDetail? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM pallet WHERE id = ?", arguments: [id]) else { return nil }
            return try Self.palletDetail(db, row)
        }
    }

    /// The newest pallets, newest first.
    public func recentPallets(limit: Int = 100) async throws(OutboxError) -> [PalletDetail] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pallet ORDER BY id DESC LIMIT ?", arguments: [limit]).map { try Self.palletDetail(db, $0) }
        }
    }

    /// The pallets with this code, newest first.
    public func pallets(code: String) async throws(OutboxError) -> [PalletDetail] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pallet WHERE code = ? ORDER BY id DESC", arguments: [code]).map { try Self.palletDetail(db, $0) }
        }
    }

    private static func palletDetail(_ db: Database, _ row: Row) throws -> PalletDetail {
        let id: Int64 = row["id"]
        let code: String = row["code"]
        let status: String = row["status"]
        let cases: [String]
        if status == "built" {
            cases = try String.fetchAll(db, sql: "SELECT code FROM case_unit WHERE pallet_id = ? ORDER BY id", arguments: [id])
        } else {
            let contents = try String.fetchOne(db, sql: """
                SELECT contents FROM aggregation_event WHERE unit = ? AND kind = 'palletBuilt' ORDER BY id DESC LIMIT 1
                """, arguments: [code]) ?? "[]"
            cases = (try? JSONDecoder().decode([String].self, from: Data(contents.utf8))) ?? []
        }
        let events = try Row.fetchAll(db, sql: "SELECT kind, state FROM aggregation_event WHERE unit = ? ORDER BY id", arguments: [code])
            .map { "\($0["kind"] as String): \($0["state"] as String)" }
        return PalletDetail(id: id, code: code, status: status, builtAt: date(row["built_at"]), builtBy: row["built_by"], cases: cases,
                            dissolvedAt: (row["dissolved_at"] as Int64?).map(date), dissolvedBy: row["dissolved_by"], events: events)
    }

    // MARK: The aggregation queue

    static func queueEvent(_ db: Database, kind: AggregationKind, unit: UnitCode, contents: [String], at: Date, lineID: String,
                           equipmentID: String) throws {
        let contentsJSON = String(decoding: try JSONEncoder().encode(contents), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO aggregation_event (event_id, kind, unit, contents, at, line_id, equipment_id, after_activation)
            VALUES (?, ?, ?, ?, ?, ?, ?, coalesce((SELECT max(id) FROM activation), 0))
            """, arguments: [UUID().uuidString, kind.rawValue, unit.rawValue, contentsJSON, millis(at), lineID, equipmentID])
    }

    /// The next pending events in queue order, up to the first one whose activations are not all answered yet.
    public func nextAggregationEvents(limit: Int) async throws(OutboxError) -> [AggregationQueueItem] {
        try await read { db in
            let oldestPendingActivation = try Int64.fetchOne(db, sql: "SELECT min(id) FROM activation WHERE state = 'pending'")
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM aggregation_event WHERE state = 'pending' ORDER BY id LIMIT ?
                """, arguments: [max(1, min(limit, 1_000))])
            var items: [AggregationQueueItem] = []
            for row in rows {
                let after: Int64 = row["after_activation"]
                if let oldest = oldestPendingActivation, oldest <= after { break }  // an activation before it is not delivered yet
                let contents = try JSONDecoder().decode([String].self, from: Data((row["contents"] as String).utf8))
                let event = AggregationEvent(
                    eventId: UUID(uuidString: row["event_id"])!, kind: AggregationKind(rawValue: row["kind"])!,
                    unit: UnitCode(trusted: row["unit"]), contents: contents, at: Timestamp(milliseconds: row["at"]))
                items.append(AggregationQueueItem(rowID: row["id"], event: event, lineID: row["line_id"], equipmentID: row["equipment_id"],
                                                  afterActivation: after, attempts: row["attempts"]))
            }
            return items
        }
    }

    /// Stores the registrar's answers: delivered events leave the queue; refused ones become dead with the reason.
    public func completeAggregation(_ answers: [(rowID: Int64, delivered: Bool, result: String)], at now: Date = Date()) async throws(OutboxError) {
        try await write { db in
            for answer in answers {
                try db.execute(sql: """
                    UPDATE aggregation_event SET state = ?, result = ?, answered_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'pending'
                    """, arguments: [answer.delivered ? "delivered" : "dead", answer.result, Self.millis(now), answer.rowID])
            }
        }
    }

    /// Notes a failed attempt (the events stay pending).
    public func aggregationAttemptFailed(_ rowIDs: [Int64], error: String) async throws(OutboxError) {
        try await write { db in
            for id in rowIDs {
                try db.execute(sql: "UPDATE aggregation_event SET attempts = attempts + 1, last_error = ? WHERE id = ?", arguments: [error, id])
            }
        }
    }

    /// Counts of the aggregation queue.
    public func aggregationDepth() async throws(OutboxError) -> AggregationDepth {
        try await read { db in
            let pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM aggregation_event WHERE state = 'pending'") ?? 0
            let dead = try Int.fetchOne(db, sql: "SELECT count(*) FROM aggregation_event WHERE state = 'dead'") ?? 0
            let delivered = try Int.fetchOne(db, sql: "SELECT count(*) FROM aggregation_event WHERE state = 'delivered'") ?? 0
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(id) FROM activation WHERE state = 'pending'")
            let waiting = try oldest.map { oldest in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM aggregation_event WHERE state = 'pending' AND after_activation >= ?",
                                 arguments: [oldest]) ?? 0
            } ?? 0
            return AggregationDepth(pending: pending, dead: dead, delivered: delivered, waitingForActivations: waiting)
        }
    }

    /// Dead aggregation events with the registrar's reason, oldest first.
    public func deadAggregationEvents(limit: Int = 100) async throws(OutboxError) -> [(kind: String, unit: String, result: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT kind, unit, result FROM aggregation_event WHERE state = 'dead' ORDER BY id LIMIT ?",
                             arguments: [limit]).map { ($0["kind"], $0["unit"], ($0["result"] as String?) ?? "") }
        }
    }

    /// Codes allowed one more pass as reworked, with why (unused allowances), oldest first.
    public func reworkAllowances(limit: Int = 1000) async throws(OutboxError) -> [(code: String, reason: String, source: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT code, reason, source FROM rework WHERE used_decision_id IS NULL ORDER BY at LIMIT ?",
                             arguments: [limit]).map { ($0["code"], $0["reason"], $0["source"]) }
        }
    }
}
