import Foundation
import LineAgentTesting
import LineCore
import QazAPI
import Signatures
import SignaturesTesting
import Testing

/// The built `qazserver` binary's trade commands: `calendar`, `sign`, and `check-config` loading the trust store and the
/// calendar as `serve` does.
@Suite("qazserver calendar, sign and check-config (the built binary)")
struct TradeCLITests {
    @Test("calendar: the embedded years, a year's days off, a deadline; a bad file names its line and key")
    func calendar() async throws {
        guard let covered = try await runQazServer(["calendar"]) else {
            Issue.record("qazserver is not built next to the tests")
            return
        }
        #expect(covered.status == 0 && covered.stdout.contains("2026: 246 working days"), "\(covered)")
        let year = try #require(try await runQazServer(["calendar", "--year", "2026"]))
        #expect(year.stdout.contains("2026-03-25  day off moved from Sunday 2026-03-22 (Nauryz)"), "\(year)")
        #expect(!year.stdout.contains("2026-03-28"), "a plain Saturday is not listed")
        let deadline = try #require(try await runQazServer(["calendar", "--days", "3", "--from", "2026-03-20T15:42:00+05:00"]))
        #expect(deadline.stdout.contains("2026-03-30 15:42:00 (Astana)"), "\(deadline)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-badcal-\(UUID()).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "version: 1\nholidays:\n  - { date: \"02-30\", name: \"Bad\" }\nyears:\n  2026: {}\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try #require(try await runQazServer(["calendar", file.path]))
        #expect(bad.status == 1 && bad.stderr.contains(":3 holidays[0].date: 02-30 is not a date"), "\(bad)")
    }

    @Test("sign makes the envelope the verifier accepts; check-config loads anchors and calendar, and names a bad one")
    func signAndCheckConfig() async throws {
        let pki = try SigningPKI.shared()
        let signer = try pki.signer(bin: producerA.rawValue)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-tradecli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = directory.appendingPathComponent("order.json")
        try #"{"number":"ORD-1","seller":"\#(producerA)","buyer":"\#(wholesalerW)","codes":["QZA000000000000000001"],"volumeLitres":"0.500","price":"4500.00"}"#
            .write(to: document, atomically: true, encoding: .utf8)
        guard let signed = try await runQazServer(["sign", "--key", signer.keyFile.path, "--cert", signer.certificateFile.path,
                                                   "--chain", pki.intermediate.certificateFile.path, document.path]) else {
            Issue.record("qazserver is not built next to the tests")
            return
        }
        #expect(signed.status == 0, "\(signed)")
        let envelope = try SignedEnvelope.parse(Data(signed.stdout.utf8))
        let verifier = try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM])
        let verified = try verifier.verify(content: envelope.canonical, signature: envelope.signature, at: Date())
        #expect(verified.signer.bin == producerA.rawValue)
        let wrongKey = try #require(try await runQazServer(["sign", "--key", pki.ecLeaf.keyFile.path, "--cert", signer.certificateFile.path,
                                                            document.path]))
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("cannot sign"), "\(wrongKey)")

        let config = directory.appendingPathComponent("server.yaml")
        func write(calendar: String?) throws {
            try """
                storage:
                  backend: sqlite
                  path: \(directory.appendingPathComponent("registrar.sqlite").path)
                trade:
                  signatures:
                    trustAnchors: [\(pki.root.certificateFile.path)]
                    crls: [\(pki.intermediateCRL.path)]
                \(calendar.map { "  calendar: \($0)" } ?? "")
                """.write(to: config, atomically: true, encoding: .utf8)
        }
        try write(calendar: nil)
        let good = try #require(try await runQazServer(["check-config", config.path]))
        #expect(good.status == 0 && good.stdout.contains("signatures 1 trust anchor(s), 1 CRL(s)") && good.stdout.contains("embedded 2024-2027"),
                "\(good)")
        let bad = directory.appendingPathComponent("calendar.yaml")
        try "version: 1\nholidays: []\nyears:\n  2026: { extraDaysOff: [ 2026-02-30 ] }\n".write(to: bad, atomically: true, encoding: .utf8)
        try write(calendar: bad.path)
        let refused = try #require(try await runQazServer(["check-config", config.path]))
        #expect(refused.status == 1 && refused.stderr.contains("trade.calendar") && refused.stderr.contains("2026-02-30"), "\(refused)")
    }
}
