import Foundation
import LineAgentTesting
import Testing

/// No token or password reaches a log: the whole simulated plant (`qazline-demo`: the registrar, the agent with its
/// console, linesim, the case station, the trade and the retail steps over loopback HTTP) runs as its own process at
/// `--log-level trace`, and everything it wrote is searched for every credential it used.
@Suite(.serialized) struct SecretsInLogsTests {
    /// The credentials the run must have used (names as `qazline-demo --secrets-file` writes them).
    static let expectedSecrets: Set<String> = [
        "producer (agent) token", "factory token", "revenue-body token", "wholesaler token", "registrar console token",
        "shop token", "FDO token", "console password", "producer signing key (PEM line)",
    ]

    @Test("a full simulated plant at --log-level trace writes none of its tokens, passwords or keys to its logs or work files")
    func demoAtTraceLogsNoSecret() async throws {
        // Given a plant run of 150 bottles at trace, with a console password of our own and its secrets written down
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let secretsFile = work.appendingPathComponent("secrets.json")
        let password = "pw-" + UUID().uuidString.prefix(13)
        let run = try #require(await runSibling("qazline-demo", [
            "--bottles", "150", "--speed", "36000", "--seed", "11", "--log-level", "trace", "--console-password", password,
            "--workdir", work.appendingPathComponent("plant").path, "--secrets-file", secretsFile.path,
        ], timeout: .seconds(300)), "qazline-demo is not built next to \(CommandLine.arguments[0]): swift build --product qazline-demo")
        #expect(run.status == 0 && run.stdout.contains("RECONCILED"), "the plant did not run through: \(run.stderr.suffix(2_000))")

        // Then every credential it made is known (the agent's token also from its credential file)
        var secrets = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: secretsFile))
        let credentialFile = work.appendingPathComponent("plant/agent.token")
        secrets["agent credential file"] = try String(contentsOf: credentialFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Self.expectedSecrets.isSubset(of: Set(secrets.keys)), "missing: \(Self.expectedSecrets.subtracting(secrets.keys))")
        #expect(secrets["console password"] == password)
        #expect(secrets["agent credential file"] == secrets["producer (agent) token"])
        #expect(secrets.values.allSatisfy { $0.count >= 12 }, "a secret too short to search for: \(secrets.mapValues(\.count))")

        // And the log really was at trace: trace lines, the agent's decisions (debug) and the registrar's requests are there
        let logLines = run.stderr.split(separator: "\n")
        #expect(logLines.contains { $0.contains(" trace ") }, "no trace line on standard error")
        #expect(logLines.filter { $0.contains("bottle.decision=") }.count >= 100, "the agent's decisions were not logged at trace")
        #expect(logLines.filter { $0.contains("http.route=") }.count >= 20, "the registrar's requests were not logged at trace")

        // And none of them appears on standard error (the log), nor on standard output apart from the two lines that
        // announce the console sign-in on purpose, nor in any file the run left in its work directory
        let announced = ["console user: ", "registrar console token: "]
        let stdoutLines = run.stdout.split(separator: "\n").filter { line in !announced.contains { line.hasPrefix($0) } }
        var places: [(String, Data)] = [("standard error", Data(run.stderr.utf8)), ("standard output", Data(stdoutLines.joined(separator: "\n").utf8))]
        let keptOnPurpose: Set<String> = [credentialFile.path, secretsFile.path]
        for file in Self.files(under: work) where !keptOnPurpose.contains(file.path) {
            places.append((file.path.replacingOccurrences(of: work.path + "/", with: ""), try Data(contentsOf: file)))
        }
        #expect(places.count > 4, "the work directory holds no files: \(places.map(\.0))")
        for (name, secret) in secrets.sorted(by: { $0.key < $1.key }) {
            for (place, content) in places {
                #expect(content.range(of: Data(secret.utf8)) == nil, "the \(name) appears in \(place)")
            }
        }
        print("secrets-in-logs: checked \(secrets.count) secrets (\(secrets.keys.sorted().joined(separator: ", "))) against "
              + "\(logLines.count) lines of standard error, \(stdoutLines.count) lines of standard output and "
              + "\(places.count - 2) files of the work directory (\(places.dropFirst(2).map(\.0).sorted().joined(separator: ", ")))")
    }

    /// Every regular file under `directory`.
    static func files(under directory: URL) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        return (enumerator?.allObjects as? [URL] ?? []).filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }
}
