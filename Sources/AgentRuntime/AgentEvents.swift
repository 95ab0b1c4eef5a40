import Foundation
import Synchronization

/// Alarms and errors of the whole agent, newest first, for `/status` and `lineagent status`. Thread-safe.
public final class AgentEventLog: Sendable {
    private struct State {
        var alarms: [StatusEvent] = []
        var errors: [StatusEvent] = []
        var alarmCount = 0
    }
    private let state = Mutex(State())
    private let maxAlarms = 50, maxErrors = 20

    public init() {}

    /// Records an alarm (an operator must see it, and acknowledges it on the console).
    public func alarm(line: String?, kind: String, _ message: String, at time: Date = Date()) {
        state.withLock {
            $0.alarmCount += 1
            $0.alarms.insert(StatusEvent(time: time, line: line, kind: kind, message: message, id: $0.alarmCount), at: 0)
            if $0.alarms.count > maxAlarms { $0.alarms.removeLast() }
        }
    }

    /// Marks alarm `id` acknowledged by `user`; returns it, or nil if it is no longer kept. Acknowledging twice keeps
    /// the first acknowledgement.
    public func acknowledge(_ id: Int, by user: String, at time: Date = Date()) -> StatusEvent? {
        state.withLock { state in
            guard let index = state.alarms.firstIndex(where: { $0.id == id }) else { return nil }
            if state.alarms[index].acknowledgedBy == nil {
                state.alarms[index].acknowledgedBy = user
                state.alarms[index].acknowledgedAt = time
            }
            return state.alarms[index]
        }
    }

    /// Alarms kept and not yet acknowledged.
    public var unacknowledgedCount: Int { state.withLock { $0.alarms.filter { $0.acknowledgedBy == nil }.count } }

    /// Records an error (something failed and was handled).
    public func error(line: String?, kind: String, _ message: String, at time: Date = Date()) {
        state.withLock {
            $0.errors.insert(StatusEvent(time: time, line: line, kind: kind, message: message), at: 0)
            if $0.errors.count > maxErrors { $0.errors.removeLast() }
        }
    }

    /// The alarms kept (at most 50), newest first.
    public var alarms: [StatusEvent] { state.withLock { $0.alarms } }
    /// The errors kept (at most 20), newest first.
    public var errors: [StatusEvent] { state.withLock { $0.errors } }
    /// Alarms raised since start.
    public var alarmCount: Int { state.withLock { $0.alarmCount } }
}

/// Values over a sliding time window (rates, percentiles over the last minute).
struct SlidingWindow: Sendable {
    private var entries: [(instant: ContinuousClock.Instant, value: Double)] = []
    private var head = 0
    let span: Duration

    init(span: Duration = .seconds(60)) { self.span = span }

    mutating func add(_ value: Double, at instant: ContinuousClock.Instant) {
        entries.append((instant, value))
        trim(now: instant)
    }

    mutating func trim(now: ContinuousClock.Instant) {
        while head < entries.count, now - entries[head].instant > span { head += 1 }
        if head > 4096, head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    func values(now: ContinuousClock.Instant) -> [Double] {
        entries[head...].filter { now - $0.instant <= span }.map(\.value)
    }

    func count(now: ContinuousClock.Instant) -> Int { entries[head...].filter { now - $0.instant <= span }.count }
}
