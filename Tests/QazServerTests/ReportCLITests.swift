import Foundation
import LineAgentTesting
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// Runs the built `qazserver` binary (it sits next to the test bundle, as `lineagent` does for LineAgentTests) and
/// returns its exit status and output; nil when the binary is not there.
func runQazServer(_ arguments: [String]) async throws -> BinaryRun? {
    try await runSibling("qazserver", arguments)
}

@Suite("qazserver report: the built binary against the HTTP reports")
struct ReportCLITests {
    @Test("usage and activation reports from the CLI equal the HTTP answers for the same store file, as JSON, CSV and HTML")
    func cliEqualsHTTP() async throws {
        try await withRegistrar(backend: .sqliteFile) { registrar in
            // Given issuance in October and November, activations in November and a write-off
            let october = try await registrar.issue(12, to: producerA, prefix: "QZA", issuedOn: "2026-10-20", name: "Qazaq Spirits LLP")
            let november = try await registrar.issue(5, to: producerA, prefix: "QZA", series: "AC", start: 100, issuedOn: "2026-11-02",
                                                     name: "Qazaq Spirits LLP")
            try await registrar.with("producerA") { client in
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e",
                                                              items: items(Array(october.prefix(7)) + [november[0]], at: "2026-11-03T10:00:00+05:00")))
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: Timestamp(text: "2026-11-04T10:00:00+05:00")!, reason: "damaged",
                                                              codes: [october[11]]))
            }
            let directory = try #require(registrar.directory)
            let config = directory.appendingPathComponent("server.yaml")
            try """
                storage:
                  backend: sqlite
                  path: \(directory.appendingPathComponent("registrar.sqlite").path)
                """.write(to: config, atomically: true, encoding: .utf8)

            let client = try registrar.client("revenue")
            for (kind, path) in [("usage", "qr-usage"), ("activation", "qr-activation")] {
                for month in ["2026-10", "2026-11", "2026-12"] {
                    let query = "/v1/reports/\(path)?bin=\(producerA)&month=\(month)"
                    func http(_ accept: String) async throws -> String {
                        let answer = try await client.raw(method: "GET", path: query, body: nil, headers: [("Accept", accept)])
                        #expect(answer.status == 200)
                        return String(decoding: answer.body, as: UTF8.self)
                    }
                    func cli(_ format: String) async throws -> String {
                        let run = try #require(try await runQazServer(["report", kind, "--config", config.path, "--bin", producerA.rawValue,
                                                                 "--month", month, "--format", format]),
                                               "qazserver binary not found next to the test bundle at \(CommandLine.arguments[0])")
                        #expect(run.status == 0, "\(run.stderr)")
                        return run.stdout
                    }
                    // JSON: every field equal but the generation time
                    let cliJSON = try await cli("json"), httpJSON = try await http("application/json")
                    if kind == "usage" {
                        var fromCLI = try WireCoding.decoder().decode(QRUsageReport.self, from: Data(cliJSON.utf8))
                        let fromHTTP = try WireCoding.decoder().decode(QRUsageReport.self, from: Data(httpJSON.utf8))
                        fromCLI.generatedAt = fromHTTP.generatedAt
                        #expect(fromCLI == fromHTTP)
                        if month == "2026-11" {
                            #expect(fromHTTP.openingBalance == 12 && fromHTTP.received == 5 && fromHTTP.used == 9 && fromHTTP.closingBalance == 8)
                        }
                    } else {
                        var fromCLI = try WireCoding.decoder().decode(QRActivationReport.self, from: Data(cliJSON.utf8))
                        let fromHTTP = try WireCoding.decoder().decode(QRActivationReport.self, from: Data(httpJSON.utf8))
                        fromCLI.generatedAt = fromHTTP.generatedAt
                        #expect(fromCLI == fromHTTP)
                        if month == "2026-11" { #expect(fromHTTP.received == 5 && fromHTTP.activated == 8) }
                    }
                    // CSV: the same bytes (no generation time in it)
                    #expect(try await cli("csv") == (try await http("text/csv")))
                    // HTML: the same figures
                    let cliFigures = htmlFigures(try await cli("html")), httpFigures = htmlFigures(try await http("text/html"))
                    #expect(!httpFigures.isEmpty)
                    #expect(cliFigures.filter { !$0.key.hasPrefix("generated") } == httpFigures.filter { !$0.key.hasPrefix("generated") },
                            "\(kind) \(month)")
                }
            }
            try await client.shutdown()
        }
    }

    @Test("a bad month, BIN or format is a clear error naming the option and a non-zero exit; nothing is printed on stdout")
    func badInput() async throws {
        let cases: [([String], String)] = [
            (["--bin", producerA.rawValue, "--month", "2026-13"], "--month 2026-13: expected YYYY-MM"),
            (["--bin", producerA.rawValue, "--month", "November"], "--month November: expected YYYY-MM"),
            (["--bin", "970101123450", "--month", "2026-11"], "--bin 970101123450"),
            (["--bin", "12345", "--month", "2026-11"], "--bin 12345"),
            (["--bin", producerA.rawValue, "--month", "2026-11", "--format", "pdf"], "--format pdf: expected json, csv or html"),
        ]
        for (arguments, message) in cases {
            guard let run = try await runQazServer(["report", "usage", "--config", "/nonexistent/server.yaml"] + arguments) else {
                Issue.record("qazserver binary not found next to the test bundle at \(CommandLine.arguments[0])")
                return
            }
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments)")
        }
        // A valid request with a configuration that is not there names the file
        let missing = try #require(try await runQazServer(["report", "activation", "--config", "/nonexistent/server.yaml", "--bin", producerA.rawValue,
                                                     "--month", "2026-11"]))
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/server.yaml"), "\(missing.stderr)")
    }
}
