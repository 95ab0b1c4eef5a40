import CounterfeitAnalytics
import Foundation
import GRDB
import LineCore
import QazAPI

// The retail half on SQLite. One writer at a time: a register's sequence and a code's facts stay true until commit.

extension SQLiteRegistrarStore {
    /// Migration `v8-retail`: fiscal data operators' tokens, cash registers and their receipts, reported gaps,
    /// redemptions (each code redeemed or restored), redemptions through the Service, the redemption consent of an
    /// account, consumers' scans (no personal data) and the alerts they raise.
    static func registerRetailMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-retail") { db in
            try db.execute(sql: """
                CREATE TABLE api_token_v8 (
                    id TEXT PRIMARY KEY,
                    hash BLOB NOT NULL UNIQUE,
                    participant_bin TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('producer', 'importer', 'banknote-factory', 'revenue-body', 'registrar',
                                                       'wholesaler', 'retailer', 'fdo')),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER
                );
                INSERT INTO api_token_v8 (id, hash, participant_bin, role, created_at, expires_at, revoked_at)
                    SELECT id, hash, participant_bin, role, created_at, expires_at, revoked_at FROM api_token;
                DROP TABLE api_token;
                ALTER TABLE api_token_v8 RENAME TO api_token;
                ALTER TABLE account ADD COLUMN redeem_on_counter_order INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE code ADD COLUMN redeemed_at INTEGER;
                ALTER TABLE code ADD COLUMN redeemed_by TEXT;
                CREATE INDEX code_redeemed ON code(redeemed_by, redeemed_at) WHERE redeemed_by IS NOT NULL;
                CREATE TABLE cash_register (
                    id INTEGER PRIMARY KEY,
                    registration TEXT NOT NULL UNIQUE,
                    factory_number TEXT NOT NULL,
                    seller TEXT NOT NULL,
                    operator TEXT NOT NULL,
                    first_number INTEGER NOT NULL,
                    last_applied INTEGER NOT NULL,
                    first_seen INTEGER NOT NULL,
                    last_received INTEGER NOT NULL
                );
                CREATE TABLE receipt (
                    id INTEGER PRIMARY KEY,
                    register_id INTEGER NOT NULL REFERENCES cash_register(id),
                    number INTEGER NOT NULL,
                    sign TEXT NOT NULL,
                    body_hash BLOB NOT NULL,
                    seller TEXT NOT NULL,
                    operator TEXT NOT NULL,
                    operation TEXT NOT NULL CHECK (operation IN ('sale', 'saleReturn')),
                    issued_at INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('waiting', 'applied')),
                    applied_at INTEGER,
                    flags TEXT NOT NULL,
                    lines BLOB NOT NULL,
                    answer BLOB,
                    UNIQUE (register_id, number),
                    UNIQUE (register_id, sign)
                );
                CREATE INDEX receipt_waiting ON receipt(register_id, number) WHERE state = 'waiting';
                CREATE TABLE receipt_gap (
                    id INTEGER PRIMARY KEY,
                    register_id INTEGER NOT NULL REFERENCES cash_register(id),
                    from_number INTEGER NOT NULL,
                    to_number INTEGER NOT NULL,
                    waiting_since INTEGER NOT NULL,
                    reported_at INTEGER NOT NULL
                );
                CREATE INDEX receipt_gap_register ON receipt_gap(register_id, id);
                CREATE TABLE redemption (
                    id INTEGER PRIMARY KEY,
                    code_id INTEGER NOT NULL REFERENCES code(id),
                    seller TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('redeemed', 'restored')),
                    channel TEXT NOT NULL CHECK (channel IN ('receipt', 'service', 'counterOrder')),
                    reference TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    actor TEXT NOT NULL
                );
                CREATE INDEX redemption_code ON redemption(code_id, id);
                CREATE TABLE service_redemption (
                    seller TEXT NOT NULL,
                    number TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    answer BLOB NOT NULL,
                    received_at INTEGER NOT NULL,
                    document_id INTEGER NOT NULL REFERENCES signed_document(id),
                    actor TEXT NOT NULL,
                    PRIMARY KEY (seller, number)
                ) WITHOUT ROWID;
                CREATE TABLE scan (
                    id TEXT PRIMARY KEY,
                    code TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    verdict TEXT NOT NULL,
                    latitude REAL,
                    longitude REAL,
                    accuracy REAL,
                    region TEXT
                ) WITHOUT ROWID;
                CREATE INDEX scan_code ON scan(code, at);
                CREATE INDEX scan_at ON scan(at);
                CREATE TABLE alert (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    code TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    region TEXT,
                    producer TEXT,
                    message TEXT NOT NULL,
                    evidence BLOB NOT NULL,
                    scan_id TEXT NOT NULL
                );
                CREATE INDEX alert_code ON alert(code, id);
                CREATE INDEX alert_at ON alert(at);
                """)
        }
    }
}

extension SQLiteRegistrarStore: RetailStore {
    // MARK: Receipts

    public func recordReceipts(_ commands: [ReceiptCommand]) async throws(StoreError) -> [ReceiptAnswer] {
        try await write { db in
            // In the order sent; a register new in this batch starts at its lowest number in it.
            let starts = RetailRules.sequenceStarts(commands)
            var answers = [Either?]()
            for command in commands {
                answers.append(try Self.record(db, command, start: starts[command.receipt.registrationNumber] ?? command.receipt.number))
            }
            return try answers.map { answer in
                switch answer! {
                case .answer(let answer): answer
                case .stored(let id): try Self.receiptAnswer(db, id: id)!
                }
            }
        }
    }

    private enum Either { case answer(ReceiptAnswer), stored(Int64) }

    private static func record(_ db: Database, _ command: ReceiptCommand, start: Int) throws -> Either {
        let r = command.receipt
        let at = command.receivedAt.milliseconds
        var register = try Row.fetchOne(db, sql: "SELECT id, factory_number, last_applied, first_number, operator FROM cash_register WHERE registration = ?",
                                        arguments: [r.registrationNumber])
        if register == nil {
            // The first receipt the registrar sees from a register starts its sequence.
            try db.execute(sql: """
                INSERT INTO cash_register (registration, factory_number, seller, operator, first_number, last_applied, first_seen, last_received)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.registrationNumber, r.factoryNumber, r.seller.rawValue, command.operatorID.rawValue, min(start, r.number),
                                 min(start, r.number) - 1, at, at])
            register = try Row.fetchOne(db, sql: "SELECT id, factory_number, last_applied, first_number, operator FROM cash_register WHERE registration = ?",
                                        arguments: [r.registrationNumber])
        }
        let registerID: Int64 = register![0], factory: String = register![1], lastApplied: Int = register![2], firstNumber: Int = register![3]
        let operatorID: String = register![4]
        if let existing = try Row.fetchOne(db, sql: "SELECT id, body_hash FROM receipt WHERE register_id = ? AND number = ?",
                                           arguments: [registerID, r.number]) {
            guard Array(existing[1] as Data) == command.bodyHash else {
                return .answer(RetailRules.rejected(r, .idempotencyConflict,
                                                    "receipt \(r.number) of register \(r.registrationNumber) was received before with other content; the first one stands",
                                                    details: ["registrationNumber": r.registrationNumber, "number": String(r.number)]))
            }
            return .stored(existing[0])
        }
        if factory != r.factoryNumber {
            return .answer(RetailRules.rejected(r, .invalidField,
                                                "register \(r.registrationNumber) has factory number \(factory), not \(r.factoryNumber); the receipt was not recorded",
                                                details: ["field": "factoryNumber", "expected": factory]))
        }
        if let refusal = RetailRules.registerRefusal(r, operatorID: operatorID, command: command, lastApplied: lastApplied) { return .answer(refusal) }
        let sign = r.sign ?? ""
        if let other = try Int.fetchOne(db, sql: "SELECT number FROM receipt WHERE register_id = ? AND sign = ?", arguments: [registerID, sign]) {
            return .answer(RetailRules.rejected(r, .fiscalSignReused,
                                                "the fiscal sign \(sign) belongs to receipt \(other) of register \(r.registrationNumber); the receipt was not recorded",
                                                details: ["registrationNumber": r.registrationNumber, "receipt": String(other), "sign": sign]))
        }
        let newest = try Int.fetchOne(db, sql: "SELECT MAX(number) FROM receipt WHERE register_id = ?", arguments: [registerID]) ?? Int.min
        try db.execute(sql: """
            INSERT INTO receipt (register_id, number, sign, body_hash, seller, operator, operation, issued_at, received_at, state, flags, lines)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?)
            """, arguments: [registerID, r.number, sign, Data(command.bodyHash), r.seller.rawValue, command.operatorID.rawValue, r.operation.rawValue,
                             command.issuedAt.milliseconds, at, RetailRules.flagsText(command.flags), try RetailRules.encode(command.lines)])
        let id = db.lastInsertedRowID
        // The register's seller is its newest receipt's (a late receipt does not change it); its operator is the one
        // that first sent for it (another's receipts are refused above).
        if r.number > newest {
            try db.execute(sql: "UPDATE cash_register SET seller = ? WHERE id = ?", arguments: [r.seller.rawValue, registerID])
        }
        try db.execute(sql: "UPDATE cash_register SET last_received = ? WHERE id = ?", arguments: [at, registerID])
        if r.number <= lastApplied {
            // Its number was passed: a gap reported before it arrived, or before the register's first receipt seen.
            try apply(db, receipt: id, extra: [r.number < firstNumber ? .beforeFirstReceipt : .filledGap], at: command.receivedAt)
        } else if r.number == lastApplied + 1 {
            try apply(db, receipt: id, extra: [], at: command.receivedAt)
            try drain(db, register: registerID, extra: [], at: command.receivedAt)
        }
        return .stored(id)
    }

    /// Applies the waiting receipts that follow the register's last applied one, in order.
    private static func drain(_ db: Database, register: Int64, extra: [ReceiptFlag], at: Timestamp) throws {
        while let next = try Int64.fetchOne(db, sql: """
            SELECT r.id FROM receipt r JOIN cash_register c ON c.id = r.register_id
            WHERE r.register_id = ? AND r.state = 'waiting' AND r.number = c.last_applied + 1
            """, arguments: [register]) {
            try apply(db, receipt: next, extra: extra, at: at)
        }
    }

    /// Applies one stored receipt: each code's outcome decided and written, its answer stored, the register advanced.
    private static func apply(_ db: Database, receipt id: Int64, extra: [ReceiptFlag], at: Timestamp) throws {
        let row = try Row.fetchOne(db, sql: """
            SELECT r.register_id, r.number, r.seller, r.operation, r.issued_at, r.flags, r.lines, c.registration, r.operator
            FROM receipt r JOIN cash_register c ON c.id = r.register_id WHERE r.id = ?
            """, arguments: [id])!
        let registerID: Int64 = row[0], number: Int = row[1], seller: String = row[2]
        let operation = ReceiptOperation(rawValue: row[3]) ?? .sale
        let issuedAt: Int64 = row[4]
        var flags = RetailRules.flags(row[5]) + extra
        let lines = try RetailRules.decode([PreparedLine].self, row[6])
        let registration: String = row[7], operatorID: String = row[8]
        let reference = RetailRules.reference(registration: registration, number: number)
        switch try account(db, seller) {
        case nil: flags.append(.sellerUnknown)
        case let account? where account.blocked != nil: flags.append(.sellerBlocked)
        default: break
        }
        let answers = try applyCodes(db, lines: lines, operation: operation, seller: seller, channel: "receipt", reference: reference,
                                     soldAt: issuedAt, recordedAt: at.milliseconds, actor: seller)
        try db.execute(sql: "UPDATE receipt SET state = 'applied', applied_at = ?, flags = ?, answer = ? WHERE id = ?",
                       arguments: [at.milliseconds, RetailRules.flagsText(flags), try RetailRules.encode(answers), id])
        try db.execute(sql: "UPDATE cash_register SET last_applied = MAX(last_applied, ?) WHERE id = ?", arguments: [number, registerID])
        let count = answers.reduce(0) { $0 + $1.codes.filter(\.outcome.applied).count }
        if count > 0 {
            try log(db, participant: seller, actor: seller, kind: operation == .sale ? .redeemed : .returned, at: Timestamp(milliseconds: issuedAt),
                    reference: reference, count: count, detail: "cash-register receipt via fiscal data operator \(operatorID)")
        }
    }

    /// Decides and writes each code's outcome of a sale or return.
    static func applyCodes(_ db: Database, lines: [PreparedLine], operation: ReceiptOperation, seller: String, channel: String, reference: String,
                           soldAt: Int64, recordedAt: Int64, actor: String) throws -> [ReceiptLineAnswer] {
        // A pending order past its expiry holds no codes (the expiry job has not swept it yet).
        let lookup = try db.cachedStatement(sql: """
            SELECT c.id, COALESCE(c.holder_bin, c.owner_bin), c.status, CASE WHEN o.expires_at > ? THEN c.pending_order END, c.redeemed_by
            FROM code c LEFT JOIN trade_order o ON o.seq = c.pending_order WHERE c.code = ?
            """)
        let redeem = try db.cachedStatement(sql: "UPDATE code SET redeemed_at = ?, redeemed_by = ? WHERE id = ?")
        let restore = try db.cachedStatement(sql: "UPDATE code SET redeemed_at = NULL, redeemed_by = NULL WHERE id = ?")
        let history = try db.cachedStatement(sql: """
            INSERT INTO redemption (code_id, seller, kind, channel, reference, at, recorded_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        return try RetailRules.answer(lines: lines, operation: operation, seller: seller, fact: { code in
            try Row.fetchOne(lookup, arguments: [recordedAt, code]).map {
                RetailCodeFact(id: $0[0], holder: $0[1], status: $0[2], pendingOrder: $0[3], redeemedBy: $0[4])
            }
        }, apply: { fact, outcome in
            if outcome == .redeemed {
                try redeem.execute(arguments: [soldAt, seller, fact.id])
            } else {
                try restore.execute(arguments: [fact.id])
            }
            try history.execute(arguments: [fact.id, seller, outcome == .redeemed ? "redeemed" : "restored", channel, reference, soldAt, recordedAt, actor])
        })
    }

    static func receiptAnswer(_ db: Database, id: Int64) throws -> ReceiptAnswer? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT c.registration, r.number, r.state, r.flags, r.answer, r.received_at, r.applied_at, c.last_applied
            FROM receipt r JOIN cash_register c ON c.id = r.register_id WHERE r.id = ?
            """, arguments: [id]) else { return nil }
        let state = ReceiptState(rawValue: row[2]) ?? .waiting
        let answer: Data? = row[4]
        let applied: Int64? = row[6]
        let lastApplied: Int = row[7]
        return ReceiptAnswer(registrationNumber: row[0], number: row[1], state: state, flags: RetailRules.flags(row[3]),
                             waitingFor: state == .waiting ? lastApplied + 1 : nil,
                             lines: try answer.map { try RetailRules.decode([ReceiptLineAnswer].self, $0) },
                             receivedAt: Timestamp(milliseconds: row[5]), appliedAt: applied.map(Timestamp.init(milliseconds:)))
    }

    public func receipt(registration: String, number: Int) async throws(StoreError) -> ReceiptAnswer? {
        try await read { db in
            guard let id = try Int64.fetchOne(db, sql: """
                SELECT r.id FROM receipt r JOIN cash_register c ON c.id = r.register_id WHERE c.registration = ? AND r.number = ?
                """, arguments: [registration, number]) else { return nil }
            return try Self.receiptAnswer(db, id: id)
        }
    }

    public func cashRegister(_ registration: String) async throws(StoreError) -> CashRegisterState? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM cash_register WHERE registration = ?", arguments: [registration]) else { return nil }
            let id: Int64 = row["id"]
            let waiting = try Int.fetchAll(db, sql: "SELECT number FROM receipt WHERE register_id = ? AND state = 'waiting' ORDER BY number LIMIT 1000",
                                           arguments: [id])
            let gaps = try Self.gaps(db, where: "g.register_id = ?", arguments: [id], limit: 100).items
            return CashRegisterState(registrationNumber: row["registration"], factoryNumber: row["factory_number"],
                                     seller: TaxpayerID(trustedRow: row["seller"]), operatorID: TaxpayerID(trustedRow: row["operator"]),
                                     lastApplied: row["last_applied"], waiting: waiting, firstSeen: Timestamp(milliseconds: row["first_seen"]),
                                     lastReceivedAt: Timestamp(milliseconds: row["last_received"]), gaps: gaps)
        }
    }

    public func receiptGaps(registration: String?, before: Int64?, limit: Int) async throws(StoreError) -> (items: [ReceiptGap], last: Int64?) {
        try await read { db in
            try Self.gaps(db, where: "c.registration = COALESCE(?, c.registration) AND g.id < ?",
                          arguments: [registration, before ?? Int64.max], limit: limit)
        }
    }

    private static func gaps(_ db: Database, where condition: String, arguments: StatementArguments, limit: Int) throws -> (items: [ReceiptGap], last: Int64?) {
        let rows = try Row.fetchAll(db, sql: """
            SELECT g.*, c.registration, c.seller FROM receipt_gap g JOIN cash_register c ON c.id = g.register_id
            WHERE \(condition) ORDER BY g.id DESC LIMIT \(limit)
            """, arguments: arguments)
        var items = [ReceiptGap]()
        for row in rows {
            let from: Int = row["from_number"], to: Int = row["to_number"]
            let filled = try Int.fetchAll(db, sql: "SELECT number FROM receipt WHERE register_id = ? AND number BETWEEN ? AND ? ORDER BY number LIMIT 1000",
                                          arguments: [row["register_id"] as Int64, from, to])
            items.append(ReceiptGap(registrationNumber: row["registration"], seller: TaxpayerID(trustedRow: row["seller"]), from: from, to: to,
                                    waitingSince: Timestamp(milliseconds: row["waiting_since"]), reportedAt: Timestamp(milliseconds: row["reported_at"]),
                                    filled: filled))
        }
        return (items, rows.count == limit ? rows.last.map { $0["id"] as Int64 } : nil)
    }

    public func reportReceiptGaps(waitedSince: Timestamp, now: Timestamp) async throws(StoreError) -> [ReceiptGap] {
        try await write { db in
            var reported = [Int64]()
            let registers = try Int64.fetchAll(db, sql: "SELECT DISTINCT register_id FROM receipt WHERE state = 'waiting'")
            for register in registers {
                while let row = try Row.fetchOne(db, sql: """
                    SELECT r.id, r.number, r.received_at, c.last_applied FROM receipt r JOIN cash_register c ON c.id = r.register_id
                    WHERE r.register_id = ? AND r.state = 'waiting' ORDER BY r.number LIMIT 1
                    """, arguments: [register]) {
                    let id: Int64 = row[0], number: Int = row[1], received: Int64 = row[2], lastApplied: Int = row[3]
                    guard received <= waitedSince.milliseconds else { break }
                    try db.execute(sql: """
                        INSERT INTO receipt_gap (register_id, from_number, to_number, waiting_since, reported_at) VALUES (?, ?, ?, ?, ?)
                        """, arguments: [register, lastApplied + 1, number - 1, received, now.milliseconds])
                    reported.append(db.lastInsertedRowID)
                    try db.execute(sql: "UPDATE cash_register SET last_applied = ? WHERE id = ?", arguments: [number - 1, register])
                    try Self.apply(db, receipt: id, extra: [.afterGap], at: now)
                    try Self.drain(db, register: register, extra: [.afterGap], at: now)
                }
            }
            guard !reported.isEmpty else { return [] }
            return try Self.gaps(db, where: "g.id IN (\(reported.map(String.init).joined(separator: ",")))", arguments: [], limit: reported.count).items.reversed()
        }
    }

    public func oldestWaitingReceipt() async throws(StoreError) -> Timestamp? {
        try await read { db in
            // Each register's lowest-numbered waiting receipt decides when its gap is due (what the sweep tests).
            try Int64.fetchOne(db, sql: """
                SELECT MIN(r.received_at) FROM receipt r WHERE r.state = 'waiting' AND NOT EXISTS (
                SELECT 1 FROM receipt x WHERE x.register_id = r.register_id AND x.state = 'waiting' AND x.number < r.number)
                """).map(Timestamp.init(milliseconds:))
        }
    }

    // MARK: Redemption through the Service

    public func redeem(_ command: ServiceRedemptionCommand) async throws(StoreError) -> Stored<RedemptionAnswer> {
        let request = command.request
        let outcome: Result<Stored<RedemptionAnswer>, TradeRefusal> = try await write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT digest, answer FROM service_redemption WHERE seller = ? AND number = ?",
                                          arguments: [request.seller.rawValue, request.number]) {
                guard (row[0] as String) == command.document.summary.documentDigest else {
                    throw StoreError.idempotencyConflict("redemption \(request.number) of \(request.seller)")
                }
                return .success(Stored(value: try RetailRules.decode(RedemptionAnswer.self, row[1]), replayed: true))
            }
            guard let account = try Self.account(db, request.seller.rawValue) else {
                return .failure(TradeRules.unknownAccount(request.seller, role: "seller"))
            }
            if let block = account.blocked, !command.registrarActs { return .failure(TradeRules.blocked(request.seller, block)) }
            let documentID = try Self.insert(db, command.document)
            let soldAt = (request.soldAt ?? command.receivedAt).milliseconds
            let lines = try Self.applyCodes(db, lines: [PreparedLine(error: nil, codes: command.codes)], operation: .sale, seller: request.seller.rawValue,
                                            channel: "service", reference: request.number, soldAt: soldAt,
                                            recordedAt: command.receivedAt.milliseconds, actor: command.actor.rawValue)
            let answer = RedemptionAnswer(seller: request.seller, number: request.number, codes: lines.first?.codes ?? [], receivedAt: command.receivedAt)
            try db.execute(sql: """
                INSERT INTO service_redemption (seller, number, digest, answer, received_at, document_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [request.seller.rawValue, request.number, command.document.summary.documentDigest, try RetailRules.encode(answer),
                                 command.receivedAt.milliseconds, documentID, command.actor.rawValue])
            let count = answer.codes.filter(\.outcome.applied).count
            if count > 0 {
                try Self.log(db, participant: request.seller.rawValue, actor: command.actor.rawValue, kind: .redeemed, at: Timestamp(milliseconds: soldAt),
                             reference: request.number, count: count, detail: "scanned in the Service", document: documentID)
            }
            return .success(Stored(value: answer, replayed: false))
        }
        return try outcome.refusing()
    }

    public func serviceRedemption(seller: TaxpayerID, number: String) async throws(StoreError) -> RedemptionAnswer? {
        try await read { db in
            try Data.fetchOne(db, sql: "SELECT answer FROM service_redemption WHERE seller = ? AND number = ?", arguments: [seller.rawValue, number])
                .map { try RetailRules.decode(RedemptionAnswer.self, $0) }
        }
    }

    public func setRedemptionConsent(_ command: RedemptionConsentCommand) async throws(StoreError) -> AccountInfo {
        let participant = command.consent.participant
        let outcome: Result<AccountInfo, TradeRefusal> = try await write { db in
            guard let account = try Self.account(db, participant.rawValue) else { return .failure(TradeRules.unknownAccount(participant, role: "participant")) }
            // The same consent again (an answer lost on the way): nothing changes.
            if (account.redeemOnCounterOrder ?? false) == command.consent.redeemOnCounterOrder { return .success(account) }
            let documentID = try Self.insert(db, command.document)
            try db.execute(sql: "UPDATE account SET redeem_on_counter_order = ? WHERE participant = ?",
                           arguments: [command.consent.redeemOnCounterOrder, participant.rawValue])
            try Self.log(db, participant: participant.rawValue, actor: command.actor.rawValue, kind: .redemptionConsent, at: command.at,
                         detail: command.consent.redeemOnCounterOrder ? "given" : "withdrawn", document: documentID)
            return .success(try Self.account(db, participant.rawValue)!)
        }
        return try outcome.refusing()
    }

    /// Redeems an order's codes at the signing of its counter-order when the buyer consented (cl. 22, second way).
    static func redeemOnCounterOrder(_ db: Database, orderSeq: Int64, orderID: String, buyer: String, actor: String, at: Timestamp, document: Int64) throws {
        guard try Bool.fetchOne(db, sql: "SELECT redeem_on_counter_order FROM account WHERE participant = ?", arguments: [buyer]) == true else { return }
        try db.execute(sql: """
            INSERT INTO redemption (code_id, seller, kind, channel, reference, at, recorded_at, actor)
            SELECT c.id, ?, 'redeemed', 'counterOrder', ?, ?, ?, ? FROM order_code oc JOIN code c ON c.id = oc.code_id
            WHERE oc.order_seq = ? AND c.redeemed_by IS NULL
            """, arguments: [buyer, orderID, at.milliseconds, at.milliseconds, actor, orderSeq])
        let count = db.changesCount
        try db.execute(sql: """
            UPDATE code SET redeemed_at = ?, redeemed_by = ? WHERE id IN (SELECT code_id FROM order_code WHERE order_seq = ?) AND redeemed_by IS NULL
            """, arguments: [at.milliseconds, buyer, orderSeq])
        guard count > 0 else { return }
        try log(db, participant: buyer, actor: actor, kind: .redeemed, at: at, reference: orderID, count: count,
                detail: "at the counter-order, under the buyer's consent", document: document)
    }

    // MARK: Scans and alerts

    public func recordScan(_ command: ScanCommand, evaluate: @escaping ScanEvaluator) async throws(StoreError) -> ScanOutcome {
        try await write { db in
            let facts = try Self.verifyFacts(db, code: command.code)
            let scan = ScanRecord(id: command.id, code: command.code, at: command.at, verdict: RetailRules.verdict(facts),
                                  location: command.location, region: command.region)
            let earlier = try Self.scans(db, code: command.code, limit: 500)
            try db.execute(sql: """
                INSERT INTO scan (id, code, at, verdict, latitude, longitude, accuracy, region) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [command.id.uuidString.lowercased(), command.code, command.at.milliseconds, scan.verdict.rawValue,
                                 command.location?.latitude, command.location?.longitude, command.location?.accuracy, command.region])
            let alerts = try Self.raise(db, scan: scan, facts: facts, earlier: earlier, evaluate: evaluate)
            return ScanOutcome(scan: scan, facts: facts, alerts: alerts)
        }
    }

    public func addScanLocation(_ command: ScanLocationCommand, evaluate: @escaping ScanEvaluator) async throws(StoreError) -> ScanOutcome {
        let outcome: Result<ScanOutcome, TradeRefusal> = try await write { db in
            let id = command.id.uuidString.lowercased()
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM scan WHERE id = ?", arguments: [id]),
                  var scan = Self.scan(row: row) else {
                return .failure(TradeRefusal(status: 404, code: .notFound, message: "scan \(id) not found"))
            }
            if let refusal = RetailRules.locationRefusal(scan, now: command.now) { return .failure(refusal) }
            try db.execute(sql: "UPDATE scan SET latitude = ?, longitude = ?, accuracy = ?, region = ? WHERE id = ?",
                           arguments: [command.location.latitude, command.location.longitude, command.location.accuracy, command.region, id])
            scan.location = command.location
            scan.region = command.region
            let facts = try Self.verifyFacts(db, code: scan.code)
            let earlier = try Self.scans(db, code: scan.code, limit: 500).filter { $0.id != scan.id }
            let alerts = try Self.raise(db, scan: scan, facts: facts, earlier: earlier, evaluate: evaluate)
            return .success(ScanOutcome(scan: scan, facts: facts, alerts: alerts))
        }
        return try outcome.refusing()
    }

    private static func raise(_ db: Database, scan: ScanRecord, facts: VerifyFacts?, earlier: [ScanRecord], evaluate: ScanEvaluator) throws -> [CounterfeitAlert] {
        let earlierAlerts = try Row.fetchAll(db, sql: "SELECT kind, at FROM alert WHERE code = ? ORDER BY id DESC LIMIT 200", arguments: [scan.code])
            .compactMap { row in AlertKind(rawValue: row[0]).map { (kind: $0, at: Timestamp(milliseconds: row[1])) } }
        var alerts = [CounterfeitAlert]()
        for draft in evaluate(scan, facts, earlier, earlierAlerts) {
            try db.execute(sql: """
                INSERT INTO alert (kind, code, at, region, producer, message, evidence, scan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [draft.kind.rawValue, scan.code, scan.at.milliseconds, scan.region, facts?.owner.rawValue, draft.message,
                                 try RetailRules.encode(draft.evidence), scan.id.uuidString.lowercased()])
            alerts.append(CounterfeitAlert(id: db.lastInsertedRowID, kind: draft.kind, code: scan.code, at: scan.at, region: scan.region,
                                           producer: facts?.owner, message: draft.message, evidence: draft.evidence))
        }
        return alerts
    }

    public func verifyFacts(_ code: String) async throws(StoreError) -> VerifyFacts? {
        try await read { db in try Self.verifyFacts(db, code: code) }
    }

    static func verifyFacts(_ db: Database, code: String) throws -> VerifyFacts? {
        try Row.fetchOne(db, sql: """
            SELECT c.code, c.owner_bin, a.name, w.product_name, c.product_code, c.status, c.activated_at, c.redeemed_at
            FROM code c JOIN waybill w ON w.id = c.waybill_id LEFT JOIN account a ON a.participant = c.owner_bin WHERE c.code = ?
            """, arguments: [code]).map { row in
            let redeemed: Int64? = row[7], activated: Int64? = row[6]
            let status = redeemed != nil ? CodeStatus.redeemed : CodeStatus(rawValue: row[5]) ?? .issued
            return VerifyFacts(code: row[0], owner: TaxpayerID(trustedRow: row[1]), ownerName: row[2], productName: row[3], productCode: row[4],
                               status: status, activatedAt: activated.map(Timestamp.init(milliseconds:)),
                               redeemedAt: redeemed.map(Timestamp.init(milliseconds:)))
        }
    }

    private static func scans(_ db: Database, code: String, limit: Int) throws -> [ScanRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM scan WHERE code = ? ORDER BY at DESC LIMIT ?", arguments: [code, limit]).compactMap(scan(row:)).reversed()
    }

    private static func scan(row: Row) -> ScanRecord? {
        guard let id = UUID(uuidString: row["id"]) else { return nil }
        let latitude: Double? = row["latitude"], longitude: Double? = row["longitude"]
        let location = latitude.flatMap { lat in longitude.map { ScanLocation(latitude: lat, longitude: $0, accuracy: row["accuracy"]) } }
        return ScanRecord(id: id, code: row["code"], at: Timestamp(milliseconds: row["at"]), verdict: VerifyVerdict(rawValue: row["verdict"]) ?? .unknown,
                          location: location, region: row["region"])
    }

    public func scans(code: String, limit: Int) async throws(StoreError) -> [ScanRecord] {
        try await read { db in try Self.scans(db, code: code, limit: limit) }
    }

    public func alerts(_ query: AlertQuery) async throws(StoreError) -> (items: [CounterfeitAlert], last: Int64?) {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM alert WHERE id < ? AND kind = COALESCE(?, kind) AND code = COALESCE(?, code)
                AND COALESCE(region, '') = COALESCE(?, COALESCE(region, '')) AND COALESCE(producer, '') = COALESCE(?, COALESCE(producer, ''))
                AND at >= ? AND at < ? ORDER BY id DESC LIMIT ?
                """, arguments: [query.before ?? Int64.max, query.kind?.rawValue, query.code, query.region, query.producer?.rawValue,
                                 query.from?.milliseconds ?? Int64.min, query.to?.milliseconds ?? Int64.max, query.limit])
            let items = try rows.map(Self.alert(row:))
            return (items, rows.count == query.limit ? items.last?.id : nil)
        }
    }

    public func alerts(after: Int64, limit: Int) async throws(StoreError) -> [CounterfeitAlert] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alert WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit]).map(Self.alert(row:))
        }
    }

    private static func alert(row: Row) throws -> CounterfeitAlert {
        let producer: String? = row["producer"]
        return CounterfeitAlert(id: row["id"], kind: AlertKind(rawValue: row["kind"]) ?? .unknownScanned, code: row["code"],
                                at: Timestamp(milliseconds: row["at"]), region: row["region"], producer: producer.map(TaxpayerID.init(trustedRow:)),
                                message: row["message"], evidence: try RetailRules.decode(AlertEvidence.self, row["evidence"]))
    }

    public func scanReport(from: Timestamp, to: Timestamp) async throws(StoreError) -> ScanReport {
        try await read { db in
            var builder = RetailRules.ReportBuilder()
            for row in try Row.fetchAll(db, sql: """
                SELECT COALESCE(region, 'unknown'), verdict, COUNT(*) FROM scan WHERE at >= ? AND at < ? GROUP BY 1, 2
                """, arguments: [from.milliseconds, to.milliseconds]) {
                builder.scans(region: row[0], verdict: row[1], count: row[2])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT COALESCE(region, 'unknown'), kind, COUNT(*) FROM alert WHERE at >= ? AND at < ? GROUP BY 1, 2
                """, arguments: [from.milliseconds, to.milliseconds]) {
                builder.alerts(region: row[0], kind: row[1], count: row[2])
            }
            return builder.report(from: from, to: to)
        }
    }
}
