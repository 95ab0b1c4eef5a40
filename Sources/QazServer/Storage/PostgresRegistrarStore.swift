import Crypto
import Foundation
import LineCore
import Logging
import NIOCore
import PostgresNIO
import QazAPI
import ServiceLifecycle

/// The PostgreSQL backend (PostgresNIO), for the registrar that outgrows one SQLite file. Same schema and same
/// contract as ``SQLiteRegistrarStore``; each operation is one transaction on a pooled connection.
///
/// Concurrent writers: the idempotency key is claimed with `INSERT … ON CONFLICT DO NOTHING RETURNING id` (a
/// concurrent claimant waits for the winner to commit, then reads the winner's row and compares hashes), and the codes
/// of a batch are read `FOR UPDATE` in id order (no deadlock between overlapping batches; a code activated by a
/// concurrent batch is seen as activated). Counters are bumped with `INSERT … ON CONFLICT DO UPDATE`.
///
/// The client's connection pool runs in ``run()``: the store is a `Service` in the server's group (it stops after
/// the HTTP service), or runs for a command's duration in ``withRunningStore(_:_:)``.
public final class PostgresRegistrarStore: RegistrarStore, Service {
    /// The PostgresNIO client (tools such as the benchmarks run their own statements on it).
    public let client: PostgresClient
    let logger: Logger

    /// - Parameters:
    ///   - url: `postgres://user:password@host:port/database`.
    ///   - poolSize: the most connections the pool opens.
    ///   - logger: the pool's background logger.
    public init(url: String, poolSize: Int = 8, logger: Logger) throws(StoreError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host else {
            throw .failure("expected postgres://user:password@host:port/database")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres", password: components.password,
            database: components.path.isEmpty ? nil : String(components.path.dropFirst()), tls: .disable)
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the connection pool until graceful shutdown reaches it (or the task is cancelled).
    public func run() async throws {
        let client = client
        await cancelWhenGracefulShutdown { await client.run() }
    }

    /// The named, append-only migrations (the PostgreSQL twin of the SQLite ones). Never edit one: add a new one.
    static let migrations: [(String, String)] = [
        ("v1-registrar", """
            CREATE TABLE waybill (
                id BIGSERIAL PRIMARY KEY,
                number TEXT NOT NULL UNIQUE,
                body_hash BYTEA NOT NULL,
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
                recorded_at BIGINT NOT NULL
            );
            CREATE TABLE waybill_range (
                waybill_id BIGINT NOT NULL REFERENCES waybill(id),
                series TEXT NOT NULL,
                first BIGINT NOT NULL,
                last BIGINT NOT NULL CHECK (last >= first)
            );
            CREATE TABLE activation_batch (
                id BIGSERIAL PRIMARY KEY,
                batch_id TEXT NOT NULL UNIQUE,
                participant_bin TEXT NOT NULL,
                line_id TEXT NOT NULL,
                equipment_id TEXT NOT NULL,
                body_hash BYTEA NOT NULL,
                item_count INTEGER NOT NULL,
                received_at BIGINT NOT NULL,
                results BYTEA NOT NULL
            );
            CREATE TABLE code (
                id BIGSERIAL PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                series TEXT NOT NULL,
                number BIGINT NOT NULL,
                owner_bin TEXT NOT NULL,
                waybill_id BIGINT NOT NULL REFERENCES waybill(id),
                status TEXT NOT NULL CHECK (status IN ('issued', 'activated', 'writtenOff')),
                product_code TEXT,
                activated_at BIGINT,
                activation_batch BIGINT REFERENCES activation_batch(id),
                written_off_at BIGINT,
                write_off_reason TEXT,
                UNIQUE (series, number)
            );
            CREATE INDEX code_pool ON code(owner_bin, status, code COLLATE "C");
            CREATE TABLE monthly_counter (
                participant_bin TEXT NOT NULL,
                month TEXT NOT NULL,
                received BIGINT NOT NULL DEFAULT 0,
                activated BIGINT NOT NULL DEFAULT 0,
                written_off BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (participant_bin, month)
            );
            CREATE TABLE api_token (
                id TEXT PRIMARY KEY,
                hash BYTEA NOT NULL UNIQUE,
                participant_bin TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('producer', 'importer', 'banknote-factory', 'revenue-body', 'registrar')),
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                revoked_at BIGINT
            )
            """),
        ("v2-reports", "CREATE INDEX waybill_recipient ON waybill(recipient_bin, id)"),
        // The live stream's event ids (see ``activate(_:)`` for why they increase in commit order). Codes activated
        // before this migration are numbered in batch order.
        ("v3-activation-stream", """
            ALTER TABLE code ADD COLUMN activation_seq BIGINT;
            CREATE TABLE activation_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), last BIGINT NOT NULL);
            UPDATE code SET activation_seq = s.seq
                FROM (SELECT id, row_number() OVER (ORDER BY activation_batch, id) AS seq FROM code WHERE status = 'activated') AS s
                WHERE code.id = s.id;
            INSERT INTO activation_sequence (id, last) SELECT 1, COALESCE(MAX(activation_seq), 0) FROM code;
            CREATE UNIQUE INDEX code_activation_seq ON code(activation_seq) WHERE activation_seq IS NOT NULL;
            CREATE INDEX code_owner_activation_seq ON code(owner_bin, activation_seq) WHERE activation_seq IS NOT NULL
            """),
        // The console's activations per hour read a time range of activated codes (issued codes pay nothing).
        ("v4-activation-time", "CREATE INDEX code_activated_at ON code(activated_at, owner_bin) WHERE activation_seq IS NOT NULL"),
        // Aggregation (issue 15): the same tables as SQLite's v5-aggregation. Unit codes and contents compare bytewise
        // (COLLATE "C"), so pages come in the same order on both backends.
        ("v5-aggregation", """
            CREATE TABLE unit (
                id BIGSERIAL PRIMARY KEY,
                code TEXT COLLATE "C" NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('case', 'pallet')),
                owner_bin TEXT NOT NULL,
                line_id TEXT NOT NULL,
                equipment_id TEXT NOT NULL,
                packed_at BIGINT NOT NULL,
                packed_event TEXT NOT NULL,
                dissolved_at BIGINT,
                dissolved_event TEXT,
                pallet_id BIGINT REFERENCES unit(id),
                content_count INTEGER NOT NULL
            );
            CREATE UNIQUE INDEX unit_packed ON unit(code) WHERE dissolved_at IS NULL;
            CREATE INDEX unit_code ON unit(code, id);
            CREATE INDEX unit_pallet ON unit(pallet_id) WHERE pallet_id IS NOT NULL;
            CREATE TABLE unit_content (
                unit_id BIGINT NOT NULL REFERENCES unit(id),
                content TEXT COLLATE "C" NOT NULL,
                position INTEGER NOT NULL,
                PRIMARY KEY (unit_id, content)
            );
            CREATE TABLE code_case (
                code_id BIGINT PRIMARY KEY REFERENCES code(id),
                unit_id BIGINT NOT NULL REFERENCES unit(id)
            );
            CREATE INDEX code_case_unit ON code_case(unit_id);
            CREATE TABLE aggregation_event (
                id BIGSERIAL PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                participant_bin TEXT NOT NULL,
                digest BYTEA NOT NULL,
                received_at BIGINT NOT NULL,
                result TEXT NOT NULL
            )
            """),
        // Who did it (cl. 24(2)): the same columns as SQLite's v6-actor.
        ("v6-actor", """
            ALTER TABLE activation_batch ADD COLUMN actor_bin TEXT;
            UPDATE activation_batch SET actor_bin = participant_bin;
            ALTER TABLE code ADD COLUMN written_off_by TEXT;
            ALTER TABLE aggregation_event ADD COLUMN actor_bin TEXT;
            UPDATE aggregation_event SET actor_bin = participant_bin
            """),
        // The trade half (order No 288 chapters 3–4): the tables of SQLite's v7-trade (PostgresRegistrarStore+Trade.swift).
        ("v7-trade", tradeMigration),
        // The retail half (order No 288 cl. 22, 27): the tables of SQLite's v8-retail (PostgresRegistrarStore+Retail.swift).
        ("v8-retail", retailMigration),
        // Background jobs' leases and the shared rate limits (PostgresRegistrarStore+Cluster.swift).
        ("v9-cluster", clusterMigration),
    ]

    /// Runs the migrations this database lacks, one migrator at a time. A database a newer qazserver migrated is
    /// refused with ``StoreError/newerSchema(database:unknown:newestKnown:)`` and left as it was.
    public func migrate() async throws(StoreError) {
        try await transaction { connection in
            // One migrator at a time (several servers may start together).
            try await connection.query("SELECT pg_advisory_xact_lock(7302620261121)", logger: self.logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                                       logger: self.logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM schema_migration", logger: self.logger).decode(String.self) {
                applied.insert(name)
            }
            // A database a newer qazserver migrated is refused; the transaction rolls back, nothing is changed.
            let schema = RegistrarSchema(applied: Array(applied), known: Self.knownMigrations)
            if schema.isNewer {
                let database = try await connection.query("SELECT current_database()", logger: self.logger).collect().first?.decode(String.self)
                if let refusal = schema.refusal(database: "PostgreSQL database \(database ?? "?")") { throw refusal }
            }
            for (name, sql) in Self.migrations where !applied.contains(name) {
                for statement in sql.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                let now = Timestamp.now.milliseconds
                try await connection.query("INSERT INTO schema_migration (name, applied_at) VALUES (\(name), \(now))", logger: self.logger)
            }
        }
    }

    public func ping() async throws(StoreError) {
        try await run { client in _ = try await client.query("SELECT 1", logger: self.logger).collect() }
    }

    // MARK: Waybills

    public func recordWaybill(_ command: WaybillCommand) async throws(StoreError) -> Stored<WaybillReceipt> {
        try await transaction { c in
            let w = command.waybill
            let month = w.issuedOn.reportingMonth
            let hash = ByteBuffer(bytes: command.bodyHash)
            let inserted = try await (try await c.query("""
                INSERT INTO waybill (number, body_hash, date, issued_on, month, application_number, application_date,
                    recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at)
                VALUES (\(w.number), \(hash), \(w.date.description), \(w.issuedOn.description), \(month.description),
                    \(w.application.number), \(w.application.date.description), \(w.recipient.bin.rawValue), \(w.recipient.name),
                    \(w.product.name), \(w.product.type), \(w.product.capacityMl), \(w.quantity), \(command.recordedAt.milliseconds))
                ON CONFLICT (number) DO NOTHING RETURNING id
                """, logger: self.logger)).collect().map { try $0.decode(Int64.self) }
            guard let waybillID = inserted.first else {
                let rows = try await (try await c.query("""
                    SELECT body_hash, recipient_bin, quantity, month, recorded_at FROM waybill WHERE number = \(w.number)
                    """, logger: self.logger)).collect().map { try $0.decode((Data, String, Int, String, Int64).self) }
                guard let row = rows.first else { throw StoreError.failure("waybill \(w.number) vanished") }
                guard Array(row.0) == command.bodyHash else { throw StoreError.idempotencyConflict("waybill \(w.number)") }
                return Stored(value: WaybillReceipt(number: w.number, recipient: TaxpayerID(trustedRow: row.1), issued: row.2,
                                                    month: ReportingMonth(row.3)!, recordedAt: Timestamp(milliseconds: row.4)),
                              replayed: true)
            }
            // cl. 16–17: the cited application, locked so that two waybills citing it cannot both take its last stamps.
            let application = try await (try await c.query("""
                SELECT status, date, quantity, issued, kind FROM application
                WHERE applicant = \(w.recipient.bin.rawValue) AND number = \(w.application.number) FOR UPDATE
                """, logger: self.logger)).collect().map { try $0.decode((String, String, Int, Int, String).self) }.first
            if command.requireApplication {
                let fact = application.map { TradeRules.ApplicationFact(status: $0.0, date: $0.1, quantity: $0.2, issued: $0.3) }
                if let refusal = TradeRules.waybillApplication(w, fact: fact) { throw StoreError.refused(refusal) }
            }
            if application != nil {
                try await c.query("""
                    UPDATE application SET issued = issued + \(w.quantity)
                    WHERE applicant = \(w.recipient.bin.rawValue) AND number = \(w.application.number)
                    """, logger: self.logger)
            }
            let kind = application?.4 == "import" ? "importer" : "producer"
            try await c.query("""
                INSERT INTO account (participant, name, kind, created_at)
                VALUES (\(w.recipient.bin.rawValue), \(w.recipient.name), \(kind), \(command.recordedAt.milliseconds))
                ON CONFLICT (participant) DO NOTHING
                """, logger: self.logger)
            try await c.query("""
                INSERT INTO waybill_range (waybill_id, series, first, last)
                SELECT \(waybillID), * FROM unnest(\(w.ranges.map(\.series.rawValue))::text[], \(w.ranges.map { Int64($0.first.value) })::int8[],
                                                  \(w.ranges.map { Int64($0.last.value) })::int8[])
                """, logger: self.logger)
            let codes = command.codes.map(\.rawValue)
            let created = try await (try await c.query("""
                INSERT INTO code (code, series, number, owner_bin, waybill_id, status)
                SELECT u.code, u.series, u.number, \(w.recipient.bin.rawValue), \(waybillID), 'issued'
                FROM unnest(\(codes)::text[], \(w.codes.map(\.series.rawValue))::text[], \(w.codes.map { Int64($0.number.value) })::int8[])
                    AS u(code, series, number)
                ON CONFLICT DO NOTHING RETURNING code
                """, logger: self.logger)).collect().map { try $0.decode(String.self) }
            if created.count != codes.count {
                let made = Set(created)
                throw StoreError.alreadyIssued(codes.filter { !made.contains($0) })
            }
            try await Self.bump(c, participant: w.recipient.bin.rawValue, months: [month.description], column: .received,
                                counts: [Int64(codes.count)], logger: self.logger)
            try await self.log(c, participant: w.recipient.bin.rawValue, actor: (command.actor ?? w.recipient.bin).rawValue, kind: .codesIssued,
                               at: command.recordedAt, reference: w.number, count: codes.count,
                               detail: "application \(w.application.number) of \(w.application.date)")
            return Stored(value: WaybillReceipt(number: w.number, recipient: w.recipient.bin, issued: codes.count, month: month,
                                                recordedAt: command.recordedAt), replayed: false)
        }
    }

    // MARK: Activations

    public func activate(_ command: ActivationCommand) async throws(StoreError) -> Stored<ActivationReceipt> {
        try await transaction { c in
            let batchText = command.batchId.uuidString.lowercased()
            let participant = command.participant.rawValue
            let claimed = try await (try await c.query("""
                INSERT INTO activation_batch (batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results, actor_bin)
                VALUES (\(batchText), \(participant), \(command.lineId), \(command.equipmentId), \(ByteBuffer(bytes: command.bodyHash)),
                        \(command.items.count), \(command.receivedAt.milliseconds), ''::bytea, \(command.actor.rawValue))
                ON CONFLICT (batch_id) DO NOTHING RETURNING id
                """, logger: self.logger)).collect().map { try $0.decode(Int64.self) }
            guard let batchRow = claimed.first else {
                guard let stored = try await Self.storedBatch(c, batchText: batchText, batchId: command.batchId, logger: self.logger) else {
                    throw StoreError.failure("batch \(batchText) vanished")
                }
                guard stored.hash == command.bodyHash else { throw StoreError.idempotencyConflict("batch \(batchText)") }
                return Stored(value: stored.receipt, replayed: true)
            }
            var texts = [String]()
            texts.reserveCapacity(command.items.count)
            for item in command.items { if case .code(_, let code, _, _) = item { texts.append(code.rawValue) } }
            struct Row { var id: Int64; var owner: String; var status: String; var activatedAt: Int64?; var series: String; var number: Int64 }
            var found = [String: Row](minimumCapacity: texts.count)
            let rows = try await c.query("""
                SELECT code, id, owner_bin, status, activated_at, series, number FROM code WHERE code = ANY(\(texts)::text[])
                ORDER BY id FOR UPDATE
                """, logger: self.logger)
            for try await (code, id, owner, status, activatedAt, series, number) in rows.decode((String, Int64, String, String, Int64?, String, Int64).self) {
                found[code] = Row(id: id, owner: owner, status: status, activatedAt: activatedAt, series: series, number: number)
            }
            var results = [ActivationResult]()
            results.reserveCapacity(command.items.count)
            var ids = [Int64](), products = [String](), times = [Int64]()
            var perMonth = [String: Int64]()
            var months = MonthKeys()
            for (index, item) in command.items.enumerated() {
                switch item {
                case .malformed(let text, let reason):
                    results.append(ActivationResult(code: text, result: .malformed, reason: reason))
                case .code(let text, let code, let activatedAt, let productCode):
                    guard let row = found[code.rawValue] else {
                        results.append(ActivationResult(code: text, result: .unknown))
                        continue
                    }
                    guard row.owner == participant else {
                        results.append(ActivationResult(code: text, result: .foreign))
                        continue
                    }
                    if let stamps = command.affixedStamps,
                       stamps[index].series.rawValue != row.series || Int64(stamps[index].number.value) != row.number {
                        results.append(ActivationResult(code: text, result: .malformed, reason: SQLiteRegistrarStore.stampMismatch(
                            affixed: stamps[index], series: row.series, number: Int(row.number))))
                        continue
                    }
                    switch row.status {
                    case "issued":
                        ids.append(row.id)
                        products.append(productCode)
                        times.append(activatedAt.milliseconds)
                        results.append(ActivationResult(code: text, result: .activated, activatedAt: activatedAt))
                        perMonth[months.key(for: activatedAt), default: 0] += 1
                    case "activated":
                        results.append(ActivationResult(code: text, result: .alreadyActivated,
                                                        activatedAt: row.activatedAt.map(Timestamp.init(milliseconds:))))
                    default:
                        results.append(ActivationResult(code: text, result: .writtenOff))
                    }
                }
            }
            if !ids.isEmpty {
                try await Self.bump(c, participant: participant, months: Array(perMonth.keys), column: .activated,
                                    counts: Array(perMonth.values), logger: self.logger)
                try await self.log(c, participant: participant, actor: command.actor.rawValue, kind: .activated, at: command.receivedAt,
                                   reference: batchText, count: ids.count, detail: Self.activationDetail(command))
            }
            var encoded = ByteBuffer()
            encoded.writeBytes(ReceiptCodec.encode(results))
            try await c.query("UPDATE activation_batch SET results = \(encoded) WHERE id = \(batchRow)", logger: self.logger)
            if !ids.isEmpty {
                // Event ids for the live stream. A sequence would hand out ids in nextval order, and a transaction holding
                // lower ids could commit after one holding higher ids: a reader that already moved past them would miss
                // those events for good. The one-row counter is locked until commit instead, so ids become visible in
                // increasing order without gaps. Taken last, so only this update and the commit run one at a time.
                let returned = try await (try await c.query("""
                    UPDATE activation_sequence SET last = last + \(Int64(ids.count)) WHERE id = 1 RETURNING last
                    """, logger: self.logger)).collect().map { try $0.decode(Int64.self) }
                guard let last = returned.first else { throw StoreError.failure("activation_sequence has no row (migration v3-activation-stream)") }
                let base = last - Int64(ids.count)
                try await c.query("""
                    UPDATE code SET status = 'activated', product_code = u.p, activated_at = u.t, activation_batch = \(batchRow),
                        activation_seq = \(base) + u.n
                    FROM unnest(\(ids)::int8[], \(products)::text[], \(times)::int8[]) WITH ORDINALITY AS u(id, p, t, n) WHERE code.id = u.id
                    """, logger: self.logger)
            }
            return Stored(value: ActivationReceipt(batchId: command.batchId, participant: command.participant, lineId: command.lineId,
                                                   equipmentId: command.equipmentId, receivedAt: command.receivedAt, results: results,
                                                   actor: command.actor),
                          replayed: false)
        }
    }

    static func storedBatch(_ c: PostgresConnection, batchText: String, batchId: UUID, logger: Logger) async throws
        -> (hash: [UInt8], receipt: ActivationReceipt)?
    {
        let rows = try await (try await c.query("""
            SELECT body_hash, participant_bin, line_id, equipment_id, received_at, results, actor_bin FROM activation_batch WHERE batch_id = \(batchText)
            """, logger: logger)).collect().map { try $0.decode((Data, String, String, String, Int64, Data, String?).self) }
        guard let row = rows.first else { return nil }
        guard let results = ReceiptCodec.decode(Array(row.5)) else { throw StoreError.failure("stored results of batch \(batchId) are unreadable") }
        return (Array(row.0), ActivationReceipt(batchId: batchId, participant: TaxpayerID(trustedRow: row.1), lineId: row.2, equipmentId: row.3,
                                                receivedAt: Timestamp(milliseconds: row.4), results: results,
                                                actor: row.6.map(TaxpayerID.init(trustedRow:))))
    }

    public func activation(batchId: UUID) async throws(StoreError) -> ActivationReceipt? {
        try await connection { c in
            try await Self.storedBatch(c, batchText: batchId.uuidString.lowercased(), batchId: batchId, logger: self.logger)?.receipt
        }
    }

    // MARK: The activation stream

    public func activations(after: Int64, participant: TaxpayerID?, limit: Int) async throws(StoreError) -> [ActivationEvent] {
        try await connection { c in
            let rows: PostgresRowSequence
            if let participant {
                rows = try await c.query("""
                    SELECT c.activation_seq, c.code, c.owner_bin, b.line_id, b.equipment_id, c.product_code, c.activated_at, b.batch_id
                    FROM code c JOIN activation_batch b ON b.id = c.activation_batch
                    WHERE c.activation_seq IS NOT NULL AND c.activation_seq > \(after) AND c.owner_bin = \(participant.rawValue)
                    ORDER BY c.activation_seq LIMIT \(limit)
                    """, logger: self.logger)
            } else {
                rows = try await c.query("""
                    SELECT c.activation_seq, c.code, c.owner_bin, b.line_id, b.equipment_id, c.product_code, c.activated_at, b.batch_id
                    FROM code c JOIN activation_batch b ON b.id = c.activation_batch
                    WHERE c.activation_seq IS NOT NULL AND c.activation_seq > \(after)
                    ORDER BY c.activation_seq LIMIT \(limit)
                    """, logger: self.logger)
            }
            var events = [ActivationEvent]()
            for try await (id, code, owner, line, equipment, product, activatedAt, batch)
                in rows.decode((Int64, String, String, String, String, String?, Int64, String).self) {
                guard let batchId = UUID(uuidString: batch) else { throw StoreError.failure("stored batch id \(batch) is not a UUID") }
                events.append(ActivationEvent(id: id, code: code, participant: TaxpayerID(trustedRow: owner), lineId: line,
                                              equipmentId: equipment, productCode: product?.isEmpty == false ? product : nil,
                                              activatedAt: Timestamp(milliseconds: activatedAt), batchId: batchId))
            }
            return events
        }
    }

    public func latestActivationEventID() async throws(StoreError) -> Int64 {
        try await connection { c in
            try await (try await c.query("SELECT last FROM activation_sequence WHERE id = 1", logger: self.logger))
                .collect().map { try $0.decode(Int64.self) }.first ?? 0
        }
    }

    // MARK: Look-ups

    public func code(_ code: StampCode) async throws(StoreError) -> CodeInfo? {
        try await connection { c in
            let rows = try await c.query("""
                SELECT c.code, c.status, c.owner_bin, c.series, c.number, w.number, w.issued_on, w.product_name, c.product_code,
                       c.activated_at, b.line_id, b.equipment_id, b.batch_id, c.written_off_at, c.write_off_reason, u.code, p.code,
                       b.actor_bin, c.written_off_by, c.redeemed_at, c.redeemed_by
                FROM code c JOIN waybill w ON w.id = c.waybill_id LEFT JOIN activation_batch b ON b.id = c.activation_batch
                LEFT JOIN code_case cc ON cc.code_id = c.id LEFT JOIN unit u ON u.id = cc.unit_id LEFT JOIN unit p ON p.id = u.pallet_id
                WHERE c.code = \(code.rawValue)
                """, logger: self.logger)
            for try await row in rows {
                let r = try row.decode((String, String, String, String, Int, String, String, String, String?, Int64?, String?, String?,
                                        String?, Int64?, String?, String?, String?, String?, String?, Int64?, String?).self)
                return CodeInfo(code: r.0, status: RetailRules.status(stored: r.1, redeemed: r.20 != nil), owner: TaxpayerID(trustedRow: r.2),
                                series: StampSeries(r.3)!, number: StampNumber(r.4)!, waybillNumber: r.5, issuedOn: CalendarDate(r.6)!,
                                productName: r.7, productCode: r.8, activatedAt: r.9.map(Timestamp.init(milliseconds:)), lineId: r.10,
                                equipmentId: r.11, batchId: r.12.flatMap(UUID.init(uuidString:)),
                                writtenOffAt: r.13.map(Timestamp.init(milliseconds:)), writeOffReason: r.14,
                                case: r.15.map(UnitCode.init(trusted:)), pallet: r.16.map(UnitCode.init(trusted:)),
                                activatedBy: r.17.map(TaxpayerID.init(trustedRow:)), writtenOffBy: r.18.map(TaxpayerID.init(trustedRow:)))
                    .redeemed(at: r.19, by: r.20)
            }
            return nil
        }
    }

    public func pool(owner: TaxpayerID, status: CodeStatus, after: String?, limit: Int) async throws(StoreError) -> [PoolCode] {
        try await connection { c in
            var page = [PoolCode]()
            let rows = try await c.query("""
                SELECT code, series, number FROM code WHERE owner_bin = \(owner.rawValue)
                AND status = \(status == .redeemed ? CodeStatus.activated.rawValue : status.rawValue)
                AND (redeemed_by IS NOT NULL) = \(status == .redeemed)
                AND code COLLATE "C" > \(after ?? "") ORDER BY code COLLATE "C" LIMIT \(limit)
                """, logger: self.logger)
            for try await (code, series, number) in rows.decode((String, String, Int).self) {
                page.append(PoolCode(code: code, series: StampSeries(series)!, number: StampNumber(number)!))
            }
            return page
        }
    }

    // MARK: Aggregation

    /// Each event is its own transaction on one pooled connection, so events commit one by one and a failure leaves the
    /// events before it applied (a re-send answers them `alreadyApplied`).
    ///
    /// Locks, always in this order, so that concurrent requests cannot deadlock: the event id (its claim, an insert
    /// that waits for a concurrent claimant's commit); then the unit codes the event names, as transaction-scoped
    /// advisory locks in ascending key order (the unit, and a pallet's cases; a unit code need not have a row yet);
    /// then, for a case, its stamp codes' rows `FOR UPDATE` in id order, as activations and write-offs lock them. The
    /// facts are read by statements after the locks are held, so under READ COMMITTED they see every commit that the
    /// locks waited for.
    public func aggregate(_ command: AggregationCommand) async throws(StoreError) -> AggregationReceipt {
        try await connection { c in
            var results = [AggregationResult]()
            results.reserveCapacity(command.events.count)
            for event in command.events {
                try await c.query("BEGIN", logger: self.logger)
                do {
                    results.append(try await self.apply(event, command: command, c))
                    try await c.query("COMMIT", logger: self.logger)
                } catch {
                    _ = try? await c.query("ROLLBACK", logger: self.logger)
                    throw error
                }
            }
            return AggregationReceipt(participant: command.participant, receivedAt: command.receivedAt, results: results, actor: command.actor)
        }
    }

    private func apply(_ event: AggregationEventCommand, command: AggregationCommand, _ c: PostgresConnection) async throws -> AggregationResult {
        let eventText = event.eventId.uuidString.lowercased()
        let participant = command.participant.rawValue
        let claimed = try await (try await c.query("""
            INSERT INTO aggregation_event (event_id, participant_bin, digest, received_at, result, actor_bin)
            VALUES (\(eventText), \(participant), \(ByteBuffer(bytes: event.digest)), \(command.receivedAt.milliseconds), '', \(command.actor.rawValue))
            ON CONFLICT (event_id) DO NOTHING RETURNING id
            """, logger: logger)).collect().map { try $0.decode(Int64.self) }
        guard let recordID = claimed.first else {
            let rows = try await (try await c.query("SELECT digest, result FROM aggregation_event WHERE event_id = \(eventText)",
                                                    logger: logger)).collect().map { try $0.decode((Data, String).self) }
            guard let row = rows.first else { throw StoreError.failure("aggregation event \(eventText) vanished") }
            guard Array(row.0) == event.digest else { return AggregationRules.conflict(event) }
            return try AggregationRules.replay(row.1, eventId: event.eventId)
        }
        let result = try await decide(event, command: command, c)
        try await c.query("UPDATE aggregation_event SET result = \(try AggregationRules.encode(result)) WHERE id = \(recordID)", logger: logger)
        return result
    }

    private func decide(_ event: AggregationEventCommand, command: AggregationCommand, _ c: PostgresConnection) async throws -> AggregationResult {
        let applied = AggregationResult(eventId: event.eventId, unit: event.unit, result: .applied)
        let participant = command.participant.rawValue
        let eventText = event.eventId.uuidString.lowercased()
        switch (event.kind, event.contents) {
        case (_, .refused(let refusal)):
            return refusal.result(for: event)
        case (.casePacked, .stampCodes(let codes)):
            try await lockUnits([event.unit.rawValue], c)
            if let refusal = AggregationRules.newUnit(event.unit, kind: .case, participant: participant,
                                                      latest: try await latestUnit(event.unit.rawValue, c)) {
                return refusal.result(for: event)
            }
            let texts = codes.map(\.code.rawValue)
            _ = try await (try await c.query("SELECT id FROM code WHERE code = ANY(\(texts)::text[]) ORDER BY id FOR UPDATE", logger: logger)).collect()
            var facts = [String: StampFact](minimumCapacity: codes.count)
            let rows = try await c.query("""
                SELECT c.code, c.id, c.owner_bin, c.status, u.code, c.holder_bin, o.id FROM code c
                LEFT JOIN code_case cc ON cc.code_id = c.id LEFT JOIN unit u ON u.id = cc.unit_id
                LEFT JOIN trade_order o ON o.seq = c.pending_order AND o.expires_at > \(command.receivedAt.milliseconds)
                WHERE c.code = ANY(\(texts)::text[])
                """, logger: logger)
            for try await (code, id, owner, status, inCase, holder, pending) in rows.decode((String, Int64, String, String, String?, String?, String?).self) {
                facts[code] = StampFact(id: id, owner: owner, status: status, inCase: inCase, holder: holder, pendingOrder: pending)
            }
            if let refusal = AggregationRules.casePacked(codes, facts: facts, participant: participant) { return refusal.result(for: event) }
            let unitID = try await insertUnit(event, kind: .case, count: codes.count, command: command, c)
            try await c.query("""
                INSERT INTO unit_content (unit_id, content, position)
                SELECT \(unitID), u.content, u.position - 1 FROM unnest(\(texts)::text[]) WITH ORDINALITY AS u(content, position)
                """, logger: logger)
            let ids = codes.map { facts[$0.code.rawValue]!.id }
            try await c.query("INSERT INTO code_case (code_id, unit_id) SELECT id, \(unitID) FROM unnest(\(ids)::int8[]) AS u(id)", logger: logger)
            return applied
        case (.palletBuilt, .units(let cases)):
            let texts = cases.map(\.code.rawValue)
            try await lockUnits([event.unit.rawValue] + texts, c)
            if let refusal = AggregationRules.newUnit(event.unit, kind: .pallet, participant: participant,
                                                      latest: try await latestUnit(event.unit.rawValue, c)) {
                return refusal.result(for: event)
            }
            var facts = [String: UnitFact](minimumCapacity: cases.count)
            let rows = try await c.query("""
                SELECT u.id, u.code, u.kind, u.owner_bin, p.code FROM unit u LEFT JOIN unit p ON p.id = u.pallet_id
                WHERE u.code = ANY(\(texts)::text[]) AND u.dissolved_at IS NULL
                """, logger: logger)
            for try await (id, code, kind, owner, pallet) in rows.decode((Int64, String, String, String, String?).self) {
                facts[code] = UnitFact(id: id, code: code, kind: UnitKind(rawValue: kind) ?? .case, owner: owner, packed: true, pallet: pallet)
            }
            if let refusal = AggregationRules.palletBuilt(cases, facts: facts, participant: participant) { return refusal.result(for: event) }
            let members = try await tradedMembers(of: cases.compactMap { facts[$0.code.rawValue]?.id }, participant: participant,
                                                  now: command.receivedAt, c)
            if let refusal = AggregationRules.trade(members, participant: participant) { return refusal.result(for: event) }
            let unitID = try await insertUnit(event, kind: .pallet, count: cases.count, command: command, c)
            try await c.query("""
                INSERT INTO unit_content (unit_id, content, position)
                SELECT \(unitID), u.content, u.position - 1 FROM unnest(\(texts)::text[]) WITH ORDINALITY AS u(content, position)
                """, logger: logger)
            let ids = cases.map { facts[$0.code.rawValue]!.id }
            try await c.query("UPDATE unit SET pallet_id = \(unitID) WHERE id = ANY(\(ids)::int8[])", logger: logger)
            return applied
        case (.caseDissolved, .none), (.palletDissolved, .none):
            let kind: UnitKind = event.kind == .caseDissolved ? .case : .pallet
            try await lockUnits([event.unit.rawValue], c)
            let current = try await latestUnit(event.unit.rawValue, c)
            if let refusal = AggregationRules.dissolve(event.unit, kind: kind, participant: participant, current: current) {
                return refusal.result(for: event)
            }
            let unitID = current!.id
            var cases = [unitID]
            if kind == .pallet {
                cases = try await (try await c.query("SELECT id FROM unit WHERE pallet_id = \(unitID)", logger: logger)).collect()
                    .map { try $0.decode(Int64.self) }
            }
            let members = try await tradedMembers(of: cases, participant: participant, now: command.receivedAt, c)
            if let refusal = AggregationRules.trade(members, participant: participant) { return refusal.result(for: event) }
            try await c.query("""
                UPDATE unit SET dissolved_at = \(event.at.milliseconds), dissolved_event = \(eventText) WHERE id = \(unitID)
                """, logger: logger)
            if kind == .case {
                try await c.query("DELETE FROM code_case WHERE unit_id = \(unitID)", logger: logger)
            } else {
                try await c.query("UPDATE unit SET pallet_id = NULL WHERE pallet_id = \(unitID)", logger: logger)
            }
            return applied
        default:
            throw StoreError.failure("aggregation event \(eventText): \(event.kind.rawValue) with contents of another kind")
        }
    }

    /// Transaction-scoped advisory locks on unit codes, in ascending key order (a unit code may have no row yet).
    private func lockUnits(_ codes: [String], _ c: PostgresConnection) async throws {
        let keys = Set(codes.map(Self.lockKey)).sorted()
        _ = try await (try await c.query("SELECT pg_advisory_xact_lock(k) FROM unnest(\(keys)::int8[]) WITH ORDINALITY AS u(k, n) ORDER BY n",
                                         logger: logger)).collect()
    }

    /// The advisory lock key of a unit code: the first 8 bytes of SHA-256 of a prefix and the code.
    static func lockKey(_ code: String) -> Int64 {
        let digest = SHA256.hash(data: Array(("qazline-unit\u{0}" + code).utf8))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// The bottles of these packed cases that are no longer the participant's to pack or unpack (cl. 23): handed to a buyer,
    /// or in a sale order pending signature that has not expired by `now`. Their rows are locked, in id order, so that an
    /// order saved meanwhile cannot take them.
    private func tradedMembers(of cases: [Int64], participant: String, now: Timestamp, _ c: PostgresConnection) async throws
        -> [(text: String, fact: StampFact?)]
    {
        guard !cases.isEmpty else { return [] }
        _ = try await (try await c.query("""
            SELECT c.id FROM code c JOIN code_case cc ON cc.code_id = c.id WHERE cc.unit_id = ANY(\(cases)::int8[]) ORDER BY c.id FOR UPDATE OF c
            """, logger: logger)).collect()
        let rows = try await c.query("""
            SELECT c.code, c.holder_bin, o.id FROM code c JOIN code_case cc ON cc.code_id = c.id
            LEFT JOIN trade_order o ON o.seq = c.pending_order AND o.expires_at > \(now.milliseconds)
            WHERE cc.unit_id = ANY(\(cases)::int8[]) AND (c.holder_bin IS NOT NULL OR o.id IS NOT NULL) ORDER BY c.code
            """, logger: logger)
        var members = [(text: String, fact: StampFact?)]()
        for try await (code, holder, order) in rows.decode((String, String?, String?).self) {
            members.append((code, StampFact(id: 0, owner: participant, status: "activated", inCase: nil, holder: holder, pendingOrder: order)))
        }
        return members
    }

    /// The latest packing of a unit code (the current one while packed), with the pallet a packed case is on.
    private func latestUnit(_ code: String, _ c: PostgresConnection) async throws -> UnitFact? {
        let rows = try await c.query("""
            SELECT u.id, u.code, u.kind, u.owner_bin, u.dissolved_at IS NULL, p.code FROM unit u LEFT JOIN unit p ON p.id = u.pallet_id
            WHERE u.code = \(code) ORDER BY u.id DESC LIMIT 1
            """, logger: logger)
        for try await (id, code, kind, owner, packed, pallet) in rows.decode((Int64, String, String, String, Bool, String?).self) {
            return UnitFact(id: id, code: code, kind: UnitKind(rawValue: kind) ?? .case, owner: owner, packed: packed, pallet: pallet)
        }
        return nil
    }

    private func insertUnit(_ event: AggregationEventCommand, kind: UnitKind, count: Int, command: AggregationCommand,
                            _ c: PostgresConnection) async throws -> Int64 {
        let rows = try await (try await c.query("""
            INSERT INTO unit (code, kind, owner_bin, line_id, equipment_id, packed_at, packed_event, content_count)
            VALUES (\(event.unit.rawValue), \(kind.rawValue), \(command.participant.rawValue), \(command.lineId), \(command.equipmentId),
                    \(event.at.milliseconds), \(event.eventId.uuidString.lowercased()), \(count))
            RETURNING id
            """, logger: logger)).collect().map { try $0.decode(Int64.self) }
        guard let id = rows.first else { throw StoreError.failure("unit \(event.unit) was not inserted") }
        return id
    }

    public func unit(_ code: UnitCode, after: String?, limit: Int) async throws(StoreError) -> UnitInfo? {
        try await connection { c in
            let rows = try await (try await c.query("""
                SELECT u.id, u.code, u.kind, u.owner_bin, u.line_id, u.equipment_id, u.packed_at, u.dissolved_at, p.code, u.content_count,
                       e.actor_bin
                FROM unit u LEFT JOIN unit p ON p.id = u.pallet_id LEFT JOIN aggregation_event e ON e.event_id = u.packed_event
                WHERE u.code = \(code.rawValue) ORDER BY u.id DESC LIMIT 1
                """, logger: self.logger)).collect()
            guard let row = rows.first else { return nil }
            let r = try row.decode((Int64, String, String, String, String, String, Int64, Int64?, String?, Int, String?).self)
            var contents = [String]()
            let page = try await c.query("""
                SELECT content FROM unit_content WHERE unit_id = \(r.0) AND content > \(after ?? "") ORDER BY content LIMIT \(limit)
                """, logger: self.logger)
            for try await content in page.decode(String.self) { contents.append(content) }
            return UnitInfo(unit: UnitCode(trusted: r.1), kind: UnitKind(rawValue: r.2) ?? .case, status: r.7 == nil ? .packed : .dissolved,
                            owner: TaxpayerID(trustedRow: r.3), lineId: r.4, equipmentId: r.5, packedAt: Timestamp(milliseconds: r.6),
                            dissolvedAt: r.7.map(Timestamp.init(milliseconds:)), pallet: r.8.map(UnitCode.init(trusted:)), count: r.9,
                            contents: contents, next: contents.count == limit ? contents.last : nil, packedBy: r.10.map(TaxpayerID.init(trustedRow:)))
        }
    }

    // MARK: Write-offs

    public func writeOff(_ command: WriteOffCommand) async throws(StoreError) -> WriteOffReceipt {
        try await transaction { c in
            var texts = [String]()
            for item in command.items { if case .code(_, let code, _, _) = item { texts.append(code.rawValue) } }
            var found = [String: (Int64, String, String)]()
            let rows = try await c.query("""
                SELECT code, id, owner_bin, status FROM code WHERE code = ANY(\(texts)::text[]) ORDER BY id FOR UPDATE
                """, logger: self.logger)
            for try await (code, id, owner, status) in rows.decode((String, Int64, String, String).self) { found[code] = (id, owner, status) }
            var results = [WriteOffResult](), notOwned = [String](), ids = [Int64]()
            var perOwner = [String: Int64]()
            for item in command.items {
                switch item {
                case .malformed(let text, _):
                    results.append(WriteOffResult(code: text, result: .malformed))
                case .code(let text, let code, _, _):
                    guard let (id, owner, status) = found[code.rawValue] else {
                        results.append(WriteOffResult(code: text, result: .unknown))
                        continue
                    }
                    if let participant = command.participant, participant.rawValue != owner {
                        notOwned.append(text)
                        continue
                    }
                    switch status {
                    case "issued":
                        ids.append(id)
                        perOwner[owner, default: 0] += 1
                        results.append(WriteOffResult(code: text, result: .writtenOff))
                    case "activated": results.append(WriteOffResult(code: text, result: .activated))
                    default: results.append(WriteOffResult(code: text, result: .alreadyWrittenOff))
                    }
                }
            }
            if !notOwned.isEmpty { throw StoreError.notOwner(notOwned) }
            if !ids.isEmpty {
                try await c.query("""
                    UPDATE code SET status = 'writtenOff', written_off_at = \(command.writtenOffAt.milliseconds),
                        write_off_reason = \(command.reason), written_off_by = \(command.requester.rawValue) WHERE id = ANY(\(ids)::int8[])
                    """, logger: self.logger)
                let month = command.writtenOffAt.reportingMonth.description
                for (owner, count) in perOwner {
                    try await Self.bump(c, participant: owner, months: [month], column: .writtenOff, counts: [count], logger: self.logger)
                    try await self.log(c, participant: owner, actor: command.requester.rawValue, kind: .writtenOff, at: .now,
                                       count: Int(count), detail: "\(command.reason) (dated \(command.writtenOffAt.astana))")
                }
            }
            return WriteOffReceipt(participant: command.requester, results: results)
        }
    }

    // MARK: Counters

    public func monthlyCounters(participant: TaxpayerID) async throws(StoreError) -> [MonthlyCounters] {
        try await connection { c in
            var counters = [MonthlyCounters]()
            let rows = try await c.query("""
                SELECT month, received, activated, written_off FROM monthly_counter WHERE participant_bin = \(participant.rawValue) ORDER BY month
                """, logger: self.logger)
            for try await (month, received, activated, writtenOff) in rows.decode((String, Int64, Int64, Int64).self) {
                counters.append(MonthlyCounters(participant: participant, month: ReportingMonth(month)!, received: Int(received),
                                                activated: Int(activated), writtenOff: Int(writtenOff)))
            }
            return counters
        }
    }

    public func participantName(_ participant: TaxpayerID) async throws(StoreError) -> String? {
        try await connection { c in
            try await (try await c.query("""
                SELECT recipient_name FROM waybill WHERE recipient_bin = \(participant.rawValue) ORDER BY id DESC LIMIT 1
                """, logger: self.logger)).collect().map { try $0.decode(String.self) }.first
        }
    }

    // MARK: The console

    public func activationsPerHour(from: Timestamp, to: Timestamp) async throws(StoreError) -> [HourlyActivations] {
        try await connection { c in
            let rows = try await c.query("""
                SELECT owner_bin, activated_at / 3600000 AS hour, count(*) FROM code
                WHERE activation_seq IS NOT NULL AND activated_at >= \(from.milliseconds) AND activated_at < \(to.milliseconds)
                GROUP BY owner_bin, hour ORDER BY hour, owner_bin
                """, logger: self.logger)
            var hours = [HourlyActivations]()
            for try await (owner, hour, count) in rows.decode((String, Int64, Int64).self) {
                hours.append(HourlyActivations(participant: TaxpayerID(trustedRow: owner), hour: Timestamp(milliseconds: hour * 3_600_000),
                                               count: Int(count)))
            }
            return hours
        }
    }

    public func participants() async throws(StoreError) -> [ParticipantSummary] {
        try await connection { c in
            let rows = try await c.query("""
                SELECT p.participant_bin,
                       (SELECT w.recipient_name FROM waybill w WHERE w.recipient_bin = p.participant_bin ORDER BY w.id DESC LIMIT 1)
                FROM (SELECT DISTINCT participant_bin FROM monthly_counter) p ORDER BY p.participant_bin
                """, logger: self.logger)
            var participants = [ParticipantSummary]()
            for try await (bin, name) in rows.decode((String, String?).self) {
                participants.append(ParticipantSummary(participant: TaxpayerID(trustedRow: bin), name: name))
            }
            return participants
        }
    }

    enum CounterColumn: String { case received, activated, writtenOff = "written_off" }

    /// Adds to one counter of a participant's months (creating the rows).
    static func bump(_ c: PostgresConnection, participant: String, months: [String], column: CounterColumn, counts: [Int64],
                     logger: Logger) async throws {
        let name = column.rawValue
        try await c.query(PostgresQuery(unsafeSQL: """
            INSERT INTO monthly_counter (participant_bin, month, \(name))
            SELECT $1, m, n FROM unnest($2::text[], $3::int8[]) AS u(m, n)
            ON CONFLICT (participant_bin, month) DO UPDATE SET \(name) = monthly_counter.\(name) + excluded.\(name)
            """, binds: try Self.binds(participant, months, counts)), logger: logger)
    }

    static func binds(_ participant: String, _ months: [String], _ counts: [Int64]) throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(participant)
        binds.append(months)
        binds.append(counts)
        return binds
    }

    // MARK: Tokens

    public func saveToken(_ token: TokenRecord) async throws(StoreError) {
        try await connection { c in
            _ = try await c.query("""
                INSERT INTO api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at)
                VALUES (\(token.id), \(ByteBuffer(bytes: token.hash)), \(token.participant.rawValue), \(token.role.rawValue), \(token.createdAt.milliseconds),
                        \(token.expiresAt?.milliseconds), \(token.revokedAt?.milliseconds))
                """, logger: self.logger)
        }
    }

    public func token(hash: [UInt8]) async throws(StoreError) -> TokenRecord? {
        try await connection { c in
            try await Self.tokens(c.query("""
                SELECT id, hash, participant_bin, role, created_at, expires_at, revoked_at FROM api_token WHERE hash = \(ByteBuffer(bytes: hash))
                """, logger: self.logger)).first
        }
    }

    public func revokeToken(id: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await connection { c in
            let rows = try await c.query("""
                UPDATE api_token SET revoked_at = \(time.milliseconds) WHERE id = \(id) AND revoked_at IS NULL RETURNING id
                """, logger: self.logger)
            return try await !rows.collect().isEmpty
        }
    }

    public func tokens() async throws(StoreError) -> [TokenRecord] {
        try await connection { c in
            try await Self.tokens(c.query("""
                SELECT id, hash, participant_bin, role, created_at, expires_at, revoked_at FROM api_token ORDER BY created_at DESC, id
                """, logger: self.logger))
        }
    }

    static func tokens(_ rows: PostgresRowSequence) async throws -> [TokenRecord] {
        var tokens = [TokenRecord]()
        for try await (id, hash, bin, role, created, expires, revoked) in rows.decode((String, Data, String, String, Int64, Int64?, Int64?).self) {
            tokens.append(TokenRecord(id: id, hash: Array(hash), participant: TaxpayerID(trustedRow: bin), role: Role(rawValue: role) ?? .producer,
                                      createdAt: Timestamp(milliseconds: created), expiresAt: expires.map(Timestamp.init(milliseconds:)),
                                      revokedAt: revoked.map(Timestamp.init(milliseconds:))))
        }
        return tokens
    }

    // MARK: Plumbing

    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: self.logger)
                do {
                    let value = try await body(connection)
                    try await connection.query("COMMIT", logger: self.logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: self.logger)
                    throw error
                }
            }
        } catch {
            throw Self.map(error)
        }
    }

    func connection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do { return try await client.withConnection { try await body($0) } } catch { throw Self.map(error) }
    }

    private func run<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws(StoreError) -> T {
        do { return try await body(client) } catch { throw Self.map(error) }
    }

    static func map(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if error is CancellationError { return .unavailable("cancelled") }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                let message = error.serverInfo?[.message] ?? ""
                // 40001 serialization failure, 40P01 deadlock, 53xxx resources, 57Pxx shutdown: retrying may succeed.
                if state.hasPrefix("40") || state.hasPrefix("53") || state.hasPrefix("57") { return .unavailable("\(state): \(message)") }
                return .failure("\(state): \(message)")
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed:
                return .unavailable(String(reflecting: error.code))
            default:
                return .failure(String(reflecting: error))
            }
        }
        return .failure(String(reflecting: error))
    }
}
