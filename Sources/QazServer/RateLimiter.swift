import Foundation
import Synchronization

/// A token bucket per key (a participant, a client address), in this process's memory: `rate` requests per second on average, up to `burst` at once.
///
/// The clock is injected (a `Clock` whose duration is `Duration`), so tests can drive time by hand.
public final class RateLimiter<C: Clock>: Sendable where C.Duration == Duration {
    struct Bucket {
        var tokens: Double
        var updated: C.Instant
    }

    /// How many keys before the refilled buckets are dropped.
    static var pruneAt: Int { 50_000 }

    private let rate: Double
    private let burst: Double
    private let clock: C
    private let buckets: Mutex<[String: Bucket]>

    /// - Parameters:
    ///   - rate: tokens added per second.
    ///   - burst: the bucket's size (and its content at first sight of a participant).
    ///   - clock: the time source.
    public init(rate: Double, burst: Int, clock: C) {
        self.rate = rate
        self.burst = Double(burst)
        self.clock = clock
        self.buckets = Mutex([:])
    }

    /// Takes one token for `key`; nil when allowed, else how long until a token is available.
    public func acquireNow(_ key: String) -> Duration? {
        let now = clock.now
        return buckets.withLock { buckets in
            // Keys are bounded by pruning the buckets that have refilled (they hold nothing a new bucket would not).
            if buckets.count >= Self.pruneAt, buckets[key] == nil {
                buckets = buckets.filter { _, bucket in
                    let idle = bucket.updated.duration(to: now)
                    return bucket.tokens + (Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18) * rate < burst
                }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = bucket.updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + max(0, seconds) * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return .seconds((1 - bucket.tokens) / rate)
        }
    }
}
