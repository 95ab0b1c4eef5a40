import Foundation

/// Time on the bottle path: monotonic instants (PLC triggers and camera frames are stamped with them; deadlines and
/// matching are measured in them) and the wall clock (decisions are recorded in UTC). Production uses
/// ``SystemLineClock``; tests use a manual clock, so that deadline and matching tests do not sleep.
public protocol LineClock: Sendable {
    /// Now, on the monotonic clock.
    var now: ContinuousClock.Instant { get }
    /// Now, on the wall clock.
    var wallNow: Date { get }
    /// Suspends until `deadline` on this clock (throws when the task is cancelled).
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension LineClock {
    /// Suspends for `duration` on this clock.
    public func sleep(for duration: Duration) async throws { try await sleep(until: now.advanced(by: duration)) }
}

/// The machine's clocks.
public struct SystemLineClock: LineClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public var wallNow: Date { Date() }
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, tolerance: .microseconds(100), clock: .continuous)
    }
}
