// `lineagent report submit` (issue 16): a producer's monthly App. 9 and App. 10 (order No 288 cl. 28), fetched from the
// registrar, checked against this agent's own activations, signed with the producer's key and submitted.
import AgentRuntime
import ArgumentParser
import CommandSupport
import Foundation
import LineConfig
import LineCore
import Outbox
import QazAPI
import QazClient
import Signatures

/// `lineagent report …`: the producer's monthly reports to the registrar.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The producer's monthly reports (App. 9, App. 10): check against this agent, sign, submit.",
        subcommands: [ReportSubmit.self])
}

/// `lineagent report submit --config FILE --month YYYY-MM --key K --cert C [--chain F…] [--key-password-file F]
/// [--form app9|app10|both] [--dry-run]`.
struct ReportSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Fetch the registrar's App. 9/10 for a month, check them against this agent, sign and submit them.",
        discussion: """
        The registrar's reports for producer.bin are compared with this agent's activations whose activation time \
        falls in the month (Astana time): delivered ones, and ones still waiting in the outbox, which the registrar \
        does not count yet. The submitted figures are the producer's: activated = this agent's activations of the month \
        (delivered and undelivered), used = activated + the registrar's written off, received and the opening balance \
        from the registrar, closing balance = opening + received - used. Each form is signed (detached CMS over the RFC \
        8785 form of the document, docs/signatures.md) and submitted; the registrar answers accepted, or differs with \
        the columns. With --dry-run the forms are checked and signed but nothing is sent.

        Exit status: 0 every form accepted (dry run: the figures agree), 1 a form differs (dry run: would differ), \
        2 nothing or not everything could be submitted (configuration, key or certificate, outbox, registrar), \
        64 a bad command line.
        """)

    /// Which forms to submit.
    enum Forms: String, ExpressibleByArgument, CaseIterable {
        case app9, app10, both
        var forms: [ReportForm] {
            switch self {
            case .app9: [.app9]
            case .app10: [.app10]
            case .both: [.app9, .app10]
            }
        }
    }

    /// Anything that stopped the command: exit 2 (1 means a form differs).
    static let errorExit = ExitCode(2)

    @OptionGroup var options: AgentConfigOption

    @Option(name: .long, help: "The reporting month, YYYY-MM (Astana calendar).")
    var month: String

    @Option(name: .long, help: "The producer's private key (PEM; RSA or EC P-256).", completion: .file())
    var key: String

    @Option(name: .long, help: "The key's certificate (PEM), with OU=BIN<producer.bin>.", completion: .file())
    var cert: String

    @Option(name: .long, help: "Intermediate certificates to include in the signature (PEM), repeatable.", completion: .file())
    var chain: [String] = []

    @Option(name: .long, help: "A file whose first line is the password of an encrypted key.", completion: .file())
    var keyPasswordFile: String?

    @Option(name: .long, help: "app9, app10 or both.")
    var form: Forms = .both

    @Flag(name: .long, help: "Fetch, check and sign, but send nothing.")
    var dryRun = false

    func validate() throws {
        guard let month = ReportingMonth(month) else { throw ValidationError("--month must be a month YYYY-MM, got \"\(month)\"") }
        let current = ReportingMonth.containing(Date())
        if current < month { throw ValidationError("--month \(month) has not begun (it is \(current) in Astana)") }
    }

    func run() async throws {
        let plan: AgentPlan
        do { plan = try options.loadPlan() } catch { throw Self.errorExit }
        let month = ReportingMonth(month)!
        var exit: ExitCode?
        do {
            try await operatorRun("report submit") {
                exit = try await submit(plan: plan, month: month)
            }
        } catch let code as ExitCode where code == .failure {
            throw Self.errorExit
        }
        if let exit { throw exit }
    }

    /// The command's work; returns the exit code for a form that differs (nil when all agree).
    private func submit(plan: AgentPlan, month: ReportingMonth) async throws -> ExitCode? {
        let bin = plan.configuration.producer.bin
        // The key and certificate first: a wrong file or a key of another certificate stops before the registrar is asked.
        let signer = try ReportSigner(keyFile: key, certificateFile: cert, chainFiles: chain, passwordFile: keyPasswordFile)
        var stderr = StandardError()
        if let identity = signer.identity, identity.bin != bin.rawValue {
            let has = identity.bin.map { "BIN \($0)" } ?? identity.iin.map { "no BIN (IIN \($0))" } ?? "no BIN"
            print("report submit: warning: the certificate \(cert) has \(has), producer.bin is \(bin): the registrar accepts only "
                  + "a certificate of \(bin) (signer_mismatch)", to: &stderr)
        }
        let store = try plan.openExistingOutbox()
        let own = try await store.activations(in: month)

        let client = try operatorClient(plan)
        let usage: QRUsageReport, activation: QRActivationReport
        do throws(QazClientError) {
            usage = try await withRegistrarRetries { () async throws(QazClientError) in try await client.usageReport(bin: bin, month: month) }
            activation = try await withRegistrarRetries { () async throws(QazClientError) in
                try await client.activationReport(bin: bin, month: month)
            }
        } catch {
            try? await client.shutdown()
            throw OperatorError(describe(error, plan: plan) + " (fetching the registrar's App. 9/10 for \(month)); nothing was submitted")
        }

        let check = ReportCheck(bin: bin, month: month, usage: usage, activation: activation, agent: own)
        print(check.render(forms: form.forms, now: Date()))

        var documents = [(ReportForm, Data)]()
        do {
            for form in form.forms {
                documents.append((form, try signer.sign(check.submission(form))))
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        if dryRun {
            try? await client.shutdown()
            print("dry run: \(documents.map { "\($0.0.rawValue) signed (\(Show.count($0.1.count)) bytes)" }.joined(separator: ", ")); nothing was sent")
            return check.agrees(forms: form.forms) ? nil : .failure
        }

        var differs = false
        var done = [String]()
        for (form, envelope) in documents {
            let result: ReportSubmissionResult
            do throws(QazClientError) {
                result = try await client.submitReport(envelope: envelope)
            } catch {
                try? await client.shutdown()
                let before = done.isEmpty ? "nothing was submitted" : "submitted before this: \(done.joined(separator: ", ")); run again with --form \(form.rawValue)"
                throw OperatorError("\(form.rawValue): " + Self.describeRefusal(error, plan: plan, certificate: cert) + "; \(before)")
            }
            print(ReportCheck.render(result))
            done.append("\(form.rawValue) (\(result.result.rawValue), submission \(result.id))")
            if result.result == .differs { differs = true }
            try? await store.audit(user: terminalUser(), action: "report-submit", target: "\(form.rawValue) \(month)",
                                   detail: "\(result.result.rawValue), submission \(result.id)")
        }
        try? await client.shutdown()
        return differs ? .failure : nil
    }

    /// Words for a refused submission: the signature's problems name the certificate, the rest the setting to check.
    static func describeRefusal(_ error: QazClientError, plan: AgentPlan, certificate: String) -> String {
        guard case .server(let status, let body, _) = error else { return describe(error, plan: plan) }
        switch body.code {
        case .signerMismatch:
            return "the registrar refused the signature (signer_mismatch): \(body.message); sign with a certificate whose subject has "
                + "OU=BIN\(plan.configuration.producer.bin) (--cert \(certificate))"
        case .signatureInvalid:
            let reason = body.details?["reason"].map { " (\($0))" } ?? ""
            return "the registrar refused the signature: signature_invalid\(reason): \(body.message)"
        case .signaturesNotConfigured:
            return "the registrar at \(plan.configuration.server.url) cannot verify signatures (signatures_not_configured, HTTP \(status)): "
                + "\(body.message)"
        default:
            return describe(error, plan: plan)
        }
    }
}

/// The producer's key and certificate, read and tried once before anything is fetched.
struct ReportSigner {
    var keyPEM: String
    var certificatePEM: String
    var chainPEM: [String]
    var password: String?
    var files: (key: String, certificate: String)
    /// The certificate's subject as OpenSSL reads it (nil if it cannot: signing then names the problem).
    var identity: SignerIdentity?

    init(keyFile: String, certificateFile: String, chainFiles: [String], passwordFile: String?) throws(OperatorError) {
        func read(_ path: String, _ what: String) throws(OperatorError) -> String {
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw OperatorError("cannot read the \(what) \(path): \(Self.reason(error)); nothing was submitted")
            }
        }
        keyPEM = try read(keyFile, "key (--key)")
        certificatePEM = try read(certificateFile, "certificate (--cert)")
        var chain = [String]()
        for file in chainFiles { chain.append(try read(file, "chain certificate (--chain)")) }
        chainPEM = chain
        // The password is the first line; a trailing newline (echo, editors) is not part of it.
        if let passwordFile {
            let text = try read(passwordFile, "key password file (--key-password-file)")
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            password = line.hasSuffix("\r") ? String(line.dropLast()) : line
        } else {
            password = nil
        }
        files = (keyFile, certificateFile)
        identity = Self.firstCertificateDER(certificatePEM).flatMap { try? SignerIdentity(certificateDER: $0, algorithm: "") }
        // A key that cannot be read, a wrong password, or a key of another certificate: found now, before any request.
        _ = try sign(bytes: Array("{}".utf8))
    }

    /// The signed envelope of a submission.
    func sign(_ submission: ReportSubmission) throws(OperatorError) -> Data {
        let document: Data
        do { document = try WireCoding.encoder().encode(submission) } catch {
            throw OperatorError("cannot encode the \(submission.form.rawValue) document: \(error)")
        }
        return try sign(bytes: Array(document))
    }

    private func sign(bytes: [UInt8]) throws(OperatorError) -> Data {
        do {
            return try SignedEnvelope.make(documentJSON: Data(bytes), keyPEM: keyPEM, certificatePEM: certificatePEM, chainPEM: chainPEM,
                                           keyPassword: password)
        } catch {
            let why: String
            switch error {
            case .trustStore(let reason): why = reason.hasPrefix("cannot sign: ") ? String(reason.dropFirst("cannot sign: ".count)) : reason
            default: why = error.description
            }
            let named = why.replacingOccurrences(of: "(an encrypted key needs its password)",
                                                 with: "(an encrypted key needs its password: --key-password-file)")
            throw OperatorError("cannot sign with --key \(files.key) and --cert \(files.certificate): \(named); nothing was submitted")
        }
    }

    /// The DER of the first `CERTIFICATE` block of a PEM text (the armour and base64 only; OpenSSL reads the DER).
    static func firstCertificateDER(_ pem: String) -> [UInt8]? {
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex) else { return nil }
        let body = pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map { [UInt8]($0) }
    }

    static func reason(_ error: any Error) -> String {
        let text = (error as NSError).localizedFailureReason ?? error.localizedDescription
        if (error as NSError).code == NSFileReadNoSuchFileError || text.contains("No such file") { return "no such file" }
        if (error as NSError).code == NSFileReadNoPermissionError { return "permission denied" }
        return text
    }
}

/// The registrar's App. 9/10 for a month beside this agent's activations of the month, and the figures to submit.
struct ReportCheck {
    var bin: TaxpayerID
    var month: ReportingMonth
    var usage: QRUsageReport
    var activation: QRActivationReport
    var agent: MonthActivations

    /// The line's activations of the month: delivered, and not yet delivered (the registrar counts only the former).
    var activated: Int { agent.delivered + agent.pending }
    /// The agent does not write off stamps (`lineagent write-off` is the registrar's record), so `used` takes the
    /// registrar's written-off figure.
    var used: Int { activated + usage.writtenOff }
    var closingBalance: Int { usage.openingBalance + usage.received - used }

    /// The producer's document for one form.
    func submission(_ form: ReportForm) -> ReportSubmission {
        switch form {
        case .app9:
            ReportSubmission(participant: bin, form: .app9, month: month, received: activation.received, activated: activated,
                             note: activation.note.isEmpty ? nil : activation.note)
        case .app10:
            ReportSubmission(participant: bin, form: .app10, month: month, received: usage.received, openingBalance: usage.openingBalance,
                             used: used, closingBalance: closingBalance)
        }
    }

    /// The columns of a form whose figure differs from the registrar's (the registrar's own rule).
    func differences(_ form: ReportForm) -> [ReportDifference] {
        let document = submission(form)
        var out = [ReportDifference]()
        func compare(_ column: String, _ submitted: Int?, _ registrar: Int) {
            if submitted != registrar { out.append(ReportDifference(column: column, submitted: submitted, registrar: registrar)) }
        }
        switch form {
        case .app9:
            compare("received", document.received, activation.received)
            compare("activated", document.activated, activation.activated)
        case .app10:
            compare("openingBalance", document.openingBalance, usage.openingBalance)
            compare("received", document.received, usage.received)
            compare("used", document.used, usage.used)
            compare("closingBalance", document.closingBalance, usage.closingBalance)
        }
        return out
    }

    func agrees(forms: [ReportForm]) -> Bool { forms.allSatisfy { differences($0).isEmpty } }

    /// The table and the verdict.
    func render(forms: [ReportForm], now: Date) -> String {
        var lines = ["App. 9/10 for \(bin), \(month) (activation times \(Show.time(month.start)) to \(Show.time(month.end)))"]
        let breakdown = "\(Show.count(agent.delivered)) delivered + \(Show.count(agent.pending)) not yet delivered"
        let rows: [[String]] = [
            ["received (App. 9, 10)", Show.count(usage.received), Show.count(usage.received), "the registrar's (waybills of the month)"],
            ["openingBalance (App. 10)", Show.count(usage.openingBalance), Show.count(usage.openingBalance), "the registrar's"],
            ["activated (App. 9)", Show.count(activation.activated), Show.count(activated), "this agent's activations: \(breakdown)"],
            ["writtenOff", Show.count(usage.writtenOff), Show.count(usage.writtenOff), "the registrar's (the agent does not write off)"],
            ["used (App. 10)", Show.count(usage.used), Show.count(used), "activated + writtenOff"],
            ["closingBalance (App. 10)", Show.count(usage.closingBalance), Show.count(closingBalance), "openingBalance + received - used"],
        ]
        lines.append(Show.table(["column", "registrar", "this agent", "this agent's figure"], rows))
        if month == ReportingMonth.containing(now) {
            lines.append("note: \(month) has not ended: its figures will still change")
        }
        if activated == activation.activated {
            lines.append("verdict: this agent agrees with the registrar for \(month)")
        } else {
            let delta = activated - activation.activated
            let columns = forms.compactMap { form -> String? in
                let columns = differences(form).map(\.column)
                return columns.isEmpty ? nil : "\(form.rawValue): \(columns.joined(separator: ", "))"
            }
            lines.append("verdict: DIFFERS: activated \(Show.count(activated)) here, \(Show.count(activation.activated)) at the registrar "
                + "(\(delta > 0 ? "+" : "")\(Show.count(delta)))"
                + (columns.isEmpty ? "" : "; the registrar will answer differs in \(columns.joined(separator: "; "))"))
            if agent.pending > 0 {
                let span = [agent.oldestPending, agent.newestPending].compactMap { $0 }.map(Show.time)
                let when = span.isEmpty ? "" : span[0] == span[span.count - 1] ? " (\(span[0]))" : " (\(span[0]) to \(span[span.count - 1]))"
                lines.append("  \(Show.count(agent.pending, "activation")) of \(month)\(when) not yet delivered: the registrar's figure "
                    + "is lower than the line's until they are; see lineagent outbox list --pending (a running agent delivers them)")
            }
            let unexplained = activation.activated - agent.delivered
            if unexplained > 0 {
                lines.append("  the registrar counts \(Show.count(unexplained)) more than this agent delivered: activations from another "
                    + "line or agent of \(bin), or App. 8 import reports")
            } else if unexplained < 0 {
                lines.append("  the registrar counts \(Show.count(-unexplained)) fewer than this agent delivered: compare "
                    + "lineagent outbox export --since \(month)-01 with the registrar's records")
            }
        }
        if agent.dead > 0 {
            lines.append("  \(Show.count(agent.dead, "activation")) of \(month) refused by the registrar (dead letters, counted by "
                + "neither): lineagent outbox list --dead")
        }
        return lines.joined(separator: "\n")
    }

    /// One form's answer: `app9 2026-11: accepted (submission …)`, or the differing columns.
    static func render(_ result: ReportSubmissionResult) -> String {
        var text = "\(result.form.rawValue) \(result.month): \(result.result == .accepted ? "accepted" : "DIFFERS") (submission \(result.id))"
        if !result.differences.isEmpty {
            text += "\n" + Show.table(
                ["  column", "submitted", "registrar"],
                result.differences.map { ["  \($0.column)", $0.submitted.map(Show.count) ?? "-", Show.count($0.registrar)] })
        }
        return text
    }
}
