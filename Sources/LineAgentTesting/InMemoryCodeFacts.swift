import LineCore
import LineDecisions
import Synchronization

/// The decisions' ``CodeFactsSource`` in memory: a seen set and an optional pool, changeable while a test runs, and a
/// failure to inject (a read error of the outbox).
public final class InMemoryCodeFacts: CodeFactsSource, Sendable {
    private let state: Mutex<(seen: Set<StampCode>, pool: Set<StampCode>?, failure: (any Error & Sendable)?)>

    public init(seen: Set<StampCode> = [], pool: Set<StampCode>? = nil) {
        state = Mutex((seen, pool, nil))
    }

    public func facts(for code: StampCode) async throws -> CodeFacts {
        let (seen, pool, failure) = state.withLock { ($0.seen, $0.pool, $0.failure) }
        if let failure { throw failure }
        return CodeFacts(seen: seen.contains(code), inPool: pool.map { $0.contains(code) })
    }

    /// Makes every lookup fail with `error` (nil: succeed again).
    public func fail(with error: (any Error & Sendable)?) { state.withLock { $0.failure = error } }

    /// Marks a code as seen.
    public func markSeen(_ code: StampCode) { _ = state.withLock { $0.seen.insert(code) } }
}
