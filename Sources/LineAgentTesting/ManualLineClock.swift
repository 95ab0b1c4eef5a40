import Foundation
import LineCore
import Synchronization

/// A ``LineClock`` that moves only when a test says so: ``advance(by:)`` moves both clocks and wakes every sleeper
/// whose deadline has come. Deadline and matching tests run in microseconds and in exact order.
public final class ManualLineClock: LineClock, Sendable {
    private struct State {
        var offset: Duration = .zero
        var nextID = 0
        var sleepers: [(id: Int, deadline: ContinuousClock.Instant, continuation: CheckedContinuation<Void, any Error>)] = []
    }
    private let origin: ContinuousClock.Instant
    private let wallOrigin: Date
    private let state = Mutex(State())

    /// - Parameter wall: the wall time at the start.
    public init(wall: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        origin = .now
        wallOrigin = wall
    }

    public var now: ContinuousClock.Instant { origin.advanced(by: state.withLock { $0.offset }) }
    public var wallNow: Date { wallOrigin.addingTimeInterval(state.withLock { $0.offset }.inSeconds) }

    /// Moves time forward and wakes the sleepers whose deadline has passed.
    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.offset += duration
            let now = origin.advanced(by: state.offset)
            let due = state.sleepers.filter { $0.deadline <= now }.map(\.continuation)
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for continuation in woken { continuation.resume() }
    }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        if deadline <= now { return }
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if deadline <= origin.advanced(by: state.offset) { return true }
                    state.sleepers.append((id, deadline, continuation))
                    return false
                }
                if ready { continuation.resume() }
                if Task.isCancelled { cancel(id) }
            }
        } onCancel: {
            cancel(id)
        }
    }

    private func cancel(_ id: Int) {
        let cancelled = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
            return state.sleepers.remove(at: index).continuation
        }
        cancelled?.resume(throwing: CancellationError())
    }

    /// Sleepers waiting for time to move.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }
}
