import Logging
import Synchronization

/// A change of the registrar address a client with several addresses sends to.
public struct RegistrarSwitch: Sendable, Equatable, CustomStringConvertible {
    /// Why the client moved.
    public enum Reason: String, Sendable {
        /// The address in use failed (no connection, a dropped connection, a timeout, a 502/503/504 answer).
        case failover
        /// `failback` passed since the client left the first (preferred) address, and the first answered again.
        case failback
    }

    public var reason: Reason
    /// Index (in the configured list) and URL of the address left.
    public var from: Int
    public var fromURL: String
    /// Index and URL of the address now in use.
    public var to: Int
    public var toURL: String
    /// What failed at `fromURL` (nil for a failback).
    public var cause: String?

    public init(reason: Reason, from: Int, fromURL: String, to: Int, toURL: String, cause: String?) {
        self.reason = reason
        self.from = from
        self.fromURL = fromURL
        self.to = to
        self.toURL = toURL
        self.cause = cause
    }

    public var description: String {
        "\(reason.rawValue) from \(fromURL) to \(toURL)" + (cause.map { " (\($0))" } ?? "")
    }
}

/// Which registrar address a client uses now, and how often it moved.
public struct RegistrarAddressStatus: Sendable, Equatable, Codable {
    /// Every configured base URL, the preferred first.
    public var urls: [String]
    /// The index in `urls` of the address requests go to now.
    public var activeIndex: Int
    /// Moves away from a failing address since start.
    public var failovers: Int
    /// Returns to the first address after `failback` since start.
    public var failbacks: Int

    /// The base URL requests go to now.
    public var activeURL: String { urls[activeIndex] }

    public init(urls: [String], activeIndex: Int, failovers: Int, failbacks: Int) {
        self.urls = urls
        self.activeIndex = activeIndex
        self.failovers = failovers
        self.failbacks = failbacks
    }
}

/// The choice of registrar address for each request: the active one first, then the others in list order; after
/// `failback` away from the first (preferred) one, one request tries the first again. Pure state (no I/O) behind a
/// lock, shared by every request of one client; moves are compare-and-set, so concurrent requests that see the same
/// failure move the client once.
public final class RegistrarAddresses: Sendable {
    /// The addresses one request may try, in order.
    public struct Plan: Sendable, Equatable {
        /// Indexes into the list, the first to try first.
        public var order: [Int]
        /// The active index when the plan was made (moves are made only if it is still active).
        public var active: Int
        /// Whether `order.first` is the failback probe of the first address.
        public var failbackProbe: Bool
    }

    private struct State {
        var active = 0
        /// When the client last left (or last probed) the first address, on the clock.
        var leftFirstAt: Duration?
        var failovers = 0
        var failbacks = 0
    }

    public let urls: [String]
    public let failback: Duration
    private let elapsed: @Sendable () -> Duration
    private let state = Mutex(State())

    /// - Parameters:
    ///   - urls: the base URLs, the preferred first (at least one).
    ///   - failback: how long after leaving the first address it is tried again.
    ///   - clock: the clock `failback` is measured on (tests pass a test clock).
    public init(urls: [String], failback: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        precondition(!urls.isEmpty, "RegistrarAddresses needs at least one URL")
        self.urls = urls
        self.failback = failback
        elapsed = Self.stopwatch(clock)
    }

    /// The order in which one request tries the addresses.
    /// - Parameter mayProbe: whether this request may be the failback probe of the first address (only requests that
    ///   may be sent to another address after a failure: a probe that fails must not fail the request).
    public func plan(mayProbe: Bool = true) -> Plan {
        let now = elapsed()
        return state.withLock { state in
            let rotation = (0..<urls.count).map { (state.active + $0) % urls.count }
            if mayProbe, state.active != 0, let left = state.leftFirstAt, now - left >= failback {
                state.leftFirstAt = now  // one probe per period, however many requests run
                return Plan(order: [0] + rotation.filter { $0 != 0 }, active: state.active, failbackProbe: true)
            }
            return Plan(order: rotation, active: state.active, failbackProbe: false)
        }
    }

    /// Records that the address at `index` answered `plan`'s request after the addresses before it failed (`cause`:
    /// the first failure); returns the move this makes, if any.
    public func answered(at index: Int, plan: Plan, cause: String? = nil) -> RegistrarSwitch? {
        let now = elapsed()
        return state.withLock { state in
            guard index != state.active, state.active == plan.active else { return nil }
            let reason: RegistrarSwitch.Reason = plan.failbackProbe && index == 0 ? .failback : .failover
            return move(&state, to: index, reason: reason, cause: reason == .failback ? nil : cause, now: now)
        }
    }

    /// Records that the active address of `plan` failed for a request that is not sent elsewhere; moves the client
    /// to the next address (untried) so that the next request goes there. Returns the move, if any.
    public func failedWithoutResend(at index: Int, plan: Plan, cause: String) -> RegistrarSwitch? {
        guard urls.count > 1 else { return nil }
        let now = elapsed()
        return state.withLock { state in
            guard index == state.active, state.active == plan.active else { return nil }
            return move(&state, to: (index + 1) % urls.count, reason: .failover, cause: cause, now: now)
        }
    }

    /// The address in use and the counts.
    public func status() -> RegistrarAddressStatus {
        state.withLock { RegistrarAddressStatus(urls: urls, activeIndex: $0.active, failovers: $0.failovers, failbacks: $0.failbacks) }
    }

    private func move(_ state: inout State, to index: Int, reason: RegistrarSwitch.Reason, cause: String?, now: Duration) -> RegistrarSwitch {
        let from = state.active
        state.active = index
        switch reason {
        case .failover: state.failovers += 1
        case .failback: state.failbacks += 1
        }
        if index == 0 {
            state.leftFirstAt = nil
        } else if from == 0 {
            state.leftFirstAt = now
        }
        return RegistrarSwitch(reason: reason, from: from, fromURL: urls[from], to: index, toURL: urls[index], cause: cause)
    }

    /// Time elapsed on the clock since the call.
    private static func stopwatch<C: Clock>(_ clock: C) -> @Sendable () -> Duration where C.Duration == Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }
}
