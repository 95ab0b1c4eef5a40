import Synchronization

/// A clock for tests that never sleeps: `sleep(until:)` moves the clock's time to the deadline and returns at
/// once (after a yield), recording every requested sleep. Tests of batching and backoff run in microseconds and
/// can assert the delays that would have been waited.
public final class TestClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Self { Instant(offset: offset + duration) }
        public func duration(to other: Self) -> Duration { other.offset - offset }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex<(now: Instant, sleeps: [Duration])>((Instant(offset: .zero), []))

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Every sleep requested so far, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }
    /// The time elapsed on this clock.
    public var elapsed: Duration { now.offset }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.sleeps.append(state.now.duration(to: deadline))
            if deadline > state.now { state.now = deadline }
        }
        await Task.yield()
        try Task.checkCancellation()
    }

    /// Moves the clock forward without sleeping.
    public func advance(by duration: Duration) { state.withLock { $0.now = $0.now.advanced(by: duration) } }
}
