import AgentRuntime
import Foundation
import LineAgentTesting
import QazClient
import LineConfig
import Testing

/// The agent refuses secret files others can read: `server.credentialFile` (the bearer token) and `server.clientKey`
/// (a TLS client key), at start-up (`readToken`, `clientConfiguration`) and in `lineagent check-config`.
@Suite("Credential file permissions")
struct CredentialFileTests {
    func chmod(_ path: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func plan(_ fixture: AgentFixture) throws -> AgentPlan {
        try AgentPlan.load(contentsOf: URL(fileURLWithPath: fixture.configPath))
    }

    @Test("a token file readable by others (0644) or the group (0640) is refused, naming the file, its mode and the fix")
    func openTokenRefused() throws {
        let fixture = try AgentFixture(token: "qzt_secret")
        defer { fixture.cleanup() }
        let plan = try plan(fixture)
        for (mode, text) in [(0o644, "0644"), (0o640, "0640"), (0o604, "0604")] {
            try chmod(fixture.tokenPath, mode)
            do {
                _ = try plan.readToken()
                Issue.record("a token file with mode \(text) was accepted")
            } catch {
                #expect(error.description.hasPrefix("server.credentialFile: \(fixture.tokenPath) has mode \(text)"), "\(error)")
                #expect(error.description.contains("chmod 600 \(fixture.tokenPath) && chown "), "\(error)")
                #expect(!error.description.contains("qzt_secret"), "the message must never show the token")
            }
            #expect(plan.credentialProblems().count == 1)
            #expect(throws: AgentSetupError.self) { try plan.clientConfiguration() }
        }
    }

    @Test("a token file only its owner can read (0600, 0400) is accepted")
    func privateTokenAccepted() throws {
        let fixture = try AgentFixture(token: "qzt_secret")
        defer { fixture.cleanup() }
        let plan = try plan(fixture)
        for mode in [0o600, 0o400] {
            try chmod(fixture.tokenPath, mode)
            #expect(try plan.readToken() == "qzt_secret")
            #expect(plan.credentialProblems().isEmpty)
            #expect(try plan.clientConfiguration().token == "qzt_secret")
        }
    }

    @Test("the fixtures' token file is written 0600 (so every test agent starts)")
    func fixtureWritesPrivateToken() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: fixture.tokenPath)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
    }

    @Test("a TLS client key readable by others is refused too")
    func openClientKeyRefused() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let certificate = fixture.directory.appendingPathComponent("agent.pem").path
        let key = fixture.directory.appendingPathComponent("agent.key").path
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: certificate, atomically: true, encoding: .utf8)
        try "-----BEGIN PRIVATE KEY-----\n".write(toFile: key, atomically: true, encoding: .utf8)
        try chmod(key, 0o644)
        var text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "  # clientCertificate: /etc/qazline/agent.pem", with: "  clientCertificate: agent.pem  #")
            .replacingOccurrences(of: "  # clientKey: /etc/qazline/agent.key", with: "  clientKey: agent.key")
        try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let plan = try plan(fixture)
        #expect(plan.credentialProblems() == [
            "server.clientKey: \(key) has mode 0644, so users other than the agent's may read the secret in it; "
                + "make it private to the agent's user: chmod 600 \(key) && chown \(NSUserName()) \(key)",
        ])
        do {
            _ = try plan.clientConfiguration()
            Issue.record("a client key with mode 0644 was accepted")
        } catch {
            #expect(error.description.hasPrefix("server.clientKey: \(key) has mode 0644"))
        }
    }

    @Test("lineagent check-config reports a token file others can read and exits 1; 0600 is OK")
    func checkConfigReportsIt() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        try chmod(fixture.tokenPath, 0o644)
        guard let refused = try await runLineAgent(["check-config", fixture.configPath]) else {
            Issue.record("lineagent binary not found next to the test bundle at \(CommandLine.arguments[0])")
            return
        }
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("\(fixture.configPath) server.credentialFile: \(fixture.tokenPath) has mode 0644"), "\(refused.stderr)")
        #expect(refused.stderr.contains("chmod 600 \(fixture.tokenPath)"))
        #expect(refused.stderr.hasSuffix("1 problem found; the agent would not start.\n"))

        try chmod(fixture.tokenPath, 0o600)
        let accepted = try #require(try await runLineAgent(["check-config", fixture.configPath]))
        #expect(accepted.status == 0)
        #expect(accepted.stdout.hasPrefix("OK  \(fixture.configPath)"))
    }
}
