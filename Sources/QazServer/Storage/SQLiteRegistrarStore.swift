import Foundation
import GRDB
import LineCore
import QazAPI

/// The embedded SQLite backend (GRDB): WAL, `synchronous = FULL` (an acknowledged batch survives a power cut),
/// named append-only migrations, `UNIQUE(code)`, each operation one transaction.
///
/// SQLite has one writer at a time: GRDB serialises writes on the pool's writer queue, which is also what makes
/// idempotency hold under concurrent re-sends (the second one waits, then finds the batch id). Reads (look-ups,
/// pools, stored answers, tokens) run concurrently on the WAL readers.
public final class SQLiteRegistrarStore: RegistrarStore {
    let writer: any DatabaseWriter

    /// Opens (and creates) a database file in WAL mode. Call ``migrate()`` before use.
    /// - Throws: ``StoreError/newerSchema(database:unknown:newestKnown:)`` for a file a newer qazserver migrated, read
    ///   read-only first so that the refused file stays byte for byte as it was (opening switches a file to WAL).
    public init(path: String) throws(StoreError) {
        if FileManager.default.fileExists(atPath: path), let refusal = try Self.schema(path: path).refusal(database: path) {
            throw refusal
        }
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            writer = try DatabasePool(path: path, configuration: Self.configuration())
        } catch {
            throw Self.map(error)
        }
    }

    /// An in-memory database (tests). Call ``migrate()`` before use.
    public init() throws(StoreError) {
        do { writer = try DatabaseQueue(configuration: Self.configuration()) } catch { throw Self.map(error) }
    }

    /// The connection settings: `synchronous = FULL` (an acknowledged batch survives a power cut) and a 64 MiB page
    /// cache per connection (the code table and its indexes are hundreds of MiB at millions of codes).
    public static func configuration() -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        return config
    }

    /// The named, append-only migrations. Never edit a registered migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-registrar") { db in
            try db.execute(sql: """
                CREATE TABLE waybill (
                    id INTEGER PRIMARY KEY,
                    number TEXT NOT NULL UNIQUE,
                    body_hash BLOB NOT NULL,
                    date TEXT NOT NULL,
                    issued_on TEXT NOT NULL,
                    month TEXT NOT NULL,
                    application_number TEXT NOT NULL,
                    application_date TEXT NOT NULL,
                    recipient_bin TEXT NOT NULL,
                    recipient_name TEXT NOT NULL,
                    product_name TEXT NOT NULL,
                    product_type TEXT NOT NULL,
                    capacity_ml INTEGER NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    recorded_at INTEGER NOT NULL
                );
                CREATE TABLE waybill_range (
                    waybill_id INTEGER NOT NULL REFERENCES waybill(id),
                    series TEXT NOT NULL,
                    first INTEGER NOT NULL,
                    last INTEGER NOT NULL CHECK (last >= first)
                );
                CREATE TABLE activation_batch (
                    id INTEGER PRIMARY KEY,
                    batch_id TEXT NOT NULL UNIQUE,
                    participant_bin TEXT NOT NULL,
                    line_id TEXT NOT NULL,
                    equipment_id TEXT NOT NULL,
                    body_hash BLOB NOT NULL,
                    item_count INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    results BLOB NOT NULL
                );
                CREATE TABLE code (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL UNIQUE,
                    series TEXT NOT NULL,
                    number INTEGER NOT NULL,
                    owner_bin TEXT NOT NULL,
                    waybill_id INTEGER NOT NULL REFERENCES waybill(id),
                    status TEXT NOT NULL CHECK (status IN ('issued', 'activated', 'writtenOff')),
                    product_code TEXT,
                    activated_at INTEGER,
                    activation_batch INTEGER REFERENCES activation_batch(id),
                    written_off_at INTEGER,
                    write_off_reason TEXT,
                    UNIQUE (series, number)
                );
                CREATE INDEX code_pool ON code(owner_bin, status, code);
                CREATE TABLE monthly_counter (
                    participant_bin TEXT NOT NULL,
                    month TEXT NOT NULL,
                    received INTEGER NOT NULL DEFAULT 0,
                    activated INTEGER NOT NULL DEFAULT 0,
                    written_off INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (participant_bin, month)
                ) WITHOUT ROWID;
                CREATE TABLE api_token (
                    id TEXT PRIMARY KEY,
                    hash BLOB NOT NULL UNIQUE,
                    participant_bin TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('producer', 'importer', 'banknote-factory', 'revenue-body', 'registrar')),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER
                );
                """)
        }
        migrator.registerMigration("v2-reports") { db in
            // The reports' identity block reads a participant's latest waybill.
            try db.execute(sql: "CREATE INDEX waybill_recipient ON waybill(recipient_bin, id)")
        }
        migrator.registerMigration("v3-activation-stream") { db in
            // The live stream's event ids: one per activated code, assigned at commit from a one-row counter (SQLite has
            // one writer, so ids increase in commit order without gaps). Codes activated before this migration are
            // numbered in batch order. Partial indexes: issued codes (most rows) pay nothing.
            try db.execute(sql: """
                ALTER TABLE code ADD COLUMN activation_seq INTEGER;
                CREATE TABLE activation_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
                UPDATE code SET activation_seq = s.seq
                    FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY activation_batch, id) AS seq FROM code WHERE status = 'activated') AS s
                    WHERE code.id = s.id;
                INSERT INTO activation_sequence (id, last) SELECT 1, COALESCE(MAX(activation_seq), 0) FROM code;
                CREATE UNIQUE INDEX code_activation_seq ON code(activation_seq) WHERE activation_seq IS NOT NULL;
                CREATE INDEX code_owner_activation_seq ON code(owner_bin, activation_seq) WHERE activation_seq IS NOT NULL;
                """)
        }
        migrator.registerMigration("v4-activation-time") { db in
            // The console's activations per hour read a time range of activated codes (issued codes pay nothing).
            try db.execute(sql: "CREATE INDEX code_activated_at ON code(activated_at, owner_bin) WHERE activation_seq IS NOT NULL")
        }
        migrator.registerMigration("v5-aggregation") { db in
            // Aggregation (issue 15). `unit`: one row per packing of a case or pallet code (a dissolved code packed again
            // gets a new row), at most one packed row per code. `unit_content`: what it held when packed, kept after it is
            // dissolved (stamp codes of a case, unit codes of a pallet's cases), paged in code order. `code_case`: the
            // packed case a stamp code is in now (a row only while packed, so a code is in at most one case). A case's
            // current pallet is `unit.pallet_id`. `aggregation_event`: each event id's digest and its answer as JSON.
            try db.execute(sql: """
                CREATE TABLE unit (
                    id INTEGER PRIMARY KEY,
                    code TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('case', 'pallet')),
                    owner_bin TEXT NOT NULL,
                    line_id TEXT NOT NULL,
                    equipment_id TEXT NOT NULL,
                    packed_at INTEGER NOT NULL,
                    packed_event TEXT NOT NULL,
                    dissolved_at INTEGER,
                    dissolved_event TEXT,
                    pallet_id INTEGER REFERENCES unit(id),
                    content_count INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX unit_packed ON unit(code) WHERE dissolved_at IS NULL;
                CREATE INDEX unit_code ON unit(code, id);
                CREATE INDEX unit_pallet ON unit(pallet_id) WHERE pallet_id IS NOT NULL;
                CREATE TABLE unit_content (
                    unit_id INTEGER NOT NULL REFERENCES unit(id),
                    content TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (unit_id, content)
                ) WITHOUT ROWID;
                CREATE TABLE code_case (
                    code_id INTEGER PRIMARY KEY REFERENCES code(id),
                    unit_id INTEGER NOT NULL REFERENCES unit(id)
                );
                CREATE INDEX code_case_unit ON code_case(unit_id);
                CREATE TABLE aggregation_event (
                    id INTEGER PRIMARY KEY,
                    event_id TEXT NOT NULL UNIQUE,
                    participant_bin TEXT NOT NULL,
                    digest BLOB NOT NULL,
                    received_at INTEGER NOT NULL,
                    result TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v6-actor") { db in
            // Who did it (cl. 24(2): the registrar may perform any participant's operation, recorded as its own): the
            // token's participant that filed an activation batch or App. 8 report, wrote a code off, or sent an
            // aggregation event; `participant_bin` and `owner_bin` stay the participant the operation was for. Before
            // this migration only the participant itself activated and packed, so those rows are its own; who wrote a
            // code off (the owner or the registrar) was not kept, so it stays NULL.
            try db.execute(sql: """
                ALTER TABLE activation_batch ADD COLUMN actor_bin TEXT;
                UPDATE activation_batch SET actor_bin = participant_bin;
                ALTER TABLE code ADD COLUMN written_off_by TEXT;
                ALTER TABLE aggregation_event ADD COLUMN actor_bin TEXT;
                UPDATE aggregation_event SET actor_bin = participant_bin;
                """)
        }
        registerTradeMigration(&migrator)
        registerRetailMigration(&migrator)
        registerClusterMigration(&migrator)
        return migrator
    }

    /// Runs the migrations this database lacks. A database a newer qazserver migrated (it has migration names this
    /// binary does not know) is refused with ``StoreError/newerSchema(database:unknown:newestKnown:)`` before anything
    /// is written to it.
    public func migrate() async throws(StoreError) {
        do {
            let migrator = Self.migrator
            let applied = try await writer.read { db in try Self.appliedMigrations(db) }
            if let refusal = RegistrarSchema(applied: applied, known: migrator.migrations).refusal(database: writer.path) { throw refusal }
            try migrator.migrate(writer)
        } catch {
            throw Self.map(error)
        }
    }

    public func ping() async throws(StoreError) {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Waybills

    public func recordWaybill(_ command: WaybillCommand) async throws(StoreError) -> Stored<WaybillReceipt> {
        try await write { db in
            let w = command.waybill
            if let row = try Row.fetchOne(db, sql: "SELECT body_hash, recipient_bin, quantity, month, recorded_at FROM waybill WHERE number = ?",
                                          arguments: [w.number]) {
                let hash: Data = row[0]
                guard Array(hash) == command.bodyHash else { throw StoreError.idempotencyConflict("waybill \(w.number)") }
                let receipt = WaybillReceipt(number: w.number, recipient: TaxpayerID(trustedRow: row[1]), issued: row[2],
                                             month: ReportingMonth(row[3] as String)!, recordedAt: Timestamp(milliseconds: row[4]))
                return Stored(value: receipt, replayed: true)
            }
            let month = w.issuedOn.reportingMonth
            let application = try Row.fetchOne(db, sql: "SELECT status, date, quantity, issued, kind FROM application WHERE applicant = ? AND number = ?",
                                               arguments: [w.recipient.bin.rawValue, w.application.number])
            if command.requireApplication {
                let fact = application.map { TradeRules.ApplicationFact(status: $0[0], date: $0[1], quantity: $0[2], issued: $0[3]) }
                if let refusal = TradeRules.waybillApplication(w, fact: fact) { throw StoreError.refused(refusal) }
            }
            if application != nil {
                try db.execute(sql: "UPDATE application SET issued = issued + ? WHERE applicant = ? AND number = ?",
                               arguments: [w.quantity, w.recipient.bin.rawValue, w.application.number])
            }
            try db.execute(sql: "INSERT OR IGNORE INTO account (participant, name, kind, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [w.recipient.bin.rawValue, w.recipient.name,
                                       (application?[4] as String?) == "import" ? "importer" : "producer", command.recordedAt.milliseconds])
            try db.execute(sql: """
                INSERT INTO waybill (number, body_hash, date, issued_on, month, application_number, application_date,
                    recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [w.number, Data(command.bodyHash), w.date.description, w.issuedOn.description, month.description,
                                 w.application.number, w.application.date.description, w.recipient.bin.rawValue, w.recipient.name,
                                 w.product.name, w.product.type, w.product.capacityMl, w.quantity, command.recordedAt.milliseconds])
            let waybillID = db.lastInsertedRowID
            for range in w.ranges {
                try db.execute(sql: "INSERT INTO waybill_range (waybill_id, series, first, last) VALUES (?, ?, ?, ?)",
                               arguments: [waybillID, range.series.rawValue, range.first.value, range.last.value])
            }
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO code (code, series, number, owner_bin, waybill_id, status) VALUES (?, ?, ?, ?, ?, 'issued')
                """)
            var clashes = [String]()
            for (entry, code) in zip(w.codes, command.codes) {
                try insert.execute(arguments: [code.rawValue, entry.series.rawValue, entry.number.value, w.recipient.bin.rawValue, waybillID])
                if db.changesCount == 0 { clashes.append(code.rawValue) }
            }
            if !clashes.isEmpty { throw StoreError.alreadyIssued(clashes) }
            try Self.log(db, participant: w.recipient.bin.rawValue, actor: (command.actor ?? w.recipient.bin).rawValue, kind: .codesIssued,
                         at: command.recordedAt, reference: w.number, count: w.codes.count,
                         detail: "application \(w.application.number) of \(w.application.date)")
            try Self.bump(db, participant: w.recipient.bin.rawValue, month: month.description, column: "received", by: w.codes.count)
            return Stored(value: WaybillReceipt(number: w.number, recipient: w.recipient.bin, issued: w.codes.count, month: month,
                                                recordedAt: command.recordedAt), replayed: false)
        }
    }

    // MARK: Activations

    public func activate(_ command: ActivationCommand) async throws(StoreError) -> Stored<ActivationReceipt> {
        try await write { db in
            let batchText = command.batchId.uuidString.lowercased()
            if let row = try Row.fetchOne(db, sql: "SELECT body_hash, participant_bin, line_id, equipment_id, received_at, results, actor_bin FROM activation_batch WHERE batch_id = ?",
                                          arguments: [batchText]) {
                let hash: Data = row[0]
                guard Array(hash) == command.bodyHash else { throw StoreError.idempotencyConflict("batch \(batchText)") }
                return Stored(value: try Self.receipt(batchId: command.batchId, row: row, resultsColumn: 5), replayed: true)
            }
            try db.execute(sql: """
                INSERT INTO activation_batch (batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results, actor_bin)
                VALUES (?, ?, ?, ?, ?, ?, ?, x'', ?)
                """, arguments: [batchText, command.participant.rawValue, command.lineId, command.equipmentId, Data(command.bodyHash),
                                 command.items.count, command.receivedAt.milliseconds, command.actor.rawValue])
            let batchRow = db.lastInsertedRowID
            let lookup = try db.cachedStatement(sql: "SELECT id, owner_bin, status, activated_at, series, number FROM code WHERE code = ?")
            let update = try db.cachedStatement(sql: """
                UPDATE code SET status = 'activated', product_code = ?, activated_at = ?, activation_batch = ?, activation_seq = ? WHERE id = ?
                """)
            let firstSeq = try Int64.fetchOne(db, sql: "SELECT last FROM activation_sequence WHERE id = 1") ?? 0
            var seq = firstSeq
            let participant = command.participant.rawValue
            var results = [ActivationResult]()
            results.reserveCapacity(command.items.count)
            var perMonth = [String: Int]()
            var months = MonthKeys()
            for (index, item) in command.items.enumerated() {
                switch item {
                case .malformed(let text, let reason):
                    results.append(ActivationResult(code: text, result: .malformed, reason: reason))
                case .code(let text, let code, let activatedAt, let productCode):
                    lookup.setUncheckedArguments([code.rawValue])
                    guard let row = try Row.fetchOne(lookup) else {
                        results.append(ActivationResult(code: text, result: .unknown))
                        continue
                    }
                    let owner: String = row[1]
                    guard owner == participant else {
                        results.append(ActivationResult(code: text, result: .foreign))
                        continue
                    }
                    if let stamps = command.affixedStamps {
                        let series: String = row[4], number: Int = row[5]
                        if stamps[index].series.rawValue != series || stamps[index].number.value != number {
                            results.append(ActivationResult(code: text, result: .malformed,
                                                            reason: Self.stampMismatch(affixed: stamps[index], series: series, number: number)))
                            continue
                        }
                    }
                    let status: String = row[2]
                    switch status {
                    case "issued":
                        let id: Int64 = row[0]
                        seq += 1
                        update.setUncheckedArguments([productCode, activatedAt.milliseconds, batchRow, seq, id])
                        try update.execute()
                        results.append(ActivationResult(code: text, result: .activated, activatedAt: activatedAt))
                        perMonth[months.key(for: activatedAt), default: 0] += 1
                    case "activated":
                        let earlier: Int64? = row[3]
                        results.append(ActivationResult(code: text, result: .alreadyActivated,
                                                        activatedAt: earlier.map(Timestamp.init(milliseconds:))))
                    default:
                        results.append(ActivationResult(code: text, result: .writtenOff))
                    }
                }
            }
            for (month, count) in perMonth {
                try Self.bump(db, participant: participant, month: month, column: "activated", by: count)
            }
            if seq != firstSeq {
                try Self.log(db, participant: participant, actor: command.actor.rawValue, kind: .activated, at: command.receivedAt,
                             reference: batchText, count: Int(seq - firstSeq), detail: Self.activationDetail(command))
            }
            if seq != firstSeq { try db.execute(sql: "UPDATE activation_sequence SET last = ? WHERE id = 1", arguments: [seq]) }
            try db.execute(sql: "UPDATE activation_batch SET results = ? WHERE id = ?",
                           arguments: [Data(ReceiptCodec.encode(results)), batchRow])
            return Stored(value: ActivationReceipt(batchId: command.batchId, participant: command.participant, lineId: command.lineId,
                                                   equipmentId: command.equipmentId, receivedAt: command.receivedAt, results: results,
                                                   actor: command.actor),
                          replayed: false)
        }
    }

    /// The per-code reason of an App. 8 row whose stamp is not the one its code was issued on.
    static func stampMismatch(affixed: StampID, series: String, number: Int) -> String {
        "stamp_mismatch: affixed stamp \(affixed) but the code was issued on \(series) \(StampNumber(number).map { "\($0)" } ?? String(number))"
    }

    public func activation(batchId: UUID) async throws(StoreError) -> ActivationReceipt? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT body_hash, participant_bin, line_id, equipment_id, received_at, results, actor_bin FROM activation_batch WHERE batch_id = ?",
                                             arguments: [batchId.uuidString.lowercased()]) else { return nil }
            return try Self.receipt(batchId: batchId, row: row, resultsColumn: 5)
        }
    }

    private static func receipt(batchId: UUID, row: Row, resultsColumn: Int) throws -> ActivationReceipt {
        let blob: Data = row[resultsColumn]
        guard let results = ReceiptCodec.decode(Array(blob)) else { throw StoreError.failure("stored results of batch \(batchId) are unreadable") }
        let actor: String? = row[resultsColumn + 1]
        return ActivationReceipt(batchId: batchId, participant: TaxpayerID(trustedRow: row[1]), lineId: row[2], equipmentId: row[3],
                                 receivedAt: Timestamp(milliseconds: row[4]), results: results, actor: actor.map(TaxpayerID.init(trustedRow:)))
    }

    // MARK: The activation stream

    public func activations(after: Int64, participant: TaxpayerID?, limit: Int) async throws(StoreError) -> [ActivationEvent] {
        try await read { db in
            let filter = participant == nil ? "" : "AND c.owner_bin = ?"
            var arguments: StatementArguments = [after]
            if let participant { arguments += [participant.rawValue] }
            arguments += [limit]
            return try Row.fetchAll(db, sql: """
                SELECT c.activation_seq, c.code, c.owner_bin, b.line_id, b.equipment_id, c.product_code, c.activated_at, b.batch_id
                FROM code c JOIN activation_batch b ON b.id = c.activation_batch
                WHERE c.activation_seq IS NOT NULL AND c.activation_seq > ? \(filter)
                ORDER BY c.activation_seq LIMIT ?
                """, arguments: arguments).map { row in
                let product: String? = row[5], batch: String = row[7]
                guard let batchId = UUID(uuidString: batch) else { throw StoreError.failure("stored batch id \(batch) is not a UUID") }
                return ActivationEvent(id: row[0], code: row[1], participant: TaxpayerID(trustedRow: row[2]), lineId: row[3],
                                       equipmentId: row[4], productCode: product?.isEmpty == false ? product : nil,
                                       activatedAt: Timestamp(milliseconds: row[6]), batchId: batchId)
            }
        }
    }

    public func latestActivationEventID() async throws(StoreError) -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT last FROM activation_sequence WHERE id = 1") ?? 0 }
    }

    // MARK: Look-ups

    public func code(_ code: StampCode) async throws(StoreError) -> CodeInfo? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.code, c.status, c.owner_bin, c.series, c.number, w.number, w.issued_on, w.product_name, c.product_code,
                       c.activated_at, b.line_id, b.equipment_id, b.batch_id, c.written_off_at, c.write_off_reason, u.code, p.code,
                       b.actor_bin, c.written_off_by, c.redeemed_at, c.redeemed_by
                FROM code c JOIN waybill w ON w.id = c.waybill_id LEFT JOIN activation_batch b ON b.id = c.activation_batch
                LEFT JOIN code_case cc ON cc.code_id = c.id LEFT JOIN unit u ON u.id = cc.unit_id LEFT JOIN unit p ON p.id = u.pallet_id
                WHERE c.code = ?
                """, arguments: [code.rawValue]) else { return nil }
            let activatedBy: String? = row[17]
            let writtenOffBy: String? = row[18]
            let inCase: String? = row[15]
            let onPallet: String? = row[16]
            let activated: Int64? = row[9]
            let writtenOff: Int64? = row[13]
            let batch: String? = row[12]
            let redeemedAt: Int64? = row[19], redeemedBy: String? = row[20]
            return CodeInfo(code: row[0], status: RetailRules.status(stored: row[1], redeemed: redeemedBy != nil), owner: TaxpayerID(trustedRow: row[2]),
                            series: StampSeries(row[3] as String)!, number: StampNumber(row[4] as Int)!, waybillNumber: row[5],
                            issuedOn: CalendarDate(row[6] as String)!, productName: row[7], productCode: row[8],
                            activatedAt: activated.map(Timestamp.init(milliseconds:)), lineId: row[10], equipmentId: row[11],
                            batchId: batch.flatMap(UUID.init(uuidString:)),
                            writtenOffAt: writtenOff.map(Timestamp.init(milliseconds:)), writeOffReason: row[14],
                            case: inCase.map(UnitCode.init(trusted:)), pallet: onPallet.map(UnitCode.init(trusted:)),
                            activatedBy: activatedBy.map(TaxpayerID.init(trustedRow:)), writtenOffBy: writtenOffBy.map(TaxpayerID.init(trustedRow:)))
                            .redeemed(at: redeemedAt, by: redeemedBy)
        }
    }

    public func pool(owner: TaxpayerID, status: CodeStatus, after: String?, limit: Int) async throws(StoreError) -> [PoolCode] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT code, series, number FROM code WHERE owner_bin = ? AND status = ? AND (redeemed_by IS NOT NULL) = ? AND code > ?
                ORDER BY code LIMIT ?
                """, arguments: [owner.rawValue, status == .redeemed ? CodeStatus.activated.rawValue : status.rawValue, status == .redeemed, after ?? "",
                                 limit]).map { row in
                PoolCode(code: row[0], series: StampSeries(row[1] as String)!, number: StampNumber(row[2] as Int)!)
            }
        }
    }

    // MARK: Aggregation

    public func aggregate(_ command: AggregationCommand) async throws(StoreError) -> AggregationReceipt {
        // One write transaction for the request: SQLite has one writer, so the facts an event reads stay true until it
        // writes. An event's checks all run before its first write, so a refused event leaves nothing behind.
        try await write { db in
            var results = [AggregationResult]()
            results.reserveCapacity(command.events.count)
            for event in command.events {
                results.append(try Self.apply(event, command: command, db: db))
            }
            return AggregationReceipt(participant: command.participant, receivedAt: command.receivedAt, results: results, actor: command.actor)
        }
    }

    private static func apply(_ event: AggregationEventCommand, command: AggregationCommand, db: Database) throws -> AggregationResult {
        let eventText = event.eventId.uuidString.lowercased()
        if let row = try Row.fetchOne(db, sql: "SELECT digest, result FROM aggregation_event WHERE event_id = ?", arguments: [eventText]) {
            let digest: Data = row[0]
            guard Array(digest) == event.digest else { return AggregationRules.conflict(event) }
            return try AggregationRules.replay(row[1], eventId: event.eventId)
        }
        let participant = command.participant.rawValue
        let result = try decide(event, participant: participant, command: command, db: db)
        try db.execute(sql: "INSERT INTO aggregation_event (event_id, participant_bin, digest, received_at, result, actor_bin) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [eventText, participant, Data(event.digest), command.receivedAt.milliseconds, try AggregationRules.encode(result),
                                   command.actor.rawValue])
        return result
    }

    /// Checks an event against storage and, when nothing refuses it, writes it.
    private static func decide(_ event: AggregationEventCommand, participant: String, command: AggregationCommand,
                               db: Database) throws -> AggregationResult {
        let applied = AggregationResult(eventId: event.eventId, unit: event.unit, result: .applied)
        let eventText = event.eventId.uuidString.lowercased()
        switch (event.kind, event.contents) {
        case (_, .refused(let refusal)):
            return refusal.result(for: event)
        case (.casePacked, .stampCodes(let codes)):
            if let refusal = AggregationRules.newUnit(event.unit, kind: .case, participant: participant, latest: try latestUnit(event.unit.rawValue, db)) {
                return refusal.result(for: event)
            }
            let lookup = try db.cachedStatement(sql: """
                SELECT c.id, c.owner_bin, c.status, u.code, c.holder_bin, o.id FROM code c
                LEFT JOIN code_case cc ON cc.code_id = c.id LEFT JOIN unit u ON u.id = cc.unit_id
                LEFT JOIN trade_order o ON o.seq = c.pending_order AND o.expires_at > ? WHERE c.code = ?
                """)
            var facts = [String: StampFact](minimumCapacity: codes.count)
            for entry in codes {
                if let row = try Row.fetchOne(lookup, arguments: [command.receivedAt.milliseconds, entry.code.rawValue]) {
                    facts[entry.code.rawValue] = StampFact(id: row[0], owner: row[1], status: row[2], inCase: row[3], holder: row[4], pendingOrder: row[5])
                }
            }
            if let refusal = AggregationRules.casePacked(codes, facts: facts, participant: participant) { return refusal.result(for: event) }
            let unitID = try insertUnit(event, kind: .case, count: codes.count, command: command, db: db)
            let content = try db.cachedStatement(sql: "INSERT INTO unit_content (unit_id, content, position) VALUES (?, ?, ?)")
            let membership = try db.cachedStatement(sql: "INSERT INTO code_case (code_id, unit_id) VALUES (?, ?)")
            for (position, entry) in codes.enumerated() {
                try content.execute(arguments: [unitID, entry.code.rawValue, position])
                try membership.execute(arguments: [facts[entry.code.rawValue]!.id, unitID])
            }
            return applied
        case (.palletBuilt, .units(let cases)):
            if let refusal = AggregationRules.newUnit(event.unit, kind: .pallet, participant: participant, latest: try latestUnit(event.unit.rawValue, db)) {
                return refusal.result(for: event)
            }
            var facts = [String: UnitFact](minimumCapacity: cases.count)
            for entry in cases {
                if let fact = try latestUnit(entry.code.rawValue, db) { facts[entry.code.rawValue] = fact }
            }
            if let refusal = AggregationRules.palletBuilt(cases, facts: facts, participant: participant) { return refusal.result(for: event) }
            let members = try tradedMembers(of: cases.compactMap { facts[$0.code.rawValue]?.id }, participant: participant, now: command.receivedAt, db)
            if let refusal = AggregationRules.trade(members, participant: participant) { return refusal.result(for: event) }
            let unitID = try insertUnit(event, kind: .pallet, count: cases.count, command: command, db: db)
            let content = try db.cachedStatement(sql: "INSERT INTO unit_content (unit_id, content, position) VALUES (?, ?, ?)")
            let stack = try db.cachedStatement(sql: "UPDATE unit SET pallet_id = ? WHERE id = ?")
            for (position, entry) in cases.enumerated() {
                try content.execute(arguments: [unitID, entry.code.rawValue, position])
                try stack.execute(arguments: [unitID, facts[entry.code.rawValue]!.id])
            }
            return applied
        case (.caseDissolved, .none), (.palletDissolved, .none):
            let kind: UnitKind = event.kind == .caseDissolved ? .case : .pallet
            let current = try latestUnit(event.unit.rawValue, db)
            if let refusal = AggregationRules.dissolve(event.unit, kind: kind, participant: participant, current: current) {
                return refusal.result(for: event)
            }
            let unitID = current!.id
            let cases = kind == .case ? [unitID] : try Int64.fetchAll(db, sql: "SELECT id FROM unit WHERE pallet_id = ?", arguments: [unitID])
            let members = try tradedMembers(of: cases, participant: participant, now: command.receivedAt, db)
            if let refusal = AggregationRules.trade(members, participant: participant) { return refusal.result(for: event) }
            try db.execute(sql: "UPDATE unit SET dissolved_at = ?, dissolved_event = ? WHERE id = ?",
                           arguments: [event.at.milliseconds, eventText, unitID])
            if kind == .case {
                try db.execute(sql: "DELETE FROM code_case WHERE unit_id = ?", arguments: [unitID])
            } else {
                try db.execute(sql: "UPDATE unit SET pallet_id = NULL WHERE pallet_id = ?", arguments: [unitID])
            }
            return applied
        default:
            throw StoreError.failure("aggregation event \(eventText): \(event.kind.rawValue) with contents of another kind")
        }
    }

    /// The bottles of these packed cases that are no longer the participant's to pack or unpack (cl. 23): handed to a buyer,
    /// or in a sale order pending signature that has not expired by `now`.
    private static func tradedMembers(of cases: [Int64], participant: String, now: Timestamp, _ db: Database) throws -> [(text: String, fact: StampFact?)] {
        guard !cases.isEmpty else { return [] }
        return try Row.fetchAll(db, sql: """
            SELECT c.code, c.holder_bin, o.id FROM code_case cc JOIN code c ON c.id = cc.code_id
            LEFT JOIN trade_order o ON o.seq = c.pending_order AND o.expires_at > ?
            WHERE cc.unit_id IN (\(cases.map { _ in "?" }.joined(separator: ","))) AND (c.holder_bin IS NOT NULL OR o.id IS NOT NULL)
            ORDER BY c.code
            """, arguments: StatementArguments([now.milliseconds] + cases)).map { row in
            (row[0], StampFact(id: 0, owner: participant, status: "activated", inCase: nil, holder: row[1], pendingOrder: row[2]))
        }
    }

    /// The latest packing of a unit code (the current one while packed), with the pallet a packed case is on.
    private static func latestUnit(_ code: String, _ db: Database) throws -> UnitFact? {
        let statement = try db.cachedStatement(sql: """
            SELECT u.id, u.code, u.kind, u.owner_bin, u.dissolved_at IS NULL, p.code FROM unit u LEFT JOIN unit p ON p.id = u.pallet_id
            WHERE u.code = ? ORDER BY u.id DESC LIMIT 1
            """)
        guard let row = try Row.fetchOne(statement, arguments: [code]) else { return nil }
        return UnitFact(id: row[0], code: row[1], kind: UnitKind(rawValue: row[2]) ?? .case, owner: row[3], packed: row[4], pallet: row[5])
    }

    private static func insertUnit(_ event: AggregationEventCommand, kind: UnitKind, count: Int, command: AggregationCommand,
                                   db: Database) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO unit (code, kind, owner_bin, line_id, equipment_id, packed_at, packed_event, content_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [event.unit.rawValue, kind.rawValue, command.participant.rawValue, command.lineId, command.equipmentId,
                             event.at.milliseconds, event.eventId.uuidString.lowercased(), count])
        return db.lastInsertedRowID
    }

    public func unit(_ code: UnitCode, after: String?, limit: Int) async throws(StoreError) -> UnitInfo? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT u.id, u.code, u.kind, u.owner_bin, u.line_id, u.equipment_id, u.packed_at, u.dissolved_at, p.code, u.content_count,
                       e.actor_bin
                FROM unit u LEFT JOIN unit p ON p.id = u.pallet_id LEFT JOIN aggregation_event e ON e.event_id = u.packed_event
                WHERE u.code = ? ORDER BY u.id DESC LIMIT 1
                """, arguments: [code.rawValue]) else { return nil }
            let unitID: Int64 = row[0]
            let contents = try String.fetchAll(db, sql: """
                SELECT content FROM unit_content WHERE unit_id = ? AND content > ? ORDER BY content LIMIT ?
                """, arguments: [unitID, after ?? "", limit])
            let dissolved: Int64? = row[7]
            let pallet: String? = row[8]
            let packedBy: String? = row[10]
            return UnitInfo(unit: UnitCode(trusted: row[1]), kind: UnitKind(rawValue: row[2]) ?? .case,
                            status: dissolved == nil ? .packed : .dissolved, owner: TaxpayerID(trustedRow: row[3]), lineId: row[4],
                            equipmentId: row[5], packedAt: Timestamp(milliseconds: row[6]), dissolvedAt: dissolved.map(Timestamp.init(milliseconds:)),
                            pallet: pallet.map(UnitCode.init(trusted:)), count: row[9], contents: contents,
                            next: contents.count == limit ? contents.last : nil, packedBy: packedBy.map(TaxpayerID.init(trustedRow:)))
        }
    }

    // MARK: Write-offs

    public func writeOff(_ command: WriteOffCommand) async throws(StoreError) -> WriteOffReceipt {
        try await write { db in
            let lookup = try db.cachedStatement(sql: "SELECT id, owner_bin, status FROM code WHERE code = ?")
            let update = try db.cachedStatement(sql: """
                UPDATE code SET status = 'writtenOff', written_off_at = ?, write_off_reason = ?, written_off_by = ? WHERE id = ?
                """)
            var results = [WriteOffResult]()
            var notOwned = [String]()
            var perOwner = [String: Int]()
            for item in command.items {
                switch item {
                case .malformed(let text, _):
                    results.append(WriteOffResult(code: text, result: .malformed))
                case .code(let text, let code, _, _):
                    guard let row = try Row.fetchOne(lookup, arguments: [code.rawValue]) else {
                        results.append(WriteOffResult(code: text, result: .unknown))
                        continue
                    }
                    let owner: String = row[1]
                    if let participant = command.participant, participant.rawValue != owner {
                        notOwned.append(text)
                        continue
                    }
                    switch row[2] as String {
                    case "issued":
                        try update.execute(arguments: [command.writtenOffAt.milliseconds, command.reason, command.requester.rawValue, row[0] as Int64])
                        perOwner[owner, default: 0] += 1
                        results.append(WriteOffResult(code: text, result: .writtenOff))
                    case "activated":
                        results.append(WriteOffResult(code: text, result: .activated))
                    default:
                        results.append(WriteOffResult(code: text, result: .alreadyWrittenOff))
                    }
                }
            }
            if !notOwned.isEmpty { throw StoreError.notOwner(notOwned) }
            let month = command.writtenOffAt.reportingMonth.description
            for (owner, count) in perOwner {
                try Self.bump(db, participant: owner, month: month, column: "written_off", by: count)
            }
            for (owner, count) in perOwner {
                try Self.log(db, participant: owner, actor: command.requester.rawValue, kind: .writtenOff, at: .now,
                             count: count, detail: "\(command.reason) (dated \(command.writtenOffAt.astana))")
            }
            return WriteOffReceipt(participant: command.requester, results: results)
        }
    }

    // MARK: Counters

    public func monthlyCounters(participant: TaxpayerID) async throws(StoreError) -> [MonthlyCounters] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT month, received, activated, written_off FROM monthly_counter WHERE participant_bin = ? ORDER BY month
                """, arguments: [participant.rawValue]).map { row in
                MonthlyCounters(participant: participant, month: ReportingMonth(row[0] as String)!, received: row[1],
                                activated: row[2], writtenOff: row[3])
            }
        }
    }

    public func participantName(_ participant: TaxpayerID) async throws(StoreError) -> String? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT recipient_name FROM waybill WHERE recipient_bin = ? ORDER BY id DESC LIMIT 1",
                                arguments: [participant.rawValue])
        }
    }

    /// Adds to one counter of a participant's month (creating the row).
    static func bump(_ db: Database, participant: String, month: String, column: String, by count: Int) throws {
        try db.execute(sql: """
            INSERT INTO monthly_counter (participant_bin, month, \(column)) VALUES (?, ?, ?)
            ON CONFLICT (participant_bin, month) DO UPDATE SET \(column) = \(column) + excluded.\(column)
            """, arguments: [participant, month, count])
    }

    // MARK: The console

    public func activationsPerHour(from: Timestamp, to: Timestamp) async throws(StoreError) -> [HourlyActivations] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT owner_bin, activated_at / 3600000 AS hour, COUNT(*) FROM code
                WHERE activation_seq IS NOT NULL AND activated_at >= ? AND activated_at < ?
                GROUP BY owner_bin, hour ORDER BY hour, owner_bin
                """, arguments: [from.milliseconds, to.milliseconds]).map { row in
                HourlyActivations(participant: TaxpayerID(trustedRow: row[0]), hour: Timestamp(milliseconds: (row[1] as Int64) * 3_600_000),
                                  count: row[2])
            }
        }
    }

    public func participants() async throws(StoreError) -> [ParticipantSummary] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.participant_bin,
                       (SELECT w.recipient_name FROM waybill w WHERE w.recipient_bin = p.participant_bin ORDER BY w.id DESC LIMIT 1)
                FROM (SELECT DISTINCT participant_bin FROM monthly_counter) p ORDER BY p.participant_bin
                """).map { row in ParticipantSummary(participant: TaxpayerID(trustedRow: row[0]), name: row[1]) }
        }
    }

    // MARK: Tokens

    public func saveToken(_ token: TokenRecord) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [token.id, Data(token.hash), token.participant.rawValue, token.role.rawValue, token.createdAt.milliseconds,
                                 token.expiresAt?.milliseconds, token.revokedAt?.milliseconds])
        }
    }

    public func token(hash: [UInt8]) async throws(StoreError) -> TokenRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE hash = ?", arguments: [Data(hash)]).map(Self.token(row:))
        }
    }

    public func revokeToken(id: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [time.milliseconds, id])
            return db.changesCount > 0
        }
    }

    public func tokens() async throws(StoreError) -> [TokenRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY created_at DESC, id").map(Self.token(row:))
        }
    }

    private static func token(row: Row) -> TokenRecord {
        let hash: Data = row["hash"]
        let expires: Int64? = row["expires_at"]
        let revoked: Int64? = row["revoked_at"]
        return TokenRecord(id: row["id"], hash: Array(hash), participant: TaxpayerID(trustedRow: row["participant_bin"]),
                           role: Role(rawValue: row["role"]) ?? .producer, createdAt: Timestamp(milliseconds: row["created_at"]),
                           expiresAt: expires.map(Timestamp.init(milliseconds:)), revokedAt: revoked.map(Timestamp.init(milliseconds:)))
    }

    // MARK: Plumbing

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do { return try await writer.write(body) } catch { throw Self.map(error) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do { return try await writer.read(body) } catch { throw Self.map(error) }
    }

    static func map(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN:
                return .unavailable("\(error.resultCode): \(error.message ?? "")")
            default:
                return .failure("\(error.resultCode): \(error.message ?? "")")
            }
        }
        if error is CancellationError { return .unavailable("cancelled") }
        return .failure("\(error)")
    }
}

/// The Astana reporting month of activation times, remembering the last month's bounds (a batch's times are
/// nearly always in one month, so this formats one key per batch instead of one per item).
struct MonthKeys {
    private var low: Int64 = 1
    private var high: Int64 = 0
    private var last = ""

    mutating func key(for time: Timestamp) -> String {
        if time.milliseconds >= low && time.milliseconds < high { return last }
        let month = time.reportingMonth
        low = Int64((month.start.timeIntervalSince1970 * 1000).rounded())
        high = Int64((month.end.timeIntervalSince1970 * 1000).rounded())
        last = month.description
        return last
    }
}

extension TaxpayerID {
    /// Wraps a BIN read back from our own storage, which only ever held validated values.
    init(trustedRow text: String) {
        self = TaxpayerID(text) ?? TaxpayerID("000000000000")!
    }
}
