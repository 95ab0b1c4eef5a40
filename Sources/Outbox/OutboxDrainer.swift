import Delivery
import Foundation
import LineCore
import Logging
import ServiceLifecycle
import Synchronization

/// How the drainer batches and retries (from `batching:` in the agent configuration).
public struct DrainerConfiguration: Sendable {
    /// Items per batch (1…10,000; the registrar accepts at most 10,000).
    public var maxItems: Int
    /// A partial batch is sent when its oldest item has waited this long.
    public var maxAge: Duration
    /// First retry delay; doubled per failed attempt, with jitter, up to `maxBackoff`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// On graceful shutdown, sending stops after this long; whatever is unsent stays on disk.
    public var shutdownFlushTimeout: Duration
    /// The equipment id sent with every batch.
    public var equipmentId: String

    public init(maxItems: Int = 1_000, maxAge: Duration = .seconds(2), initialBackoff: Duration = .milliseconds(500),
                maxBackoff: Duration = .seconds(60), shutdownFlushTimeout: Duration = .seconds(5), equipmentId: String) {
        self.maxItems = min(max(maxItems, 1), 10_000)
        self.maxAge = maxAge
        self.initialBackoff = initialBackoff
        self.maxBackoff = max(maxBackoff, initialBackoff)
        self.shutdownFlushTimeout = shutdownFlushTimeout
        self.equipmentId = equipmentId
    }

    /// The delay before attempt `attempt + 1` after `attempt` failed attempts (1-based): exponential, with "equal
    /// jitter" (half fixed, half random) so that many agents do not retry in step; never shorter than Retry-After.
    /// - Parameter random: a value in 0..<1.
    public func backoff(afterAttempt attempt: Int, retryAfter: Duration?, random: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        var base = initialBackoff * (1 << exponent)
        if base > maxBackoff || base < .zero { base = maxBackoff }
        let jittered = base / 2 + (base / 2) * random
        return max(jittered, retryAfter ?? .zero)
    }
}

/// What the drainer reports (for metrics and alarms in the composition root).
public enum DrainerEvent: Sendable, Equatable {
    /// One send of a batch was answered (`oldestActivation`: the decision time of its oldest record, for delivery
    /// latency).
    case sent(batchId: UUID, records: Int, completion: BatchCompletion, oldestActivation: Date?)
    /// Records were refused for good (an alarm: the dead-letter table holds the reasons).
    case deadLettered(batchId: UUID, count: Int)
    /// The outbox could not be read or written.
    case storageFailed(OutboxError)
    /// The shutdown flush ended; `unsent` activations stay on disk.
    case flushed(unsent: Int, timedOut: Bool)
}

/// Sends queued activations through an ``ActivationSink``: one batch at a time, in queue order, each re-sent
/// under its own id until every member is answered. A `Service`: run it in the agent's `ServiceGroup` (first in
/// the list, so it stops last); on graceful shutdown it makes one time-limited flush.
public final class OutboxDrainer: Service, Sendable {
    private let store: OutboxStore
    private let sink: any ActivationSink
    private let configuration: DrainerConfiguration
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let random: @Sendable () -> Double
    private let onEvent: @Sendable (DrainerEvent) -> Void
    private let doorbell = Doorbell()

    /// - Parameters:
    ///   - store: the outbox.
    ///   - sink: where activations go (``QazAPIClient`` or ``InMemoryActivationSink``).
    ///   - configuration: batching and retry.
    ///   - clock: every wait (batch age, backoff, flush limit) is on this clock; tests pass a test clock.
    ///   - logger: the caller's logger.
    ///   - random: jitter source, 0..<1.
    ///   - onEvent: called for every send, dead letter, storage failure and the final flush.
    public init(store: OutboxStore, sink: any ActivationSink, configuration: DrainerConfiguration,
                clock: any Clock<Duration> = ContinuousClock(), logger: Logger,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                onEvent: @escaping @Sendable (DrainerEvent) -> Void = { _ in }) {
        self.store = store
        self.sink = sink
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.random = random
        self.onEvent = onEvent
    }

    /// Tells the drainer that activations were appended (wakes it without waiting for its next poll).
    public func notifyAppended() { doorbell.ring() }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.drainLoop() }
            group.addTask { try? await gracefulShutdown() }
            _ = await group.next() // the shutdown signal (the loop only ends when cancelled)
            group.cancelAll()
        }
        if Task.isCancelled { return }
        _ = await flush(timeout: configuration.shutdownFlushTimeout)
    }

    /// Sends until the queue is empty or `timeout` passes on the clock; returns how many activations are still
    /// pending. An interrupted send is simply re-sent (same id) next time.
    public func flush(timeout: Duration) async -> Int {
        let timedOut = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.sendEverything(); return false }
            group.addTask {
                do { try await self.clock.sleep(for: timeout) } catch { return false }
                return true
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        let unsent = (try? await store.depth().pending) ?? -1
        logger.info("Outbox flush ended", metadata: ["outbox.unsent": "\(unsent)", "outbox.flush.timed_out": "\(timedOut)"])
        onEvent(.flushed(unsent: unsent, timedOut: timedOut))
        return unsent
    }

    /// Sends every open and pending batch once each in order, retrying a batch (with backoff) until its members
    /// are all answered; returns when nothing is left or the task is cancelled.
    func sendEverything() async {
        var attempt = 0
        while !Task.isCancelled {
            let batch: OutboxBatch?
            do throws(OutboxError) {
                batch = try await store.beginBatch(limit: configuration.maxItems, equipmentId: configuration.equipmentId)
            } catch {
                report(error)
                return
            }
            guard let batch else { return }
            guard let completion = await send(batch) else { return }
            if completion.isDone {
                attempt = 0
            } else {
                attempt += 1
                if !(await pause(configuration.backoff(afterAttempt: attempt, retryAfter: completion.retryAfter, random: random()))) { return }
            }
        }
    }

    /// The steady-state loop: waits for a full batch or for the oldest unbatched item to reach `maxAge`, sends,
    /// retries with backoff. Ends when cancelled.
    func drainLoop() async {
        let elapsed = Self.stopwatch(clock)
        var attempt = 0
        var waitingSince: Duration? = nil
        var backlog = true // rows found at start are at least as old as maxAge already
        while !Task.isCancelled {
            do {
                if let open = try await store.openBatch() {
                    guard let completion = await send(open) else {
                        _ = await pause(configuration.maxBackoff)
                        continue
                    }
                    if completion.isDone { attempt = 0; continue }
                    attempt += 1
                    let delay = configuration.backoff(afterAttempt: attempt, retryAfter: completion.retryAfter, random: random())
                    logger.info("Activation batch will be re-sent", metadata: [
                        "outbox.batch": "\(open.batchId)", "outbox.attempt": "\(attempt)",
                        "outbox.retry_in": "\(delay)", "outbox.reason": "\(completion.retryReason ?? "")"])
                    _ = await pause(delay)
                    continue
                }
                let unbatched = try await store.unbatchedCount()
                if unbatched == 0 {
                    waitingSince = nil
                    backlog = false
                    await doorbell.wait(orFor: configuration.maxAge, on: clock)
                    continue
                }
                let now = elapsed()
                if waitingSince == nil { waitingSince = now }
                let age = now - waitingSince!
                if backlog || unbatched >= configuration.maxItems || age >= configuration.maxAge {
                    _ = try await store.formBatch(limit: configuration.maxItems, equipmentId: configuration.equipmentId)
                    backlog = unbatched > configuration.maxItems
                    waitingSince = nil
                    continue
                }
                await doorbell.wait(orFor: configuration.maxAge - age, on: clock)
            } catch {
                report(error)
                _ = await pause(configuration.maxBackoff)
            }
        }
    }

    /// Time elapsed on the clock since the call.
    private static func stopwatch(_ clock: any Clock<Duration>) -> @Sendable () -> Duration {
        let start = clock.now
        return { between(start, clock.now) }
    }

    private static func between<I: InstantProtocol>(_ start: I, _ end: any InstantProtocol<Duration>) -> Duration
    where I.Duration == Duration {
        (end as? I).map { start.duration(to: $0) } ?? .zero
    }

    /// One send and the storing of its answer; nil if the answer could not be stored.
    private func send(_ batch: OutboxBatch) async -> BatchCompletion? {
        let delivery = await sink.deliver(batch.submission)
        do throws(OutboxError) {
            let completion = try await store.complete(batch, outcomes: delivery.outcomes)
            onEvent(.sent(batchId: batch.batchId, records: batch.records.count, completion: completion,
                          oldestActivation: batch.records.map(\.activatedAt).min()))
            if completion.deadLettered > 0 {
                logger.warning("Activations refused for good (dead letters)", metadata: [
                    "outbox.batch": "\(batch.batchId)", "outbox.dead_letters": "\(completion.deadLettered)"])
                onEvent(.deadLettered(batchId: batch.batchId, count: completion.deadLettered))
            }
            return completion
        } catch {
            report(error)
            return nil
        }
    }

    private func report(_ error: OutboxError) {
        logger.error("Outbox storage failed", metadata: ["outbox.error": "\(error)"])
        onEvent(.storageFailed(error))
    }

    /// Sleeps on the clock; false if cancelled.
    private func pause(_ duration: Duration) async -> Bool {
        do { try await clock.sleep(for: duration); return true } catch { return false }
    }
}

/// Wakes one waiter early; `wait(orFor:on:)` also returns after a timeout or on cancellation.
final class Doorbell: Sendable {
    private let state = Mutex<(rung: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter { state.waiter = nil; return waiter }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    func wait(orFor timeout: Duration, on clock: any Clock<Duration>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: timeout) }
            group.addTask { await self.waitForRing() }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled { state.rung = false; return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
