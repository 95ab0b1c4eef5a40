import Foundation
import LineAgentTesting
import LineCore
import Logging
import QazClient
import Testing

/// No password or token reaches the registrar's log: the built `qazserver` runs as its own process at
/// `--log-level trace`, and what it wrote to standard output (its log) and standard error is searched.
@Suite(.serialized) struct ServerSecretsInLogsTests {
    static let password = "s3cret-pg-\(UUID().uuidString.prefix(8))"

    @Test("check-config and serve with a PostgreSQL URL holding a password: the password is redacted and never logged")
    func postgresPasswordIsNeverLogged() async throws {
        // Given a configuration whose PostgreSQL (unreachable: port 1) is reached with a password
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("server.yaml")
        try """
            listen: { host: 127.0.0.1, port: \(try freeLoopbackPort()) }
            storage:
              backend: postgres
              url: postgres://qaz:\(Self.password)@127.0.0.1:1/qaz
            """.write(to: config, atomically: true, encoding: .utf8)

        // When check-config summarizes it, then the URL is shown with the password redacted
        let check = try #require(await runSibling("qazserver", ["check-config", config.path]), Self.notBuilt)
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("postgres postgres://qaz:***@127.0.0.1:1/qaz"), "\(check.stdout)")
        #expect(!(check.stdout + check.stderr).contains(Self.password))

        // When serve runs at trace for a while (the store cannot connect and says so), then nothing it wrote holds the
        // password
        let serve = try #require(await runSibling("qazserver", ["serve", "--config", config.path, "--log-level", "trace"],
                                                  timeout: .seconds(8)), Self.notBuilt)
        let output = serve.stdout + serve.stderr
        #expect(output.split(separator: "\n").count >= 2, "serve wrote almost nothing: \(serve)")
        #expect(output.contains("Connection refused") || output.contains("connectionError"),
                "the store's failed connection was not logged: \(output.suffix(2_000))")
        #expect(!output.contains(Self.password), "the PostgreSQL password appears in serve's output: \(Self.lines(of: output, containing: Self.password))")
        print("secrets-in-logs: checked the PostgreSQL password against check-config's summary and \(output.split(separator: "\n").count) "
              + "lines of serve at trace (exit status \(serve.status)\(serve.timedOut ? ", stopped by SIGTERM" : ""))")
    }

    @Test("serve at trace, with requests and console sign-ins carrying good, wrong and malformed tokens and passwords: none is logged")
    func tokensAndPasswordsAreNeverLogged() async throws {
        // Given a registrar on SQLite with a console user and a producer's token issued by the CLI
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let hashInput = directory.appendingPathComponent("password.txt")
        let consolePassword = "console-pw-\(UUID().uuidString.prefix(8))"
        try (consolePassword + "\n").write(to: hashInput, atomically: true, encoding: .utf8)
        let hash = try #require(await runSibling("qazserver", ["console-password"], stdin: hashInput), Self.notBuilt)
        #expect(hash.status == 0, "\(hash)")
        let port = try freeLoopbackPort()
        let config = directory.appendingPathComponent("server.yaml")
        try """
            listen: { host: 127.0.0.1, port: \(port) }
            storage: { backend: sqlite, path: \(directory.appendingPathComponent("registrar.sqlite").path) }
            console:
              enabled: true
              users:
                - { name: auditor, passwordHash: "\(hash.stdout.trimmingCharacters(in: .whitespacesAndNewlines))", role: revenue-body }
            """.write(to: config, atomically: true, encoding: .utf8)
        var secrets: [String: String] = ["console password": consolePassword]
        for (role, bin) in [("producer", producerA), ("registrar", registrarBIN)] {
            let issued = try #require(await runSibling("qazserver", ["token", "issue", "--config", config.path, "--bin", bin.rawValue,
                                                                     "--role", role, "--log-level", "trace"]), Self.notBuilt)
            #expect(issued.status == 0, "\(issued)")
            secrets["\(role) token"] = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!issued.stderr.contains(secrets["\(role) token"]!), "token issue wrote the token to standard error too")
        }
        secrets["wrong token"] = "qzt_0badc0de_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        secrets["malformed token"] = "not-a-token-" + UUID().uuidString
        secrets["wrong console password"] = "wrong-pw-\(UUID().uuidString.prefix(8))"

        // When serve runs at trace and is asked with each of them (API calls, console sign-ins by token and password)
        let server = try LoggedServer(arguments: ["serve", "--config", config.path, "--log-level", "trace"])
        var statuses: [String: Int] = [:]
        do {
            let base = "http://127.0.0.1:\(port)"
            func client(_ token: String) throws -> QazAPIClient {
                try QazAPIClient(configuration: QazClientConfiguration(baseURL: base, token: token, maxAttempts: 1), logger: .init(label: "test"))
            }
            let anonymous = try client("none")
            try await Polling.until(seconds: 30, "qazserver serve to answer on \(base)") {
                (try? await anonymous.raw(method: "GET", path: "/health", body: nil, authorized: false))?.status == 200
            }
            for name in ["producer token", "registrar token", "wrong token", "malformed token"] {
                let asked = try client(secrets[name]!)
                statuses["GET /v1/pools as \(name)"] = try await asked.raw(method: "GET", path: "/v1/pools/\(producerA)/codes?status=issued", body: nil).status
                statuses["POST /v1/activations as \(name)"] = try await asked.raw(method: "POST", path: "/v1/activations", body: Array("{}".utf8)).status
                try? await asked.shutdown()
            }
            for (name, form) in [("registrar token", "token="), ("wrong token", "token="), ("console password", "user=auditor&password="),
                                 ("wrong console password", "user=auditor&password=")] {
                let encoded = secrets[name]!.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await anonymous.raw(method: "POST", path: "/login", body: Array("csrf=c5rf&next=%2Fhealth&\(form)\(encoded)".utf8), headers: [
                    ("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", "qz_registrar_login=c5rf"),
                ], authorized: false)
                statuses["console sign-in with the \(name)"] = response.status
            }
            try? await anonymous.shutdown()
        } catch {
            _ = await server.stop()
            throw error
        }
        let (stdout, stderr) = await server.stop()

        // Then the requests were answered as expected and logged, and no secret is in anything serve wrote
        #expect(statuses["GET /v1/pools as producer token"] == 200, "\(statuses)")
        #expect(statuses["GET /v1/pools as wrong token"] == 401 && statuses["GET /v1/pools as malformed token"] == 401, "\(statuses)")
        // (a sign-in answers 303 to next=/health; the client follows it to 200)
        #expect(statuses["console sign-in with the registrar token"] == 200 && statuses["console sign-in with the console password"] == 200,
                "\(statuses)")
        #expect(statuses["console sign-in with the wrong token"] == 401 && statuses["console sign-in with the wrong console password"] == 401,
                "\(statuses)")
        let output = stdout + stderr
        let lines = output.split(separator: "\n")
        #expect(lines.filter { $0.contains("http.status") }.count >= 12, "serve did not log its requests: \(output.suffix(2_000))")
        #expect(lines.contains { $0.contains(" trace ") || $0.contains(" debug ") }, "no trace or debug line: the log level did not reach the server")
        for (name, secret) in secrets.sorted(by: { $0.key < $1.key }) {
            #expect(!output.contains(secret), "the \(name) appears in serve's output: \(Self.lines(of: output, containing: secret))")
        }
        print("secrets-in-logs: checked \(secrets.count) secrets (\(secrets.keys.sorted().joined(separator: ", "))) against \(lines.count) "
              + "lines serve wrote at trace for \(statuses.count) requests: "
              + statuses.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }.joined(separator: "; "))
    }

    static let notBuilt = Comment(rawValue: "qazserver is not built next to \(CommandLine.arguments[0]): swift build --product qazserver")

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The lines of `text` holding `secret`, shortened, for a failure message.
    static func lines(of text: String, containing secret: String) -> String {
        text.split(separator: "\n").filter { $0.contains(secret) }.prefix(3).map { String($0.prefix(300)) }.joined(separator: "\n")
    }
}

/// The built `qazserver` running in the background: its standard output and error are read until it exits.
private final class LoggedServer {
    private let process: Process
    private let stdout: PipeReader
    private let stderr: PipeReader

    init(arguments: [String]) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qazserver")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw SecretsTestError("qazserver is not built at \(binary.path): swift build --product qazserver")
        }
        process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdout = PipeReader(out.fileHandleForReading)
        stderr = PipeReader(err.fileHandleForReading)
    }

    /// SIGTERM (a graceful shutdown), then everything it wrote.
    func stop() async -> (stdout: String, stderr: String) {
        if process.isRunning { process.terminate() }
        let out = await stdout.data(), err = await stderr.data()
        process.waitUntilExit()
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}

/// Polling with a deadline.
private enum Polling {
    static func until(seconds: Double, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw SecretsTestError("timed out after \(seconds) s waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Why the secrets test could not run its server.
private struct SecretsTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
