import Crypto
import Foundation
import LineCore
import Logging
import NIOCore
import PostgresNIO
import QazAPI

// The trade half on PostgreSQL: the tables, rules (``TradeRules``, ``TradeHistory``) and answers of
// SQLiteRegistrarStore+Trade.swift, for concurrent writers.
//
// SQLite has one writer, so what a transaction reads stays true until it commits. Here every mutation first locks what
// it decides on, then reads the facts with statements issued after the locks are held (under READ COMMITTED each
// statement sees every commit its locks waited for). Locks are taken in this order only, so no two requests deadlock:
//   1. a new application's or order's idempotency key (a transaction-scoped advisory lock): a concurrent re-send waits
//      for the first one to commit, then finds it and is answered as a replay (never `codes_pending` for its own codes);
//   2. an order's row `FOR UPDATE` (several: in expiry order), or an application's row `FOR UPDATE`;
//   3. account rows in participant order: `FOR SHARE` to check them, `FOR UPDATE` to block or unblock;
//   4. stamp codes' rows `FOR UPDATE` in id order, as activations, write-offs and aggregation lock them (an order's
//      codes are locked and counted in one statement; only those that break a rule are read back).
// The retail half (PostgresRegistrarStore+Retail.swift) keeps this order: its advisory keys at 1, a cash register's row
// between 2 and 3, and at a counter-order the buyer's consent is read under the locks of 3 and 4.
// The write closures return `Result<…, TradeRefusal>` and the caller throws the refusal after the commit, so an order
// expired while refusing a late counter-order or cancellation stays expired (as on SQLite).

extension PostgresRegistrarStore {
    /// Migration `v7-trade`, the twin of SQLite's: accounts, signed documents, applications, orders and their codes, the
    /// holder and pending order of each code, the append-only operations log, report submissions; tokens for
    /// wholesalers and retailers. Statements are separated by `;` at a line's end (see ``migrate()``).
    static let tradeMigration = """
        ALTER TABLE api_token DROP CONSTRAINT api_token_role_check;
        ALTER TABLE api_token ADD CONSTRAINT api_token_role_check
            CHECK (role IN ('producer', 'importer', 'banknote-factory', 'revenue-body', 'registrar', 'wholesaler', 'retailer'));
        CREATE TABLE account (
            participant TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('producer', 'importer', 'wholesaler', 'retailer')),
            created_at BIGINT NOT NULL,
            blocked_reason TEXT,
            blocked_by TEXT,
            blocked_at BIGINT
        );
        INSERT INTO account (participant, name, kind, created_at)
            SELECT w.recipient_bin, w.recipient_name,
                   CASE WHEN EXISTS (SELECT 1 FROM api_token t WHERE t.participant_bin = w.recipient_bin AND t.role = 'importer')
                        THEN 'importer' ELSE 'producer' END,
                   w.recorded_at
            FROM waybill w WHERE w.id = (SELECT MAX(id) FROM waybill x WHERE x.recipient_bin = w.recipient_bin)
            ON CONFLICT (participant) DO NOTHING;
        INSERT INTO account (participant, name, kind, created_at)
            SELECT DISTINCT ON (participant_bin) participant_bin, participant_bin, role, created_at FROM api_token
            WHERE role IN ('producer', 'importer') ORDER BY participant_bin, created_at
            ON CONFLICT (participant) DO NOTHING;
        CREATE TABLE signed_document (
            id BIGSERIAL PRIMARY KEY,
            kind TEXT NOT NULL,
            participant TEXT NOT NULL,
            canonical BYTEA NOT NULL,
            signature BYTEA NOT NULL,
            digest TEXT NOT NULL,
            subject TEXT NOT NULL,
            iin TEXT,
            bin TEXT,
            certificate_serial TEXT NOT NULL,
            signing_time BIGINT,
            received_at BIGINT NOT NULL
        );
        CREATE TABLE application (
            id BIGSERIAL PRIMARY KEY,
            applicant TEXT NOT NULL,
            number TEXT NOT NULL,
            date TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('domestic', 'import')),
            name TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            product_name TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'refused')),
            submitted_at BIGINT NOT NULL,
            decision_due BIGINT NOT NULL,
            decided_at BIGINT,
            decided_by TEXT,
            grounds TEXT,
            comment TEXT,
            issued INTEGER NOT NULL DEFAULT 0,
            document_id BIGINT NOT NULL REFERENCES signed_document(id),
            actor TEXT NOT NULL,
            CONSTRAINT application_applicant_number_key UNIQUE (applicant, number)
        );
        CREATE INDEX application_undecided ON application(decision_due) WHERE status = 'submitted';
        CREATE TABLE trade_order (
            seq BIGSERIAL PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            number TEXT NOT NULL,
            seller TEXT NOT NULL,
            buyer TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'signed', 'cancelled', 'expired')),
            saved_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            signed_at BIGINT,
            cancelled_at BIGINT,
            cancel_reason TEXT,
            expired_at BIGINT,
            code_count INTEGER NOT NULL,
            units TEXT NOT NULL,
            volume TEXT NOT NULL,
            price TEXT NOT NULL,
            note TEXT,
            seller_document BIGINT NOT NULL REFERENCES signed_document(id),
            buyer_document BIGINT REFERENCES signed_document(id),
            actor TEXT NOT NULL,
            buyer_actor TEXT,
            CONSTRAINT trade_order_seller_number_key UNIQUE (seller, number)
        );
        CREATE INDEX trade_order_pending ON trade_order(expires_at) WHERE status = 'pending';
        CREATE INDEX trade_order_seller ON trade_order(seller, seq);
        CREATE INDEX trade_order_buyer ON trade_order(buyer, seq);
        CREATE TABLE order_code (
            order_seq BIGINT NOT NULL REFERENCES trade_order(seq),
            code TEXT COLLATE "C" NOT NULL,
            code_id BIGINT NOT NULL REFERENCES code(id),
            PRIMARY KEY (order_seq, code)
        );
        CREATE INDEX order_code_code ON order_code(code_id, order_seq);
        ALTER TABLE code ADD COLUMN holder_bin TEXT;
        ALTER TABLE code ADD COLUMN pending_order BIGINT;
        CREATE INDEX code_holder ON code(holder_bin, status) WHERE holder_bin IS NOT NULL;
        CREATE INDEX code_pending ON code(pending_order) WHERE pending_order IS NOT NULL;
        CREATE TABLE operation (
            id BIGSERIAL PRIMARY KEY,
            participant TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            at BIGINT NOT NULL,
            reference TEXT,
            count INTEGER,
            detail TEXT,
            document_id BIGINT REFERENCES signed_document(id)
        );
        CREATE INDEX operation_participant ON operation(participant, id);
        CREATE INDEX operation_reference ON operation(participant, kind, reference);
        CREATE TABLE report_submission (
            id TEXT PRIMARY KEY,
            participant TEXT NOT NULL,
            form TEXT NOT NULL,
            month TEXT NOT NULL,
            result TEXT NOT NULL,
            differences TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            document_id BIGINT NOT NULL REFERENCES signed_document(id),
            actor TEXT NOT NULL
        )
        """
}

extension PostgresRegistrarStore: TradeStore {
    // MARK: Accounts

    public func putAccount(_ participant: TaxpayerID, request: AccountRequest, actor: TaxpayerID, at: Timestamp) async throws(StoreError) -> AccountInfo {
        try await transaction { c in
            let p = participant.rawValue
            // A concurrent creation of the same record waits here for the first to commit, then updates it.
            let created = try await self.rows(c, """
                INSERT INTO account (participant, name, kind, created_at) VALUES (\(p), \(request.name), \(request.kind.rawValue), \(at.milliseconds))
                ON CONFLICT (participant) DO NOTHING RETURNING participant
                """)
            if created.isEmpty {
                try await c.query("UPDATE account SET name = \(request.name), kind = \(request.kind.rawValue) WHERE participant = \(p)",
                                  logger: self.logger)
            } else {
                try await self.log(c, participant: p, actor: actor.rawValue, kind: .accountCreated, at: at,
                                   detail: "\(request.kind.rawValue): \(request.name)")
            }
            return try await self.accounts(c, [p]).first.orMissing("account \(p)")
        }
    }

    public func account(_ participant: TaxpayerID) async throws(StoreError) -> AccountInfo? {
        try await connection { c in try await self.accounts(c, [participant.rawValue]).first }
    }

    public func setBlock(_ participant: TaxpayerID, block: AccountBlock?, actor: TaxpayerID, reason: String, at: Timestamp)
        async throws(StoreError) -> AccountInfo
    {
        try await transaction { c in
            let p = participant.rawValue
            guard let account = try await self.accounts(c, [p], lock: .update).first else {
                throw StoreError.refused(TradeRules.unknownAccount(participant, role: "participant"))
            }
            if (account.blocked != nil) == (block != nil) {
                throw StoreError.refused(TradeRefusal(status: 409, code: .invalidState,
                                                      message: "the account \(participant) is \(block == nil ? "not blocked" : "already blocked"); nothing was changed",
                                                      details: ["participant": p]))
            }
            try await c.query("""
                UPDATE account SET blocked_reason = \(block?.reason), blocked_by = \(block?.by.rawValue), blocked_at = \(block?.at.milliseconds)
                WHERE participant = \(p)
                """, logger: self.logger)
            try await self.log(c, participant: p, actor: actor.rawValue, kind: block == nil ? .accountUnblocked : .accountBlocked, at: at,
                               detail: reason)
            return try await self.accounts(c, [p]).first.orMissing("account \(p)")
        }
    }

    /// How ``accounts(_:_:lock:)`` locks the rows it reads.
    enum RowLock: String {
        case none = "", share = "FOR SHARE", update = "FOR UPDATE"
    }

    /// The account records of these participants (those that exist), in participant order, locked as asked.
    func accounts(_ c: PostgresConnection, _ participants: [String], lock: RowLock = .none) async throws -> [AccountInfo] {
        try await rows(c, """
            SELECT participant, name, kind, created_at, blocked_reason, blocked_by, blocked_at, redeem_on_counter_order FROM account
            WHERE participant = ANY(\(participants)::text[]) ORDER BY participant \(unescaped: lock.rawValue)
            """).map { row in
            let r = TradeRow(row)
            let blockedAt: Int64? = try r("blocked_at")
            let block = try blockedAt.map { AccountBlock(reason: try r("blocked_reason"), by: TaxpayerID(trustedRow: try r("blocked_by")),
                                                         at: Timestamp(milliseconds: $0)) }
            return AccountInfo(participant: TaxpayerID(trustedRow: try r("participant")), name: try r("name"),
                               kind: ParticipantKind(rawValue: try r("kind")) ?? .producer, createdAt: Timestamp(milliseconds: try r("created_at")),
                               blocked: block, redeemOnCounterOrder: try r("redeem_on_counter_order", as: Bool.self) ? true : nil)
        }
    }

    // MARK: Applications

    public func submitApplication(_ command: ApplicationCommand) async throws(StoreError) -> Stored<ApplicationInfo> {
        try await claiming { c in
            let app = command.application
            let applicant = app.applicant.rawValue
            try await self.lockKey(c, "application", applicant, app.number)
            if let row = try await self.rows(c, """
                SELECT d.digest FROM application a JOIN signed_document d ON d.id = a.document_id
                WHERE a.applicant = \(applicant) AND a.number = \(app.number)
                """).first {
                guard try row.decode(String.self) == command.document.summary.documentDigest else {
                    throw StoreError.idempotencyConflict("application \(app.number)")
                }
                return Stored(value: try await self.application(c, applicant: applicant, number: app.number, now: command.submittedAt)
                                  .orMissing("application \(app.number)"),
                              replayed: true)
            }
            guard let account = try await self.accounts(c, [applicant], lock: .share).first else {
                throw StoreError.refused(TradeRules.unknownAccount(app.applicant, role: "applicant"))
            }
            if let block = account.blocked, !command.registrarActs { throw StoreError.refused(TradeRules.blocked(app.applicant, block)) }
            let documentID = try await self.insert(c, command.document)
            try await c.query("""
                INSERT INTO application (applicant, number, date, kind, name, quantity, product_name, status, submitted_at, decision_due,
                    document_id, actor)
                VALUES (\(applicant), \(app.number), \(app.date.description), \(app.kind.rawValue), \(app.name), \(app.quantity),
                        \(app.product.name), 'submitted', \(command.submittedAt.milliseconds), \(command.decisionDue.milliseconds), \(documentID),
                        \(command.actor.rawValue))
                """, logger: self.logger)
            try await self.log(c, participant: applicant, actor: command.actor.rawValue, kind: .applicationSubmitted, at: command.submittedAt,
                               reference: app.number, count: app.quantity, detail: app.kind.rawValue, document: documentID)
            return Stored(value: try await self.application(c, applicant: applicant, number: app.number, now: command.submittedAt)
                              .orMissing("application \(app.number)"),
                          replayed: false)
        }
    }

    public func application(applicant: TaxpayerID, number: String, now: Timestamp) async throws(StoreError) -> ApplicationInfo? {
        try await connection { c in try await self.application(c, applicant: applicant.rawValue, number: number, now: now) }
    }

    public func applications(_ query: ApplicationQuery) async throws(StoreError) -> (items: [ApplicationInfo], last: Int64?) {
        try await connection { c in
            var statement = Statement()
            var conditions = ["a.id < \(statement.bind(query.before ?? Int64.max))"]
            if let applicant = query.applicant { conditions.append("a.applicant = \(statement.bind(applicant.rawValue))") }
            if let status = query.status { conditions.append("a.status = \(statement.bind(status.rawValue))") }
            if query.overdueOnly { conditions.append("a.status = 'submitted' AND a.decision_due < \(statement.bind(query.now.milliseconds))") }
            statement.sql = """
                \(Self.applicationSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY a.id DESC LIMIT \(statement.bind(query.limit))
                """
            let rows = try await self.rows(c, statement.query)
            return (try rows.map { try Self.application(row: $0, now: query.now) }, try rows.last.map { try TradeRow($0)("id", as: Int64.self) })
        }
    }

    public func decideApplication(_ command: ApplicationDecisionCommand) async throws(StoreError) -> ApplicationInfo {
        try await transaction { c in
            let applicant = command.applicant.rawValue
            _ = try await self.rows(c, "SELECT id FROM application WHERE applicant = \(applicant) AND number = \(command.number) FOR UPDATE")
            guard let current = try await self.application(c, applicant: applicant, number: command.number, now: command.at) else {
                throw StoreError.refused(TradeRefusal(status: 404, code: .notFound, message: "application \(command.number) of \(command.applicant) not found"))
            }
            guard current.status == .submitted else {
                throw StoreError.refused(TradeRefusal(status: 409, code: .invalidState,
                                                      message: "application \(command.number) was \(current.status.rawValue) before; a decision is final",
                                                      details: ["status": current.status.rawValue]))
            }
            let approve = command.decision.decision == .approve
            let grounds = command.decision.grounds?.map(\.rawValue).joined(separator: ",")
            try await c.query("""
                UPDATE application SET status = \(approve ? "approved" : "refused"), decided_at = \(command.at.milliseconds),
                    decided_by = \(command.actor.rawValue), grounds = \(grounds), comment = \(command.decision.comment)
                WHERE applicant = \(applicant) AND number = \(command.number)
                """, logger: self.logger)
            try await self.log(c, participant: applicant, actor: command.actor.rawValue, kind: approve ? .applicationApproved : .applicationRefused,
                               at: command.at, reference: command.number, count: current.quantity, detail: grounds ?? command.decision.comment)
            return try await self.application(c, applicant: applicant, number: command.number, now: command.at).orMissing("application \(command.number)")
        }
    }

    static let applicationSelect = """
        SELECT a.id, a.applicant, a.number, a.date, a.kind, a.name, a.quantity, a.product_name, a.status, a.submitted_at, a.decision_due,
               a.decided_at, a.decided_by, a.grounds, a.comment, a.issued,
               d.subject, d.iin, d.bin, d.certificate_serial, d.signing_time, d.digest
        FROM application a JOIN signed_document d ON d.id = a.document_id
        """

    func application(_ c: PostgresConnection, applicant: String, number: String, now: Timestamp) async throws -> ApplicationInfo? {
        try await rows(c, "\(unescaped: Self.applicationSelect) WHERE a.applicant = \(applicant) AND a.number = \(number)")
            .first.map { try Self.application(row: $0, now: now) }
    }

    static func application(row: PostgresRow, now: Timestamp) throws -> ApplicationInfo {
        let r = TradeRow(row)
        let status = ApplicationStatus(rawValue: try r("status")) ?? .submitted
        let due = Timestamp(milliseconds: try r("decision_due"))
        let decidedAt: Int64? = try r("decided_at"), decidedBy: String? = try r("decided_by"), grounds: String? = try r("grounds")
        let date: String = try r("date")
        return ApplicationInfo(
            number: try r("number"), date: try CalendarDate(date).orMissing("application date \(date)"),
            applicant: TaxpayerID(trustedRow: try r("applicant")), name: try r("name"), kind: ApplicationKind(rawValue: try r("kind")) ?? .domestic,
            quantity: try r("quantity"), productName: try r("product_name"), status: status,
            submittedAt: Timestamp(milliseconds: try r("submitted_at")), decisionDue: due, overdue: status == .submitted && now > due,
            decidedAt: decidedAt.map(Timestamp.init(milliseconds:)), decidedBy: decidedBy.map(TaxpayerID.init(trustedRow:)),
            grounds: grounds.map { $0.split(separator: ",").compactMap { RefusalGround(rawValue: String($0)) } }, comment: try r("comment"),
            issued: try r("issued"), signature: try signature(r).orMissing("application's signature"))
    }

    /// The signature columns `subject`, `iin`, `bin`, `certificate_serial`, `signing_time`, `digest` (with a prefix);
    /// nil when there is no such document.
    static func signature(_ r: TradeRow, prefix: String = "") throws -> SignatureSummary? {
        guard let subject = try r(prefix + "subject", as: String?.self) else { return nil }
        let signing: Int64? = try r(prefix + "signing_time")
        return SignatureSummary(subject: subject, iin: try r(prefix + "iin"), bin: try r(prefix + "bin"),
                                certificateSerial: try r(prefix + "certificate_serial"), signingTime: signing.map(Timestamp.init(milliseconds:)),
                                documentDigest: try r(prefix + "digest"))
    }

    // MARK: Orders

    public func saveOrder(_ command: OrderCommand) async throws(StoreError) -> Stored<OrderInfo> {
        let outcome: Result<Stored<OrderInfo>, TradeRefusal> = try await claiming { c in
            let order = command.order
            let seller = order.seller.rawValue, buyer = order.buyer.rawValue
            try await self.lockKey(c, "order", seller, order.number)
            if let row = try await self.rows(c, """
                SELECT o.id, d.digest FROM trade_order o JOIN signed_document d ON d.id = o.seller_document
                WHERE o.seller = \(seller) AND o.number = \(order.number)
                """).first {
                let (id, digest) = try row.decode((String, String).self)
                guard digest == command.document.summary.documentDigest else { throw StoreError.idempotencyConflict("order \(order.number)") }
                return .success(Stored(value: try await self.order(c, id: id).orMissing("order \(id)"), replayed: true))
            }
            // Orders past their expiry hold no codes, even before the job's next sweep (order rows before accounts and
            // codes: the lock order of every trade transaction).
            try await self.expireDue(c, now: command.savedAt)
            let accounts = try await self.accounts(c, [seller, buyer], lock: .share)
            if let refusal = TradeRules.orderParties(seller: accounts.first { $0.participant == order.seller },
                                                     buyer: accounts.first { $0.participant == order.buyer },
                                                     sellerID: order.seller, buyerID: order.buyer, registrarActs: command.registrarActs) {
                return .failure(refusal)
            }
            // The codes: those named, then every code packed in the named cases and pallets now (never more than an
            // order may carry: the expansion stops there).
            var codes = command.codes.map(\.rawValue)
            var unitOf = [String: String]()
            if !command.units.isEmpty {
                let packed = try await self.packedCodes(c, units: command.units.map(\.rawValue))
                var seen = Set(codes)
                for unit in command.units {
                    guard let members = packed[unit.rawValue] else { return .failure(TradeRules.unitRefused(unit.rawValue)) }
                    for code in members where seen.insert(code).inserted {
                        codes.append(code)
                        unitOf[code] = unit.rawValue
                    }
                    if codes.count > TradeLimits.maxOrderCodes { break }
                }
            }
            if codes.isEmpty {
                return .failure(TradeRefusal(status: 422, code: .invalidField, message: "the order transfers no codes (its cases and pallets are empty)",
                                             details: ["field": "document.codes"]))
            }
            if codes.count > TradeLimits.maxOrderCodes {
                return .failure(TradeRefusal(status: 413, code: .batchTooLarge, message: "\(codes.count) codes, at most \(TradeLimits.maxOrderCodes) per order",
                                             details: ["limit": String(TradeLimits.maxOrderCodes), "count": String(codes.count)]))
            }
            // Lock the codes in id order. Then read, with statements that see every commit the locks waited for, only
            // the codes that break a rule (an order may carry 100,000 codes; normally none is sent back).
            let found = try await self.rows(c, """
                WITH locked AS MATERIALIZED (SELECT id FROM code WHERE code = ANY(\(codes)::text[]) ORDER BY id FOR UPDATE)
                SELECT count(*) FROM locked
                """).first.orMissing("the count of locked codes").decode(Int64.self)
            var facts = [String: TradeCodeFact]()
            let broken = try await self.rows(c, """
                SELECT c.code, c.id, c.owner_bin, COALESCE(c.holder_bin, c.owner_bin),
                       CASE WHEN c.redeemed_by IS NULL THEN c.status ELSE 'redeemed' END, o.id
                FROM code c LEFT JOIN trade_order o ON o.seq = c.pending_order
                WHERE c.code = ANY(\(codes)::text[])
                    AND (COALESCE(c.holder_bin, c.owner_bin) <> \(seller) OR c.status <> 'activated' OR c.redeemed_by IS NOT NULL
                         OR c.pending_order IS NOT NULL)
                """)
            for row in broken {
                let (code, id, owner, holder, status, pending) = try row.decode((String, Int64, String, String, String, String?).self)
                facts[code] = TradeCodeFact(id: id, owner: owner, holder: holder, status: status, pendingOrder: pending)
            }
            var unknown = Set<String>()
            if found < codes.count {
                for row in try await self.rows(c, """
                    SELECT u.code FROM unnest(\(codes)::text[]) AS u(code) WHERE NOT EXISTS (SELECT 1 FROM code c WHERE c.code = u.code)
                    """) {
                    unknown.insert(try row.decode(String.self))
                }
            }
            // Every rule names only the codes that fail it, so the codes that pass them all can be left out.
            let failing = codes.filter { facts[$0] != nil || unknown.contains($0) }
            if let refusal = TradeRules.orderCodes(failing, facts: facts, seller: seller, unitOf: unitOf) { return .failure(refusal) }
            let documentID = try await self.insert(c, command.document)
            let units = String(decoding: try JSONEncoder().encode(command.units.map(\.rawValue)), as: UTF8.self)
            let seq = try await self.rows(c, """
                INSERT INTO trade_order (id, number, seller, buyer, status, saved_at, expires_at, code_count, units, volume, price, note,
                    seller_document, actor)
                VALUES (\(command.id), \(order.number), \(seller), \(buyer), 'pending', \(command.savedAt.milliseconds),
                        \(command.expiresAt.milliseconds), \(codes.count), \(units), \(order.volumeLitres), \(order.price), \(order.note),
                        \(documentID), \(command.actor.rawValue))
                RETURNING seq
                """).first.orMissing("order \(command.id)").decode(Int64.self)
            try await c.query("""
                WITH held AS (UPDATE code SET pending_order = \(seq) WHERE code = ANY(\(codes)::text[]) RETURNING code, id)
                INSERT INTO order_code (order_seq, code, code_id) SELECT \(seq), code, id FROM held
                """, logger: self.logger)
            for party in [order.seller, order.buyer] {
                try await self.log(c, participant: party.rawValue, actor: command.actor.rawValue, kind: .orderSaved, at: command.savedAt,
                                   reference: command.id, count: codes.count,
                                   detail: party == order.seller ? "to \(order.buyer)" : "from \(order.seller)", document: documentID)
            }
            return .success(Stored(value: try await self.order(c, id: command.id).orMissing("order \(command.id)"), replayed: false))
        }
        return try outcome.refusing()
    }

    public func signOrder(_ command: CounterOrderCommand) async throws(StoreError) -> OrderInfo {
        let outcome: Result<OrderInfo, TradeRefusal> = try await transaction { c in
            guard let order = try await self.lockOrder(c, id: command.orderId) else {
                return .failure(TradeRefusal(status: 404, code: .notFound, message: "order \(command.orderId) not found"))
            }
            if let refusal = TradeRules.counterOrder(command.counterOrder, seller: order.seller, buyer: order.buyer, sellerDigest: order.digest) {
                return .failure(refusal)
            }
            // The same counter-order again (an answer lost on the way): the signed order, as stored.
            if order.status == .signed, try await self.rows(c, """
                SELECT b.digest FROM trade_order o JOIN signed_document b ON b.id = o.buyer_document WHERE o.seq = \(order.seq)
                """).first?.decode(String.self) == command.document.summary.documentDigest {
                return .success(try await self.order(c, id: order.id).orMissing("order \(order.id)"))
            }
            if let refusal = TradeRules.transition("signed", status: order.status, expiresAt: order.expiresAt, at: command.at, id: order.id) {
                if order.status == .pending { try await self.expire(c, [order]) }
                return .failure(refusal)
            }
            let accounts = try await self.accounts(c, [order.buyer, order.seller], lock: .share)
            for (party, side) in [(order.buyer, "buyer"), (order.seller, "seller")] where !command.registrarActs {
                if let block = accounts.first(where: { $0.participant.rawValue == party })?.blocked {
                    var refusal = TradeRules.blocked(TaxpayerID(trustedRow: party), block)
                    refusal.details["side"] = side
                    return .failure(refusal)
                }
            }
            let documentID = try await self.insert(c, command.document)
            try await c.query("""
                UPDATE trade_order SET status = 'signed', signed_at = \(command.at.milliseconds), buyer_document = \(documentID),
                    buyer_actor = \(command.actor.rawValue)
                WHERE seq = \(order.seq)
                """, logger: self.logger)
            try await self.lockCodes(c, pendingIn: [order.seq])
            try await c.query("UPDATE code SET holder_bin = \(order.buyer), pending_order = NULL WHERE pending_order = \(order.seq)",
                              logger: self.logger)
            try await self.log(c, participant: order.seller, actor: command.actor.rawValue, kind: .transferred, at: command.at, reference: order.id,
                               count: order.codeCount, detail: "to \(order.buyer)", document: documentID)
            try await self.log(c, participant: order.buyer, actor: command.actor.rawValue, kind: .received, at: command.at, reference: order.id,
                               count: order.codeCount, detail: "from \(order.seller)", document: documentID)
            try await self.redeemOnCounterOrder(c, orderSeq: order.seq, orderID: order.id, buyer: order.buyer, actor: command.actor.rawValue,
                                                at: command.at, document: documentID)
            return .success(try await self.order(c, id: order.id).orMissing("order \(order.id)"))
        }
        return try outcome.refusing()
    }

    public func cancelOrder(id: String, actor: TaxpayerID, reason: String, at: Timestamp) async throws(StoreError) -> OrderInfo {
        let outcome: Result<OrderInfo, TradeRefusal> = try await transaction { c in
            guard let order = try await self.lockOrder(c, id: id) else {
                return .failure(TradeRefusal(status: 404, code: .notFound, message: "order \(id) not found"))
            }
            // Cancelling a cancelled order again (an answer lost on the way): the order, as stored.
            if order.status == .cancelled { return .success(try await self.order(c, id: id).orMissing("order \(id)")) }
            if let refusal = TradeRules.transition("cancelled", status: order.status, expiresAt: order.expiresAt, at: at, id: id) {
                if order.status == .pending { try await self.expire(c, [order]) }
                return .failure(refusal)
            }
            try await c.query("""
                UPDATE trade_order SET status = 'cancelled', cancelled_at = \(at.milliseconds), cancel_reason = \(reason) WHERE seq = \(order.seq)
                """, logger: self.logger)
            try await self.lockCodes(c, pendingIn: [order.seq])
            try await c.query("UPDATE code SET pending_order = NULL WHERE pending_order = \(order.seq)", logger: self.logger)
            for party in [order.seller, order.buyer] {
                try await self.log(c, participant: party, actor: actor.rawValue, kind: .orderCancelled, at: at, reference: id,
                                   count: order.codeCount, detail: reason)
            }
            return .success(try await self.order(c, id: id).orMissing("order \(id)"))
        }
        return try outcome.refusing()
    }

    public func expireOrders(now: Timestamp) async throws(StoreError) -> [String] {
        try await transaction { c in
            // An order signed or cancelled while this waited for its row no longer matches and is left out.
            let due = try await self.rows(c, """
                SELECT o.seq, o.id, o.seller, o.buyer, o.status, o.expires_at, o.code_count, '' AS digest FROM trade_order o
                WHERE o.status = 'pending' AND o.expires_at <= \(now.milliseconds) ORDER BY o.expires_at, o.seq FOR UPDATE
                """).map(LockedOrder.init(row:))
            try await self.expire(c, due)
            return due.map(\.id)
        }
    }

    /// Expires the pending orders due at `now` inside a transaction (locks their rows, then their codes).
    func expireDue(_ c: PostgresConnection, now: Timestamp) async throws {
        let due = try await self.rows(c, """
            SELECT o.seq, o.id, o.seller, o.buyer, o.status, o.expires_at, o.code_count, '' AS digest FROM trade_order o
            WHERE o.status = 'pending' AND o.expires_at <= \(now.milliseconds) ORDER BY o.expires_at, o.seq FOR UPDATE
            """).map(LockedOrder.init(row:))
        try await self.expire(c, due)
    }

    /// An order's row, read under its lock.
    struct LockedOrder: Sendable {
        var seq: Int64
        var id: String
        var seller: String
        var buyer: String
        var status: OrderStatus
        var expiresAt: Timestamp
        var codeCount: Int
        /// The seller's document's digest.
        var digest: String

        init(row: PostgresRow) throws {
            let r = TradeRow(row)
            seq = try r("seq")
            id = try r("id")
            seller = try r("seller")
            buyer = try r("buyer")
            status = OrderStatus(rawValue: try r("status")) ?? .pending
            expiresAt = Timestamp(milliseconds: try r("expires_at"))
            codeCount = try r("code_count")
            digest = try r("digest")
        }
    }

    /// Locks an order's row, then reads it (the read sees a concurrent signature or expiry that the lock waited for).
    func lockOrder(_ c: PostgresConnection, id: String) async throws -> LockedOrder? {
        guard let seq = try await rows(c, "SELECT seq FROM trade_order WHERE id = \(id) FOR UPDATE").first?.decode(Int64.self) else { return nil }
        return try await rows(c, """
            SELECT o.seq, o.id, o.seller, o.buyer, o.status, o.expires_at, o.code_count, d.digest FROM trade_order o
            JOIN signed_document d ON d.id = o.seller_document WHERE o.seq = \(seq)
            """).first.map(LockedOrder.init(row:))
    }

    /// Locks the codes pending in these orders, in id order (as ``saveOrder(_:)`` locks codes: no deadlock between them).
    func lockCodes(_ c: PostgresConnection, pendingIn orders: [Int64]) async throws {
        _ = try await rows(c, """
            WITH locked AS MATERIALIZED (SELECT id FROM code WHERE pending_order = ANY(\(orders)::int8[]) ORDER BY id FOR UPDATE)
            SELECT count(*) FROM locked
            """)
    }

    /// Expires pending orders, already locked, at their expiry instants: «Жойылды», codes free, logged on both accounts.
    func expire(_ c: PostgresConnection, _ orders: [LockedOrder]) async throws {
        guard !orders.isEmpty else { return }
        let seqs = orders.map(\.seq)
        try await c.query("UPDATE trade_order SET status = 'expired', expired_at = expires_at WHERE seq = ANY(\(seqs)::int8[])", logger: logger)
        try await lockCodes(c, pendingIn: seqs)
        try await c.query("UPDATE code SET pending_order = NULL WHERE pending_order = ANY(\(seqs)::int8[])", logger: logger)
        for order in orders {
            for party in [order.seller, order.buyer] {
                try await log(c, participant: party, actor: order.seller, kind: .orderExpired, at: order.expiresAt, reference: order.id,
                              count: order.codeCount, detail: "not signed by the buyer within 3 working days")
            }
        }
    }

    public func nextOrderExpiry() async throws(StoreError) -> Timestamp? {
        try await connection { c in
            try await self.rows(c, "SELECT MIN(expires_at) FROM trade_order WHERE status = 'pending'").first?
                .decode(Int64?.self).map(Timestamp.init(milliseconds:))
        }
    }

    public func order(id: String) async throws(StoreError) -> OrderInfo? {
        try await connection { c in try await self.order(c, id: id) }
    }

    public func orderDocuments(id: String) async throws(StoreError) -> [StoredDocument] {
        try await connection { c in
            try await self.rows(c, """
                SELECT d.kind, d.participant, d.canonical, d.signature, d.subject, d.iin, d.bin, d.certificate_serial, d.signing_time, d.digest,
                       d.received_at
                FROM trade_order o JOIN signed_document d ON d.id IN (o.seller_document, o.buyer_document) WHERE o.id = \(id) ORDER BY d.id
                """).map(Self.document(row:))
        }
    }

    public func orders(_ query: OrderQuery) async throws(StoreError) -> (items: [OrderInfo], last: Int64?) {
        try await connection { c in
            var statement = Statement()
            var conditions = ["o.seq < \(statement.bind(query.before ?? Int64.max))"]
            if let participant = query.participant {
                let p = statement.bind(participant.rawValue)
                switch query.side {
                case .seller: conditions.append("o.seller = \(p)")
                case .buyer: conditions.append("o.buyer = \(p)")
                case .any: conditions.append("(o.seller = \(p) OR o.buyer = \(p))")
                }
            }
            if let status = query.status { conditions.append("o.status = \(statement.bind(status.rawValue))") }
            statement.sql = """
                \(Self.orderSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY o.seq DESC LIMIT \(statement.bind(query.limit))
                """
            let rows = try await self.rows(c, statement.query)
            return (try rows.map(Self.order(row:)), try rows.last.map { try TradeRow($0)("seq", as: Int64.self) })
        }
    }

    public func orderCodes(id: String, after: String?, limit: Int) async throws(StoreError) -> [String] {
        try await connection { c in
            try await self.rows(c, """
                SELECT oc.code FROM order_code oc JOIN trade_order o ON o.seq = oc.order_seq
                WHERE o.id = \(id) AND oc.code > \(after ?? "") ORDER BY oc.code LIMIT \(limit)
                """).map { try $0.decode(String.self) }
        }
    }

    static let orderSelect = """
        SELECT o.seq, o.id, o.number, o.seller, o.buyer, o.status, o.saved_at, o.expires_at, o.signed_at, o.cancelled_at, o.cancel_reason,
               o.expired_at, o.code_count, o.units, o.volume, o.price, o.note, o.actor,
               s.subject, s.iin, s.bin, s.certificate_serial, s.signing_time, s.digest,
               b.subject AS b_subject, b.iin AS b_iin, b.bin AS b_bin, b.certificate_serial AS b_certificate_serial,
               b.signing_time AS b_signing_time, b.digest AS b_digest
        FROM trade_order o JOIN signed_document s ON s.id = o.seller_document LEFT JOIN signed_document b ON b.id = o.buyer_document
        """

    func order(_ c: PostgresConnection, id: String) async throws -> OrderInfo? {
        try await rows(c, "\(unescaped: Self.orderSelect) WHERE o.id = \(id)").first.map(Self.order(row:))
    }

    static func order(row: PostgresRow) throws -> OrderInfo {
        let r = TradeRow(row)
        func time(_ column: String) throws -> Timestamp? { (try r(column, as: Int64?.self)).map(Timestamp.init(milliseconds:)) }
        let seller = TaxpayerID(trustedRow: try r("seller")), actor = TaxpayerID(trustedRow: try r("actor"))
        let units = (try? JSONDecoder().decode([String].self, from: Data((try r("units", as: String.self)).utf8))) ?? []
        return OrderInfo(id: try r("id"), number: try r("number"), seller: seller, buyer: TaxpayerID(trustedRow: try r("buyer")),
                         status: OrderStatus(rawValue: try r("status")) ?? .pending, savedAt: try time("saved_at").orMissing("saved_at"),
                         expiresAt: try time("expires_at").orMissing("expires_at"), signedAt: try time("signed_at"),
                         cancelledAt: try time("cancelled_at"), cancelReason: try r("cancel_reason"), expiredAt: try time("expired_at"),
                         codeCount: try r("code_count"), units: units, volumeLitres: try r("volume"), price: try r("price"), note: try r("note"),
                         sellerSignature: try signature(r).orMissing("order's signature"), buyerSignature: try signature(r, prefix: "b_"),
                         actor: actor == seller ? nil : actor)
    }

    /// The stamp codes packed now in each of these cases and pallets (a pallet: in its cases), in code order; a unit
    /// that is not packed now is absent. One statement, so one snapshot.
    func packedCodes(_ c: PostgresConnection, units: [String]) async throws -> [String: [String]] {
        let rows = try await c.query("""
            SELECT x.unit, x.code FROM (
                SELECT u.code AS unit, c.code AS code FROM unit u
                LEFT JOIN code_case cc ON cc.unit_id = u.id LEFT JOIN code c ON c.id = cc.code_id
                WHERE u.code = ANY(\(units)::text[]) AND u.kind = 'case' AND u.dissolved_at IS NULL
                UNION ALL
                SELECT u.code, c.code FROM unit u
                LEFT JOIN unit k ON k.pallet_id = u.id AND k.dissolved_at IS NULL
                LEFT JOIN code_case cc ON cc.unit_id = k.id LEFT JOIN code c ON c.id = cc.code_id
                WHERE u.code = ANY(\(units)::text[]) AND u.kind = 'pallet' AND u.dissolved_at IS NULL
            ) x ORDER BY x.unit, x.code COLLATE "C"
            """, logger: logger)
        var packed = [String: [String]]()
        for try await (unit, code) in rows.decode((String, String?).self) {
            packed[unit, default: []].append(contentsOf: code.map { [$0] } ?? [])
        }
        return packed
    }

    // MARK: History and extracts

    public func holdings(_ code: StampCode) async throws(StoreError) -> CodeHoldings? {
        try await connection { c in
            guard let row = try await self.rows(c, """
                SELECT c.id, c.owner_bin, COALESCE(c.holder_bin, c.owner_bin), c.status, c.activated_at, o.id FROM code c
                LEFT JOIN trade_order o ON o.seq = c.pending_order WHERE c.code = \(code.rawValue)
                """).first else { return nil }
            let (id, owner, holder, _, activated, pending) = try row.decode((Int64, String, String, String, Int64?, String?).self)
            let transfers = try await self.rows(c, """
                SELECT o.seller, o.buyer, o.signed_at, o.id FROM order_code oc JOIN trade_order o ON o.seq = oc.order_seq
                WHERE oc.code_id = \(id) AND o.status = 'signed' ORDER BY o.signed_at, o.seq
                """).map { row in
                let (seller, buyer, at, order) = try row.decode((String, String, Int64, String).self)
                return (seller: seller, buyer: buyer, at: at, order: order)
            }
            return CodeHoldings(holder: TaxpayerID(trustedRow: holder),
                                holdings: TradeHistory.holdings(owner: owner, activatedAt: activated, transfers: transfers,
                                                                redemptions: try await self.redemptions(c, codeID: id)),
                                pendingOrder: pending)
        }
    }

    public func codeOperations(_ code: StampCode) async throws(StoreError) -> [OperationRecord] {
        try await connection { c in
            guard let row = try await self.rows(c, """
                SELECT c.id, c.owner_bin, c.status, c.activated_at, c.written_off_at, c.write_off_reason, w.number, w.recorded_at, b.batch_id,
                       COALESCE(b.actor_bin, b.participant_bin), c.written_off_by,
                       (SELECT o.actor FROM operation o WHERE o.participant = c.owner_bin AND o.kind = 'codesIssued' AND o.reference = w.number
                        ORDER BY o.id LIMIT 1)
                FROM code c JOIN waybill w ON w.id = c.waybill_id LEFT JOIN activation_batch b ON b.id = c.activation_batch
                WHERE c.code = \(code.rawValue)
                """).first else { return [] }
            let (id, owner, _, activatedAt, writtenOffAt, writeOffReason, waybill, recordedAt, batch, activatedBy, writtenOffBy, issuer) =
                try row.decode((Int64, String, String, Int64?, Int64?, String?, String, Int64, String?, String?, String?, String?).self)
            let ownerID = TaxpayerID(trustedRow: owner)
            // Who recorded the waybill (the factory) is in the operations log from v7 on; older waybills name the owner.
            var events = [OperationRecord(at: Timestamp(milliseconds: recordedAt), kind: .codesIssued, participant: ownerID,
                                          actor: issuer.map(TaxpayerID.init(trustedRow:)) ?? ownerID, reference: waybill, detail: "waybill")]
            if let at = activatedAt {
                events.append(OperationRecord(at: Timestamp(milliseconds: at), kind: .activated, participant: ownerID,
                                              actor: TaxpayerID(trustedRow: activatedBy ?? owner), reference: batch))
            }
            if let at = writtenOffAt {
                events.append(OperationRecord(at: Timestamp(milliseconds: at), kind: .writtenOff, participant: ownerID,
                                              actor: writtenOffBy.map(TaxpayerID.init(trustedRow:)) ?? ownerID, detail: writeOffReason))
            }
            for unit in try await self.rows(c, """
                SELECT u.code, u.owner_bin, u.packed_at, u.dissolved_at FROM unit_content uc JOIN unit u ON u.id = uc.unit_id
                WHERE uc.content = \(code.rawValue) AND u.kind = 'case' ORDER BY u.id
                """) {
                let (unitCode, unitOwnerText, packedAt, dissolvedAt) = try unit.decode((String, String, Int64, Int64?).self)
                let unitOwner = TaxpayerID(trustedRow: unitOwnerText)
                events.append(OperationRecord(at: Timestamp(milliseconds: packedAt), kind: .casePacked, participant: unitOwner, actor: unitOwner,
                                              reference: unitCode))
                if let at = dissolvedAt {
                    events.append(OperationRecord(at: Timestamp(milliseconds: at), kind: .caseDissolved, participant: unitOwner, actor: unitOwner,
                                                  reference: unitCode))
                }
            }
            for order in try await self.rows(c, """
                SELECT o.id, o.seller, o.buyer, o.status, o.saved_at, o.signed_at, o.cancelled_at, o.expired_at, o.actor, o.buyer_actor,
                       s.kind, s.digest, s.subject, b.kind AS b_kind, b.digest AS b_digest, b.subject AS b_subject
                FROM order_code oc JOIN trade_order o ON o.seq = oc.order_seq
                JOIN signed_document s ON s.id = o.seller_document LEFT JOIN signed_document b ON b.id = o.buyer_document
                WHERE oc.code_id = \(id) ORDER BY o.seq
                """) {
                let r = TradeRow(order)
                let buyerKind: String? = try r("b_kind")
                events.append(contentsOf: TradeHistory.orderEvents(
                    id: try r("id"), seller: try r("seller"), buyer: try r("buyer"), savedAt: try r("saved_at"), signedAt: try r("signed_at"),
                    cancelledAt: try r("cancelled_at"), expiredAt: try r("expired_at"), actor: try r("actor"), buyerActor: try r("buyer_actor"),
                    sellerDocument: DocumentReference(kind: try r("kind"), digest: try r("digest"), signer: try r("subject")),
                    buyerDocument: try buyerKind.map { DocumentReference(kind: $0, digest: try r("b_digest"), signer: try r("b_subject")) }))
            }
            events.append(contentsOf: try await self.redemptions(c, codeID: id).map(\.operation))
            return TradeHistory.sorted(events)
        }
    }

    public func operations(_ query: OperationQuery) async throws(StoreError) -> (items: [OperationRecord], last: Int64?) {
        try await connection { c in
            let rows = try await self.rows(c, """
                SELECT o.id, o.participant, o.actor, o.kind, o.at, o.reference, o.count, o.detail,
                       d.kind AS d_kind, d.digest AS d_digest, d.subject AS d_subject
                FROM operation o LEFT JOIN signed_document d ON d.id = o.document_id
                WHERE o.participant = \(query.participant.rawValue) AND o.id > \(query.after ?? 0)
                    AND o.at >= \(query.from?.milliseconds ?? Int64.min) AND o.at < \(query.to?.milliseconds ?? Int64.max)
                ORDER BY o.id LIMIT \(query.limit)
                """)
            return (try rows.map(Self.operation(row:)), try rows.last.map { try TradeRow($0)("id", as: Int64.self) })
        }
    }

    static func operation(row: PostgresRow) throws -> OperationRecord {
        let r = TradeRow(row)
        let documentKind: String? = try r("d_kind")
        return OperationRecord(at: Timestamp(milliseconds: try r("at")), kind: OperationKind(rawValue: try r("kind")) ?? .orderSaved,
                               participant: TaxpayerID(trustedRow: try r("participant")), actor: TaxpayerID(trustedRow: try r("actor")),
                               reference: try r("reference"), count: try r("count"), detail: try r("detail"),
                               document: try documentKind.map { DocumentReference(kind: $0, digest: try r("d_digest"), signer: try r("d_subject")) })
    }

    public func accountExtract(_ participant: TaxpayerID, now: Timestamp) async throws(StoreError) -> AccountExtract? {
        // One REPEATABLE READ transaction: every count is read from the same snapshot, so they agree with each other.
        try await transaction { c in
            try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            let p = participant.rawValue
            guard let account = try await self.accounts(c, [p]).first else { return nil }
            func count(_ query: PostgresQuery) async throws -> Int {
                Int(try await self.rows(c, query).first?.decode(Int64?.self) ?? 0)
            }
            let codes = AccountCodeCounts(
                issued: try await count("SELECT COUNT(*) FROM code WHERE owner_bin = \(p) AND status = 'issued'"),
                produced: try await count("""
                    SELECT COUNT(*) FROM code WHERE owner_bin = \(p) AND holder_bin IS NULL AND status = 'activated' AND redeemed_by IS NULL
                    """),
                active: try await count("SELECT COUNT(*) FROM code WHERE holder_bin = \(p) AND status = 'activated' AND redeemed_by IS NULL"),
                transferred: try await count("""
                    SELECT COUNT(DISTINCT oc.code_id) FROM trade_order o JOIN order_code oc ON oc.order_seq = o.seq JOIN code c ON c.id = oc.code_id
                    WHERE o.seller = \(p) AND o.status = 'signed' AND COALESCE(c.holder_bin, c.owner_bin) <> \(p)
                    """),
                writtenOff: try await count("SELECT COUNT(*) FROM code WHERE owner_bin = \(p) AND status = 'writtenOff'"),
                inPendingOrders: try await count("SELECT COALESCE(SUM(code_count), 0) FROM trade_order WHERE seller = \(p) AND status = 'pending'"),
                redeemed: try await count("SELECT COUNT(*) FROM code WHERE redeemed_by = \(p)"))
            func grouped(_ query: PostgresQuery) async throws -> [String: Int] {
                var result = [String: Int]()
                for row in try await self.rows(c, query) {
                    let (key, value) = try row.decode((String, Int64).self)
                    result[key] = Int(value)
                }
                return result
            }
            let last = try await self.rows(c, """
                SELECT o.id, o.participant, o.actor, o.kind, o.at, o.reference, o.count, o.detail,
                       d.kind AS d_kind, d.digest AS d_digest, d.subject AS d_subject
                FROM operation o LEFT JOIN signed_document d ON d.id = o.document_id WHERE o.participant = \(p) ORDER BY o.id DESC LIMIT 1
                """).first.map(Self.operation(row:))
            return AccountExtract(account: account, codes: codes,
                                  ordersAsSeller: try await grouped("SELECT status, COUNT(*) FROM trade_order WHERE seller = \(p) GROUP BY status"),
                                  ordersAsBuyer: try await grouped("SELECT status, COUNT(*) FROM trade_order WHERE buyer = \(p) GROUP BY status"),
                                  applications: try await grouped("SELECT status, COUNT(*) FROM application WHERE applicant = \(p) GROUP BY status"),
                                  lastOperation: last, generatedAt: now)
        }
    }

    // MARK: Report submissions

    public func recordReportSubmission(_ command: ReportSubmissionCommand) async throws(StoreError) -> ReportSubmissionResult {
        try await transaction { c in
            let submission = command.submission
            let differences = try TradeRules.encode(command.differences)
            // One submission per signed document and verdict: concurrent re-sends wait here, then find the stored one; the
            // same figures submitted after the registrar's changed are a new submission with the new verdict.
            try await self.lockKey(c, "report", submission.participant.rawValue, command.document.summary.documentDigest)
            if let row = try await self.rows(c, """
                SELECT r.id, r.result, r.differences, r.received_at, d.subject, d.iin, d.bin, d.certificate_serial, d.signing_time, d.digest
                FROM report_submission r JOIN signed_document d ON d.id = r.document_id
                WHERE r.participant = \(submission.participant.rawValue) AND d.digest = \(command.document.summary.documentDigest)
                    AND r.result = \(command.result.rawValue) AND r.differences = \(differences)
                ORDER BY r.received_at LIMIT 1
                """).first {
                let r = TradeRow(row)
                let differences = try JSONDecoder().decode([ReportDifference].self, from: Data((try r("differences", as: String.self)).utf8))
                return ReportSubmissionResult(id: try r("id"), participant: submission.participant, form: submission.form, month: submission.month,
                                              result: ReportSubmissionResult.Verdict(rawValue: try r("result")) ?? .differs,
                                              differences: differences, receivedAt: Timestamp(milliseconds: try r("received_at")),
                                              signature: try Self.signature(r).orMissing("the submission's signature"))
            }
            let documentID = try await self.insert(c, command.document)
            try await c.query("""
                INSERT INTO report_submission (id, participant, form, month, result, differences, received_at, document_id, actor)
                VALUES (\(command.id), \(submission.participant.rawValue), \(submission.form.rawValue), \(submission.month.description),
                        \(command.result.rawValue), \(differences), \(command.at.milliseconds), \(documentID), \(command.actor.rawValue))
                """, logger: self.logger)
            try await self.log(c, participant: submission.participant.rawValue, actor: command.actor.rawValue, kind: .reportSubmitted,
                               at: command.at, reference: command.id,
                               detail: "\(submission.form.rawValue) \(submission.month): \(command.result.rawValue)", document: documentID)
            return ReportSubmissionResult(id: command.id, participant: submission.participant, form: submission.form, month: submission.month,
                                          result: command.result, differences: command.differences, receivedAt: command.at,
                                          signature: command.document.summary)
        }
    }

    // MARK: Plumbing

    /// Runs `body` in a transaction that claims an idempotency key (an application's, order's or Service redemption's
    /// number; for a receipt, its register's row is locked instead). The key is
    /// locked first (``lockKey(_:_:)``), so a concurrent re-send waits and finds the stored one; should a writer
    /// that does not take the lock win the key anyway, the insert fails with a unique violation (23505) on the key, and
    /// the whole operation runs once more: it then finds the winner's row and answers a replay or a conflict.
    func claiming<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        let keyRace = "a concurrent request claimed the same number"
        do {
            return try await transaction { c in
                do { return try await body(c) } catch let error as PSQLError where Self.violatesIdempotencyKey(error) {
                    throw StoreError.unavailable(keyRace)
                }
            }
        } catch .unavailable(let why) where why == keyRace {
            return try await transaction(body)
        }
    }

    /// The unique constraints that are idempotency keys of the trade and retail halves (a receipt's number and sign on
    /// its register, a Service redemption's number).
    static func violatesIdempotencyKey(_ error: PSQLError) -> Bool {
        guard error.code == .server, error.serverInfo?[.sqlState] == "23505" else { return false }
        return ["application_applicant_number_key", "trade_order_seller_number_key", "receipt_register_number_key", "receipt_register_sign_key",
                "service_redemption_pkey"].contains(error.serverInfo?[.constraintName] ?? "")
    }

    /// A transaction-scoped advisory lock on an idempotency key (the first 8 bytes of SHA-256 of its parts).
    func lockKey(_ c: PostgresConnection, _ parts: String...) async throws {
        let digest = SHA256.hash(data: Array((["qazline-trade"] + parts).joined(separator: "\u{0}").utf8))
        let key = digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
        _ = try await rows(c, "SELECT pg_advisory_xact_lock(\(key))")
    }

    func rows(_ c: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRow] {
        try await c.query(query, logger: logger).collect()
    }

    func insert(_ c: PostgresConnection, _ document: SignedRecord) async throws -> Int64 {
        let s = document.summary
        return try await rows(c, """
            INSERT INTO signed_document (kind, participant, canonical, signature, digest, subject, iin, bin, certificate_serial, signing_time, received_at)
            VALUES (\(document.kind), \(document.participant.rawValue), \(ByteBuffer(bytes: document.canonical)), \(ByteBuffer(bytes: document.signature)),
                    \(s.documentDigest), \(s.subject), \(s.iin), \(s.bin), \(s.certificateSerial), \(s.signingTime?.milliseconds),
                    \(document.receivedAt.milliseconds))
            RETURNING id
            """).first.orMissing("signed document").decode(Int64.self)
    }

    static func document(row: PostgresRow) throws -> StoredDocument {
        let r = TradeRow(row)
        let canonical: Data = try r("canonical"), signature: Data = try r("signature")
        return StoredDocument(kind: try r("kind"), participant: TaxpayerID(trustedRow: try r("participant")),
                              document: String(decoding: canonical, as: UTF8.self), signature: signature.base64EncodedString(),
                              summary: try self.signature(r).orMissing("document's signature"), receivedAt: Timestamp(milliseconds: try r("received_at")))
    }

    /// Appends to the operations log.
    func log(_ c: PostgresConnection, participant: String, actor: String, kind: OperationKind, at: Timestamp, reference: String? = nil,
             count: Int? = nil, detail: String? = nil, document: Int64? = nil) async throws {
        try await c.query("""
            INSERT INTO operation (participant, actor, kind, at, reference, count, detail, document_id)
            VALUES (\(participant), \(actor), \(kind.rawValue), \(at.milliseconds), \(reference), \(count), \(detail), \(document))
            """, logger: logger)
    }

    /// A statement whose conditions depend on the request: its SQL and binds built together.
    struct Statement {
        var sql = ""
        var binds = PostgresBindings()
        /// Appends a bind; answers its placeholder.
        mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
    }
}

/// A row's columns by name.
struct TradeRow {
    let row: PostgresRandomAccessRow
    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }
    func callAsFunction<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T { try row[column].decode(T.self) }
}

extension Optional {
    /// The value, or a storage failure naming what is missing (a row the transaction just wrote or locked).
    func orMissing(_ what: @autoclosure () -> String) throws(StoreError) -> Wrapped {
        guard let self else { throw .failure("\(what()) is missing") }
        return self
    }
}
