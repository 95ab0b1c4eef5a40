import LineCore
import QazAPI
import PostgresNIO

// The cluster tables on PostgreSQL: what several `qazserver` processes on one database share besides the API's data.

extension PostgresRegistrarStore: ClusterStore {
    /// Migration `v9-cluster`: background jobs' leases, and the shared rate-limit buckets. The buckets' table is UNLOGGED
    /// (not written to the WAL, so not replicated and emptied after a crash): a token bucket is protection, not a
    /// record, and a full bucket is what a lost one becomes.
    static let clusterMigration = """
        CREATE TABLE job_lease (
            job TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            acquired_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        );
        CREATE UNLOGGED TABLE rate_bucket (
            key TEXT PRIMARY KEY,
            tokens DOUBLE PRECISION NOT NULL,
            updated_at BIGINT NOT NULL,
            allowed BOOLEAN NOT NULL
        );
        CREATE INDEX rate_bucket_updated ON rate_bucket (updated_at)
        """

    public func claimJobLease(job: String, holder: String, now: Timestamp, ttlMilliseconds: Int64) async throws(StoreError) -> Bool {
        // ON CONFLICT DO UPDATE locks the row and re-checks WHERE on its latest version, so of two instances claiming an
        // expired lease at once exactly one gets a row back.
        let held = try await connection { c in
            try await rows(c, """
                INSERT INTO job_lease (job, holder, acquired_at, expires_at) VALUES (\(job), \(holder), \(now.milliseconds), \(now.milliseconds + ttlMilliseconds))
                ON CONFLICT (job) DO UPDATE SET
                    acquired_at = CASE WHEN job_lease.holder = EXCLUDED.holder THEN job_lease.acquired_at ELSE EXCLUDED.acquired_at END,
                    holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE job_lease.holder = EXCLUDED.holder OR job_lease.expires_at <= \(now.milliseconds)
                RETURNING holder
                """).map { try $0.decode(String.self) }
        }
        return held.first == holder
    }

    public func releaseJobLease(job: String, holder: String) async throws(StoreError) {
        _ = try await connection { c in try await rows(c, "DELETE FROM job_lease WHERE job = \(job) AND holder = \(holder)") }
    }

    public func jobLeases() async throws(StoreError) -> [JobLeaseRecord] {
        try await connection { c in
            try await rows(c, "SELECT job, holder, acquired_at, expires_at FROM job_lease ORDER BY job").map {
                let (job, holder, acquired, expires) = try $0.decode((String, String, Int64, Int64).self)
                return JobLeaseRecord(job: job, holder: holder, acquiredAt: Timestamp(milliseconds: acquired), expiresAt: Timestamp(milliseconds: expires))
            }
        }
    }

    public func takeRateToken(key: String, rate: Double, burst: Double, now: Timestamp) async throws(StoreError) -> Double? {
        let answer = try await connection { c in
            try await rows(c, """
                WITH bucket AS (SELECT \(key)::text AS key, \(now.milliseconds)::bigint AS now, \(rate)::float8 AS rate, \(burst)::float8 AS burst)
                INSERT INTO rate_bucket (key, tokens, updated_at, allowed) SELECT key, burst - 1, now, true FROM bucket
                ON CONFLICT (key) DO UPDATE SET
                    tokens = LEAST(EXCLUDED.tokens + 1, rate_bucket.tokens + GREATEST(0, EXCLUDED.updated_at - rate_bucket.updated_at) / 1000.0 * \(rate)::float8)
                             - CASE WHEN LEAST(EXCLUDED.tokens + 1, rate_bucket.tokens + GREATEST(0, EXCLUDED.updated_at - rate_bucket.updated_at) / 1000.0 * \(rate)::float8) >= 1
                                    THEN 1 ELSE 0 END,
                    allowed = LEAST(EXCLUDED.tokens + 1, rate_bucket.tokens + GREATEST(0, EXCLUDED.updated_at - rate_bucket.updated_at) / 1000.0 * \(rate)::float8) >= 1,
                    updated_at = GREATEST(rate_bucket.updated_at, EXCLUDED.updated_at)
                RETURNING tokens, allowed
                """).map { try $0.decode((Double, Bool).self) }
        }
        guard let (tokens, allowed) = answer.first else { return nil }
        return allowed ? nil : (1 - tokens) / rate
    }

    public func pruneRateBuckets(before: Timestamp) async throws(StoreError) -> Int {
        try await connection { c in
            try await rows(c, "WITH gone AS (DELETE FROM rate_bucket WHERE updated_at < \(before.milliseconds) RETURNING 1) SELECT count(*)::bigint FROM gone")
                .map { try $0.decode(Int64.self) }.first.map(Int.init) ?? 0
        }
    }
}
