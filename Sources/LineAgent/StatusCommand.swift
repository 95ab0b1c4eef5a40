import AgentRuntime
import ArgumentParser
import AsyncHTTPClient
import Foundation
import LineConfig
import LineCore
import NIOCore
import NIOHTTP1
import Outbox
import QazClient

/// `lineagent status --config FILE [--json]`: the running agent's `GET /status` on one screen; when the agent does
/// not answer, says so and shows the outbox read from its file.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "One screen for the operator: lines, rates, the outbox queue, alarms and the last errors.",
        discussion: """
        Asks the running agent (GET /status at http.host:http.port). When it does not answer, prints "not running" \
        and the outbox read from its file (pending, dead letters, decisions). Exit status: 0 the agent answered, \
        3 the agent is not running, 1 any other failure.
        """)

    @OptionGroup var options: AgentConfigOption

    @Flag(name: .long, help: "Print JSON: {running, endpoint, problem?, snapshot?, outboxFile?}.")
    var json = false

    @Option(name: .long, help: "Seconds to wait for the agent's answer.")
    var timeout: Double = 3

    func validate() throws {
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be more than 0 and at most 60 seconds") }
    }

    func run() async throws {
        let plan = try options.loadPlan()
        var exit: ExitCode?
        try await operatorRun("status") {
            let endpoint = plan.endpointURL + "/status"
            let fetched = await Self.fetch(plan.endpointURL, timeout: timeout)
            switch fetched {
            case .success(let snapshot):
                if json {
                    print(try Self.json(StatusReport(running: true, endpoint: endpoint, problem: nil, snapshot: snapshot, outboxFile: nil)))
                } else {
                    print(StatusScreen.render(snapshot), terminator: "")
                }
            case .failure(let problem):
                let outbox = try await Self.readOutboxFile(plan)
                if json {
                    print(try Self.json(StatusReport(running: false, endpoint: endpoint, problem: problem.description, snapshot: nil,
                                                     outboxFile: outbox)))
                } else {
                    print(StatusScreen.renderNotRunning(endpoint: endpoint, problem: problem, outbox: outbox), terminator: "")
                }
                exit = problem.agentIsDown ? ExitCode(3) : .failure
            }
        }
        if let exit { throw exit }
    }

    /// Why the agent's status could not be had.
    enum FetchProblem: Error, CustomStringConvertible {
        /// Nothing answered (refused, timed out).
        case notRunning(String)
        /// Something answered, but not a status.
        case badAnswer(String)
        var agentIsDown: Bool { if case .notRunning = self { true } else { false } }
        var description: String {
            switch self {
            case .notRunning(let why), .badAnswer(let why): why
            }
        }
    }

    /// `GET {base}/status`, decoded. A refused connection fails at once (no connection retries: nothing listens).
    static func fetch(_ base: String, timeout: Double) async -> Result<AgentStatusSnapshot, FetchProblem> {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(min(timeout, 2) * 1000)), read: .milliseconds(Int64(timeout * 1000)))
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: Result<AgentStatusSnapshot, FetchProblem>
        do {
            var request = HTTPClientRequest(url: base + "/status")
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            let body = try await response.body.collect(upTo: 16 << 20)
            if response.status.code == 200 {
                do {
                    result = .success(try AgentStatusSnapshot.decoder().decode(AgentStatusSnapshot.self, from: Data(body.readableBytesView)))
                } catch {
                    result = .failure(.badAnswer("\(base)/status answered something that is not an agent status: \(error)"))
                }
            } else {
                let text = String(decoding: body.readableBytesView.prefix(200), as: UTF8.self)
                result = .failure(.badAnswer("\(base)/status answered HTTP \(response.status.code): \(text)"))
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
            result = .failure(.notRunning("no answer from \(base)/status within \(Show.age(timeout)) (timed out)"))
        } catch {
            let text = String(describing: error)
            if text.lowercased().contains("refused") {
                result = .failure(.notRunning("no answer from \(base)/status (connection refused)"))
            } else {
                result = .failure(.notRunning("no answer from \(base)/status (\(shortConnectionReason(text)))"))
            }
        }
        try? await client.shutdown()
        return result
    }

    /// The outbox part read from the file itself (nil when there is no outbox file yet).
    static func readOutboxFile(_ plan: AgentPlan) async throws -> OutboxFileStatus? {
        guard FileManager.default.fileExists(atPath: plan.outboxPath) else { return nil }
        let store = try plan.openOutbox()
        let depth = try await store.depth()
        let delivery = try await store.deliverySummary()
        let counts = try await store.decisionCounts()
        let dead = try await store.deadLetterRows(limit: 10)
        return OutboxFileStatus(
            path: plan.outboxPath, readAt: Date(), pending: depth.pending, unbatched: depth.unbatched, openBatches: depth.openBatches,
            deadLetters: depth.deadLetters, oldestPending: depth.oldestPending, delivered: delivery.delivered,
            lastDeliveryAt: delivery.lastAnsweredAt,
            decisions: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            firstDeadLetters: dead.map { OutboxFileStatus.Dead(code: $0.code.rawValue, line: $0.lineId, bottle: $0.bottleSequence,
                                                               result: $0.result, reason: $0.reason, deadAt: $0.deadAt) })
    }

    static func json(_ report: StatusReport) throws -> String {
        String(decoding: try AgentStatusSnapshot.encoder().encode(report), as: UTF8.self)
    }
}

/// What `status --json` prints.
struct StatusReport: Codable {
    /// Whether the agent answered.
    var running: Bool
    /// The URL asked.
    var endpoint: String
    /// Why there is no snapshot.
    var problem: String?
    /// The agent's own status (when it answered).
    var snapshot: AgentStatusSnapshot?
    /// The outbox read from its file (when the agent did not answer and the file exists).
    var outboxFile: OutboxFileStatus?
}

/// The outbox as its file tells it, without the agent.
struct OutboxFileStatus: Codable, Equatable {
    var path: String
    /// When the file was read (ages are relative to it).
    var readAt: Date
    var pending: Int
    var unbatched: Int
    var openBatches: Int
    var deadLetters: Int
    /// Decision time of the oldest pending activation.
    var oldestPending: Date?
    /// Activations the registrar accepted, over the file's whole life.
    var delivered: Int
    var lastDeliveryAt: Date?
    /// Decisions recorded, by kind (`good`, `no-read`, …).
    var decisions: [String: Int]
    /// The first (oldest) dead letters waiting.
    var firstDeadLetters: [Dead]

    struct Dead: Codable, Equatable {
        var code: String
        var line: String
        var bottle: UInt64
        var result: String?
        var reason: String
        var deadAt: Date
    }
}

/// The status screen: pure functions of what the agent or the file said.
enum StatusScreen {
    /// The running agent's status on one screen (ages and "up" relative to `snapshot.takenAt`).
    static func render(_ snapshot: AgentStatusSnapshot) -> String {
        var out = [String]()
        let uptime = Show.age(snapshot.takenAt.timeIntervalSince(snapshot.startedAt))
        out.append("QazLine agent \(snapshot.version) · producer \(snapshot.producer) · \(snapshot.ready ? "READY" : "NOT READY")"
            + " · up \(uptime) · at \(Show.time(snapshot.takenAt))")
        for reason in snapshot.notReadyReasons { out.append("  not ready: \(reason)") }

        out.append("")
        out.append("LINES")
        if snapshot.lines.isEmpty { out.append("  (none)") }
        for line in snapshot.lines {
            var head = "\(line.id)  PLC \(line.plcLink) · line \(line.lineState) · recipe \(line.recipe.map(String.init) ?? "-")"
            if let sequence = line.lastSequence { head += " · last bottle #\(sequence)" }
            out.append(head)
            let rejected = line.rejectedByKind.values.reduce(0, +)
            var counts = "  bottles \(Show.count(line.bottles))  good \(Show.count(line.good))  rejected \(Show.count(rejected))"
            let byKind = line.rejectedByKind.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            if !byKind.isEmpty { counts += " (" + byKind.map { "\($0.key) \(Show.count($0.value))" }.joined(separator: ", ") + ")" }
            out.append(counts)
            out.append("  \(Show.count(Int(line.bottlesPerHour.rounded()))) bottles/h · read rate \(Show.percent(line.readRate))"
                + " · decision p50 \(Show.millis(line.decisionLatencyP50Ms)) p99 \(Show.millis(line.decisionLatencyP99Ms))")
            out.append("  rejects confirmed \(Show.count(line.rejectsConfirmed)), missed \(Show.count(line.rejectsMissed))"
                + " · timeouts \(Show.count(line.timeouts))")
            for camera in line.cameras {
                out.append("  camera \(camera.id)  \(camera.state) · \(Show.count(camera.frames)) frames"
                    + " · last frame \(camera.lastFrameAgeSeconds.map { Show.age($0) + " ago" } ?? "-")"
                    + " · decode p99 \(Show.millis(camera.decodeP99Ms))"
                    + (camera.readContrast.map { String(format: " · contrast %.2f", $0) } ?? "")
                    + (camera.fallbackShare.map { " · fallback reads \(Show.percent($0))" } ?? ""))
            }
        }

        let outbox = snapshot.outbox
        out.append("")
        out.append("OUTBOX\(outbox.writable ? "" : "  NOT WRITABLE (disk full or low space: bottles are rejected)")")
        out.append("  pending \(Show.count(outbox.pending)) (unbatched \(Show.count(outbox.unbatched)), open batches \(Show.count(outbox.openBatches)))"
            + " · oldest pending \(outbox.oldestPendingAgeSeconds.map(Show.age) ?? "-")")
        out.append("  delivered \(Show.count(outbox.delivered)) since start · last delivery \(outbox.lastDeliveryAt.map(Show.time) ?? "-")")
        out.append("  dead letters \(Show.count(outbox.deadLetters))\(outbox.deadLetters > 0 ? "  (lineagent outbox list --dead)" : "")")
        if let registrar = snapshot.registrar { out.append(registrarLine(registrar)) }

        out += events("ALARMS", snapshot.alarms)
        out += events("LAST ERRORS", snapshot.lastErrors)
        return out.joined(separator: "\n") + "\n"
    }

    /// The registrar address deliveries go to; with several (`server.urls`), which one and how often the agent moved.
    static func registrarLine(_ registrar: RegistrarAddressStatus) -> String {
        guard registrar.urls.count > 1 else { return "  registrar \(registrar.activeURL)" }
        let preferred = registrar.activeIndex == 0 ? "preferred" : "NOT the preferred \(registrar.urls[0])"
        return "  registrar \(registrar.activeURL) (address \(registrar.activeIndex + 1) of \(registrar.urls.count), \(preferred))"
            + " · failovers \(Show.count(registrar.failovers)), failbacks \(Show.count(registrar.failbacks))"
    }

    /// The screen when the agent does not answer: the problem, then the outbox read from its file.
    static func renderNotRunning(endpoint: String, problem: StatusCommand.FetchProblem, outbox: OutboxFileStatus?) -> String {
        var out = [String]()
        switch problem {
        case .notRunning(let why): out.append("AGENT NOT RUNNING: \(why)")
        case .badAnswer(let why): out.append("AGENT STATUS UNAVAILABLE: \(why)")
        }
        out.append("")
        guard let outbox else {
            out.append("OUTBOX  no outbox file yet")
            return out.joined(separator: "\n") + "\n"
        }
        out += renderOutboxFile(outbox)
        return out.joined(separator: "\n") + "\n"
    }

    /// The outbox part read from the file.
    static func renderOutboxFile(_ outbox: OutboxFileStatus) -> [String] {
        var out = ["OUTBOX (read from \(outbox.path) at \(Show.time(outbox.readAt)))"]
        var pending = "  pending \(Show.count(outbox.pending)) (unbatched \(Show.count(outbox.unbatched)), open batches \(Show.count(outbox.openBatches)))"
        if let oldest = outbox.oldestPending {
            pending += " · oldest pending \(Show.time(oldest)) (\(Show.age(outbox.readAt.timeIntervalSince(oldest))) ago)"
        }
        out.append(pending)
        out.append("  delivered \(Show.count(outbox.delivered)) · last delivery \(outbox.lastDeliveryAt.map(Show.time) ?? "-")")
        out.append("  dead letters \(Show.count(outbox.deadLetters))")
        for dead in outbox.firstDeadLetters {
            out.append("    \(dead.code)  \(dead.line) #\(dead.bottle)  \(dead.result ?? "-")  \(dead.reason)  (\(Show.time(dead.deadAt)))")
        }
        if outbox.deadLetters > outbox.firstDeadLetters.count {
            out.append("    … \(Show.count(outbox.deadLetters - outbox.firstDeadLetters.count)) more (lineagent outbox list --dead)")
        }
        let total = outbox.decisions.values.reduce(0, +)
        let kinds = DecisionKind.allCases.compactMap { kind in outbox.decisions[kind.rawValue].map { "\(kind.rawValue) \(Show.count($0))" } }
        out.append("  decisions recorded \(Show.count(total))\(kinds.isEmpty ? "" : " (" + kinds.joined(separator: ", ") + ")")")
        return out
    }

    /// A section of alarms or errors, newest first, at most 10 shown.
    static func events(_ title: String, _ events: [StatusEvent]) -> [String] {
        var out = ["", "\(title) (\(events.count))"]
        if events.isEmpty { out.append("  none") }
        for event in events.prefix(10) {
            out.append("  \(Show.time(event.time))  \(event.line ?? "agent")  \(event.kind)  \(event.message)")
        }
        if events.count > 10 { out.append("  … \(events.count - 10) more") }
        return out
    }
}
