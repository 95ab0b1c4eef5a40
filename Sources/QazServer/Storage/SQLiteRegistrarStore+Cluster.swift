import GRDB
import LineCore
import QazAPI

// The cluster tables on SQLite. One SQLite file serves one registrar process (docs/operations.md); the tables are here so
// that both backends answer the same seam, and so a second process opened on the same file by mistake still runs each
// background job once.

extension SQLiteRegistrarStore: ClusterStore {
    /// Migration `v9-cluster`: background jobs' leases and shared rate-limit buckets.
    static func registerClusterMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-cluster") { db in
            try db.execute(sql: """
                CREATE TABLE job_lease (
                    job TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    acquired_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                );
                CREATE TABLE rate_bucket (
                    key TEXT PRIMARY KEY,
                    tokens REAL NOT NULL,
                    updated_at INTEGER NOT NULL,
                    allowed INTEGER NOT NULL
                );
                CREATE INDEX rate_bucket_updated ON rate_bucket (updated_at);
                """)
        }
    }

    public func claimJobLease(job: String, holder: String, now: Timestamp, ttlMilliseconds: Int64) async throws(StoreError) -> Bool {
        try await write { db in
            let held = try String.fetchOne(db, sql: """
                INSERT INTO job_lease (job, holder, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?3 + ?4)
                ON CONFLICT (job) DO UPDATE SET
                    acquired_at = CASE WHEN job_lease.holder = excluded.holder THEN job_lease.acquired_at ELSE excluded.acquired_at END,
                    holder = excluded.holder, expires_at = excluded.expires_at
                WHERE job_lease.holder = excluded.holder OR job_lease.expires_at <= ?3
                RETURNING holder
                """, arguments: [job, holder, now.milliseconds, ttlMilliseconds])
            return held == holder
        }
    }

    public func releaseJobLease(job: String, holder: String) async throws(StoreError) {
        try await write { db in try db.execute(sql: "DELETE FROM job_lease WHERE job = ? AND holder = ?", arguments: [job, holder]) }
    }

    public func jobLeases() async throws(StoreError) -> [JobLeaseRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT job, holder, acquired_at, expires_at FROM job_lease ORDER BY job").map {
                JobLeaseRecord(job: $0[0], holder: $0[1], acquiredAt: Timestamp(milliseconds: $0[2]), expiresAt: Timestamp(milliseconds: $0[3]))
            }
        }
    }

    public func takeRateToken(key: String, rate: Double, burst: Double, now: Timestamp) async throws(StoreError) -> Double? {
        try await write { db in
            // The refill is computed once in SQL (MIN/MAX: SQLite's scalar forms) and the token taken only when there is one.
            let row = try Row.fetchOne(db, sql: """
                INSERT INTO rate_bucket (key, tokens, updated_at, allowed) VALUES (?1, ?4 - 1, ?2, 1)
                ON CONFLICT (key) DO UPDATE SET
                    tokens = MIN(?4, rate_bucket.tokens + MAX(0, ?2 - rate_bucket.updated_at) / 1000.0 * ?3)
                             - (MIN(?4, rate_bucket.tokens + MAX(0, ?2 - rate_bucket.updated_at) / 1000.0 * ?3) >= 1),
                    allowed = MIN(?4, rate_bucket.tokens + MAX(0, ?2 - rate_bucket.updated_at) / 1000.0 * ?3) >= 1,
                    updated_at = MAX(rate_bucket.updated_at, ?2)
                RETURNING tokens, allowed
                """, arguments: [key, now.milliseconds, rate, burst])
            guard let row else { return nil }
            let tokens: Double = row[0], allowed: Bool = row[1]
            return allowed ? nil : (1 - tokens) / rate
        }
    }

    public func pruneRateBuckets(before: Timestamp) async throws(StoreError) -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM rate_bucket WHERE updated_at < ?", arguments: [before.milliseconds])
            return db.changesCount
        }
    }
}
