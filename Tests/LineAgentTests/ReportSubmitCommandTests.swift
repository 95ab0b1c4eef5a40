import Delivery
import Foundation
import LineAgentTesting
import LineCore
import Logging
import Outbox
import QazAPI
import QazClient
import QazServer
import Signatures
import SignaturesTesting
import Testing
@testable import LineAgent

/// The real registrar verifying signatures against the test PKI (its root as the trust anchor, its intermediate
/// configured), `count` codes issued to the producer on a waybill of 2026-11-02, and an agent configured for it.
/// `body` gets the agent's files, a client speaking as the producer, the registrar's store and the PKI.
func withSigningRegistrar<T: Sendable>(
    codes count: Int, signatures: Bool = true,
    _ body: (_ fixture: AgentFixture, _ client: QazAPIClient, _ registrar: any RegistrarStore, _ pki: TestPKI) async throws -> T
) async throws -> T {
    let pki = try TestPKI.shared()
    let trade = signatures
        ? TradeSettings(verifier: try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM], intermediatesPEM: [pki.intermediate.certificatePEM]))
        : TradeSettings()
    let producer = validBIN("97010112345")
    return try await withSeededRegistrar(codes: (0..<count).map { stamp($0).rawValue }, producer: producer, trade: trade) { url, token, registrar in
        let client = try QazAPIClient(
            configuration: QazClientConfiguration(baseURL: url, token: token, requestsPerSecond: 10_000, burst: 10_000, maxAttempts: 1),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await client.closing { client in
            let fixture = try AgentFixture(producer: producer, registrar: url, token: token)
            defer { fixture.cleanup() }
            return try await body(fixture, client, registrar, pki)
        }
    }
}

/// Sends every queued activation of the outbox to the registrar, as the running agent's drainer does.
func deliverAll(_ store: OutboxStore, _ client: QazAPIClient) async throws {
    for _ in 0..<20 {
        guard let batch = try await store.beginBatch(limit: 100, equipmentId: "line1-top") else { return }
        let delivery = await client.deliver(batch.submission)
        try await store.complete(batch, outcomes: delivery.outcomes)
    }
    Issue.record("the outbox did not empty")
}

@Suite("lineagent report submit", .serialized)
struct ReportSubmitCommandTests {
    static let month = "2026-11"

    /// 10:00:0N on 20 November 2026 in Astana.
    static func november(_ second: Int) -> Date { UTCTime.parse("2026-11-20T05:00:00Z")!.addingTimeInterval(Double(second)) }
    /// 00:30 on 1 December in Astana (still 30 November in UTC): December's.
    static let firstOfDecember = UTCTime.parse("2026-11-30T19:30:00Z")!

    /// `--key K --cert C --chain I` of a signer, as files.
    static func signing(_ signer: TestPKI.Identity, _ pki: TestPKI) -> [String] {
        ["--key", signer.keyFile.path, "--cert", signer.certificateFile.path, "--chain", pki.intermediate.certificateFile.path]
    }

    /// A table row of the check by its first cell.
    static func row(_ output: String, _ column: String) -> [String]? {
        output.split(separator: "\n").map { cells(String($0)) }.first { $0.first == column }
    }

    /// Given three activations of November delivered by the agent, one of December, and a stamp written off at the
    /// registrar in November.
    static func deliveredMonth(_ fixture: AgentFixture, _ client: QazAPIClient) async throws -> OutboxStore {
        let store = try fixture.store()
        _ = try await store.append(contentsOf: (1...3).map { goodDecision(UInt64($0), stamp($0), at: november($0)) }
            + [goodDecision(4, stamp(4), at: firstOfDecember)])
        try await deliverAll(store, client)
        _ = try await client.writeOff(WriteOffRequest(writtenOffAt: Timestamp(november(60)), reason: "damaged", codes: [stamp(10).rawValue]))
        return store
    }

    @Test("the agent's figures agree: both forms are signed, submitted and accepted (exit 0)")
    func accepted() async throws {
        try await withSigningRegistrar(codes: 20) { fixture, client, registrar, pki in
            let store = try await Self.deliveredMonth(fixture, client)
            let signer = try pki.signer(bin: fixture.producer.rawValue)

            // When the producer submits November's reports
            let run = try await lineagent(["report", "submit", "--config", fixture.configPath, "--month", Self.month] + Self.signing(signer, pki))

            // Then the check shows the registrar's and the agent's figures side by side, and both forms are accepted
            #expect(run.status == 0, "\(run)")
            #expect(Self.row(run.stdout, "received (App. 9, 10)")?.prefix(3) == ["received (App. 9, 10)", "20", "20"])
            #expect(Self.row(run.stdout, "activated (App. 9)") == ["activated (App. 9)", "3", "3", "this agent's activations: 3 delivered + 0 not yet delivered"])
            #expect(Self.row(run.stdout, "writtenOff")?.prefix(3) == ["writtenOff", "1", "1"])
            #expect(Self.row(run.stdout, "used (App. 10)")?.prefix(3) == ["used (App. 10)", "4", "4"])
            #expect(Self.row(run.stdout, "closingBalance (App. 10)")?.prefix(3) == ["closingBalance (App. 10)", "16", "16"])
            #expect(run.stdout.contains("verdict: this agent agrees with the registrar for 2026-11\n"), "\(run)")
            #expect(run.stdout.contains("\napp9 2026-11: accepted (submission "), "\(run)")
            #expect(run.stdout.contains("\napp10 2026-11: accepted (submission "), "\(run)")
            #expect(run.stderr.isEmpty, "\(run)")

            // And the registrar holds both signed submissions; the agent's audit log names them
            let trade = try #require(registrar as? any TradeStore)
            let operations = try await trade.operations(OperationQuery(participant: fixture.producer)).items
            #expect(operations.filter { $0.kind == .reportSubmitted }.compactMap(\.detail).sorted() == ["app10 2026-11: accepted", "app9 2026-11: accepted"])
            let audit = try await store.auditLog().filter { $0.action == "report-submit" }
            #expect(audit.compactMap(\.target).sorted() == ["app10 2026-11", "app9 2026-11"])
        }
    }

    @Test("an activation not yet delivered: the difference and its cause are shown, the forms still go in and differ (exit 1)")
    func undeliveredDiffers() async throws {
        try await withSigningRegistrar(codes: 20) { fixture, client, registrar, pki in
            // Given November delivered, plus one bottle of November still in the outbox
            let store = try await Self.deliveredMonth(fixture, client)
            _ = try await store.append(goodDecision(5, stamp(5), at: Self.november(5)))
            // And an encrypted key with its password in a file
            let signer = try pki.signer(bin: fixture.producer.rawValue)
            let encryptedKey = fixture.directory.appendingPathComponent("producer-encrypted.key").path
            try pki.openssl(["pkey", "-in", signer.keyFile.path, "-aes256", "-passout", "pass:пароль 1", "-out", encryptedKey])
            let passwordFile = fixture.directory.appendingPathComponent("key-password").path
            try "пароль 1\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            let arguments = ["report", "submit", "--config", fixture.configPath, "--month", Self.month, "--key", encryptedKey,
                             "--cert", signer.certificateFile.path, "--key-password-file", passwordFile]

            // When a dry run checks it
            let dry = try await lineagent(arguments + ["--dry-run"])
            // Then the difference and its cause are named, nothing is sent, and the exit status says it would differ
            #expect(dry.status == 1, "\(dry)")
            #expect(Self.row(dry.stdout, "activated (App. 9)") == ["activated (App. 9)", "3", "4", "this agent's activations: 3 delivered + 1 not yet delivered"])
            #expect(dry.stdout.contains("verdict: DIFFERS: activated 4 here, 3 at the registrar (+1); the registrar will answer differs in "
                + "app9: activated; app10: used, closingBalance\n"), "\(dry)")
            #expect(dry.stdout.contains("  1 activation of 2026-11 (2026-11-20 10:00:05 +05) not yet delivered: the registrar's figure is lower "
                + "than the line's until they are; see lineagent outbox list --pending"), "\(dry)")
            #expect(dry.stdout.contains("dry run: app9 signed ("), "\(dry)")
            #expect(dry.stdout.hasSuffix("; nothing was sent\n"), "\(dry)")
            let trade = try #require(registrar as? any TradeStore)
            #expect(try await trade.operations(OperationQuery(participant: fixture.producer)).items.filter { $0.kind == .reportSubmitted }.isEmpty)

            // When it is submitted
            let run = try await lineagent(arguments)
            // Then the registrar answers differs with the columns, printed per form
            #expect(run.status == 1, "\(run)")
            #expect(run.stdout.contains("\napp9 2026-11: DIFFERS (submission "), "\(run)")
            #expect(run.stdout.contains("\napp10 2026-11: DIFFERS (submission "), "\(run)")
            let lines = run.stdout.split(separator: "\n").map { cells(String($0)) }
            let app9 = try #require(lines.firstIndex { $0.first?.hasPrefix("app9 2026-11:") == true })
            #expect(lines[app9 + 1] == ["column", "submitted", "registrar"])
            #expect(lines[app9 + 2] == ["activated", "4", "3"])
            let app10 = try #require(lines.firstIndex { $0.first?.hasPrefix("app10 2026-11:") == true })
            #expect(Array(lines[(app10 + 2)...].prefix(2)) == [["used", "5", "4"], ["closingBalance", "15", "16"]])
            #expect(run.stderr.isEmpty, "\(run)")

            // When the activation is delivered, a new submission of App. 9 alone is accepted
            try await deliverAll(store, client)
            let again = try await lineagent(arguments + ["--form", "app9"])
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout.contains("\napp9 2026-11: accepted"), "\(again)")
            #expect(!again.stdout.contains("app10 2026-11:"), "\(again)")
        }
    }

    @Test("another BIN's certificate: warned before, refused by the registrar (signer_mismatch), exit 2")
    func anotherBINsCertificate() async throws {
        try await withSigningRegistrar(codes: 20) { fixture, client, registrar, pki in
            _ = try await Self.deliveredMonth(fixture, client)
            let other = validBIN("97010154321")
            let signer = try pki.signer(bin: other.rawValue)
            let run = try await lineagent(["report", "submit", "--config", fixture.configPath, "--month", Self.month] + Self.signing(signer, pki))
            #expect(run.status == 2, "\(run)")
            #expect(run.stderr.contains("report submit: warning: the certificate \(signer.certificateFile.path) has BIN \(other), "
                + "producer.bin is \(fixture.producer)"), "\(run)")
            #expect(run.stderr.contains("lineagent report submit: app9: the registrar refused the signature (signer_mismatch): "), "\(run)")
            #expect(run.stderr.contains("sign with a certificate whose subject has OU=BIN\(fixture.producer)"), "\(run)")
            #expect(run.stderr.hasSuffix("; nothing was submitted\n"), "\(run)")
            let trade = try #require(registrar as? any TradeStore)
            #expect(try await trade.operations(OperationQuery(participant: fixture.producer)).items.filter { $0.kind == .reportSubmitted }.isEmpty)
        }
    }

    @Test("a certificate from a CA the registrar does not trust: signature_invalid with the reason, exit 2")
    func untrustedCertificate() async throws {
        try await withSigningRegistrar(codes: 20) { fixture, client, _, pki in
            _ = try await Self.deliveredMonth(fixture, client)
            let run = try await lineagent(["report", "submit", "--config", fixture.configPath, "--month", Self.month, "--form", "app10",
                                           "--key", pki.foreignLeaf.keyFile.path, "--cert", pki.foreignLeaf.certificateFile.path])
            #expect(run.status == 2, "\(run)")
            #expect(run.stderr.contains("lineagent report submit: app10: the registrar refused the signature: signature_invalid "
                + "(certificate_untrusted): certificate untrusted: "), "\(run)")
            #expect(run.stderr.hasSuffix("; nothing was submitted\n"), "\(run)")
        }
    }

    @Test("a registrar without trust anchors: signatures_not_configured names the registrar, exit 2")
    func signaturesNotConfigured() async throws {
        try await withSigningRegistrar(codes: 20, signatures: false) { fixture, client, _, pki in
            _ = try await Self.deliveredMonth(fixture, client)
            let signer = try pki.signer(bin: fixture.producer.rawValue)
            let run = try await lineagent(["report", "submit", "--config", fixture.configPath, "--month", Self.month] + Self.signing(signer, pki))
            #expect(run.status == 2, "\(run)")
            #expect(run.stderr.contains("lineagent report submit: app9: the registrar at http://127.0.0.1:"), "\(run)")
            #expect(run.stderr.contains("cannot verify signatures (signatures_not_configured, HTTP 503)"), "\(run)")
        }
    }

    @Test("an unreadable key, a key of another certificate, an encrypted key without its password: named before any request, exit 2")
    func keyProblems() async throws {
        // The registrar is down: none of these may get as far as asking it.
        let fixture = try AgentFixture(registrar: "http://127.0.0.1:1")
        defer { fixture.cleanup() }
        let pki = try TestPKI.shared()
        let signer = try pki.signer(bin: fixture.producer.rawValue)
        let base = ["report", "submit", "--config", fixture.configPath, "--month", Self.month]

        let missing = try await lineagent(base + ["--key", "/nonexistent/producer.key", "--cert", signer.certificateFile.path])
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr == "lineagent report submit: cannot read the key (--key) /nonexistent/producer.key: no such file; nothing was submitted\n",
                "\(missing)")

        let mismatched = try await lineagent(base + ["--key", pki.ecLeaf.keyFile.path, "--cert", signer.certificateFile.path])
        #expect(mismatched.status == 2, "\(mismatched)")
        #expect(mismatched.stderr == "lineagent report submit: cannot sign with --key \(pki.ecLeaf.keyFile.path) and --cert "
            + "\(signer.certificateFile.path): the private key does not belong to the certificate; nothing was submitted\n", "\(mismatched)")

        let encrypted = fixture.directory.appendingPathComponent("encrypted.key")
        try pki.encryptedRSAKeyPEM.write(to: encrypted, atomically: true, encoding: .utf8)
        let noPassword = try await lineagent(base + ["--key", encrypted.path, "--cert", pki.rsaLeaf.certificateFile.path])
        #expect(noPassword.status == 2, "\(noPassword)")
        #expect(noPassword.stderr.contains("the private key cannot be read"), "\(noPassword)")
        #expect(noPassword.stderr.contains("(an encrypted key needs its password: --key-password-file)"), "\(noPassword)")
    }

    @Test("with the registrar down: names server.url, nothing submitted, exit 2")
    func registrarDown() async throws {
        let fixture = try AgentFixture(registrar: "http://127.0.0.1:1")
        defer { fixture.cleanup() }
        _ = try await fixture.store().append(goodDecision(1, stamp(1), at: Self.november(1)))
        let pki = try TestPKI.shared()
        let signer = try pki.signer(bin: fixture.producer.rawValue)
        let run = try await lineagent(["report", "submit", "--config", fixture.configPath, "--month", Self.month] + Self.signing(signer, pki))
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr == "lineagent report submit: cannot reach the registrar at http://127.0.0.1:1 (server.url in \(fixture.configPath)): "
            + "connection refused (fetching the registrar's App. 9/10 for 2026-11); nothing was submitted\n", "\(run)")
    }

    @Test("a bad or future month is refused by the command line")
    func badMonth() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let keys = ["--key", "k.pem", "--cert", "c.pem"]
        let bad = try await lineagent(["report", "submit", "--config", fixture.configPath, "--month", "2026-13"] + keys)
        #expect(bad.status == 64, "\(bad)")
        #expect(bad.stderr.contains("--month must be a month YYYY-MM, got \"2026-13\""), "\(bad)")
        let future = ReportingMonth.containing(Date()).next
        let ahead = try await lineagent(["report", "submit", "--config", fixture.configPath, "--month", future.description] + keys)
        #expect(ahead.status == 64, "\(ahead)")
        #expect(ahead.stderr.contains("--month \(future) has not begun"), "\(ahead)")
    }

    @Test("the figures submitted: the agent's activations (delivered and not), the registrar's received, opening balance and write-offs")
    func figures() {
        let bin = validBIN("97010112345")
        let month = ReportingMonth("2026-11")!
        let usage = QRUsageReport(form: "app10-qr-usage", participant: bin, participantName: nil, month: month, openingBalance: 7, received: 20,
                                  used: 5, activated: 3, writtenOff: 2, closingBalance: 22, generatedAt: Timestamp(Date()))
        let activation = QRActivationReport(form: "app9-qr-activation", participant: bin, participantName: nil, month: month, received: 20,
                                            activated: 3, note: "Есептен шығарылды / списано: 2", generatedAt: Timestamp(Date()))
        let check = ReportCheck(bin: bin, month: month, usage: usage, activation: activation,
                                agent: MonthActivations(month: month, delivered: 3, pending: 2, dead: 1))
        #expect(check.submission(.app9) == ReportSubmission(participant: bin, form: .app9, month: month, received: 20, activated: 5,
                                                            note: "Есептен шығарылды / списано: 2"))
        #expect(check.submission(.app10) == ReportSubmission(participant: bin, form: .app10, month: month, received: 20, openingBalance: 7,
                                                             used: 7, closingBalance: 20))
        #expect(check.differences(.app9) == [ReportDifference(column: "activated", submitted: 5, registrar: 3)])
        #expect(check.differences(.app10).map(\.column) == ["used", "closingBalance"])
        #expect(!check.agrees(forms: [.app9]))
        let text = check.render(forms: [.app9, .app10], now: month.next.start)
        #expect(text.contains("  1 activation of 2026-11 refused by the registrar (dead letters, counted by neither): lineagent outbox list --dead"))
        #expect(!text.contains("has not ended"))
        #expect(check.render(forms: [.app9], now: month.start).contains("note: 2026-11 has not ended: its figures will still change"))
    }
}
