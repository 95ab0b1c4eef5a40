import AgentRuntime
import ArgumentParser
import CommandSupport
import Foundation
import LineConfig
import LineCore
import Outbox
import QazAPI
import QazClient

/// `lineagent write-off CODE… --reason damaged|unused [--note TEXT]`: stamps spoiled on the line, written off at the
/// registrar (`POST /v1/write-offs`; App. 5: damaged and unused stamps are returned). They count as used.
struct WriteOffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-off",
        abstract: "Write off stamps damaged (or left unused) on the line at the registrar; prints each code's result.",
        discussion: """
        Codes are checked with the configuration's payload rules first: a bad code is named and nothing is sent. \
        Exit status 1 when any code could not be written off (already activated, unknown to the registrar, …); \
        a code written off earlier counts as done.
        """)

    /// The write-off reasons of App. 5.
    enum Reason: String, ExpressibleByArgument, CaseIterable {
        case damaged, unused
    }

    @OptionGroup var options: AgentConfigOption

    @Argument(help: "The stamp codes (bare or QR payload form).")
    var codes: [String]

    @Option(name: .long, help: "damaged or unused.")
    var reason: Reason

    @Option(name: .long, help: "A note sent with the reason (e.g. \"cap torn at the capper\").")
    var note: String?

    func validate() throws {
        if codes.isEmpty { throw ValidationError("give at least one code") }
        if codes.count > 10_000 { throw ValidationError("at most 10000 codes per write-off, got \(codes.count)") }
        if reasonText.count > 200 { throw ValidationError("--note is too long: the reason and the note together take at most 200 characters") }
        if let note, note.contains(where: \.isNewline) { throw ValidationError("--note must be one line") }
    }

    /// What is sent as the reason: `damaged` or `damaged: NOTE`.
    var reasonText: String {
        guard let note = note?.trimmingCharacters(in: .whitespaces), !note.isEmpty else { return reason.rawValue }
        return "\(reason.rawValue): \(note)"
    }

    func run() async throws {
        let plan = try options.loadPlan()
        var failed = 0
        try await operatorRun("write-off") {
            let parsed = try parseCodes(codes, rules: try plan.payloadRules(), otherwise: "nothing was sent")
            var seen = Set<StampCode>()
            let unique = parsed.filter { seen.insert($0).inserted }
            var stderr = StandardError()
            if unique.count < parsed.count {
                print("write-off: \(parsed.count - unique.count) repeated code(s) sent once", to: &stderr)
            }
            let client = try operatorClient(plan)
            let receipt: WriteOffReceipt
            do throws(QazClientError) {
                let request = WriteOffRequest(writtenOffAt: .now, reason: reasonText, codes: unique.map(\.rawValue))
                receipt = try await withRegistrarRetries { () async throws(QazClientError) in try await client.writeOff(request) }
                try? await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw OperatorError(describe(error, plan: plan) + "; nothing was written off")
            }
            let width = receipt.results.map(\.code.count).max() ?? 0
            for result in receipt.results {
                let (ok, words) = Self.words(result.result)
                if !ok { failed += 1 }
                print("\(result.code.padding(toLength: width, withPad: " ", startingAt: 0))  \(ok ? "" : "FAILED: ")\(words)")
            }
            let done = receipt.results.count - failed
            print("write-off (\(reasonText)): \(Show.count(done)) of \(Show.count(receipt.results.count)) written off\(failed > 0 ? ", \(Show.count(failed)) failed" : "")")
            // A written-off stamp must not pass on a bottle later: take it out of the local pool (when there is one).
            let writtenOff = receipt.results.filter { Self.words($0.result).0 }.map { StampCode(trusted: $0.code) }
            if FileManager.default.fileExists(atPath: plan.outboxPath) {
                let store = try plan.openOutbox()
                // Recorded in the agent's database too: the open job's report counts the codes written off.
                let results = receipt.results.map { (code: StampCode(trusted: $0.code), result: $0.result.recorded) }
                try await store.recordWriteOffs(results, reason: reasonText, user: terminalUser())
                try await store.audit(user: terminalUser(), action: "write-off", target: "\(receipt.results.count) code(s)",
                                      detail: "\(reasonText): \(receipt.results.count - failed) written off")
            }
            if !writtenOff.isEmpty, FileManager.default.fileExists(atPath: plan.outboxPath) {
                let store = try plan.openOutbox()
                let removed = try await store.removeFromPool(writtenOff)
                if removed > 0 { print("removed \(Show.count(removed)) from the local pool: a bottle still carrying one is rejected as foreign") }
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }

    /// Whether the code is now written off, and the words for its result.
    static func words(_ outcome: WriteOffOutcome) -> (Bool, String) {
        switch outcome {
        case .writtenOff: (true, "written off")
        case .alreadyWrittenOff: (true, "already written off (nothing changed)")
        case .activated: (false, "already activated: an activated stamp cannot be written off")
        case .unknown: (false, "unknown to the registrar (never issued)")
        case .malformed: (false, "the registrar does not read this as a stamp code")
        }
    }
}
