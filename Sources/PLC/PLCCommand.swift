import LineCore

/// What the agent asks of a line's PLC. A line sends its commands through one ordered ``PLCCommandChannel``: rejects
/// reach the PLC in the order the bottles were decided, and a graceful shutdown drains the channel before the link
/// closes.
public enum PLCCommand: Sendable, Hashable {
    /// Push a bottle off at the reject station.
    case reject(sequence: UInt64, reason: RejectReason)
    /// A good bottle was acknowledged (its decision is on disk): counted into `goodCounter`.
    case countGood
    /// The status written to `agentStatus`.
    case setStatus(AgentStatus)
    /// The value written to `agentAlarm` (0: none).
    case setAlarm(Int)
    /// Ask the PLC to stop the line.
    case requestLineStop(reason: String)
    /// Withdraw the line-stop request.
    case clearLineStopRequest
}

/// One line's ordered command channel: the line runtime sends, the line's PLC service applies them in order until
/// the line finishes the channel (after its last decision).
public struct PLCCommandChannel: Sendable {
    /// The commands, in order; one consumer.
    public let commands: AsyncStream<PLCCommand>
    private let continuation: AsyncStream<PLCCommand>.Continuation

    public init() {
        (commands, continuation) = AsyncStream.makeStream(of: PLCCommand.self, bufferingPolicy: .unbounded)
    }

    /// Sends a command; after ``finish()`` it is dropped (the line has stopped deciding).
    public func send(_ command: PLCCommand) { continuation.yield(command) }

    /// No more commands: the consumer applies what is queued, then ends.
    public func finish() { continuation.finish() }
}

extension PLCMonitor {
    /// Applies one command.
    public func apply(_ command: PLCCommand) async {
        switch command {
        case .reject(let sequence, let reason): await reject(sequence: sequence, reason: reason)
        case .countGood: countGood()
        case .setStatus(let status): setStatus(status)
        case .setAlarm(let code): setAlarm(code)
        case .requestLineStop(let reason): requestLineStop(reason: reason)
        case .clearLineStopRequest: clearLineStopRequest()
        }
    }

    /// Applies a channel's commands in order until it finishes (or the task is cancelled).
    public func follow(_ channel: PLCCommandChannel) async {
        for await command in channel.commands { await apply(command) }
    }
}
