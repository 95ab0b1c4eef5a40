import LineCore
import PLC

/// Whether the agent's bottle path still moves, for a service manager's watchdog (`lineagent run` under systemd pings
/// `WATCHDOG=1` only while ``problem()`` is nil).
///
/// Per line it asks the line's runtime and its PLC monitor (both must answer: a wedged actor or a PLC call stuck on
/// the link's queue never returns, and the caller's time limit turns that into a missed ping), and compares with
/// what the previous check saw:
/// - bottles are waiting for their decision (queued or being written) and not one bottle was decided since a check
///   at least ``stallLimit`` ago: the bottle path hangs;
/// - the PLC link is up and its poll count has not moved for ``stallLimit``: the poll loop hangs.
///
/// A stopped or idle line is alive (nothing waits), and so is a line whose PLC is unreachable (the monitor keeps
/// reconnecting, and `/ready` reports it): a restart would not help there.
public actor AgentLiveness {
    /// How long the bottle path or a PLC poll loop may stand still, with work waiting, before it counts as hung.
    public let stallLimit: Duration
    private let lines: [LineRuntime]
    private let monitors: [PLCMonitor]
    private let clock = ContinuousClock()
    private var seen: [Int: Observation] = [:]

    private struct Observation {
        var decided: Int
        var polls: Int
        var decisionsStuckSince: ContinuousClock.Instant?
        var pollsStuckSince: ContinuousClock.Instant?
    }

    /// - Parameters:
    ///   - lines: the lines' runtimes.
    ///   - monitors: their PLC monitors, in the same order.
    ///   - stallLimit: see ``stallLimit``.
    public init(lines: [LineRuntime], monitors: [PLCMonitor], stallLimit: Duration = .seconds(10)) {
        self.lines = lines
        self.monitors = monitors
        self.stallLimit = stallLimit
    }

    /// The liveness of a running agent's lines.
    public init(agent: LineAgentRuntime, stallLimit: Duration = .seconds(10)) {
        self.init(lines: agent.lines, monitors: agent.monitors, stallLimit: stallLimit)
    }

    /// What hangs, or nil when every line's bottle path and PLC poll loop move (or have nothing to do).
    public func problem() async -> String? {
        var problems: [String] = []
        for (index, line) in lines.enumerated() {
            let inFlight = await line.decisionsInFlight
            let status = await line.status()
            let polls = index < monitors.count ? await monitors[index].pollCount : 0
            let now = clock.now
            var observation = seen[index] ?? Observation(decided: status.bottles, polls: polls)
            // Decisions: stuck when bottles wait and none was decided since the last check.
            if inFlight == 0 || status.bottles != observation.decided {
                observation.decisionsStuckSince = nil
            } else if observation.decisionsStuckSince == nil {
                observation.decisionsStuckSince = now
            }
            // PLC polls: stuck when the link is up and the count stands.
            if status.plcLink != "up" || polls != observation.polls || index >= monitors.count {
                observation.pollsStuckSince = nil
            } else if observation.pollsStuckSince == nil {
                observation.pollsStuckSince = now
            }
            observation.decided = status.bottles
            observation.polls = polls
            seen[index] = observation
            if let since = observation.decisionsStuckSince, now - since >= stallLimit {
                problems.append("line \(line.lineID): \(inFlight) bottle(s) waiting and no decision for \(Self.seconds(now - since))")
            }
            if let since = observation.pollsStuckSince, now - since >= stallLimit {
                problems.append("line \(line.lineID): PLC link up but no poll for \(Self.seconds(now - since))")
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return "\(((Double(seconds) + Double(attoseconds) / 1e18) * 10).rounded() / 10) s"
    }
}
