import ServiceLifecycle
import Synchronization

/// Knows when every service of a group has begun to run: ``wrap(_:)`` the services before they go into the
/// `ServiceGroup`, then ``allStarted`` turns true once each one's `run()` was entered (a readiness condition for
/// ``SystemdNotifyService``). The wrappers change nothing else: graceful shutdown reaches the wrapped service as before.
public final class ServiceStartTracker: Sendable {
    private let started = Mutex<(count: Int, entered: Set<Int>)>((0, []))

    public init() {}

    /// The services, each wrapped so that its start is recorded.
    public func wrap(_ services: [any Service]) -> [any Service] {
        let base = started.withLock { state in
            defer { state.count += services.count }
            return state.count
        }
        return services.enumerated().map { TrackedService(inner: $1, index: base + $0, tracker: self) }
    }

    /// Whether every wrapped service's `run()` has been entered.
    public var allStarted: Bool { started.withLock { $0.entered.count == $0.count } }

    /// How many wrapped services have started, and how many there are.
    public var progress: (started: Int, total: Int) { started.withLock { ($0.entered.count, $0.count) } }

    fileprivate func markStarted(_ index: Int) { _ = started.withLock { $0.entered.insert(index) } }
}

/// A service whose start is recorded; runs the wrapped one.
private struct TrackedService: Service, CustomStringConvertible {
    let inner: any Service
    let index: Int
    let tracker: ServiceStartTracker

    var description: String { String(describing: inner) }

    func run() async throws {
        tracker.markStarted(index)
        try await inner.run()
    }
}
