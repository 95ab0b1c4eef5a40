import ConfigKit
import Foundation
import LineCore
import QazAPI
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// `cluster:` in the server configuration: how this process shares one PostgreSQL with other `qazserver` processes.
///
/// Nothing here is needed for correctness with several instances (idempotency, event ids and counters live in the
/// database anyway); it names the instance in the job leases, sets how fast a dead instance's jobs move to a live one,
/// and chooses where rate limits are kept.
public struct ClusterConfiguration: Codable, Sendable, ValidatableConfig {
    /// This instance's name in the job leases (`qazserver cluster`, logs). Default: host name, process id and a random
    /// suffix, so two processes never share one.
    public var instance: String?
    /// How long a background job's lease lasts unless renewed; a killed instance's jobs move to another within this
    /// (plus a sweep). Renewed every third of it.
    public var jobLeaseTTL: ConfigDuration
    /// `instance`: each process keeps its own token buckets (N instances behind a balancer allow up to N times the rate);
    /// `shared`: the buckets are rows in the database, one limit across instances, at one small write per request.
    public var rateLimits: RateLimitScope

    public enum RateLimitScope: String, Codable, Sendable, CaseIterable {
        case instance, shared
    }

    public init() {
        instance = nil
        jobLeaseTTL = ConfigDuration(.seconds(30))
        rateLimits = .instance
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ClusterConfiguration()
        instance = try c.decodeIfPresent(String.self, forKey: .instance)
        jobLeaseTTL = try c.decodeIfPresent(ConfigDuration.self, forKey: .jobLeaseTTL) ?? d.jobLeaseTTL
        rateLimits = try c.decodeIfPresent(RateLimitScope.self, forKey: .rateLimits) ?? d.rateLimits
    }

    public func validate(_ v: inout ConfigValidator) {
        if let instance {
            v.check(!instance.isEmpty && instance.count <= 100 && instance.allSatisfy { $0.isASCII && !$0.isWhitespace && !$0.isNewline },
                    at: "instance", "expected 1-100 printable ASCII characters without spaces")
        }
        v.check(jobLeaseTTL.duration >= .seconds(3) && jobLeaseTTL.duration <= .seconds(3600), at: "jobLeaseTTL", "expected 3s to 1h")
    }

    /// The settings the server runs with (the instance name made when none is configured).
    public var settings: ClusterSettings {
        ClusterSettings(instance: instance ?? ClusterSettings.defaultInstanceName(), jobLeaseTTL: jobLeaseTTL.duration,
                        sharedRateLimits: rateLimits == .shared)
    }
}

/// The cluster settings of a running server.
public struct ClusterSettings: Sendable {
    public var instance: String
    public var jobLeaseTTL: Duration
    public var sharedRateLimits: Bool
    /// The leases' clock (tests move it).
    public var clock: @Sendable () -> Timestamp

    public init(instance: String = ClusterSettings.defaultInstanceName(), jobLeaseTTL: Duration = .seconds(30), sharedRateLimits: Bool = false,
                clock: @escaping @Sendable () -> Timestamp = { .now }) {
        self.instance = instance
        self.jobLeaseTTL = jobLeaseTTL
        self.sharedRateLimits = sharedRateLimits
        self.clock = clock
    }

    /// `host:pid:xxxx`.
    public static func defaultInstanceName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(String(UInt16.random(in: .min ... .max), radix: 16))"
    }
}

/// The lease that lets one instance of several run a background job: claimed before each pass, renewed while passes
/// continue, given up at graceful shutdown. A store without a ``ClusterStore`` (tests' in-memory doubles) runs the job
/// here always. A store error counts as not holding: skipping a pass is safe, running it twice at once is not wanted.
public final class JobLease: Sendable {
    public let job: String
    let store: (any ClusterStore)?
    let holder: String
    let ttl: Duration
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    private let held = Mutex(false)
    private let gauge: Gauge

    /// - Parameters:
    ///   - job: the job's name, the lease's key.
    ///   - store: the shared store (nil: no other instance can exist, the job always runs).
    ///   - settings: this instance's name, the TTL, the clock.
    public init(job: String, store: (any ClusterStore)?, settings: ClusterSettings, logger: Logger, factory: any MetricsFactory = MetricsSystem.factory) {
        self.job = job
        self.store = store
        self.holder = settings.instance
        self.ttl = settings.jobLeaseTTL
        self.clock = settings.clock
        self.logger = logger
        self.gauge = Gauge(label: "qaz_job_lease_held", dimensions: [("job", job)], factory: factory)
    }

    /// How often the holder must renew (a third of the TTL), and how often the others look whether it lapsed.
    public var renewEvery: Duration { ttl / 3 }

    /// Claims or renews the lease; whether this instance runs the job now.
    public func hold() async -> Bool {
        guard let store else { return true }
        let now: Bool
        do {
            now = try await store.claimJobLease(job: job, holder: holder, now: clock(), ttlMilliseconds: ttl.milliseconds)
        } catch {
            logger.warning("job lease not claimed: the store failed; the job waits", metadata: ["job": "\(job)", "error.message": "\(error)"])
            now = false
        }
        let before = held.withLock { held in defer { held = now }; return held }
        if now != before {
            gauge.record(now ? 1 : 0)
            if now {
                logger.notice("took the job's lease: this instance runs it", metadata: ["job": "\(job)", "instance": "\(holder)"])
            } else {
                logger.notice("the job's lease is held elsewhere: this instance stands by", metadata: ["job": "\(job)", "instance": "\(holder)"])
            }
        }
        return now
    }

    /// Whether the last claim succeeded.
    public var isHeld: Bool { held.withLock { $0 } }

    /// Gives the lease up if held (graceful shutdown).
    public func release() async {
        guard let store, held.withLock({ held in defer { held = false }; return held }) else { return }
        gauge.record(0)
        do {
            try await store.releaseJobLease(job: job, holder: holder)
            logger.info("gave the job's lease up", metadata: ["job": "\(job)", "instance": "\(holder)"])
        } catch {
            logger.warning("job lease not released; it lapses after its TTL", metadata: ["job": "\(job)", "error.message": "\(error)"])
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// Token buckets that decide whether a request may go on, by key (a participant, a client address).
public protocol RequestRateLimiter: Sendable {
    /// Takes one token for `key`; nil when allowed, else how long until a token is available.
    func acquire(_ key: String) async -> Duration?
}

extension RateLimiter: RequestRateLimiter {
    public func acquire(_ key: String) async -> Duration? { acquireNow(key) }
}

/// Token buckets kept in the database (`cluster.rateLimits: shared`): one limit across every instance. A store failure
/// lets the request through (the limit protects the server; refusing everything while the database hiccups would turn a
/// slow store into an outage) and is counted in `qaz_rate_limit_store_errors_total`.
public struct SharedRateLimiter: RequestRateLimiter {
    let store: any ClusterStore
    let scope: String
    let rate: Double
    let burst: Double
    let clock: @Sendable () -> Timestamp
    let errors: Counter

    /// - Parameters:
    ///   - scope: a prefix that keeps this limiter's keys apart from another's (`participant`, `client`).
    public init(store: any ClusterStore, scope: String, rate: Double, burst: Int, clock: @escaping @Sendable () -> Timestamp = { .now },
                factory: any MetricsFactory = MetricsSystem.factory) {
        self.store = store
        self.scope = scope
        self.rate = rate
        self.burst = Double(burst)
        self.clock = clock
        self.errors = Counter(label: "qaz_rate_limit_store_errors_total", dimensions: [("scope", scope)], factory: factory)
    }

    public func acquire(_ key: String) async -> Duration? {
        do {
            return try await store.takeRateToken(key: "\(scope):\(key)", rate: rate, burst: burst, now: clock()).map { .milliseconds(Int64(($0 * 1000).rounded(.up))) }
        } catch {
            errors.increment()
            return nil
        }
    }
}

/// Housekeeping of the cluster tables, under its own lease: deletes rate buckets untouched for an hour (a bucket left
/// alone that long is full, so deleting it changes no answer).
public struct ClusterMaintenanceService: Service {
    let store: any ClusterStore
    let lease: JobLease
    let every: Duration
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await lease.hold() {
                    do {
                        let pruned = try await store.pruneRateBuckets(before: Timestamp(milliseconds: lease.clock().milliseconds - 3_600_000))
                        if pruned > 0 { logger.debug("rate buckets pruned", metadata: ["buckets": "\(pruned)"]) }
                    } catch {
                        logger.warning("rate bucket pruning failed; retrying", metadata: ["error.message": "\(error)"])
                    }
                }
                try? await Task.sleep(for: min(every, lease.renewEvery))
            }
        }
        await lease.release()
    }
}

extension RegistrarServer {
    /// The cluster tables' housekeeping (nil when the store keeps none, or the limits are per instance).
    public var clusterMaintenanceService: ClusterMaintenanceService? {
        guard cluster.sharedRateLimits, let store = store as? any ClusterStore else { return nil }
        return ClusterMaintenanceService(store: store, lease: lease("cluster-maintenance"), every: .seconds(300),
                                         logger: Logger(label: "qazserver.cluster"))
    }

    /// A job lease of this server's instance.
    func lease(_ job: String) -> JobLease {
        JobLease(job: job, store: store as? any ClusterStore, settings: cluster, logger: Logger(label: "qazserver.jobs"), factory: metrics.factory)
    }
}
