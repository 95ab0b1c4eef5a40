import Foundation
import Hummingbird
import Logging
import QazAPI
import ServiceLifecycle
import Synchronization

/// How the relay listens, batches and retries.
public struct RelayConfiguration: Sendable {
    /// The address registers connect to (loopback by default) and the port (0: a free one, see ``FDORelay/port()``).
    public var host: String
    public var port: Int
    /// The most receipts per `POST /v1/fdo/receipts` (1…``RetailLimits/maxReceiptsPerBatch``).
    public var maxBatch: Int
    /// How long a batch smaller than `maxBatch` waits for more receipts before it is sent (zero: at once; batches
    /// then form from what arrives while the previous one is in flight).
    public var batchLinger: Duration
    /// First retry delay after a send without an answer; doubled per failed attempt, with jitter, up to `maxBackoff`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// How often receipts the registrar answered `waiting` are asked about again.
    public var recheckInterval: Duration
    /// On graceful shutdown the relay stops taking receipts and forwards what it holds for at most this long.
    public var shutdownFlushTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 0, maxBatch: Int = RetailLimits.maxReceiptsPerBatch, batchLinger: Duration = .zero,
                initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(10), recheckInterval: Duration = .milliseconds(200),
                shutdownFlushTimeout: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.maxBatch = min(max(maxBatch, 1), RetailLimits.maxReceiptsPerBatch)
        self.batchLinger = batchLinger
        self.initialBackoff = initialBackoff
        self.maxBackoff = max(maxBackoff, initialBackoff)
        self.recheckInterval = recheckInterval
        self.shutdownFlushTimeout = shutdownFlushTimeout
    }

    /// The delay after `attempt` failed attempts (1-based): exponential with equal jitter, never shorter than Retry-After.
    /// - Parameter random: a value in 0..<1.
    public func backoff(afterAttempt attempt: Int, retryAfter: Duration?, random: Double) -> Duration {
        var base = initialBackoff * (1 << min(max(attempt - 1, 0), 30))
        if base > maxBackoff || base < .zero { base = maxBackoff }
        return max(base / 2 + (base / 2) * random, retryAfter ?? .zero)
    }
}

/// What the relay has done so far.
public struct RelaySnapshot: Sendable, Equatable {
    /// Receipts taken from registers and queued (each once; online and autonomous).
    public var received = 0
    /// Of those, receipts formed in autonomous mode.
    public var receivedAutonomous = 0
    /// Autonomous uploads taken.
    public var uploads = 0
    /// Receipts a register sent again, answered from what the relay held, not queued again.
    public var duplicates = 0
    /// Receipts the registrar answered in a batch (each once).
    public var forwarded = 0
    /// Batches answered.
    public var batches = 0
    /// Sends that got no answer and were retried.
    public var failedAttempts = 0
    /// GETs of waiting receipts.
    public var rechecks = 0
    /// The registrar's first answer to each receipt, by state.
    public var firstAnswers: [ReceiptState: Int] = [:]
    /// Each receipt's latest state (a waiting one moves to applied when a recheck finds it applied).
    public var states: [ReceiptState: Int] = [:]
    /// Marking codes of applied receipts, by outcome.
    public var outcomes: [RedemptionOutcome: Int] = [:]
    /// Flags of applied receipts.
    public var flags: [ReceiptFlag: Int] = [:]
    /// Rejected receipts, by error code.
    public var rejections: [String: Int] = [:]
    /// Receipts queued and not yet answered.
    public var queueLength = 0
    /// Receipts the registrar holds as waiting.
    public var waiting = 0

    /// Nothing left to forward and nothing waiting.
    public var settled: Bool { queueLength == 0 && waiting == 0 }
}

/// A small fiscal data operator: registers send it receipts (over HTTP, ``FDORelay/application()``, or in process as
/// an ``FDOLink``); it answers each with a fiscal sign and forwards everything to the registrar through a
/// ``ReceiptSink``, in batches, in the order received (so each register's receipts go in number order).
///
/// A `Service`. `run()` serves HTTP and runs two loops as child tasks: the forwarder sends the head of the queue and removes
/// receipts only once the registrar answered them (applied, waiting or rejected), retrying with backoff on no answer
/// (connection errors, 429, 5xx); the recheck loop asks about `waiting` receipts until they are applied. On graceful
/// shutdown it stops taking receipts and forwards what it holds for at most ``RelayConfiguration/shutdownFlushTimeout``.
/// The queue is in memory: a real FDO keeps receipts on durable storage (cl. 79, 83).
public final class FDORelay: Service, FDOLink, Sendable {
    private struct Key: Hashable { var register: String, number: Int }

    private struct State {
        var queue: [FiscalReceipt] = []
        var head = 0
        /// What the relay took under each number: the receipt's facts and the FDO's sign.
        var known: [Key: (facts: String, sign: String)] = [:]
        var waiting: [Key] = []
        var counts = RelaySnapshot()
        var shuttingDown = false
        var settleWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var port: Int?
        var ended = false
        var portWaiters: [CheckedContinuation<Int?, Never>] = []

        var pending: Int { queue.count - head }
        var isSettled: Bool { pending == 0 && waiting.isEmpty }

        mutating func takeSettleWaitersIfSettled() -> [CheckedContinuation<Void, Never>] {
            guard isSettled else { return [] }
            defer { settleWaiters = [:] }
            return Array(settleWaiters.values)
        }
    }

    private let sink: any ReceiptSink
    let configuration: RelayConfiguration
    private let clock: any Clock<Duration>
    let logger: Logger
    private let random: @Sendable () -> Double
    private let onAnswer: @Sendable (ReceiptAnswer) -> Void
    private let state = Mutex(State())
    private let queueBell = Bell()
    private let recheckBell = Bell()
    private let shutdownBell = Bell()

    /// - Parameters:
    ///   - sink: where receipts go (``RegistrarReceiptSink``, or ``InMemoryReceiptSink`` in tests).
    ///   - configuration: listening, batching, retry.
    ///   - clock: every wait (linger, backoff, recheck interval, flush limit) is on this clock; tests pass a test clock.
    ///   - logger: the caller's logger.
    ///   - random: jitter source, 0..<1.
    ///   - onAnswer: called with every answer of the registrar (first answers and rechecks).
    public init(sink: any ReceiptSink, configuration: RelayConfiguration = RelayConfiguration(), clock: any Clock<Duration> = ContinuousClock(),
                logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                onAnswer: @escaping @Sendable (ReceiptAnswer) -> Void = { _ in }) {
        self.sink = sink
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.random = random
        self.onAnswer = onAnswer
    }

    // MARK: Snapshot and waiting

    /// The counts so far.
    public func snapshot() -> RelaySnapshot {
        state.withLock { state in
            var counts = state.counts
            counts.queueLength = state.pending
            counts.waiting = state.waiting.count
            return counts
        }
    }

    /// Waits until the queue is empty and no receipt is waiting at the registrar, at most `timeout` of real time (a
    /// guard for callers, not a simulated wait). Returns whether it settled.
    public func waitUntilSettled(timeout: Duration = .seconds(60)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.settled(); return !Task.isCancelled }
            group.addTask {
                try? await ContinuousClock().sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first && state.withLock { $0.isSettled }
        }
    }

    private func settled() async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.isSettled || Task.isCancelled { return true }
                    state.settleWaiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.settleWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// The port the relay's HTTP server listens on, once it does; nil if it stopped or failed to start.
    public func port() async -> Int? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
            let answer = state.withLock { state -> Int?? in
                if let port = state.port { return .some(port) }
                if state.ended { return .some(nil) }
                state.portWaiters.append(continuation)
                return .none
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    func serverStarted(port: Int?) {
        let waiters = state.withLock { state in
            state.port = port
            defer { state.portWaiters = [] }
            return state.portWaiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func ended() {
        let waiters = state.withLock { state in
            state.ended = true
            state.port = nil
            defer { state.portWaiters = [] }
            return state.portWaiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    // MARK: The register → FDO leg

    /// Takes one receipt formed online and answers its fiscal sign. The same sale sent again under its number is answered
    /// from what the relay holds (`duplicate`); another sale under a taken number is refused (409 `idempotency_conflict`).
    public func send(_ receipt: FiscalReceipt) async throws(FDOLinkError) -> SignedReceipt {
        try Self.validate(receipt)
        guard !receipt.autonomous, receipt.fiscalSign == nil, receipt.autonomousSign == nil else {
            throw Self.invalid("an online receipt carries no sign and is not autonomous", field: "autonomous")
        }
        let facts = FiscalSigns.canonicalFacts(of: receipt)
        let key = Key(register: receipt.registrationNumber, number: receipt.number)
        let answer = try state.withLock { state throws(FDOLinkError) -> SignedReceipt in
            guard !state.shuttingDown else { throw .unreachable("the FDO is shutting down") }
            if let known = state.known[key] { return try Self.duplicate(receipt, known, facts: facts, counts: &state.counts) }
            var signed = receipt
            signed.fiscalSign = FiscalSigns.fiscalSign(for: receipt)
            state.known[key] = (facts, signed.fiscalSign!)
            state.queue.append(signed)
            state.counts.received += 1
            return SignedReceipt(registrationNumber: key.register, number: key.number, fiscalSign: signed.fiscalSign!)
        }
        if !answer.duplicate { queueBell.ring() }
        return answer
    }

    /// Takes a register's autonomous receipts (consecutive, in number order) and answers each with a fiscal sign; the
    /// receipts are forwarded as formed, with their autonomous signs (cl. 76(1): unchanged). Receipts the relay already
    /// holds with the same sale are answered as duplicates; another sale under a taken number refuses the whole upload.
    public func sendAutonomous(_ upload: AutonomousUpload) async throws(FDOLinkError) -> AutonomousUploadAnswer {
        guard !upload.receipts.isEmpty else { throw Self.invalid("no receipts", field: "receipts") }
        for (index, receipt) in upload.receipts.enumerated() {
            try Self.validate(receipt)
            guard receipt.registrationNumber == upload.registrationNumber else {
                throw Self.invalid("receipt \(receipt.number) is of register \(receipt.registrationNumber)", field: "receipts[\(index)].registrationNumber")
            }
            guard receipt.autonomous, receipt.autonomousSign != nil, receipt.fiscalSign == nil else {
                throw Self.invalid("an autonomous receipt carries its autonomous sign only", field: "receipts[\(index)].autonomousSign")
            }
            guard index == 0 || receipt.number == upload.receipts[index - 1].number + 1 else {
                throw Self.invalid("receipts must be consecutive, in number order", field: "receipts[\(index)].number")
            }
        }
        let answer = try state.withLock { state throws(FDOLinkError) -> AutonomousUploadAnswer in
            guard !state.shuttingDown else { throw .unreachable("the FDO is shutting down") }
            var counts = state.counts
            var answers: [SignedReceipt] = []
            var fresh: [(Key, String, String, FiscalReceipt)] = []
            for receipt in upload.receipts {
                let key = Key(register: receipt.registrationNumber, number: receipt.number)
                let facts = FiscalSigns.canonicalFacts(of: receipt)
                if let known = state.known[key] {
                    answers.append(try Self.duplicate(receipt, known, facts: facts, counts: &counts))
                } else {
                    let sign = FiscalSigns.fiscalSign(for: receipt)
                    fresh.append((key, facts, sign, receipt))
                    answers.append(SignedReceipt(registrationNumber: key.register, number: key.number, fiscalSign: sign))
                }
            }
            for (key, facts, sign, receipt) in fresh {
                state.known[key] = (facts, sign)
                state.queue.append(receipt)
            }
            counts.received += fresh.count
            counts.receivedAutonomous += fresh.count
            counts.uploads += 1
            state.counts = counts
            return AutonomousUploadAnswer(receipts: answers)
        }
        logger.debug("Autonomous receipts received", metadata: [
            "fdo.register": "\(upload.registrationNumber)", "fdo.receipts": "\(upload.receipts.count)",
            "fdo.autonomous_seconds": "\(upload.autonomousSeconds)"])
        queueBell.ring()
        return answer
    }

    private static func duplicate(_ receipt: FiscalReceipt, _ known: (facts: String, sign: String), facts: String,
                                  counts: inout RelaySnapshot) throws(FDOLinkError) -> SignedReceipt {
        guard known.facts == facts else {
            throw .refused(status: 409, ErrorBody(code: .idempotencyConflict, message: "receipt \(receipt.number) of register \(receipt.registrationNumber) was received with another sale",
                                                  details: ["registrationNumber": receipt.registrationNumber, "number": String(receipt.number)]))
        }
        counts.duplicates += 1
        return SignedReceipt(registrationNumber: receipt.registrationNumber, number: receipt.number, fiscalSign: known.sign, duplicate: true)
    }

    private static func validate(_ receipt: FiscalReceipt) throws(FDOLinkError) {
        guard CashRegister.isRegistrationNumber(receipt.registrationNumber) else { throw invalid("must be 12–20 of A–Z 0–9", field: "registrationNumber") }
        guard receipt.number >= 1 else { throw invalid("must be at least 1", field: "number") }
        guard !receipt.lines.isEmpty else { throw invalid("a receipt needs a line", field: "lines") }
    }

    private static func invalid(_ message: String, field: String) -> FDOLinkError {
        .refused(status: 422, ErrorBody(code: .invalidField, message: "\(field): \(message)", details: ["field": field]))
    }

    // MARK: Running

    public func run() async throws {
        let app = application()
        enum Child { case server, forwarder, rechecker, flushLimit }
        defer { ended() }
        let loopsDone = Bell()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Child.self) { group in
                group.addTask { try await app.run(); return .server }
                group.addTask { await self.forwardLoop(); return .forwarder }
                group.addTask { await self.recheckLoop(); return .rechecker }
                group.addTask {
                    await self.shutdownStarted()
                    await loopsDone.wait(orFor: self.configuration.shutdownFlushTimeout, on: self.clock)
                    return .flushLimit
                }
                var loops = 2
                while let child = try await group.next() {
                    switch child {
                    case .server:
                        continue
                    case .forwarder, .rechecker:
                        loops -= 1
                        if loops == 0 { loopsDone.ring() }
                    case .flushLimit:
                        guard loops > 0, !Task.isCancelled else { continue }
                        let left = snapshot()
                        logger.info("FDO relay stopped before forwarding everything", metadata: [
                            "fdo.queue": "\(left.queueLength)", "fdo.waiting": "\(left.waiting)"])
                        group.cancelAll()
                    }
                }
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.shuttingDown = true }
            self.queueBell.ring()
            self.recheckBell.ring()
            self.shutdownBell.ring()
        }
    }

    private func shutdownStarted() async {
        while !state.withLock({ $0.shuttingDown }) && !Task.isCancelled { await shutdownBell.wait() }
    }

    /// Sends the head of the queue until the queue is empty after shutdown began, or the task is cancelled.
    func forwardLoop() async {
        defer { recheckBell.ring() }  // the recheck loop ends after this one, once nothing waits
        var attempt = 0
        var oneByOne = 0  // after a refused batch: its receipts go one at a time, to learn which one is refused
        while !Task.isCancelled {
            var batch = peek(oneByOne > 0 ? 1 : configuration.maxBatch)
            if batch.isEmpty {
                if state.withLock({ $0.shuttingDown }) { return }
                await queueBell.wait()
                continue
            }
            if attempt == 0, oneByOne == 0, (batch.count < configuration.maxBatch), configuration.batchLinger > .zero {
                guard await pause(configuration.batchLinger) else { return }
                batch = peek(configuration.maxBatch)
            }
            do throws(ReceiptSinkError) {
                let answer = try await sink.submit(ReceiptBatch(receipts: batch))
                if record(batch, answer) == 0 { throw .invalidAnswer("no answer names a receipt of the batch") }
                attempt = 0
                oneByOne = max(oneByOne - 1, 0)
            } catch {
                if !error.isRetryable, case .refused(let status, let body) = error {
                    if batch.count > 1 {
                        logger.info("Receipt batch refused; sending its receipts one by one",
                                    metadata: ["fdo.status": "\(status)", "fdo.error": "\(body.code)", "fdo.batch": "\(batch.count)"])
                        oneByOne = batch.count
                    } else {
                        reject(batch[0], status: status, body)
                        oneByOne = max(oneByOne - 1, 0)
                        attempt = 0
                    }
                    continue
                }
                attempt += 1
                state.withLock { $0.counts.failedAttempts += 1 }
                let delay = configuration.backoff(afterAttempt: attempt, retryAfter: error.retryAfter, random: random())
                logger.info("Receipt batch will be re-sent", metadata: [
                    "fdo.attempt": "\(attempt)", "fdo.batch": "\(batch.count)", "fdo.retry_in": "\(delay)", "fdo.reason": "\(error)"])
                guard await pause(delay) else { return }
            }
        }
    }

    /// Asks about waiting receipts until none is left after shutdown began, or the task is cancelled.
    func recheckLoop() async {
        var attempt = 0
        while !Task.isCancelled {
            let (keys, done) = state.withLock { state in (state.waiting, state.shuttingDown && state.isSettled) }
            if done { return }
            if keys.isEmpty {
                await recheckBell.wait()
                continue
            }
            await recheckBell.wait(orFor: configuration.recheckInterval, on: clock)
            for key in keys where !Task.isCancelled {
                do throws(ReceiptSinkError) {
                    let answer = try await sink.answer(registrationNumber: key.register, number: key.number)
                    state.withLock { $0.counts.rechecks += 1 }
                    if answer.state != .waiting { settle(key, answer) }
                    attempt = 0
                } catch {
                    attempt += 1
                    logger.info("Recheck of a waiting receipt failed", metadata: [
                        "fdo.register": "\(key.register)", "fdo.number": "\(key.number)", "fdo.reason": "\(error)"])
                    guard await pause(configuration.backoff(afterAttempt: attempt, retryAfter: error.retryAfter, random: random())) else { return }
                    break
                }
            }
        }
    }

    private func peek(_ limit: Int) -> [FiscalReceipt] {
        state.withLock { state in Array(state.queue[state.head..<min(state.head + limit, state.queue.count)]) }
    }

    /// Records the answers to the batch at the head of the queue and removes the answered receipts (the others stay at
    /// the head, in order). Returns how many were answered.
    private func record(_ batch: [FiscalReceipt], _ answer: ReceiptBatchAnswer) -> Int {
        let sent = Set(batch.map { Key(register: $0.registrationNumber, number: $0.number) })
        var answers: [Key: ReceiptAnswer] = [:]
        for item in answer.receipts {
            let key = Key(register: item.registrationNumber, number: item.number)
            if sent.contains(key), answers[key] == nil { answers[key] = item }
        }
        let (waiters, anyWaiting) = state.withLock { state -> ([CheckedContinuation<Void, Never>], Bool) in
            removeAnswered(from: &state, count: batch.count) { answers[$0] != nil }
            state.counts.batches += 1
            for (key, item) in answers {
                state.counts.forwarded += 1
                state.counts.firstAnswers[item.state, default: 0] += 1
                state.counts.states[item.state, default: 0] += 1
                switch item.state {
                case .applied: Self.count(item, into: &state.counts)
                case .waiting: state.waiting.append(key)
                case .rejected: state.counts.rejections[item.error?.code.rawValue ?? "unknown", default: 0] += 1
                }
            }
            return (state.takeSettleWaitersIfSettled(), !state.waiting.isEmpty)
        }
        for item in answer.receipts where answers[Key(register: item.registrationNumber, number: item.number)] == item { onAnswer(item) }
        if anyWaiting { recheckBell.ring() }
        for waiter in waiters { waiter.resume() }
        return answers.count
    }

    /// Drops the answered receipts among the first `count` of the queue, keeping the others in order at its head.
    private func removeAnswered(from state: inout State, count: Int, answered: (Key) -> Bool) {
        let end = min(state.head + count, state.queue.count)
        let kept = state.queue[state.head..<end].filter { !answered(Key(register: $0.registrationNumber, number: $0.number)) }
        let newHead = end - kept.count
        for (offset, receipt) in kept.enumerated() { state.queue[newHead + offset] = receipt }
        state.head = newHead
        if state.head > 4096, state.head * 2 > state.queue.count {
            state.queue.removeFirst(state.head)
            state.head = 0
        }
    }

    /// A receipt the registrar refused on its own (a 4xx naming it): answered `rejected`, removed from the queue.
    private func reject(_ receipt: FiscalReceipt, status: Int, _ body: ErrorBody) {
        let answer = ReceiptAnswer(registrationNumber: receipt.registrationNumber, number: receipt.number, state: .rejected, error: body)
        logger.info("Receipt refused by the registrar", metadata: [
            "fdo.register": "\(receipt.registrationNumber)", "fdo.number": "\(receipt.number)", "fdo.status": "\(status)", "fdo.error": "\(body.code)"])
        _ = record([receipt], ReceiptBatchAnswer(receipts: [answer]))
    }

    /// A waiting receipt's final answer, from a recheck.
    private func settle(_ key: Key, _ answer: ReceiptAnswer) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let index = state.waiting.firstIndex(of: key) else { return [] }
            state.waiting.remove(at: index)
            state.counts.states[.waiting, default: 0] -= 1
            state.counts.states[answer.state, default: 0] += 1
            if answer.state == .applied { Self.count(answer, into: &state.counts) }
            if answer.state == .rejected { state.counts.rejections[answer.error?.code.rawValue ?? "unknown", default: 0] += 1 }
            return state.takeSettleWaitersIfSettled()
        }
        onAnswer(answer)
        for waiter in waiters { waiter.resume() }
    }

    private static func count(_ answer: ReceiptAnswer, into counts: inout RelaySnapshot) {
        for line in answer.lines ?? [] {
            for code in line.codes { counts.outcomes[code.outcome, default: 0] += 1 }
        }
        for flag in answer.flags { counts.flags[flag, default: 0] += 1 }
    }

    /// Sleeps on the clock; false if cancelled.
    private func pause(_ duration: Duration) async -> Bool {
        do { try await clock.sleep(for: duration); return true } catch { return false }
    }
}
