import LineCore
import QazAPI

/// What several registrar processes on one database share beyond the API's own data: which process runs each background
/// job (a lease row per job) and, when configured, the rate limits' token buckets. Both live in the database, so an
/// instance keeps no state of its own that matters for correctness (docs/operations.md, "Several registrar instances").
public protocol ClusterStore: Sendable {
    /// Claims or renews the lease on a background job: succeeds when no one holds it, when its holder's lease has
    /// expired, or when `holder` already holds it (then it is extended). One atomic statement, so two instances
    /// claiming at once cannot both succeed.
    /// - Parameters:
    ///   - job: the job's name (`order-expiry`, `receipt-gaps`, `cluster-maintenance`).
    ///   - holder: this instance's name.
    ///   - now: the current time.
    ///   - ttl: how long the lease lasts unless renewed (milliseconds).
    /// - Returns: whether `holder` holds the lease now.
    func claimJobLease(job: String, holder: String, now: Timestamp, ttlMilliseconds: Int64) async throws(StoreError) -> Bool

    /// Gives the lease up (graceful shutdown), so that another instance takes the job at once rather than after the TTL.
    func releaseJobLease(job: String, holder: String) async throws(StoreError)

    /// The leases as stored (`qazserver cluster`): who holds which job until when.
    func jobLeases() async throws(StoreError) -> [JobLeaseRecord]

    /// Takes one token from the shared bucket `key` (refilled at `rate` per second up to `burst`).
    /// - Returns: nil when allowed, else the seconds until a token is available.
    func takeRateToken(key: String, rate: Double, burst: Double, now: Timestamp) async throws(StoreError) -> Double?

    /// Deletes the buckets that have been full for a while (untouched since `before`); the number deleted.
    func pruneRateBuckets(before: Timestamp) async throws(StoreError) -> Int
}

/// A background job's lease as stored.
public struct JobLeaseRecord: Sendable, Equatable {
    public var job: String
    public var holder: String
    /// When the holder took the job (kept across renewals).
    public var acquiredAt: Timestamp
    /// When the lease ends unless renewed.
    public var expiresAt: Timestamp
}

/// The refill arithmetic of a token bucket, shared by the stores' SQL and tests: the tokens after `elapsed` ms.
enum RateBucketMath {
    static func refilled(tokens: Double, elapsedMilliseconds: Int64, rate: Double, burst: Double) -> Double {
        min(burst, tokens + Double(max(0, elapsedMilliseconds)) / 1000 * rate)
    }
}
