import Foundation
import GRDB
import LineCore
import QazAPI

// The trade half on SQLite. One writer at a time: the facts a transaction reads stay true until it commits.

extension SQLiteRegistrarStore {
    /// Migration `v7-trade`: accounts, signed documents, applications, orders and their codes, the holder and pending
    /// order of each code, the append-only operations log, report submissions; tokens for wholesalers and retailers.
    static func registerTradeMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-trade") { db in
            try db.execute(sql: """
                CREATE TABLE api_token_v7 (
                    id TEXT PRIMARY KEY,
                    hash BLOB NOT NULL UNIQUE,
                    participant_bin TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('producer', 'importer', 'banknote-factory', 'revenue-body', 'registrar',
                                                       'wholesaler', 'retailer')),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER
                );
                INSERT INTO api_token_v7 (id, hash, participant_bin, role, created_at, expires_at, revoked_at)
                    SELECT id, hash, participant_bin, role, created_at, expires_at, revoked_at FROM api_token;
                DROP TABLE api_token;
                ALTER TABLE api_token_v7 RENAME TO api_token;
                CREATE TABLE account (
                    participant TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('producer', 'importer', 'wholesaler', 'retailer')),
                    created_at INTEGER NOT NULL,
                    blocked_reason TEXT,
                    blocked_by TEXT,
                    blocked_at INTEGER
                ) WITHOUT ROWID;
                INSERT OR IGNORE INTO account (participant, name, kind, created_at)
                    SELECT w.recipient_bin, w.recipient_name,
                           CASE WHEN EXISTS (SELECT 1 FROM api_token t WHERE t.participant_bin = w.recipient_bin AND t.role = 'importer')
                                THEN 'importer' ELSE 'producer' END,
                           w.recorded_at
                    FROM waybill w WHERE w.id = (SELECT MAX(id) FROM waybill x WHERE x.recipient_bin = w.recipient_bin);
                INSERT OR IGNORE INTO account (participant, name, kind, created_at)
                    SELECT participant_bin, participant_bin, role, MIN(created_at) FROM api_token
                    WHERE role IN ('producer', 'importer') GROUP BY participant_bin;
                CREATE TABLE signed_document (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    participant TEXT NOT NULL,
                    canonical BLOB NOT NULL,
                    signature BLOB NOT NULL,
                    digest TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    iin TEXT,
                    bin TEXT,
                    certificate_serial TEXT NOT NULL,
                    signing_time INTEGER,
                    received_at INTEGER NOT NULL
                );
                CREATE TABLE application (
                    id INTEGER PRIMARY KEY,
                    applicant TEXT NOT NULL,
                    number TEXT NOT NULL,
                    date TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('domestic', 'import')),
                    name TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    product_name TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'refused')),
                    submitted_at INTEGER NOT NULL,
                    decision_due INTEGER NOT NULL,
                    decided_at INTEGER,
                    decided_by TEXT,
                    grounds TEXT,
                    comment TEXT,
                    issued INTEGER NOT NULL DEFAULT 0,
                    document_id INTEGER NOT NULL REFERENCES signed_document(id),
                    actor TEXT NOT NULL,
                    UNIQUE (applicant, number)
                );
                CREATE INDEX application_undecided ON application(decision_due) WHERE status = 'submitted';
                CREATE TABLE trade_order (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    number TEXT NOT NULL,
                    seller TEXT NOT NULL,
                    buyer TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'signed', 'cancelled', 'expired')),
                    saved_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    signed_at INTEGER,
                    cancelled_at INTEGER,
                    cancel_reason TEXT,
                    expired_at INTEGER,
                    code_count INTEGER NOT NULL,
                    units TEXT NOT NULL,
                    volume TEXT NOT NULL,
                    price TEXT NOT NULL,
                    note TEXT,
                    seller_document INTEGER NOT NULL REFERENCES signed_document(id),
                    buyer_document INTEGER REFERENCES signed_document(id),
                    actor TEXT NOT NULL,
                    buyer_actor TEXT,
                    UNIQUE (seller, number)
                );
                CREATE INDEX trade_order_pending ON trade_order(expires_at) WHERE status = 'pending';
                CREATE INDEX trade_order_seller ON trade_order(seller, seq);
                CREATE INDEX trade_order_buyer ON trade_order(buyer, seq);
                CREATE TABLE order_code (
                    order_seq INTEGER NOT NULL REFERENCES trade_order(seq),
                    code TEXT NOT NULL,
                    code_id INTEGER NOT NULL REFERENCES code(id),
                    PRIMARY KEY (order_seq, code)
                ) WITHOUT ROWID;
                CREATE INDEX order_code_code ON order_code(code_id, order_seq);
                ALTER TABLE code ADD COLUMN holder_bin TEXT;
                ALTER TABLE code ADD COLUMN pending_order INTEGER;
                CREATE INDEX code_holder ON code(holder_bin, status) WHERE holder_bin IS NOT NULL;
                CREATE INDEX code_pending ON code(pending_order) WHERE pending_order IS NOT NULL;
                CREATE TABLE operation (
                    id INTEGER PRIMARY KEY,
                    participant TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    reference TEXT,
                    count INTEGER,
                    detail TEXT,
                    document_id INTEGER REFERENCES signed_document(id)
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
                    received_at INTEGER NOT NULL,
                    document_id INTEGER NOT NULL REFERENCES signed_document(id),
                    actor TEXT NOT NULL
                );
                """)
        }
    }
}

extension SQLiteRegistrarStore: TradeStore {
    // MARK: Accounts

    public func putAccount(_ participant: TaxpayerID, request: AccountRequest, actor: TaxpayerID, at: Timestamp) async throws(StoreError) -> AccountInfo {
        try await write { db in
            let existed = try Self.account(db, participant.rawValue) != nil
            try db.execute(sql: """
                INSERT INTO account (participant, name, kind, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (participant) DO UPDATE SET name = excluded.name, kind = excluded.kind
                """, arguments: [participant.rawValue, request.name, request.kind.rawValue, at.milliseconds])
            if !existed {
                try Self.log(db, participant: participant.rawValue, actor: actor.rawValue, kind: .accountCreated, at: at,
                             detail: "\(request.kind.rawValue): \(request.name)")
            }
            return try Self.account(db, participant.rawValue)!
        }
    }

    public func account(_ participant: TaxpayerID) async throws(StoreError) -> AccountInfo? {
        try await read { db in try Self.account(db, participant.rawValue) }
    }

    public func setBlock(_ participant: TaxpayerID, block: AccountBlock?, actor: TaxpayerID, reason: String, at: Timestamp)
        async throws(StoreError) -> AccountInfo
    {
        try await write { db in
            guard let account = try Self.account(db, participant.rawValue) else {
                throw StoreError.refused(TradeRules.unknownAccount(participant, role: "participant"))
            }
            if (account.blocked != nil) == (block != nil) {
                throw StoreError.refused(TradeRefusal(status: 409, code: .invalidState,
                                                      message: "the account \(participant) is \(block == nil ? "not blocked" : "already blocked"); nothing was changed",
                                                      details: ["participant": participant.rawValue]))
            }
            try db.execute(sql: "UPDATE account SET blocked_reason = ?, blocked_by = ?, blocked_at = ? WHERE participant = ?",
                           arguments: [block?.reason, block?.by.rawValue, block?.at.milliseconds, participant.rawValue])
            try Self.log(db, participant: participant.rawValue, actor: actor.rawValue, kind: block == nil ? .accountUnblocked : .accountBlocked,
                         at: at, detail: reason)
            return try Self.account(db, participant.rawValue)!
        }
    }

    static func account(_ db: Database, _ participant: String) throws -> AccountInfo? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM account WHERE participant = ?", arguments: [participant]) else { return nil }
        let blockedAt: Int64? = row["blocked_at"]
        let block = blockedAt.map { AccountBlock(reason: row["blocked_reason"], by: TaxpayerID(trustedRow: row["blocked_by"]), at: Timestamp(milliseconds: $0)) }
        return AccountInfo(participant: TaxpayerID(trustedRow: row["participant"]), name: row["name"],
                           kind: ParticipantKind(rawValue: row["kind"]) ?? .producer, createdAt: Timestamp(milliseconds: row["created_at"]),
                           blocked: block, redeemOnCounterOrder: (row["redeem_on_counter_order"] as Bool?) == true ? true : nil)
    }

    // MARK: Applications

    public func submitApplication(_ command: ApplicationCommand) async throws(StoreError) -> Stored<ApplicationInfo> {
        try await write { db in
            let app = command.application
            if let row = try Row.fetchOne(db, sql: """
                SELECT d.digest FROM application a JOIN signed_document d ON d.id = a.document_id WHERE a.applicant = ? AND a.number = ?
                """, arguments: [app.applicant.rawValue, app.number]) {
                guard (row[0] as String) == command.document.summary.documentDigest else {
                    throw StoreError.idempotencyConflict("application \(app.number)")
                }
                return Stored(value: try Self.application(db, applicant: app.applicant.rawValue, number: app.number, now: command.submittedAt)!,
                              replayed: true)
            }
            guard let account = try Self.account(db, app.applicant.rawValue) else {
                throw StoreError.refused(TradeRules.unknownAccount(app.applicant, role: "applicant"))
            }
            if let block = account.blocked, !command.registrarActs { throw StoreError.refused(TradeRules.blocked(app.applicant, block)) }
            let documentID = try Self.insert(db, command.document)
            try db.execute(sql: """
                INSERT INTO application (applicant, number, date, kind, name, quantity, product_name, status, submitted_at, decision_due,
                    document_id, actor)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?)
                """, arguments: [app.applicant.rawValue, app.number, app.date.description, app.kind.rawValue, app.name, app.quantity,
                                 app.product.name, command.submittedAt.milliseconds, command.decisionDue.milliseconds, documentID,
                                 command.actor.rawValue])
            try Self.log(db, participant: app.applicant.rawValue, actor: command.actor.rawValue, kind: .applicationSubmitted,
                         at: command.submittedAt, reference: app.number, count: app.quantity, detail: app.kind.rawValue, document: documentID)
            return Stored(value: try Self.application(db, applicant: app.applicant.rawValue, number: app.number, now: command.submittedAt)!,
                          replayed: false)
        }
    }

    public func application(applicant: TaxpayerID, number: String, now: Timestamp) async throws(StoreError) -> ApplicationInfo? {
        try await read { db in try Self.application(db, applicant: applicant.rawValue, number: number, now: now) }
    }

    public func applications(_ query: ApplicationQuery) async throws(StoreError) -> (items: [ApplicationInfo], last: Int64?) {
        try await read { db in
            var conditions = ["a.id < ?"]
            var arguments: StatementArguments = [query.before ?? Int64.max]
            if let applicant = query.applicant {
                conditions.append("a.applicant = ?")
                arguments += [applicant.rawValue]
            }
            if let status = query.status {
                conditions.append("a.status = ?")
                arguments += [status.rawValue]
            }
            if query.overdueOnly {
                conditions.append("a.status = 'submitted' AND a.decision_due < ?")
                arguments += [query.now.milliseconds]
            }
            arguments += [query.limit]
            let rows = try Row.fetchAll(db, sql: "\(Self.applicationSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY a.id DESC LIMIT ?",
                                        arguments: arguments)
            return (rows.map { Self.application(row: $0, now: query.now) }, rows.last.map { $0["id"] as Int64 })
        }
    }

    public func decideApplication(_ command: ApplicationDecisionCommand) async throws(StoreError) -> ApplicationInfo {
        try await write { db in
            guard let current = try Self.application(db, applicant: command.applicant.rawValue, number: command.number, now: command.at) else {
                throw StoreError.refused(TradeRefusal(status: 404, code: .notFound, message: "application \(command.number) of \(command.applicant) not found"))
            }
            guard current.status == .submitted else {
                throw StoreError.refused(TradeRefusal(status: 409, code: .invalidState,
                                                      message: "application \(command.number) was \(current.status.rawValue) before; a decision is final",
                                                      details: ["status": current.status.rawValue]))
            }
            let approve = command.decision.decision == .approve
            let grounds = command.decision.grounds?.map(\.rawValue).joined(separator: ",")
            try db.execute(sql: """
                UPDATE application SET status = ?, decided_at = ?, decided_by = ?, grounds = ?, comment = ? WHERE applicant = ? AND number = ?
                """, arguments: [approve ? "approved" : "refused", command.at.milliseconds, command.actor.rawValue, grounds,
                                 command.decision.comment, command.applicant.rawValue, command.number])
            try Self.log(db, participant: command.applicant.rawValue, actor: command.actor.rawValue,
                         kind: approve ? .applicationApproved : .applicationRefused, at: command.at, reference: command.number,
                         count: current.quantity, detail: grounds ?? command.decision.comment)
            return try Self.application(db, applicant: command.applicant.rawValue, number: command.number, now: command.at)!
        }
    }

    static let applicationSelect = """
        SELECT a.id, a.applicant, a.number, a.date, a.kind, a.name, a.quantity, a.product_name, a.status, a.submitted_at, a.decision_due,
               a.decided_at, a.decided_by, a.grounds, a.comment, a.issued,
               d.subject, d.iin, d.bin, d.certificate_serial, d.signing_time, d.digest
        FROM application a JOIN signed_document d ON d.id = a.document_id
        """

    static func application(_ db: Database, applicant: String, number: String, now: Timestamp) throws -> ApplicationInfo? {
        try Row.fetchOne(db, sql: "\(applicationSelect) WHERE a.applicant = ? AND a.number = ?", arguments: [applicant, number])
            .map { application(row: $0, now: now) }
    }

    static func application(row: Row, now: Timestamp) -> ApplicationInfo {
        let status = ApplicationStatus(rawValue: row["status"]) ?? .submitted
        let due = Timestamp(milliseconds: row["decision_due"])
        let decidedAt: Int64? = row["decided_at"], decidedBy: String? = row["decided_by"], grounds: String? = row["grounds"]
        return ApplicationInfo(
            number: row["number"], date: CalendarDate(row["date"] as String)!, applicant: TaxpayerID(trustedRow: row["applicant"]),
            name: row["name"], kind: ApplicationKind(rawValue: row["kind"]) ?? .domestic, quantity: row["quantity"],
            productName: row["product_name"], status: status, submittedAt: Timestamp(milliseconds: row["submitted_at"]), decisionDue: due,
            overdue: status == .submitted && now > due, decidedAt: decidedAt.map(Timestamp.init(milliseconds:)),
            decidedBy: decidedBy.map(TaxpayerID.init(trustedRow:)),
            grounds: grounds.map { $0.split(separator: ",").compactMap { RefusalGround(rawValue: String($0)) } }, comment: row["comment"],
            issued: row["issued"], signature: signature(row: row))
    }

    static func signature(row: Row) -> SignatureSummary {
        let signingTime: Int64? = row["signing_time"]
        return SignatureSummary(subject: row["subject"], iin: row["iin"], bin: row["bin"], certificateSerial: row["certificate_serial"],
                                signingTime: signingTime.map(Timestamp.init(milliseconds:)), documentDigest: row["digest"])
    }

    // MARK: Orders

    public func saveOrder(_ command: OrderCommand) async throws(StoreError) -> Stored<OrderInfo> {
        let outcome: Result<Stored<OrderInfo>, TradeRefusal> = try await write { db in
            let order = command.order
            if let row = try Row.fetchOne(db, sql: """
                SELECT o.id, d.digest FROM trade_order o JOIN signed_document d ON d.id = o.seller_document WHERE o.seller = ? AND o.number = ?
                """, arguments: [order.seller.rawValue, order.number]) {
                guard (row[1] as String) == command.document.summary.documentDigest else {
                    throw StoreError.idempotencyConflict("order \(order.number)")
                }
                return .success(Stored(value: try Self.order(db, id: row[0])!, replayed: true))
            }
            if let refusal = TradeRules.orderParties(seller: try Self.account(db, order.seller.rawValue), buyer: try Self.account(db, order.buyer.rawValue),
                                                     sellerID: order.seller, buyerID: order.buyer, registrarActs: command.registrarActs) {
                return .failure(refusal)
            }
            // Orders past their expiry hold no codes, even before the job's next sweep.
            for row in try Row.fetchAll(db, sql: "SELECT seq, id, expires_at FROM trade_order WHERE status = 'pending' AND expires_at <= ?",
                                        arguments: [command.savedAt.milliseconds]) {
                try Self.expire(db, seq: row[0], id: row[1], at: Timestamp(milliseconds: row[2]))
            }
            // The codes: those named, then every code packed in the named cases and pallets now (never more than an
            // order may carry: the expansion stops there).
            var codes = command.codes.map(\.rawValue)
            var seen = Set(codes)
            var unitOf = [String: String]()
            for unit in command.units {
                guard let members = try Self.packedCodes(db, unit: unit.rawValue) else {
                    return .failure(TradeRules.unitRefused(unit.rawValue))
                }
                for code in members where seen.insert(code).inserted {
                    codes.append(code)
                    unitOf[code] = unit.rawValue
                }
                if codes.count > TradeLimits.maxOrderCodes { break }
            }
            if codes.isEmpty {
                return .failure(TradeRefusal(status: 422, code: .invalidField, message: "the order transfers no codes (its cases and pallets are empty)",
                                             details: ["field": "document.codes"]))
            }
            if codes.count > TradeLimits.maxOrderCodes {
                return .failure(TradeRefusal(status: 413, code: .batchTooLarge, message: "\(codes.count) codes, at most \(TradeLimits.maxOrderCodes) per order",
                                             details: ["limit": String(TradeLimits.maxOrderCodes), "count": String(codes.count)]))
            }
            let lookup = try db.cachedStatement(sql: """
                SELECT c.id, c.owner_bin, COALESCE(c.holder_bin, c.owner_bin), CASE WHEN c.redeemed_by IS NULL THEN c.status ELSE 'redeemed' END, o.id
                FROM code c LEFT JOIN trade_order o ON o.seq = c.pending_order WHERE c.code = ?
                """)
            var facts = [String: TradeCodeFact](minimumCapacity: codes.count)
            for code in codes {
                if let row = try Row.fetchOne(lookup, arguments: [code]) {
                    facts[code] = TradeCodeFact(id: row[0], owner: row[1], holder: row[2], status: row[3], pendingOrder: row[4])
                }
            }
            if let refusal = TradeRules.orderCodes(codes, facts: facts, seller: order.seller.rawValue, unitOf: unitOf) { return .failure(refusal) }
            let documentID = try Self.insert(db, command.document)
            let units = String(decoding: try JSONEncoder().encode(command.units.map(\.rawValue)), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO trade_order (id, number, seller, buyer, status, saved_at, expires_at, code_count, units, volume, price, note,
                    seller_document, actor)
                VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [command.id, order.number, order.seller.rawValue, order.buyer.rawValue, command.savedAt.milliseconds,
                                 command.expiresAt.milliseconds, codes.count, units, order.volumeLitres, order.price, order.note, documentID,
                                 command.actor.rawValue])
            let seq = db.lastInsertedRowID
            let member = try db.cachedStatement(sql: "INSERT INTO order_code (order_seq, code, code_id) VALUES (?, ?, ?)")
            let hold = try db.cachedStatement(sql: "UPDATE code SET pending_order = ? WHERE id = ?")
            for code in codes {
                let id = facts[code]!.id
                try member.execute(arguments: [seq, code, id])
                try hold.execute(arguments: [seq, id])
            }
            for party in [order.seller, order.buyer] {
                try Self.log(db, participant: party.rawValue, actor: command.actor.rawValue, kind: .orderSaved, at: command.savedAt,
                             reference: command.id, count: codes.count,
                             detail: party == order.seller ? "to \(order.buyer)" : "from \(order.seller)", document: documentID)
            }
            return .success(Stored(value: try Self.order(db, id: command.id)!, replayed: false))
        }
        return try outcome.refusing()
    }

    public func signOrder(_ command: CounterOrderCommand) async throws(StoreError) -> OrderInfo {
        let outcome: Result<OrderInfo, TradeRefusal> = try await write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT o.seq, o.seller, o.buyer, o.status, o.expires_at, d.digest FROM trade_order o
                JOIN signed_document d ON d.id = o.seller_document WHERE o.id = ?
                """, arguments: [command.orderId]) else {
                return .failure(TradeRefusal(status: 404, code: .notFound, message: "order \(command.orderId) not found"))
            }
            let seq: Int64 = row[0], seller: String = row[1], buyer: String = row[2]
            let status = OrderStatus(rawValue: row[3]) ?? .pending
            let expiresAt = Timestamp(milliseconds: row[4])
            let counter = command.counterOrder
            if let refusal = TradeRules.counterOrder(counter, seller: seller, buyer: buyer, sellerDigest: row[5]) { return .failure(refusal) }
            // The same counter-order again (an answer lost on the way): the signed order, as stored.
            if status == .signed, try String.fetchOne(db, sql: """
                SELECT b.digest FROM trade_order o JOIN signed_document b ON b.id = o.buyer_document WHERE o.seq = ?
                """, arguments: [seq]) == command.document.summary.documentDigest {
                return .success(try Self.order(db, id: command.orderId)!)
            }
            if let refusal = TradeRules.transition("signed", status: status, expiresAt: expiresAt, at: command.at, id: command.orderId) {
                if status == .pending { try Self.expire(db, seq: seq, id: command.orderId, at: expiresAt) }
                return .failure(refusal)
            }
            for (party, side) in [(buyer, "buyer"), (seller, "seller")] where !command.registrarActs {
                if let block = try Self.account(db, party)?.blocked {
                    var refusal = TradeRules.blocked(TaxpayerID(trustedRow: party), block)
                    refusal.details["side"] = side
                    return .failure(refusal)
                }
            }
            let documentID = try Self.insert(db, command.document)
            try db.execute(sql: "UPDATE trade_order SET status = 'signed', signed_at = ?, buyer_document = ?, buyer_actor = ? WHERE seq = ?",
                           arguments: [command.at.milliseconds, documentID, command.actor.rawValue, seq])
            try db.execute(sql: "UPDATE code SET holder_bin = ?, pending_order = NULL WHERE pending_order = ?", arguments: [buyer, seq])
            let count = try Int.fetchOne(db, sql: "SELECT code_count FROM trade_order WHERE seq = ?", arguments: [seq]) ?? 0
            try Self.log(db, participant: seller, actor: command.actor.rawValue, kind: .transferred, at: command.at, reference: command.orderId,
                         count: count, detail: "to \(buyer)", document: documentID)
            try Self.log(db, participant: buyer, actor: command.actor.rawValue, kind: .received, at: command.at, reference: command.orderId,
                         count: count, detail: "from \(seller)", document: documentID)
            try Self.redeemOnCounterOrder(db, orderSeq: seq, orderID: command.orderId, buyer: buyer, actor: command.actor.rawValue, at: command.at,
                                          document: documentID)
            return .success(try Self.order(db, id: command.orderId)!)
        }
        return try outcome.refusing()
    }

    public func cancelOrder(id: String, actor: TaxpayerID, reason: String, at: Timestamp) async throws(StoreError) -> OrderInfo {
        let outcome: Result<OrderInfo, TradeRefusal> = try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT seq, seller, buyer, status, expires_at, code_count FROM trade_order WHERE id = ?",
                                             arguments: [id]) else {
                return .failure(TradeRefusal(status: 404, code: .notFound, message: "order \(id) not found"))
            }
            let seq: Int64 = row[0], seller: String = row[1], buyer: String = row[2]
            let status = OrderStatus(rawValue: row[3]) ?? .pending
            let expiresAt = Timestamp(milliseconds: row[4])
            // Cancelling a cancelled order again (an answer lost on the way): the order, as stored.
            if status == .cancelled { return .success(try Self.order(db, id: id)!) }
            if let refusal = TradeRules.transition("cancelled", status: status, expiresAt: expiresAt, at: at, id: id) {
                if status == .pending { try Self.expire(db, seq: seq, id: id, at: expiresAt) }
                return .failure(refusal)
            }
            try db.execute(sql: "UPDATE trade_order SET status = 'cancelled', cancelled_at = ?, cancel_reason = ? WHERE seq = ?",
                           arguments: [at.milliseconds, reason, seq])
            try db.execute(sql: "UPDATE code SET pending_order = NULL WHERE pending_order = ?", arguments: [seq])
            for party in [seller, buyer] {
                try Self.log(db, participant: party, actor: actor.rawValue, kind: .orderCancelled, at: at, reference: id, count: row[5], detail: reason)
            }
            return .success(try Self.order(db, id: id)!)
        }
        return try outcome.refusing()
    }

    public func expireOrders(now: Timestamp) async throws(StoreError) -> [String] {
        try await write { db in
            let due = try Row.fetchAll(db, sql: "SELECT seq, id, expires_at FROM trade_order WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at",
                                       arguments: [now.milliseconds])
            for row in due { try Self.expire(db, seq: row[0], id: row[1], at: Timestamp(milliseconds: row[2])) }
            return due.map { $0[1] as String }
        }
    }

    /// Expires a pending order at its expiry instant: «Жойылды», codes free, logged on both accounts.
    static func expire(_ db: Database, seq: Int64, id: String, at: Timestamp) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT seller, buyer, code_count FROM trade_order WHERE seq = ? AND status = 'pending'",
                                         arguments: [seq]) else { return }
        try db.execute(sql: "UPDATE trade_order SET status = 'expired', expired_at = ? WHERE seq = ?", arguments: [at.milliseconds, seq])
        try db.execute(sql: "UPDATE code SET pending_order = NULL WHERE pending_order = ?", arguments: [seq])
        let seller: String = row[0], buyer: String = row[1]
        for party in [seller, buyer] {
            try log(db, participant: party, actor: seller, kind: .orderExpired, at: at, reference: id, count: row[2],
                    detail: "not signed by the buyer within 3 working days")
        }
    }

    public func nextOrderExpiry() async throws(StoreError) -> Timestamp? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(expires_at) FROM trade_order WHERE status = 'pending'").map(Timestamp.init(milliseconds:))
        }
    }

    public func order(id: String) async throws(StoreError) -> OrderInfo? {
        try await read { db in try Self.order(db, id: id) }
    }

    public func orderDocuments(id: String) async throws(StoreError) -> [StoredDocument] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.* FROM trade_order o JOIN signed_document d ON d.id IN (o.seller_document, o.buyer_document) WHERE o.id = ? ORDER BY d.id
                """, arguments: [id]).map(Self.document(row:))
        }
    }

    public func orders(_ query: OrderQuery) async throws(StoreError) -> (items: [OrderInfo], last: Int64?) {
        try await read { db in
            var conditions = ["o.seq < ?"]
            var arguments: StatementArguments = [query.before ?? Int64.max]
            if let participant = query.participant {
                switch query.side {
                case .seller: conditions.append("o.seller = ?"); arguments += [participant.rawValue]
                case .buyer: conditions.append("o.buyer = ?"); arguments += [participant.rawValue]
                case .any: conditions.append("(o.seller = ? OR o.buyer = ?)"); arguments += [participant.rawValue, participant.rawValue]
                }
            }
            if let status = query.status {
                conditions.append("o.status = ?")
                arguments += [status.rawValue]
            }
            arguments += [query.limit]
            let rows = try Row.fetchAll(db, sql: "\(Self.orderSelect) WHERE \(conditions.joined(separator: " AND ")) ORDER BY o.seq DESC LIMIT ?",
                                        arguments: arguments)
            return (rows.map(Self.order(row:)), rows.last.map { $0["seq"] as Int64 })
        }
    }

    public func orderCodes(id: String, after: String?, limit: Int) async throws(StoreError) -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: """
                SELECT oc.code FROM order_code oc JOIN trade_order o ON o.seq = oc.order_seq WHERE o.id = ? AND oc.code > ? ORDER BY oc.code LIMIT ?
                """, arguments: [id, after ?? "", limit])
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

    static func order(_ db: Database, id: String) throws -> OrderInfo? {
        try Row.fetchOne(db, sql: "\(orderSelect) WHERE o.id = ?", arguments: [id]).map(order(row:))
    }

    static func order(row: Row) -> OrderInfo {
        func time(_ column: String) -> Timestamp? { (row[column] as Int64?).map(Timestamp.init(milliseconds:)) }
        let seller = TaxpayerID(trustedRow: row["seller"]), actor = TaxpayerID(trustedRow: row["actor"])
        let units = (try? JSONDecoder().decode([String].self, from: Data((row["units"] as String).utf8))) ?? []
        var buyerSignature: SignatureSummary?
        if let subject: String = row["b_subject"] {
            let signing: Int64? = row["b_signing_time"]
            buyerSignature = SignatureSummary(subject: subject, iin: row["b_iin"], bin: row["b_bin"], certificateSerial: row["b_certificate_serial"],
                                              signingTime: signing.map(Timestamp.init(milliseconds:)), documentDigest: row["b_digest"])
        }
        return OrderInfo(id: row["id"], number: row["number"], seller: seller, buyer: TaxpayerID(trustedRow: row["buyer"]),
                         status: OrderStatus(rawValue: row["status"]) ?? .pending, savedAt: time("saved_at")!, expiresAt: time("expires_at")!,
                         signedAt: time("signed_at"), cancelledAt: time("cancelled_at"), cancelReason: row["cancel_reason"],
                         expiredAt: time("expired_at"), codeCount: row["code_count"], units: units, volumeLitres: row["volume"],
                         price: row["price"], note: row["note"], sellerSignature: signature(row: row), buyerSignature: buyerSignature,
                         actor: actor == seller ? nil : actor)
    }

    /// The stamp codes packed now in a case, or in the cases on a pallet; nil when the unit is not packed.
    static func packedCodes(_ db: Database, unit: String) throws -> [String]? {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, kind FROM unit WHERE code = ? AND dissolved_at IS NULL", arguments: [unit]) else {
            return nil
        }
        let id: Int64 = row[0]
        if (row[1] as String) == "case" {
            return try String.fetchAll(db, sql: "SELECT c.code FROM code_case cc JOIN code c ON c.id = cc.code_id WHERE cc.unit_id = ? ORDER BY c.code",
                                       arguments: [id])
        }
        return try String.fetchAll(db, sql: """
            SELECT c.code FROM unit u JOIN code_case cc ON cc.unit_id = u.id JOIN code c ON c.id = cc.code_id
            WHERE u.pallet_id = ? AND u.dissolved_at IS NULL ORDER BY c.code
            """, arguments: [id])
    }

    // MARK: History and extracts

    public func holdings(_ code: StampCode) async throws(StoreError) -> CodeHoldings? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.id, c.owner_bin, COALESCE(c.holder_bin, c.owner_bin), c.status, c.activated_at, o.id FROM code c
                LEFT JOIN trade_order o ON o.seq = c.pending_order WHERE c.code = ?
                """, arguments: [code.rawValue]) else { return nil }
            let transfers = try Row.fetchAll(db, sql: """
                SELECT o.seller, o.buyer, o.signed_at, o.id FROM order_code oc JOIN trade_order o ON o.seq = oc.order_seq
                WHERE oc.code_id = ? AND o.status = 'signed' ORDER BY o.signed_at, o.seq
                """, arguments: [row[0] as Int64]).map { (seller: $0[0] as String, buyer: $0[1] as String, at: $0[2] as Int64, order: $0[3] as String) }
            let activated: Int64? = row[4]
            return CodeHoldings(holder: TaxpayerID(trustedRow: row[2]),
                                holdings: TradeHistory.holdings(owner: row[1], activatedAt: activated, transfers: transfers,
                                                                redemptions: try Self.redemptions(db, codeID: row[0])),
                                pendingOrder: row[5])
        }
    }

    public func codeOperations(_ code: StampCode) async throws(StoreError) -> [OperationRecord] {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.id, c.owner_bin, c.status, c.activated_at, c.written_off_at, c.write_off_reason, w.number, w.recorded_at, b.batch_id,
                       COALESCE(b.actor_bin, b.participant_bin), c.written_off_by,
                       (SELECT o.actor FROM operation o WHERE o.participant = c.owner_bin AND o.kind = 'codesIssued' AND o.reference = w.number
                        ORDER BY o.id LIMIT 1)
                FROM code c JOIN waybill w ON w.id = c.waybill_id LEFT JOIN activation_batch b ON b.id = c.activation_batch WHERE c.code = ?
                """, arguments: [code.rawValue]) else { return [] }
            let owner: String = row[1]
            var events = [OperationRecord]()
            let ownerID = TaxpayerID(trustedRow: owner)
            // Who recorded the waybill (the factory) is in the operations log from v7 on; older waybills name the owner.
            let issuer: String? = row[11]
            events.append(OperationRecord(at: Timestamp(milliseconds: row[7]), kind: .codesIssued, participant: ownerID,
                                          actor: issuer.map(TaxpayerID.init(trustedRow:)) ?? ownerID, reference: row[6], detail: "waybill"))
            if let at: Int64 = row[3] {
                let batch: String? = row[8], by: String? = row[9]
                events.append(OperationRecord(at: Timestamp(milliseconds: at), kind: .activated, participant: ownerID,
                                              actor: TaxpayerID(trustedRow: by ?? owner), reference: batch))
            }
            if let at: Int64 = row[4] {
                let by: String? = row[10]
                events.append(OperationRecord(at: Timestamp(milliseconds: at), kind: .writtenOff, participant: ownerID,
                                              actor: by.map(TaxpayerID.init(trustedRow:)) ?? ownerID, detail: row[5]))
            }
            for unit in try Row.fetchAll(db, sql: """
                SELECT u.code, u.owner_bin, u.packed_at, u.dissolved_at FROM unit_content uc JOIN unit u ON u.id = uc.unit_id
                WHERE uc.content = ? AND u.kind = 'case' ORDER BY u.id
                """, arguments: [code.rawValue]) {
                let unitOwner = TaxpayerID(trustedRow: unit[1])
                events.append(OperationRecord(at: Timestamp(milliseconds: unit[2]), kind: .casePacked, participant: unitOwner, actor: unitOwner,
                                              reference: unit[0]))
                if let at: Int64 = unit[3] {
                    events.append(OperationRecord(at: Timestamp(milliseconds: at), kind: .caseDissolved, participant: unitOwner, actor: unitOwner,
                                                  reference: unit[0]))
                }
            }
            for order in try Row.fetchAll(db, sql: """
                SELECT o.id, o.seller, o.buyer, o.status, o.saved_at, o.signed_at, o.cancelled_at, o.expired_at, o.actor, o.buyer_actor,
                       s.kind, s.digest, s.subject, b.kind AS b_kind, b.digest AS b_digest, b.subject AS b_subject
                FROM order_code oc JOIN trade_order o ON o.seq = oc.order_seq
                JOIN signed_document s ON s.id = o.seller_document LEFT JOIN signed_document b ON b.id = o.buyer_document
                WHERE oc.code_id = ? ORDER BY o.seq
                """, arguments: [row[0] as Int64]) {
                events.append(contentsOf: TradeHistory.orderEvents(
                    id: order["id"], seller: order["seller"], buyer: order["buyer"], savedAt: order["saved_at"], signedAt: order["signed_at"],
                    cancelledAt: order["cancelled_at"], expiredAt: order["expired_at"], actor: order["actor"], buyerActor: order["buyer_actor"],
                    sellerDocument: DocumentReference(kind: order["kind"], digest: order["digest"], signer: order["subject"]),
                    buyerDocument: (order["b_kind"] as String?).map { DocumentReference(kind: $0, digest: order["b_digest"], signer: order["b_subject"]) }))
            }
            events.append(contentsOf: try Self.redemptions(db, codeID: row[0]).map(\.operation))
            return TradeHistory.sorted(events)
        }
    }

    /// A code's redemptions and restorations, oldest first.
    static func redemptions(_ db: Database, codeID: Int64) throws -> [TradeHistory.Redemption] {
        try Row.fetchAll(db, sql: "SELECT seller, kind, at, channel, reference, actor, recorded_at FROM redemption WHERE code_id = ? ORDER BY id",
                         arguments: [codeID])
            .map { TradeHistory.Redemption(seller: $0[0], restored: ($0[1] as String) == "restored", at: $0[2], channel: $0[3], reference: $0[4], actor: $0[5],
                                           recordedAt: $0[6]) }
    }

    public func operations(_ query: OperationQuery) async throws(StoreError) -> (items: [OperationRecord], last: Int64?) {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.*, d.kind AS d_kind, d.digest AS d_digest, d.subject AS d_subject FROM operation o
                LEFT JOIN signed_document d ON d.id = o.document_id
                WHERE o.participant = ? AND o.id > ? AND o.at >= ? AND o.at < ? ORDER BY o.id LIMIT ?
                """, arguments: [query.participant.rawValue, query.after ?? 0, query.from?.milliseconds ?? Int64.min,
                                 query.to?.milliseconds ?? Int64.max, query.limit])
            return (rows.map(Self.operation(row:)), rows.last.map { $0["id"] as Int64 })
        }
    }

    static func operation(row: Row) -> OperationRecord {
        OperationRecord(at: Timestamp(milliseconds: row["at"]), kind: OperationKind(rawValue: row["kind"]) ?? .orderSaved,
                        participant: TaxpayerID(trustedRow: row["participant"]), actor: TaxpayerID(trustedRow: row["actor"]),
                        reference: row["reference"], count: row["count"], detail: row["detail"],
                        document: (row["d_kind"] as String?).map { DocumentReference(kind: $0, digest: row["d_digest"], signer: row["d_subject"]) })
    }

    public func accountExtract(_ participant: TaxpayerID, now: Timestamp) async throws(StoreError) -> AccountExtract? {
        try await read { db in
            guard let account = try Self.account(db, participant.rawValue) else { return nil }
            let p = participant.rawValue
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: [p]) ?? 0 }
            let codes = AccountCodeCounts(
                issued: try count("SELECT COUNT(*) FROM code WHERE owner_bin = ? AND status = 'issued'"),
                produced: try count("SELECT COUNT(*) FROM code WHERE owner_bin = ? AND holder_bin IS NULL AND status = 'activated' AND redeemed_by IS NULL"),
                active: try count("SELECT COUNT(*) FROM code WHERE holder_bin = ? AND status = 'activated' AND redeemed_by IS NULL"),
                transferred: try Int.fetchOne(db, sql: """
                    SELECT COUNT(DISTINCT oc.code_id) FROM trade_order o JOIN order_code oc ON oc.order_seq = o.seq JOIN code c ON c.id = oc.code_id
                    WHERE o.seller = ? AND o.status = 'signed' AND COALESCE(c.holder_bin, c.owner_bin) <> ?
                    """, arguments: [p, p]) ?? 0,
                writtenOff: try count("SELECT COUNT(*) FROM code WHERE owner_bin = ? AND status = 'writtenOff'"),
                inPendingOrders: try count("SELECT COALESCE(SUM(code_count), 0) FROM trade_order WHERE seller = ? AND status = 'pending'"),
                redeemed: try count("SELECT COUNT(*) FROM code WHERE redeemed_by = ?"))
            func grouped(_ sql: String) throws -> [String: Int] {
                var result = [String: Int]()
                for row in try Row.fetchAll(db, sql: sql, arguments: [p]) { result[row[0]] = row[1] }
                return result
            }
            let last = try Row.fetchOne(db, sql: """
                SELECT o.*, d.kind AS d_kind, d.digest AS d_digest, d.subject AS d_subject FROM operation o
                LEFT JOIN signed_document d ON d.id = o.document_id WHERE o.participant = ? ORDER BY o.id DESC LIMIT 1
                """, arguments: [p]).map(Self.operation(row:))
            return AccountExtract(account: account, codes: codes,
                                  ordersAsSeller: try grouped("SELECT status, COUNT(*) FROM trade_order WHERE seller = ? GROUP BY status"),
                                  ordersAsBuyer: try grouped("SELECT status, COUNT(*) FROM trade_order WHERE buyer = ? GROUP BY status"),
                                  applications: try grouped("SELECT status, COUNT(*) FROM application WHERE applicant = ? GROUP BY status"),
                                  lastOperation: last, generatedAt: now)
        }
    }

    // MARK: Report submissions

    public func recordReportSubmission(_ command: ReportSubmissionCommand) async throws(StoreError) -> ReportSubmissionResult {
        try await write { db in
            let submission = command.submission
            let differences = try TradeRules.encode(command.differences)
            // The same signed document again with the same verdict (an answer lost on the way): the stored one. The same
            // figures submitted after the registrar's changed are a new submission with the new verdict.
            if let row = try Row.fetchOne(db, sql: """
                SELECT r.id, r.result, r.differences, r.received_at, d.subject, d.iin, d.bin, d.certificate_serial, d.signing_time, d.digest
                FROM report_submission r JOIN signed_document d ON d.id = r.document_id
                WHERE r.participant = ? AND d.digest = ? AND r.result = ? AND r.differences = ?
                ORDER BY r.received_at LIMIT 1
                """, arguments: [submission.participant.rawValue, command.document.summary.documentDigest, command.result.rawValue, differences]) {
                let differences = try JSONDecoder().decode([ReportDifference].self, from: Data((row["differences"] as String).utf8))
                return ReportSubmissionResult(id: row["id"], participant: submission.participant, form: submission.form, month: submission.month,
                                              result: ReportSubmissionResult.Verdict(rawValue: row["result"]) ?? .differs,
                                              differences: differences, receivedAt: Timestamp(milliseconds: row["received_at"]),
                                              signature: Self.signature(row: row))
            }
            let documentID = try Self.insert(db, command.document)
            try db.execute(sql: """
                INSERT INTO report_submission (id, participant, form, month, result, differences, received_at, document_id, actor)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [command.id, submission.participant.rawValue, submission.form.rawValue, submission.month.description,
                                 command.result.rawValue, differences, command.at.milliseconds, documentID, command.actor.rawValue])
            try Self.log(db, participant: submission.participant.rawValue, actor: command.actor.rawValue, kind: .reportSubmitted, at: command.at,
                         reference: command.id, detail: "\(submission.form.rawValue) \(submission.month): \(command.result.rawValue)",
                         document: documentID)
            return ReportSubmissionResult(id: command.id, participant: submission.participant, form: submission.form, month: submission.month,
                                          result: command.result, differences: command.differences, receivedAt: command.at,
                                          signature: command.document.summary)
        }
    }

    // MARK: Plumbing

    static func insert(_ db: Database, _ document: SignedRecord) throws -> Int64 {
        let s = document.summary
        try db.execute(sql: """
            INSERT INTO signed_document (kind, participant, canonical, signature, digest, subject, iin, bin, certificate_serial, signing_time, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [document.kind, document.participant.rawValue, Data(document.canonical), Data(document.signature), s.documentDigest,
                             s.subject, s.iin, s.bin, s.certificateSerial, s.signingTime?.milliseconds, document.receivedAt.milliseconds])
        return db.lastInsertedRowID
    }

    static func document(row: Row) -> StoredDocument {
        let canonical: Data = row["canonical"], signature: Data = row["signature"]
        return StoredDocument(kind: row["kind"], participant: TaxpayerID(trustedRow: row["participant"]),
                              document: String(decoding: canonical, as: UTF8.self), signature: signature.base64EncodedString(),
                              summary: self.signature(row: row), receivedAt: Timestamp(milliseconds: row["received_at"]))
    }

    /// Appends to the operations log.
    static func log(_ db: Database, participant: String, actor: String, kind: OperationKind, at: Timestamp, reference: String? = nil,
                    count: Int? = nil, detail: String? = nil, document: Int64? = nil) throws {
        try db.execute(sql: """
            INSERT INTO operation (participant, actor, kind, at, reference, count, detail, document_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [participant, actor, kind.rawValue, at.milliseconds, reference, count, detail, document])
    }
}
