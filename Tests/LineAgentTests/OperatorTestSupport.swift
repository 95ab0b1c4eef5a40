import Foundation
import LineAgentTesting
import LineCore
import Logging
import Outbox
import QazAPI
import QazClient
import Testing

/// Runs the built `lineagent` binary in the repository root (see ``runSibling(_:_:directory:timeout:stdin:)``); kills it
/// after `timeout` seconds. `stdin`: a file given as its standard input.
func lineagent(_ arguments: [String], timeout: Double = 20, stdin: URL? = nil) async throws -> BinaryRun {
    try #require(await runSibling("lineagent", arguments, directory: repositoryRoot, timeout: .milliseconds(Int(timeout * 1000)), stdin: stdin),
                 "lineagent binary not found next to \(CommandLine.arguments[0])")
}

/// A valid IIN/BIN from 11 digits.
func validBIN(_ first11: String) -> TaxpayerID { TaxpayerID.completing(first11) }

/// A valid code: `QZB` + 18 digits.
func stamp(_ number: Int) -> StampCode {
    let digits = String(number)
    return StampCode(trusted: "QZB" + String(repeating: "0", count: max(0, 18 - digits.count)) + digits)
}

/// A temporary agent setup: `Config/agent.example.yaml` with the outbox, token file, registrar URL, producer and
/// agent port pointed at a fresh directory (the example's calibration file is used as is).
struct AgentFixture {
    let directory: URL
    let producer: TaxpayerID
    var configPath: String { directory.appendingPathComponent("agent.yaml").path }
    var outboxPath: String { directory.appendingPathComponent("data/outbox.sqlite").path }
    var tokenPath: String { directory.appendingPathComponent("agent.token").path }

    /// - Parameters:
    ///   - registrar: the registrar's base URL.
    ///   - token: written to the credential file.
    ///   - agentPort: the agent's `http.port` (1: nothing listens there).
    init(producer: TaxpayerID = validBIN("97010112345"), registrar: String = "http://127.0.0.1:1", token: String = "qzt_none",
         agentPort: Int = 1) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lineagent-op-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.producer = producer
        let example = try String(contentsOf: repositoryRoot.appendingPathComponent("Config/agent.example.yaml"), encoding: .utf8)
        let replacements = [
            ("bin: \"980515400019\"", "bin: \"\(producer.rawValue)\""),
            ("calibration: ../Calibration/line1-top.yaml", "calibration: \(repositoryRoot.appendingPathComponent("Calibration/line1-top.yaml").path)"),
            ("path: /var/lib/qazline/outbox.sqlite", "path: data/outbox.sqlite"),
            ("url: https://registrar.example.kz", "url: \(registrar)"),
            ("credentialFile: /etc/qazline/agent.token", "credentialFile: agent.token"),
            ("requestsPerSecond: 20", "requestsPerSecond: 1000"),
            ("port: 9464", "port: \(agentPort)"),
        ]
        var text = example
        for (old, new) in replacements {
            try #require(text.contains(old), "Config/agent.example.yaml no longer contains \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        try (token + "\n").write(toFile: tokenPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenPath)  // the agent refuses others' access
    }

    /// The outbox file, opened as the agent would.
    func store() throws -> OutboxStore { OutboxStore(database: try AgentDatabase(path: outboxPath)) }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

/// The real registrar (QazServer on SQLite) on 127.0.0.1 with an ephemeral port and `count` codes (`stamp(0..<count)`)
/// issued to `producer`; `body` gets the base URL, a producer token and a client speaking as the producer.
func withRegistrar<T: Sendable>(codes count: Int, producer: TaxpayerID,
                                _ body: (_ url: String, _ token: String, _ client: QazAPIClient) async throws -> T) async throws -> T {
    try await withSeededRegistrar(codes: (0..<count).map { stamp($0).rawValue }, producer: producer) { url, token, _ in
        try await QazAPIClient(configuration: QazClientConfiguration(
            baseURL: url, token: token, requestsPerSecond: 10_000, burst: 10_000, maxAttempts: 1), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })).closing { client in
            try await body(url, token, client)
        }
    }
}

/// The real registrar with `count` codes (`stamp(0..<count)`) issued to a producer, and an agent's files configured
/// for it (removed afterwards); `body` gets the files and a client speaking as the producer.
func withAgentAndRegistrar<T: Sendable>(codes count: Int, _ body: (_ fixture: AgentFixture, _ client: QazAPIClient) async throws -> T)
    async throws -> T
{
    let producer = validBIN("97010112345")
    return try await withRegistrar(codes: count, producer: producer) { url, token, client in
        let fixture = try AgentFixture(producer: producer, registrar: url, token: token)
        defer { fixture.cleanup() }
        return try await body(fixture, client)
    }
}

/// Activation batches sent straight to the registrar by a test.
enum ActivationBatchFixture {
    /// One code activated now on line1.
    static func one(_ code: StampCode) -> ActivationBatch {
        ActivationBatch(batchId: UUID(), lineId: "line1", equipmentId: "line1-top",
                        items: [ActivationItem(code: code.rawValue, activatedAt: .now, productCode: "KZ-VDK-0001")])
    }
}
