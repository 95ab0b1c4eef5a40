import Foundation
import Testing

/// Runs `scripts/schemathesis.sh` (schemathesis, an independent property-based client, against the document the
/// built `qazserver` serves) so that `swift test` covers the API contract from outside Swift.
@Suite("schemathesis against the served OpenAPI document")
struct SchemathesisTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schemathesis = root.appendingPathComponent(".venv/bin/schemathesis").path
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qazserver").path

    @Test("no 5xx and every answer conforms to the document (every schemathesis check, one pass per role, ~75 s)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: schemathesis),
                   "schemathesis is not installed in .venv: run scripts/setup.sh (installs scripts/requirements-test.txt)"),
          .timeLimit(.minutes(10)))
    func schemathesisRun() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("no qazserver binary at \(Self.binary): run swift build --build-tests first")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent("scripts/schemathesis.sh").path, "--binary", Self.binary]
        process.currentDirectoryURL = Self.root
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-schemathesis-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        // The short run's roles (scripts/schemathesis.sh): the fdo pass covers the retail half's receipts and registers.
        let roles = ["registrar", "producer", "importer", "fdo"]
        let summary = output.components(separatedBy: "\n").filter { line in roles.contains { line.hasPrefix("  \($0):") } }
        #expect(summary.count == roles.count, "every role's pass ran: \(summary)")
        if process.terminationStatus == 0 {
            try? FileManager.default.removeItem(at: log)
        } else {
            let failures = output.components(separatedBy: "\n").filter { $0.contains("ST") && $0.contains(" - ") || $0.hasPrefix("___") || $0.hasPrefix("[") }
            Issue.record("""
                scripts/schemathesis.sh exited \(process.terminationStatus); full output: \(log.path)
                \(failures.prefix(40).joined(separator: "\n"))
                \(output.suffix(3000))
                """)
        }
    }
}
