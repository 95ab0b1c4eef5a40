import Logging
import ServiceLifecycle
import Synchronization

/// What a service's health check found.
public enum Health: Sendable, Equatable {
    case healthy
    /// Something is stuck; the text says what (it goes to the log and to `STATUS=`).
    case unhealthy(String)
}

/// A flag the runtime sets once it is ready (e.g. from a server's `onServerRunning`), with the status line to show;
/// polled by ``SystemdNotifyService``.
public final class ReadinessFlag: Sendable {
    private let state = Mutex<String?>(nil)
    public init() {}
    /// Marks the runtime ready, with the `STATUS=` text that goes with `READY=1`.
    public func set(status: String = "ready") { state.withLock { $0 = status } }
    public var isSet: Bool { state.withLock { $0 != nil } }
    /// The status given to ``set(status:)`` ("starting" before).
    public var status: String { state.withLock { $0 ?? "starting" } }
}

/// Tells the service manager how the process is doing, as a service in the process's `ServiceGroup` (put it last, so
/// that it is the first to hear of a graceful shutdown):
/// - `READY=1` (with a `STATUS=` line) once `isReady` says so;
/// - `WATCHDOG=1` every half `WatchdogSec=`: unconditionally during start-up (which `TimeoutStartSec=` bounds), then
///   only while `health` answers ``Health/healthy`` within ``checkTimeout`` — a stuck runtime stops the pings and the
///   service manager restarts the service;
/// - `STOPPING=1` as soon as graceful shutdown begins.
///
/// Without `NOTIFY_SOCKET` (not started by systemd) it sends nothing and just waits for the shutdown.
public struct SystemdNotifyService: Service, CustomStringConvertible {
    let notifier: SystemdNotifier
    let watchdog: WatchdogSettings?
    let isReady: @Sendable () async -> Bool
    let readyStatus: @Sendable () async -> String
    let probe: HealthProbe
    let logger: Logger
    let readinessPoll: Duration
    /// How long one health check may take before it counts as failed: a quarter of the watchdog timeout, so that a
    /// late answer still leaves a ping in time.
    public let checkTimeout: Duration

    public var description: String { "SystemdNotifyService" }

    /// A service that is ready once `ready` is set, with its status.
    public init(ready: ReadinessFlag, health: @escaping @Sendable () async -> Health, logger: Logger,
                notifier: SystemdNotifier = .fromProcessEnvironment(), watchdog: WatchdogSettings? = .fromProcessEnvironment()) {
        self.init(notifier: notifier, watchdog: watchdog, isReady: { ready.isSet }, readyStatus: { ready.status }, health: health,
                  logger: logger)
    }

    /// - Parameters:
    ///   - notifier: where the messages go (default: `NOTIFY_SOCKET` of this process).
    ///   - watchdog: the watchdog asked for (default: `WATCHDOG_USEC`/`WATCHDOG_PID` of this process).
    ///   - isReady: true once the runtime is ready; polled every `readinessPoll` until it is.
    ///   - readyStatus: the `STATUS=` text sent with `READY=1` and when health returns.
    ///   - health: the runtime's own health check (the runtime decides what "alive" means).
    ///   - readinessPoll: how often `isReady` is asked.
    public init(notifier: SystemdNotifier = .fromProcessEnvironment(), watchdog: WatchdogSettings? = .fromProcessEnvironment(),
                isReady: @escaping @Sendable () async -> Bool, readyStatus: @escaping @Sendable () async -> String = { "ready" },
                health: @escaping @Sendable () async -> Health, logger: Logger, readinessPoll: Duration = .milliseconds(20)) {
        self.notifier = notifier
        self.watchdog = watchdog
        self.isReady = isReady
        self.readyStatus = readyStatus
        self.probe = HealthProbe(check: health)
        self.logger = logger
        self.readinessPoll = readinessPoll
        checkTimeout = (watchdog?.timeout ?? .seconds(30)) / 4
    }

    public func run() async throws {
        guard notifier.isEnabled else {
            // Not under a service manager: nothing to tell; stay in the group until it shuts down.
            try? await gracefulShutdown()
            return
        }
        if let watchdog {
            logger.info("systemd watchdog on", metadata: ["watchdog.timeout": "\(watchdog.timeout)", "watchdog.ping": "\(watchdog.pingInterval)"])
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.notifyUntilCancelled() }
            try? await gracefulShutdown()  // returns on graceful shutdown (or throws on cancellation)
            group.cancelAll()
        }
        send([.stopping, .status("stopping")])
    }

    /// Start-up pings, READY=1, then health-gated pings, until the task is cancelled.
    private func notifyUntilCancelled() async {
        let clock = ContinuousClock()
        var nextPing = clock.now
        while !Task.isCancelled, await !isReady() {
            if let watchdog, clock.now >= nextPing {
                send([.watchdog])
                nextPing = clock.now.advanced(by: watchdog.pingInterval)
            }
            try? await Task.sleep(for: readinessPoll)
        }
        guard !Task.isCancelled else { return }
        let status = await readyStatus()
        send([.ready, .status(status)])
        logger.info("ready (systemd notified)", metadata: ["systemd.status": "\(status)"])
        guard let watchdog else { return }
        var last = Health.healthy
        nextPing = clock.now
        while !Task.isCancelled {
            let health = await probe.check(within: checkTimeout)
            if Task.isCancelled { return }
            switch health {
            case .healthy:
                send([.watchdog])
                if case .unhealthy = last {
                    logger.notice("health check passes again: watchdog pings resume")
                    send([.status(await readyStatus())])
                }
            case .unhealthy(let reason):
                if health != last {
                    logger.error("health check failed: watchdog pings withheld (systemd restarts the service after WatchdogSec)",
                                 metadata: ["health.problem": "\(reason)"])
                    send([.status("unhealthy: \(reason)")])
                }
            }
            last = health
            nextPing = nextPing.advanced(by: watchdog.pingInterval)
            if nextPing < clock.now { nextPing = clock.now }
            try? await clock.sleep(until: nextPing)
        }
    }

    private func send(_ messages: [NotifyMessage]) {
        do {
            try notifier.send(messages)
        } catch {
            logger.warning("systemd notification not sent", metadata: ["systemd.error": "\(error)"])
        }
    }
}

/// Runs a health check with a time limit, never more than one at a time: a check that has not answered is waited for
/// again by the next round instead of starting another one beside it.
final class HealthProbe: Sendable {
    private let check: @Sendable () async -> Health
    private let running = Mutex<Task<Health, Never>?>(nil)

    init(check: @escaping @Sendable () async -> Health) { self.check = check }

    /// The check's answer, or ``Health/unhealthy(_:)`` when it did not answer within `limit`.
    func check(within limit: Duration) async -> Health {
        let task = running.withLock { current in
            if let current { return current }
            let started = Task { await check() }
            current = started
            return started
        }
        guard let answer = await Self.value(of: task, within: limit) else {
            return .unhealthy("the health check did not answer within \(limit)")
        }
        running.withLock { if $0 == task { $0 = nil } }
        return answer
    }

    /// The task's value if it arrives within `limit` (the task is not cancelled when it does not).
    static func value<T: Sendable>(of task: Task<T, Never>, within limit: Duration) async -> T? {
        let once = Mutex<CheckedContinuation<T?, Never>?>(nil)
        let resume: @Sendable (T?) -> Void = { value in once.withLock { $0.take() }?.resume(returning: value) }
        var helpers: [Task<Void, Never>] = []
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                once.withLock { $0 = continuation }
                helpers = [Task { resume(await task.value) }, Task { try? await Task.sleep(for: limit); resume(nil) }]
                if Task.isCancelled { resume(nil) }  // cancelled before the continuation was there to resume
            }
        } onCancel: {
            resume(nil)
        }
        for helper in helpers { helper.cancel() }
        return result
    }
}
