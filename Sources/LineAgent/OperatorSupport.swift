// The operator's commands of issue 7 (`status`, `outbox`, `pool`, `write-off`) and what they share: the
// `--config` option, loading the plan, opening the outbox, one-line errors and Astana-time display.
import AgentRuntime
import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import LineConfig
import LineCore
import Logging
import Outbox
import QazClient

let operatorCommands: [any ParsableCommand.Type] = [
    StatusCommand.self, OutboxCommand.self, PoolCommand.self, WriteOffCommand.self, ReportCommand.self,
]

/// `--config FILE`: the agent configuration the operator's commands act on.
struct AgentConfigOption: ParsableArguments {
    @Option(name: .long, help: "The agent configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var config: String

    /// Loads the configuration and its calibrations; on problems prints each (`file:line key: message`) like
    /// `check-config` and exits 1.
    func loadPlan() throws -> AgentPlan {
        do {
            return try AgentPlan.load(contentsOf: URL(fileURLWithPath: config))
        } catch {
            var stderr = StandardError()
            for issue in error.issues { print(issue, to: &stderr) }
            let count = error.issues.count
            print("\(count) problem\(count == 1 ? "" : "s") found in \(config) (see lineagent check-config).", to: &stderr)
            throw ExitCode.failure
        }
    }
}

/// A failure an operator can act on, printed as one line.
struct OperatorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command's body: every failure becomes one line `lineagent COMMAND: message` on stderr and exit 1.
func operatorRun(_ command: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        var stderr = StandardError()
        print("lineagent \(command): \(error)", to: &stderr)
        throw ExitCode.failure
    }
}

extension AgentPlan {
    /// The payload rules, or an error naming the setting (the plan was validated, so this should not fail).
    func payloadRules() throws(OperatorError) -> PayloadRules {
        do { return try configuration.payload.rules() } catch {
            throw OperatorError("payload.codePattern in \(configurationFile.path): \(error)")
        }
    }

    /// Opens the outbox that must already exist (reading commands never create an empty one by accident).
    func openExistingOutbox() throws -> OutboxStore {
        guard FileManager.default.fileExists(atPath: outboxPath) else {
            throw OperatorError("no outbox at \(outboxPath) (outbox.path in \(configurationFile.path)): the agent has not recorded anything yet")
        }
        return try openOutbox()
    }
}

/// How the operator's commands show times and numbers.
enum Show {
    /// Astana time with its offset: `2026-11-22 10:15:03 +05`.
    static func time(_ date: Date) -> String { AstanaTime.display(date) + " +05" }

    /// `12,345`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// `1 code`, `2,500 codes`.
    static func count(_ value: Int, _ noun: String) -> String { "\(count(value)) \(noun)\(value == 1 ? "" : "s")" }

    /// `3.2 s`, `4m 05s`, `2h 03m`, `3d 04h`.
    static func age(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 60 { return String(format: "%.1f s", s) }
        let whole = Int(s)
        if whole < 3600 { return "\(whole / 60)m \(pad(whole % 60))s" }
        if whole < 86_400 { return "\(whole / 3600)h \(pad(whole % 3600 / 60))m" }
        return "\(whole / 86_400)d \(pad(whole % 86_400 / 3600))h"
    }

    /// `12.3 ms`, or `-` when unknown.
    static func millis(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "-" }

    /// `99.6%`, or `-` when unknown.
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Left-aligned columns separated by two spaces (the last column is not padded).
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// A registrar client for a command: quiet (failures are reported by the command) and without its own retries.
func operatorClient(_ plan: AgentPlan) throws -> QazAPIClient {
    var logger = Logger(label: "qazline.cli")
    logger.logLevel = .error
    return try plan.makeClient(maxAttempts: 1, logger: logger)
}

/// Runs a registrar call up to `attempts` times, again only after a retryable answer of the registrar (5xx, 408, 429;
/// honouring Retry-After up to 30 s). A failed connection is not tried again: the HTTP client already kept trying for
/// its connect timeout.
func withRegistrarRetries<T>(attempts: Int = 3, _ body: () async throws(QazClientError) -> T) async throws(QazClientError) -> T {
    var attempt = 1
    var backoff = Duration.milliseconds(500)
    while true {
        do {
            return try await body()
        } catch {
            if case .connection = error { throw error }
            guard error.isRetryable, attempt < attempts else { throw error }
            try? await Task.sleep(for: min(max(backoff, error.retryAfter ?? .zero), .seconds(30)))
            attempt += 1
            backoff *= 2
        }
    }
}

/// Words for a registrar failure that name the setting to check.
func describe(_ error: QazClientError, plan: AgentPlan) -> String {
    let file = plan.configurationFile.path
    switch error {
    case .connection(let why):
        return "cannot reach the registrar at \(plan.configuration.server.url) (server.url in \(file)): \(shortConnectionReason(why))"
    case .server(let status, _, _) where status == 401:
        return "\(error) (the token in server.credentialFile \(plan.resolve(plan.configuration.server.credentialFile).path) is not accepted)"
    default:
        return "\(error)"
    }
}

/// `connection refused`, `timed out` or the client's own text, for a failed connection.
func shortConnectionReason(_ text: String) -> String {
    let lower = text.lowercased()
    if lower.contains("refused") { return "connection refused" }
    if lower.contains("timeout") || lower.contains("timed out") || lower.contains("deadline") { return "timed out" }
    return text.count > 160 ? String(text.prefix(160)) + "…" : text
}
