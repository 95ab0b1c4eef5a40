import CounterfeitAnalytics
import Foundation
import LineCore
import Logging
import NIOCore
import PostgresNIO
import QazAPI

// The retail half on PostgreSQL: the tables, rules (``RetailRules``) and answers of SQLiteRegistrarStore+Retail.swift,
// for several registrar instances writing to one database.
//
// SQLite has one writer, so a register's sequence and a code's facts stay true until commit. Here each mutation locks
// what it decides on, then reads the facts with statements issued after the locks are held (READ COMMITTED: each
// statement sees every commit its locks waited for). The order of the trade half (PostgresRegistrarStore+Trade.swift)
// is kept, with the retail locks in their places, so no two requests deadlock:
//   1. an advisory key: a Service redemption's (seller, number), so a concurrent re-send waits and is a replay; a
//      scanned code's text (it may have no row), so scans of one code see each other's scans and alerts;
//   2. (trade: order rows)
//   3. one cash register's row `FOR UPDATE` (a transaction never holds two): while its receipts are recorded and
//      applied, its `last_applied` and waiting receipts stay as read; the gap job locks it too;
//   4. account rows `FOR SHARE`, in participant order (a seller's block or consent stays as read);
//   5. stamp codes' rows `FOR UPDATE` in id order, every code a transaction will decide on in one statement (a chain
//      of receipts applied together locks the codes of all of them first: locking receipt by receipt could take a
//      lower id after a higher one and deadlock with another register's receipt naming both);
//   6. the alert stream's advisory key, last and only when alerts are inserted (see ``raise(_:scan:facts:earlier:evaluate:)``).
// Refusals are returned as `Result` and thrown after the commit, as the trade half does.

extension PostgresRegistrarStore {
    /// Migration `v8-retail`, the twin of SQLite's: the `fdo` token role; fiscal data operators' cash registers and their
    /// receipts, reported gaps, redemptions (each code redeemed or restored), redemptions through the Service, an
    /// account's redemption consent, consumers' scans (no personal data) and the alerts they raise. Alert ids come from a
    /// sequence, so they only increase (the stream's cursor). Statements are separated by `;` at a line's end.
    static let retailMigration = """
        ALTER TABLE api_token DROP CONSTRAINT api_token_role_check;
        ALTER TABLE api_token ADD CONSTRAINT api_token_role_check
            CHECK (role IN ('producer', 'importer', 'banknote-factory', 'revenue-body', 'registrar', 'wholesaler', 'retailer', 'fdo'));
        ALTER TABLE account ADD COLUMN redeem_on_counter_order BOOLEAN NOT NULL DEFAULT FALSE;
        ALTER TABLE code ADD COLUMN redeemed_at BIGINT;
        ALTER TABLE code ADD COLUMN redeemed_by TEXT;
        CREATE INDEX code_redeemed ON code(redeemed_by, redeemed_at) WHERE redeemed_by IS NOT NULL;
        CREATE TABLE cash_register (
            id BIGSERIAL PRIMARY KEY,
            registration TEXT NOT NULL UNIQUE,
            factory_number TEXT NOT NULL,
            seller TEXT NOT NULL,
            operator TEXT NOT NULL,
            first_number BIGINT NOT NULL,
            last_applied BIGINT NOT NULL,
            first_seen BIGINT NOT NULL,
            last_received BIGINT NOT NULL
        );
        CREATE TABLE receipt (
            id BIGSERIAL PRIMARY KEY,
            register_id BIGINT NOT NULL REFERENCES cash_register(id),
            number BIGINT NOT NULL,
            sign TEXT NOT NULL,
            body_hash BYTEA NOT NULL,
            seller TEXT NOT NULL,
            operator TEXT NOT NULL,
            operation TEXT NOT NULL CHECK (operation IN ('sale', 'saleReturn')),
            issued_at BIGINT NOT NULL,
            received_at BIGINT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('waiting', 'applied')),
            applied_at BIGINT,
            flags TEXT NOT NULL,
            lines BYTEA NOT NULL,
            answer BYTEA,
            CONSTRAINT receipt_register_number_key UNIQUE (register_id, number),
            CONSTRAINT receipt_register_sign_key UNIQUE (register_id, sign)
        );
        CREATE INDEX receipt_waiting ON receipt(register_id, number) WHERE state = 'waiting';
        CREATE INDEX receipt_waiting_since ON receipt(received_at) WHERE state = 'waiting';
        CREATE TABLE receipt_gap (
            id BIGSERIAL PRIMARY KEY,
            register_id BIGINT NOT NULL REFERENCES cash_register(id),
            from_number BIGINT NOT NULL,
            to_number BIGINT NOT NULL,
            waiting_since BIGINT NOT NULL,
            reported_at BIGINT NOT NULL
        );
        CREATE INDEX receipt_gap_register ON receipt_gap(register_id, id);
        CREATE TABLE redemption (
            id BIGSERIAL PRIMARY KEY,
            code_id BIGINT NOT NULL REFERENCES code(id),
            seller TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('redeemed', 'restored')),
            channel TEXT NOT NULL CHECK (channel IN ('receipt', 'service', 'counterOrder')),
            reference TEXT NOT NULL,
            at BIGINT NOT NULL,
            recorded_at BIGINT NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE INDEX redemption_code ON redemption(code_id, id);
        CREATE TABLE service_redemption (
            seller TEXT NOT NULL,
            number TEXT NOT NULL,
            digest TEXT NOT NULL,
            answer BYTEA NOT NULL,
            received_at BIGINT NOT NULL,
            document_id BIGINT NOT NULL REFERENCES signed_document(id),
            actor TEXT NOT NULL,
            CONSTRAINT service_redemption_pkey PRIMARY KEY (seller, number)
        );
        CREATE TABLE scan (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            at BIGINT NOT NULL,
            verdict TEXT NOT NULL,
            latitude DOUBLE PRECISION,
            longitude DOUBLE PRECISION,
            accuracy DOUBLE PRECISION,
            region TEXT
        );
        CREATE INDEX scan_code ON scan(code, at);
        CREATE INDEX scan_at ON scan(at);
        CREATE TABLE alert (
            id BIGSERIAL PRIMARY KEY,
            kind TEXT NOT NULL,
            code TEXT NOT NULL,
            at BIGINT NOT NULL,
            region TEXT,
            producer TEXT,
            message TEXT NOT NULL,
            evidence BYTEA NOT NULL,
            scan_id TEXT NOT NULL
        );
        CREATE INDEX alert_code ON alert(code, id);
        CREATE INDEX alert_at ON alert(at)
        """
}

extension PostgresRegistrarStore: RetailStore {
    // MARK: Receipts

    /// One transaction per receipt, with its register's row locked: the receipt's record, and every receipt it lets
    /// apply (its own, then the waiting ones that follow), commit together. Not one per batch: a batch names receipts
    /// of many registers, and holding several registers' rows (and their codes) at once could deadlock with another
    /// batch that names them in another order. A storage failure part-way leaves the receipts before it recorded; the
    /// FDO's re-send of the batch is answered from storage for those (the same answers).
    ///
    /// The answers are read after the last commit, as SQLite answers them at the end of its one transaction: a receipt
    /// that waited for a later one of the same batch is answered `applied`.
    public func recordReceipts(_ commands: [ReceiptCommand]) async throws(StoreError) -> [ReceiptAnswer] {
        var recorded = [Recorded]()
        recorded.reserveCapacity(commands.count)
        // In the order sent; a register new in this batch starts at its lowest number in it.
        let starts = RetailRules.sequenceStarts(commands)
        for command in commands {
            let start = starts[command.receipt.registrationNumber] ?? command.receipt.number
            // `claiming`: should a writer that skips the register's lock insert the same receipt meanwhile (a unique
            // violation on (register, number) or (register, sign)), the receipt is recorded once more from the start
            // and finds the stored one: a replay, or a conflict.
            recorded.append(try await claiming { c in try await self.record(c, command, start: start) })
        }
        let ids = recorded.compactMap { if case .stored(let id) = $0 { id } else { nil } }
        let stored = ids.isEmpty ? [:] : try await connection { c in try await self.receiptAnswers(c, ids: ids) }
        return try recorded.map { (entry) throws(StoreError) -> ReceiptAnswer in
            switch entry {
            case .answer(let answer): return answer
            case .stored(let id): return try stored[id].orMissing("receipt \(id)")
            }
        }
    }

    /// A receipt's outcome in its transaction: refused (not stored), or stored (answered from storage at the end).
    private enum Recorded: Sendable { case answer(ReceiptAnswer), stored(Int64) }

    private func record(_ c: PostgresConnection, _ command: ReceiptCommand, start: Int) async throws -> Recorded {
        let r = command.receipt
        let at = command.receivedAt.milliseconds
        // The register's row locked until commit (lock order 3).
        let lock: PostgresQuery = """
            SELECT id, factory_number, last_applied, first_number, operator FROM cash_register WHERE registration = \(r.registrationNumber) FOR UPDATE
            """
        var register = try await rows(c, lock).first
        if register == nil {
            // The first receipt the registrar sees from a register starts its sequence. A concurrent first receipt of
            // the same register waits here for the other to commit, then finds its row (and waits for its lock).
            try await c.query("""
                INSERT INTO cash_register (registration, factory_number, seller, operator, first_number, last_applied, first_seen, last_received)
                VALUES (\(r.registrationNumber), \(r.factoryNumber), \(r.seller.rawValue), \(command.operatorID.rawValue), \(Int64(min(start, r.number))),
                        \(Int64(min(start, r.number)) - 1), \(at), \(at))
                ON CONFLICT (registration) DO NOTHING
                """, logger: logger)
            register = try await rows(c, lock).first
        }
        let (registerID, factory, lastApplied, firstNumber, operatorID) =
            try register.orMissing("register \(r.registrationNumber)").decode((Int64, String, Int64, Int64, String).self)
        if let existing = try await rows(c, "SELECT id, body_hash FROM receipt WHERE register_id = \(registerID) AND number = \(Int64(r.number))").first {
            let (id, hash) = try existing.decode((Int64, Data).self)
            guard Array(hash) == command.bodyHash else {
                return .answer(RetailRules.rejected(r, .idempotencyConflict,
                                                    "receipt \(r.number) of register \(r.registrationNumber) was received before with other content; the first one stands",
                                                    details: ["registrationNumber": r.registrationNumber, "number": String(r.number)]))
            }
            return .stored(id)
        }
        if factory != r.factoryNumber {
            return .answer(RetailRules.rejected(r, .invalidField,
                                                "register \(r.registrationNumber) has factory number \(factory), not \(r.factoryNumber); the receipt was not recorded",
                                                details: ["field": "factoryNumber", "expected": factory]))
        }
        if let refusal = RetailRules.registerRefusal(r, operatorID: operatorID, command: command, lastApplied: Int(lastApplied)) {
            return .answer(refusal)
        }
        let sign = r.sign ?? ""
        if let other = try await rows(c, "SELECT number FROM receipt WHERE register_id = \(registerID) AND sign = \(sign)").first?.decode(Int64.self) {
            return .answer(RetailRules.rejected(r, .fiscalSignReused,
                                                "the fiscal sign \(sign) belongs to receipt \(other) of register \(r.registrationNumber); the receipt was not recorded",
                                                details: ["registrationNumber": r.registrationNumber, "receipt": String(other), "sign": sign]))
        }
        let newest = try await rows(c, "SELECT MAX(number) FROM receipt WHERE register_id = \(registerID)").first?.decode(Int64?.self) ?? nil
        let id = try await rows(c, """
            INSERT INTO receipt (register_id, number, sign, body_hash, seller, operator, operation, issued_at, received_at, state, flags, lines)
            VALUES (\(registerID), \(Int64(r.number)), \(sign), \(ByteBuffer(bytes: command.bodyHash)), \(r.seller.rawValue), \(command.operatorID.rawValue),
                    \(r.operation.rawValue),
                    \(command.issuedAt.milliseconds), \(at), 'waiting', \(RetailRules.flagsText(command.flags)), \(try RetailRules.encode(command.lines)))
            RETURNING id
            """).first.orMissing("receipt \(r.number)").decode(Int64.self)
        // The register's seller is its newest receipt's (a late receipt does not change it); its operator the one that first sent for it.
        if Int64(r.number) > (newest ?? Int64.min) {
            try await c.query("UPDATE cash_register SET seller = \(r.seller.rawValue) WHERE id = \(registerID)",
                              logger: logger)
        }
        try await c.query("UPDATE cash_register SET last_received = \(at) WHERE id = \(registerID)", logger: logger)
        if Int64(r.number) <= lastApplied {
            // Its number was passed: a gap reported before it arrived, or before the register's first receipt seen.
            try await applyReceipts(c, [(id: id, extra: [Int64(r.number) < firstNumber ? .beforeFirstReceipt : .filledGap])], at: command.receivedAt)
        } else if Int64(r.number) == lastApplied + 1 {
            // It, then the waiting receipts that follow it without a gap.
            var chain: [(id: Int64, extra: [ReceiptFlag])] = [(id, [])]
            var next = Int64(r.number) + 1
            for row in try await rows(c, """
                SELECT id, number FROM receipt WHERE register_id = \(registerID) AND state = 'waiting' AND number > \(Int64(r.number)) ORDER BY number
                """) {
                let (waiting, number) = try row.decode((Int64, Int64).self)
                guard number == next else { break }
                chain.append((waiting, []))
                next += 1
            }
            try await applyReceipts(c, chain, at: command.receivedAt)
        }
        return .stored(id)
    }

    /// A stored receipt as ``applyReceipts(_:_:at:)`` reads it.
    private struct StoredReceipt {
        var id: Int64
        var registerID: Int64
        var number: Int64
        var seller: String
        var operation: ReceiptOperation
        var issuedAt: Int64
        var flags: [ReceiptFlag]
        var lines: [PreparedLine]
        var registration: String
        var operatorID: String
    }

    /// Applies stored receipts of one register, whose row the transaction holds, in the order given: each code's
    /// outcome decided and written, the answer stored, the register advanced. The sellers' accounts, then every code
    /// the receipts name, are locked first (lock order 4, 5).
    private func applyReceipts(_ c: PostgresConnection, _ chain: [(id: Int64, extra: [ReceiptFlag])], at: Timestamp) async throws {
        guard !chain.isEmpty else { return }
        var receipts = [Int64: StoredReceipt]()
        for row in try await rows(c, """
            SELECT r.id, r.register_id, r.number, r.seller, r.operation, r.issued_at, r.flags, r.lines, c.registration, r.operator
            FROM receipt r JOIN cash_register c ON c.id = r.register_id WHERE r.id = ANY(\(chain.map(\.id))::int8[])
            """) {
            let (id, register, number, seller, operation, issuedAt, flags, lines, registration, operatorID) =
                try row.decode((Int64, Int64, Int64, String, String, Int64, String, Data, String, String).self)
            receipts[id] = StoredReceipt(id: id, registerID: register, number: number, seller: seller, operation: ReceiptOperation(rawValue: operation) ?? .sale,
                                         issuedAt: issuedAt, flags: RetailRules.flags(flags), lines: try RetailRules.decode([PreparedLine].self, lines),
                                         registration: registration, operatorID: operatorID)
        }
        let sellers = Set(receipts.values.map(\.seller)).sorted()
        let accounts = try await self.accounts(c, sellers, lock: .share)
        try await lockRetailCodes(c, receipts.values.flatMap { Self.codes(of: $0.lines) })
        for (id, extra) in chain {
            let receipt = try receipts[id].orMissing("receipt \(id)")
            var flags = receipt.flags + extra
            switch accounts.first(where: { $0.participant.rawValue == receipt.seller }) {
            case nil: flags.append(.sellerUnknown)
            case let account? where account.blocked != nil: flags.append(.sellerBlocked)
            default: break
            }
            let reference = RetailRules.reference(registration: receipt.registration, number: Int(receipt.number))
            let answers = try await applyCodes(c, lines: receipt.lines, operation: receipt.operation, seller: receipt.seller, channel: "receipt",
                                               reference: reference, soldAt: receipt.issuedAt, recordedAt: at.milliseconds, actor: receipt.seller)
            try await c.query("""
                UPDATE receipt SET state = 'applied', applied_at = \(at.milliseconds), flags = \(RetailRules.flagsText(flags)),
                    answer = \(try RetailRules.encode(answers))
                WHERE id = \(id)
                """, logger: logger)
            try await c.query("UPDATE cash_register SET last_applied = GREATEST(last_applied, \(receipt.number)) WHERE id = \(receipt.registerID)",
                              logger: logger)
            let count = answers.reduce(0) { $0 + $1.codes.filter(\.outcome.applied).count }
            if count > 0 {
                try await log(c, participant: receipt.seller, actor: receipt.seller, kind: receipt.operation == .sale ? .redeemed : .returned,
                              at: Timestamp(milliseconds: receipt.issuedAt), reference: reference, count: count,
                              detail: "cash-register receipt via fiscal data operator \(receipt.operatorID)")
            }
        }
    }

    /// The stamp codes of the valid lines (those ``RetailRules/answer(lines:operation:seller:fact:apply:)`` looks up).
    private static func codes(of lines: [PreparedLine]) -> [String] {
        lines.filter { $0.error == nil }.flatMap { $0.codes.compactMap(\.code) }
    }

    /// Locks the rows of these codes `FOR UPDATE` in id order, in one statement (as activations, write-offs, orders and
    /// aggregation lock codes).
    func lockRetailCodes(_ c: PostgresConnection, _ codes: [String]) async throws {
        guard !codes.isEmpty else { return }
        _ = try await rows(c, """
            WITH locked AS MATERIALIZED (SELECT id FROM code WHERE code = ANY(\(Array(Set(codes)))::text[]) ORDER BY id FOR UPDATE)
            SELECT count(*) FROM locked
            """)
    }

    /// Decides and writes each code's outcome of a sale or return. The codes are locked (``lockRetailCodes(_:_:)``); their
    /// facts are read here, by a statement issued after the locks (it sees every commit they waited for, and this
    /// transaction's earlier receipts).
    func applyCodes(_ c: PostgresConnection, lines: [PreparedLine], operation: ReceiptOperation, seller: String, channel: String, reference: String,
                    soldAt: Int64, recordedAt: Int64, actor: String) async throws -> [ReceiptLineAnswer] {
        var facts = [String: RetailCodeFact]()
        let codes = Array(Set(Self.codes(of: lines)))
        if !codes.isEmpty {
            for row in try await rows(c, """
                SELECT c.code, c.id, COALESCE(c.holder_bin, c.owner_bin), c.status, CASE WHEN o.expires_at > \(recordedAt) THEN c.pending_order END,
                       c.redeemed_by
                FROM code c LEFT JOIN trade_order o ON o.seq = c.pending_order WHERE c.code = ANY(\(codes)::text[])
                """) {
                let (code, id, holder, status, pending, redeemedBy) = try row.decode((String, Int64, String, String, Int64?, String?).self)
                facts[code] = RetailCodeFact(id: id, holder: holder, status: status, pendingOrder: pending, redeemedBy: redeemedBy)
            }
        }
        var ids = [Int64](), kinds = [String]()
        let answers = RetailRules.answer(lines: lines, operation: operation, seller: seller, fact: { facts[$0] }, apply: { fact, outcome in
            ids.append(fact.id)
            kinds.append(outcome == .redeemed ? "redeemed" : "restored")
        })
        guard !ids.isEmpty else { return answers }
        try await c.query("""
            UPDATE code SET redeemed_at = CASE WHEN u.kind = 'redeemed' THEN \(soldAt) END,
                            redeemed_by = CASE WHEN u.kind = 'redeemed' THEN \(seller) END
            FROM unnest(\(ids)::int8[], \(kinds)::text[]) AS u(id, kind) WHERE code.id = u.id
            """, logger: logger)
        try await c.query("""
            INSERT INTO redemption (code_id, seller, kind, channel, reference, at, recorded_at, actor)
            SELECT u.id, \(seller), u.kind, \(channel), \(reference), \(soldAt), \(recordedAt), \(actor)
            FROM unnest(\(ids)::int8[], \(kinds)::text[]) WITH ORDINALITY AS u(id, kind, n) ORDER BY u.n
            """, logger: logger)
        return answers
    }

    /// Stored receipts' answers by id.
    private func receiptAnswers(_ c: PostgresConnection, ids: [Int64]) async throws -> [Int64: ReceiptAnswer] {
        var answers = [Int64: ReceiptAnswer]()
        for row in try await rows(c, """
            SELECT r.id, c.registration, r.number, r.state, r.flags, r.answer, r.received_at, r.applied_at, c.last_applied
            FROM receipt r JOIN cash_register c ON c.id = r.register_id WHERE r.id = ANY(\(ids)::int8[])
            """) {
            let (id, registration, number, stateText, flags, answer, received, applied, lastApplied) =
                try row.decode((Int64, String, Int64, String, String, Data?, Int64, Int64?, Int64).self)
            let state = ReceiptState(rawValue: stateText) ?? .waiting
            answers[id] = ReceiptAnswer(registrationNumber: registration, number: Int(number), state: state, flags: RetailRules.flags(flags),
                                        waitingFor: state == .waiting ? Int(lastApplied) + 1 : nil,
                                        lines: try answer.map { try RetailRules.decode([ReceiptLineAnswer].self, $0) },
                                        receivedAt: Timestamp(milliseconds: received), appliedAt: applied.map(Timestamp.init(milliseconds:)))
        }
        return answers
    }

    public func receipt(registration: String, number: Int) async throws(StoreError) -> ReceiptAnswer? {
        try await connection { c in
            guard let id = try await self.rows(c, """
                SELECT r.id FROM receipt r JOIN cash_register c ON c.id = r.register_id
                WHERE c.registration = \(registration) AND r.number = \(Int64(number))
                """).first?.decode(Int64.self) else { return nil }
            return try await self.receiptAnswers(c, ids: [id])[id]
        }
    }

    public func cashRegister(_ registration: String) async throws(StoreError) -> CashRegisterState? {
        // One snapshot: the register, its waiting receipts and its gaps agree.
        try await transaction { c in
            try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            guard let row = try await self.rows(c, """
                SELECT id, registration, factory_number, seller, operator, last_applied, first_seen, last_received FROM cash_register
                WHERE registration = \(registration)
                """).first else { return nil }
            let (id, registration, factory, seller, operatorID, lastApplied, firstSeen, lastReceived) =
                try row.decode((Int64, String, String, String, String, Int64, Int64, Int64).self)
            let waiting = try await self.rows(c, """
                SELECT number FROM receipt WHERE register_id = \(id) AND state = 'waiting' ORDER BY number LIMIT 1000
                """).map { Int(try $0.decode(Int64.self)) }
            var statement = Statement()
            statement.sql = "g.register_id = \(statement.bind(id))"
            let gaps = try await self.gaps(c, statement, limit: 100).items
            return CashRegisterState(registrationNumber: registration, factoryNumber: factory, seller: TaxpayerID(trustedRow: seller),
                                     operatorID: TaxpayerID(trustedRow: operatorID), lastApplied: Int(lastApplied), waiting: waiting,
                                     firstSeen: Timestamp(milliseconds: firstSeen), lastReceivedAt: Timestamp(milliseconds: lastReceived), gaps: gaps)
        }
    }

    public func receiptGaps(registration: String?, before: Int64?, limit: Int) async throws(StoreError) -> (items: [ReceiptGap], last: Int64?) {
        try await connection { c in
            var statement = Statement()
            var conditions = ["g.id < \(statement.bind(before ?? Int64.max))"]
            if let registration { conditions.append("c.registration = \(statement.bind(registration))") }
            statement.sql = conditions.joined(separator: " AND ")
            return try await self.gaps(c, statement, limit: limit)
        }
    }

    /// Gaps matching `condition` (its SQL and binds), newest first, each with the receipts that arrived in it since.
    private func gaps(_ c: PostgresConnection, _ condition: Statement, limit: Int) async throws -> (items: [ReceiptGap], last: Int64?) {
        var statement = condition
        statement.sql = """
            SELECT g.id, g.from_number, g.to_number, g.waiting_since, g.reported_at, c.registration, c.seller,
                   ARRAY(SELECT r.number FROM receipt r WHERE r.register_id = g.register_id AND r.number BETWEEN g.from_number AND g.to_number
                         ORDER BY r.number LIMIT 1000) AS filled
            FROM receipt_gap g JOIN cash_register c ON c.id = g.register_id
            WHERE \(condition.sql) ORDER BY g.id DESC LIMIT \(statement.bind(limit))
            """
        var items = [ReceiptGap](), last: Int64?
        for row in try await rows(c, statement.query) {
            let (id, from, to, waitingSince, reportedAt, registration, seller, filled) =
                try row.decode((Int64, Int64, Int64, Int64, Int64, String, String, [Int64]).self)
            items.append(ReceiptGap(registrationNumber: registration, seller: TaxpayerID(trustedRow: seller), from: Int(from), to: Int(to),
                                    waitingSince: Timestamp(milliseconds: waitingSince), reportedAt: Timestamp(milliseconds: reportedAt),
                                    filled: filled.map { Int($0) }))
            last = id
        }
        return (items, items.count == limit ? last : nil)
    }

    /// One transaction per register (its row locked, as receipts lock it): a receipt that arrives meanwhile is either
    /// applied before the job looks (the gap is gone) or after it (flagged `filledGap`); never twice. Several
    /// registrar instances may run the job at once: the second finds nothing due once the first has committed.
    public func reportReceiptGaps(waitedSince: Timestamp, now: Timestamp) async throws(StoreError) -> [ReceiptGap] {
        let registers = try await connection { c in
            try await self.rows(c, """
                SELECT DISTINCT register_id FROM receipt WHERE state = 'waiting' AND received_at <= \(waitedSince.milliseconds) ORDER BY register_id
                """).map { try $0.decode(Int64.self) }
        }
        var reported = [Int64]()
        for register in registers {
            reported += try await transaction { c in try await self.reportGaps(c, register: register, waitedSince: waitedSince, now: now) }
        }
        guard !reported.isEmpty else { return [] }
        return try await connection { c in
            var statement = Statement()
            statement.sql = "g.id = ANY(\(statement.bind(reported))::int8[])"
            return try await self.gaps(c, statement, limit: reported.count).items.reversed()
        }
    }

    /// Reports a register's due gaps and applies the receipts after each (flagged `afterGap`), as SQLite's loop does:
    /// while its first waiting receipt was received at or before `waitedSince`, the gap before it is reported, then it
    /// and the waiting receipts that follow it without a gap are applied.
    private func reportGaps(_ c: PostgresConnection, register: Int64, waitedSince: Timestamp, now: Timestamp) async throws -> [Int64] {
        guard var last = try await rows(c, "SELECT last_applied FROM cash_register WHERE id = \(register) FOR UPDATE").first?.decode(Int64.self) else {
            return []
        }
        let waiting = try await rows(c, """
            SELECT id, number, received_at FROM receipt WHERE register_id = \(register) AND state = 'waiting' ORDER BY number
            """).map { try $0.decode((Int64, Int64, Int64).self) }
        var segments = [(from: Int64, to: Int64, since: Int64, receipts: [Int64])]()
        var index = 0
        while index < waiting.count, waiting[index].2 <= waitedSince.milliseconds {
            let first = waiting[index]
            var segment = (from: last + 1, to: first.1 - 1, since: first.2, receipts: [first.0])
            last = first.1
            index += 1
            while index < waiting.count, waiting[index].1 == last + 1 {
                segment.receipts.append(waiting[index].0)
                last += 1
                index += 1
            }
            segments.append(segment)
        }
        guard !segments.isEmpty else { return [] }
        // Every code of every receipt to apply is locked before the first is applied (lock order 4, 5).
        let all = segments.flatMap(\.receipts)
        var chainLines = [PreparedLine]()
        var sellers = Set<String>()
        for row in try await rows(c, "SELECT seller, lines FROM receipt WHERE id = ANY(\(all)::int8[])") {
            let (seller, lines) = try row.decode((String, Data).self)
            sellers.insert(seller)
            chainLines += try RetailRules.decode([PreparedLine].self, lines)
        }
        _ = try await accounts(c, sellers.sorted(), lock: .share)
        try await lockRetailCodes(c, Self.codes(of: chainLines))
        var gaps = [Int64]()
        for segment in segments {
            gaps.append(try await rows(c, """
                INSERT INTO receipt_gap (register_id, from_number, to_number, waiting_since, reported_at)
                VALUES (\(register), \(segment.from), \(segment.to), \(segment.since), \(now.milliseconds)) RETURNING id
                """).first.orMissing("gap of register \(register)").decode(Int64.self))
            try await c.query("UPDATE cash_register SET last_applied = \(segment.to) WHERE id = \(register)", logger: logger)
            try await applyReceipts(c, segment.receipts.map { (id: $0, extra: [ReceiptFlag.afterGap]) }, at: now)
        }
        return gaps
    }

    public func oldestWaitingReceipt() async throws(StoreError) -> Timestamp? {
        try await connection { c in
            // Each register's lowest-numbered waiting receipt decides when its gap is due (what the sweep tests).
            try await self.rows(c, """
                SELECT MIN(r.received_at) FROM receipt r WHERE r.state = 'waiting' AND NOT EXISTS (
                SELECT 1 FROM receipt x WHERE x.register_id = r.register_id AND x.state = 'waiting' AND x.number < r.number)
                """).first?
                .decode(Int64?.self).map(Timestamp.init(milliseconds:))
        }
    }

    // MARK: Redemption through the Service

    public func redeem(_ command: ServiceRedemptionCommand) async throws(StoreError) -> Stored<RedemptionAnswer> {
        let request = command.request
        let seller = request.seller.rawValue
        let outcome: Result<Stored<RedemptionAnswer>, TradeRefusal> = try await claiming { c in
            // A concurrent re-send waits here, then finds the stored one (lock order 1).
            try await self.lockKey(c, "redemption", seller, request.number)
            if let row = try await self.rows(c, """
                SELECT digest, answer FROM service_redemption WHERE seller = \(seller) AND number = \(request.number)
                """).first {
                let (digest, answer) = try row.decode((String, Data).self)
                guard digest == command.document.summary.documentDigest else {
                    throw StoreError.idempotencyConflict("redemption \(request.number) of \(request.seller)")
                }
                return .success(Stored(value: try RetailRules.decode(RedemptionAnswer.self, answer), replayed: true))
            }
            guard let account = try await self.accounts(c, [seller], lock: .share).first else {
                return .failure(TradeRules.unknownAccount(request.seller, role: "seller"))
            }
            if let block = account.blocked, !command.registrarActs { return .failure(TradeRules.blocked(request.seller, block)) }
            let documentID = try await self.insert(c, command.document)
            let soldAt = (request.soldAt ?? command.receivedAt).milliseconds
            let lines = [PreparedLine(error: nil, codes: command.codes)]
            try await self.lockRetailCodes(c, Self.codes(of: lines))
            let answered = try await self.applyCodes(c, lines: lines, operation: .sale, seller: seller, channel: "service", reference: request.number,
                                                     soldAt: soldAt, recordedAt: command.receivedAt.milliseconds, actor: command.actor.rawValue)
            let answer = RedemptionAnswer(seller: request.seller, number: request.number, codes: answered.first?.codes ?? [],
                                          receivedAt: command.receivedAt)
            try await c.query("""
                INSERT INTO service_redemption (seller, number, digest, answer, received_at, document_id, actor)
                VALUES (\(seller), \(request.number), \(command.document.summary.documentDigest), \(try RetailRules.encode(answer)),
                        \(command.receivedAt.milliseconds), \(documentID), \(command.actor.rawValue))
                """, logger: self.logger)
            let count = answer.codes.filter(\.outcome.applied).count
            if count > 0 {
                try await self.log(c, participant: seller, actor: command.actor.rawValue, kind: .redeemed, at: Timestamp(milliseconds: soldAt),
                                   reference: request.number, count: count, detail: "scanned in the Service", document: documentID)
            }
            return .success(Stored(value: answer, replayed: false))
        }
        return try outcome.refusing()
    }

    public func serviceRedemption(seller: TaxpayerID, number: String) async throws(StoreError) -> RedemptionAnswer? {
        try await connection { c in
            try await self.rows(c, "SELECT answer FROM service_redemption WHERE seller = \(seller.rawValue) AND number = \(number)").first
                .map { try RetailRules.decode(RedemptionAnswer.self, try $0.decode(Data.self)) }
        }
    }

    public func setRedemptionConsent(_ command: RedemptionConsentCommand) async throws(StoreError) -> AccountInfo {
        let participant = command.consent.participant
        let outcome: Result<AccountInfo, TradeRefusal> = try await transaction { c in
            let p = participant.rawValue
            // The account's row locked (as a block locks it): a counter-order signed meanwhile reads the consent before
            // or after, never half of it.
            guard let account = try await self.accounts(c, [p], lock: .update).first else {
                return .failure(TradeRules.unknownAccount(participant, role: "participant"))
            }
            // The same consent again (an answer lost on the way): nothing changes.
            if (account.redeemOnCounterOrder ?? false) == command.consent.redeemOnCounterOrder { return .success(account) }
            let documentID = try await self.insert(c, command.document)
            try await c.query("UPDATE account SET redeem_on_counter_order = \(command.consent.redeemOnCounterOrder) WHERE participant = \(p)",
                              logger: self.logger)
            try await self.log(c, participant: p, actor: command.actor.rawValue, kind: .redemptionConsent, at: command.at,
                               detail: command.consent.redeemOnCounterOrder ? "given" : "withdrawn", document: documentID)
            return .success(try await self.accounts(c, [p]).first.orMissing("account \(p)"))
        }
        return try outcome.refusing()
    }

    /// Redeems an order's codes at the signing of its counter-order when the buyer consented (cl. 22, second way).
    /// Called by ``signOrder(_:)`` with the order's codes and both accounts already locked.
    func redeemOnCounterOrder(_ c: PostgresConnection, orderSeq: Int64, orderID: String, buyer: String, actor: String, at: Timestamp,
                              document: Int64) async throws {
        guard try await rows(c, "SELECT redeem_on_counter_order FROM account WHERE participant = \(buyer)").first?.decode(Bool.self) == true else {
            return
        }
        let count = try await rows(c, """
            WITH redeemed AS (
                UPDATE code SET redeemed_at = \(at.milliseconds), redeemed_by = \(buyer)
                WHERE id IN (SELECT code_id FROM order_code WHERE order_seq = \(orderSeq)) AND redeemed_by IS NULL RETURNING id
            ), history AS (
                INSERT INTO redemption (code_id, seller, kind, channel, reference, at, recorded_at, actor)
                SELECT id, \(buyer), 'redeemed', 'counterOrder', \(orderID), \(at.milliseconds), \(at.milliseconds), \(actor) FROM redeemed ORDER BY id
            )
            SELECT count(*) FROM redeemed
            """).first.orMissing("the count of redeemed codes").decode(Int64.self)
        guard count > 0 else { return }
        try await log(c, participant: buyer, actor: actor, kind: .redeemed, at: at, reference: orderID, count: Int(count),
                      detail: "at the counter-order, under the buyer's consent", document: document)
    }

    /// A code's redemptions and restorations, oldest first.
    func redemptions(_ c: PostgresConnection, codeID: Int64) async throws -> [TradeHistory.Redemption] {
        try await rows(c, "SELECT seller, kind, at, channel, reference, actor, recorded_at FROM redemption WHERE code_id = \(codeID) ORDER BY id").map { row in
            let (seller, kind, at, channel, reference, actor, recorded) = try row.decode((String, String, Int64, String, String, String, Int64).self)
            return TradeHistory.Redemption(seller: seller, restored: kind == "restored", at: at, channel: channel, reference: reference, actor: actor,
                                           recordedAt: recorded)
        }
    }

    // MARK: Scans and alerts

    public func recordScan(_ command: ScanCommand, evaluate: @escaping ScanEvaluator) async throws(StoreError) -> ScanOutcome {
        try await transaction { c in
            // Scans of one code one at a time (lock order 1): each sees the scans and alerts before it, so two scans at
            // once neither raise the same alert twice nor miss the travel between them.
            try await self.lockKey(c, "scan", command.code)
            let facts = try await self.verifyFacts(c, code: command.code)
            let scan = ScanRecord(id: command.id, code: command.code, at: command.at, verdict: RetailRules.verdict(facts),
                                  location: command.location, region: command.region)
            let earlier = try await self.scans(c, code: command.code, limit: 500)
            try await c.query("""
                INSERT INTO scan (id, code, at, verdict, latitude, longitude, accuracy, region)
                VALUES (\(command.id.uuidString.lowercased()), \(command.code), \(command.at.milliseconds), \(scan.verdict.rawValue),
                        \(command.location?.latitude), \(command.location?.longitude), \(command.location?.accuracy), \(command.region))
                """, logger: self.logger)
            let alerts = try await self.raise(c, scan: scan, facts: facts, earlier: earlier, evaluate: evaluate)
            return ScanOutcome(scan: scan, facts: facts, alerts: alerts)
        }
    }

    public func addScanLocation(_ command: ScanLocationCommand, evaluate: @escaping ScanEvaluator) async throws(StoreError) -> ScanOutcome {
        let outcome: Result<ScanOutcome, TradeRefusal> = try await transaction { c in
            let id = command.id.uuidString.lowercased()
            guard let code = try await self.rows(c, "SELECT code FROM scan WHERE id = \(id)").first?.decode(String.self) else {
                return .failure(TradeRefusal(status: 404, code: .notFound, message: "scan \(id) not found"))
            }
            try await self.lockKey(c, "scan", code)
            guard let row = try await self.rows(c, "\(unescaped: Self.scanSelect) WHERE id = \(id) FOR UPDATE").first, var scan = try Self.scan(row: row) else {
                return .failure(TradeRefusal(status: 404, code: .notFound, message: "scan \(id) not found"))
            }
            if let refusal = RetailRules.locationRefusal(scan, now: command.now) { return .failure(refusal) }
            try await c.query("""
                UPDATE scan SET latitude = \(command.location.latitude), longitude = \(command.location.longitude),
                    accuracy = \(command.location.accuracy), region = \(command.region)
                WHERE id = \(id)
                """, logger: self.logger)
            scan.location = command.location
            scan.region = command.region
            let facts = try await self.verifyFacts(c, code: scan.code)
            let earlier = try await self.scans(c, code: scan.code, limit: 500).filter { $0.id != scan.id }
            let alerts = try await self.raise(c, scan: scan, facts: facts, earlier: earlier, evaluate: evaluate)
            return .success(ScanOutcome(scan: scan, facts: facts, alerts: alerts))
        }
        return try outcome.refusing()
    }

    /// Stores the alerts `evaluate` decides. Alert ids are the stream's cursor (`GET /v1/analytics/alerts/stream` reads
    /// ids greater than the last it sent), so they must become visible in increasing order: a sequence alone hands out
    /// ids in `nextval` order, and a transaction holding a lower id could commit after one holding a higher id, which a
    /// reader would skip for good. The alert stream's advisory key is taken before the ids are drawn and held until
    /// commit (the last lock of its transaction), so transactions that insert alerts draw and commit one at a time.
    private func raise(_ c: PostgresConnection, scan: ScanRecord, facts: VerifyFacts?, earlier: [ScanRecord],
                       evaluate: ScanEvaluator) async throws -> [CounterfeitAlert] {
        let earlierAlerts = try await rows(c, "SELECT kind, at FROM alert WHERE code = \(scan.code) ORDER BY id DESC LIMIT 200").compactMap { row in
            let (kind, at) = try row.decode((String, Int64).self)
            return AlertKind(rawValue: kind).map { (kind: $0, at: Timestamp(milliseconds: at)) }
        }
        let drafts = evaluate(scan, facts, earlier, earlierAlerts)
        guard !drafts.isEmpty else { return [] }
        try await lockKey(c, "alert-stream")
        var alerts = [CounterfeitAlert]()
        for draft in drafts {
            let id = try await rows(c, """
                INSERT INTO alert (kind, code, at, region, producer, message, evidence, scan_id)
                VALUES (\(draft.kind.rawValue), \(scan.code), \(scan.at.milliseconds), \(scan.region), \(facts?.owner.rawValue), \(draft.message),
                        \(try RetailRules.encode(draft.evidence)), \(scan.id.uuidString.lowercased()))
                RETURNING id
                """).first.orMissing("alert").decode(Int64.self)
            alerts.append(CounterfeitAlert(id: id, kind: draft.kind, code: scan.code, at: scan.at, region: scan.region, producer: facts?.owner,
                                           message: draft.message, evidence: draft.evidence))
        }
        return alerts
    }

    public func verifyFacts(_ code: String) async throws(StoreError) -> VerifyFacts? {
        try await connection { c in try await self.verifyFacts(c, code: code) }
    }

    func verifyFacts(_ c: PostgresConnection, code: String) async throws -> VerifyFacts? {
        try await rows(c, """
            SELECT c.code, c.owner_bin, a.name, w.product_name, c.product_code, c.status, c.activated_at, c.redeemed_at
            FROM code c JOIN waybill w ON w.id = c.waybill_id LEFT JOIN account a ON a.participant = c.owner_bin WHERE c.code = \(code)
            """).first.map { row in
            let (code, owner, name, product, productCode, status, activated, redeemed) =
                try row.decode((String, String, String?, String, String?, String, Int64?, Int64?).self)
            return VerifyFacts(code: code, owner: TaxpayerID(trustedRow: owner), ownerName: name, productName: product, productCode: productCode,
                               status: redeemed != nil ? .redeemed : CodeStatus(rawValue: status) ?? .issued,
                               activatedAt: activated.map(Timestamp.init(milliseconds:)), redeemedAt: redeemed.map(Timestamp.init(milliseconds:)))
        }
    }

    private static let scanSelect = "SELECT id, code, at, verdict, latitude, longitude, accuracy, region FROM scan"

    /// A code's scans, oldest first (the newest `limit`).
    private func scans(_ c: PostgresConnection, code: String, limit: Int) async throws -> [ScanRecord] {
        try await rows(c, "\(unescaped: Self.scanSelect) WHERE code = \(code) ORDER BY at DESC, id DESC LIMIT \(limit)")
            .compactMap(Self.scan(row:)).reversed()
    }

    private static func scan(row: PostgresRow) throws -> ScanRecord? {
        let (id, code, at, verdict, latitude, longitude, accuracy, region) =
            try row.decode((String, String, Int64, String, Double?, Double?, Double?, String?).self)
        guard let uuid = UUID(uuidString: id) else { return nil }
        let location = latitude.flatMap { lat in longitude.map { ScanLocation(latitude: lat, longitude: $0, accuracy: accuracy) } }
        return ScanRecord(id: uuid, code: code, at: Timestamp(milliseconds: at), verdict: VerifyVerdict(rawValue: verdict) ?? .unknown,
                          location: location, region: region)
    }

    public func scans(code: String, limit: Int) async throws(StoreError) -> [ScanRecord] {
        try await connection { c in try await self.scans(c, code: code, limit: limit) }
    }

    private static let alertSelect = "SELECT id, kind, code, at, region, producer, message, evidence FROM alert"

    public func alerts(_ query: AlertQuery) async throws(StoreError) -> (items: [CounterfeitAlert], last: Int64?) {
        try await connection { c in
            var statement = Statement()
            var conditions = ["id < \(statement.bind(query.before ?? Int64.max))"]
            if let kind = query.kind { conditions.append("kind = \(statement.bind(kind.rawValue))") }
            if let code = query.code { conditions.append("code = \(statement.bind(code))") }
            if let region = query.region { conditions.append("region = \(statement.bind(region))") }
            if let producer = query.producer { conditions.append("producer = \(statement.bind(producer.rawValue))") }
            if let from = query.from { conditions.append("at >= \(statement.bind(from.milliseconds))") }
            if let to = query.to { conditions.append("at < \(statement.bind(to.milliseconds))") }
            statement.sql = """
                \(Self.alertSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT \(statement.bind(query.limit))
                """
            let items = try await self.rows(c, statement.query).map(Self.alert(row:))
            return (items, items.count == query.limit ? items.last?.id : nil)
        }
    }

    public func alerts(after: Int64, limit: Int) async throws(StoreError) -> [CounterfeitAlert] {
        try await connection { c in
            try await self.rows(c, "\(unescaped: Self.alertSelect) WHERE id > \(after) ORDER BY id LIMIT \(limit)").map(Self.alert(row:))
        }
    }

    private static func alert(row: PostgresRow) throws -> CounterfeitAlert {
        let (id, kind, code, at, region, producer, message, evidence) =
            try row.decode((Int64, String, String, Int64, String?, String?, String, Data).self)
        return CounterfeitAlert(id: id, kind: AlertKind(rawValue: kind) ?? .unknownScanned, code: code, at: Timestamp(milliseconds: at), region: region,
                                producer: producer.map(TaxpayerID.init(trustedRow:)), message: message,
                                evidence: try RetailRules.decode(AlertEvidence.self, evidence))
    }

    public func scanReport(from: Timestamp, to: Timestamp) async throws(StoreError) -> ScanReport {
        // One snapshot: scans and alerts counted at the same moment.
        try await transaction { c in
            try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            var builder = RetailRules.ReportBuilder()
            for row in try await self.rows(c, """
                SELECT COALESCE(region, 'unknown'), verdict, COUNT(*) FROM scan WHERE at >= \(from.milliseconds) AND at < \(to.milliseconds) GROUP BY 1, 2
                """) {
                let (region, verdict, count) = try row.decode((String, String, Int64).self)
                builder.scans(region: region, verdict: verdict, count: Int(count))
            }
            for row in try await self.rows(c, """
                SELECT COALESCE(region, 'unknown'), kind, COUNT(*) FROM alert WHERE at >= \(from.milliseconds) AND at < \(to.milliseconds) GROUP BY 1, 2
                """) {
                let (region, kind, count) = try row.decode((String, String, Int64).self)
                builder.alerts(region: region, kind: kind, count: Int(count))
            }
            return builder.report(from: from, to: to)
        }
    }
}
