import AgentRuntime
import ArgumentParser
import CommandSupport
import Foundation
import LineConfig
import LineCore
import Outbox

/// `lineagent outbox …`: look into the durable outbox, requeue dead letters, export decisions.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Look into the agent's outbox: pending activations, dead letters, requeue, export of every decision.",
        subcommands: [OutboxList.self, OutboxRetry.self, OutboxExport.self])
}

/// `lineagent outbox list [--pending] [--dead] [--limit N] [--json]`.
struct OutboxList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List pending activations and/or dead letters (both when neither flag is given); times in Astana time.")

    @OptionGroup var options: AgentConfigOption

    @Flag(name: .long, help: "Pending activations: code, line, bottle, decided at, batch, attempts.")
    var pending = false

    @Flag(name: .long, help: "Dead letters: code, line, bottle, decided at, dead at, result, reason.")
    var dead = false

    @Option(name: .long, help: "At most this many rows of each kind.")
    var limit = 100

    @Flag(name: .long, help: "One JSON object per row ({\"kind\": \"pending\"|\"dead\", …}).")
    var json = false

    func validate() throws {
        guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be 1-1000000, got \(limit)") }
    }

    func run() async throws {
        let plan = try options.loadPlan()
        try await operatorRun("outbox list") {
            let store = try plan.openExistingOutbox()
            let showPending = pending || !dead
            let showDead = dead || !pending
            let depth = try await store.depth()
            var sections = [String]()
            if showPending {
                let rows = try await store.pendingActivations(limit: limit)
                if json {
                    for row in rows { print(try Self.line(ListedRow(pending: row))) }
                } else {
                    sections.append(Self.pendingTable(rows, total: depth.pending))
                }
            }
            if showDead {
                let rows = try await store.deadLetterRows(limit: limit)
                if json {
                    for row in rows { print(try Self.line(ListedRow(dead: row))) }
                } else {
                    sections.append(Self.deadTable(rows, total: depth.deadLetters))
                }
            }
            if !json { print(sections.joined(separator: "\n\n")) }
        }
    }

    static func pendingTable(_ rows: [PendingActivation], total: Int) -> String {
        let title = "PENDING \(Show.count(total))\(rows.count < total ? " (first \(Show.count(rows.count)))" : "")"
        guard !rows.isEmpty else { return title + "\n  none" }
        return title + "\n" + Show.table(
            ["CODE", "LINE", "BOTTLE", "DECIDED (ASTANA)", "BATCH", "ATTEMPTS", "LAST ERROR"],
            rows.map { row in
                [row.code.rawValue, row.lineId, String(row.bottleSequence), Show.time(row.decidedAt),
                 row.batchId?.uuidString.lowercased() ?? "-", String(row.attempts), row.lastError ?? "-"]
            })
    }

    static func deadTable(_ rows: [DeadLetterRow], total: Int) -> String {
        let title = "DEAD LETTERS \(Show.count(total))\(rows.count < total ? " (first \(Show.count(rows.count)))" : "")"
        guard !rows.isEmpty else { return title + "\n  none" }
        return title + "\n" + Show.table(
            ["CODE", "LINE", "BOTTLE", "DECIDED (ASTANA)", "DEAD AT (ASTANA)", "RESULT", "REASON"],
            rows.map { row in
                [row.code.rawValue, row.lineId, String(row.bottleSequence), Show.time(row.decidedAt), Show.time(row.deadAt),
                 row.result ?? "-", row.reason]
            }) + "\n(after fixing the cause: lineagent outbox retry --config … [--code CODE…])"
    }

    /// One row of `--json`.
    struct ListedRow: Encodable {
        var kind: String
        var code: String
        var line: String
        var bottleSequence: UInt64
        var decidedAt: String
        var decidedAtAstana: String
        var batchId: String?
        var attempts: Int?
        var lastError: String?
        var deadAt: String?
        var result: String?
        var reason: String?

        init(pending row: PendingActivation) {
            kind = "pending"
            code = row.code.rawValue
            line = row.lineId
            bottleSequence = row.bottleSequence
            decidedAt = UTCTime.iso8601(row.decidedAt)
            decidedAtAstana = AstanaTime.iso8601(row.decidedAt)
            batchId = row.batchId?.uuidString.lowercased()
            attempts = row.attempts
            lastError = row.lastError
        }

        init(dead row: DeadLetterRow) {
            kind = "dead"
            code = row.code.rawValue
            line = row.lineId
            bottleSequence = row.bottleSequence
            decidedAt = UTCTime.iso8601(row.decidedAt)
            decidedAtAstana = AstanaTime.iso8601(row.decidedAt)
            batchId = row.batchId?.uuidString.lowercased()
            deadAt = UTCTime.iso8601(row.deadAt)
            result = row.result
            reason = row.reason
        }
    }

    static func line(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// `lineagent outbox retry [--code CODE…]`: dead letters back into the queue.
struct OutboxRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Requeue dead letters after the cause was fixed (e.g. a token, a pool); the agent sends them in a new batch.",
        discussion: """
        Without --code every dead letter is requeued. With --code only those codes' dead letters are; a code that \
        has no dead letter waiting is named and the exit status is 1 (the others are still requeued). Safe while \
        the agent runs: it picks the rows up at its next batch.
        """)

    @OptionGroup var options: AgentConfigOption

    @Option(name: .customLong("code"), parsing: .upToNextOption, help: "Requeue only these codes (bare or QR payload form).")
    var codes: [String] = []

    func run() async throws {
        let plan = try options.loadPlan()
        var failed = false
        try await operatorRun("outbox retry") {
            let wanted = try parseCodes(codes, rules: try plan.payloadRules())
            let store = try plan.openExistingOutbox()
            if wanted.isEmpty {
                let count = try await store.requeueDeadLetters()
                print("requeued \(Show.count(count)) dead letter\(count == 1 ? "" : "s")\(count > 0 ? "; the agent sends them in a new batch" : "")")
                return
            }
            let requeued = try await store.requeueDeadLetters(codes: wanted)
            let done = Set(requeued)
            print("requeued \(Show.count(done.count)) of \(Show.count(Set(wanted).count)) codes")
            var stderr = StandardError()
            for code in Set(wanted).subtracting(done).sorted() {
                print("\(code): no dead letter waiting for this code (see lineagent outbox list --dead)", to: &stderr)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}

/// Parses codes given on the command line with the configuration's payload rules; every bad one is named and
/// nothing is returned if any is bad.
func parseCodes(_ texts: [String], rules: PayloadRules, otherwise: String = "nothing was done") throws(OperatorError) -> [StampCode] {
    var codes = [StampCode]()
    var bad = [String]()
    for text in texts {
        switch rules.parse(text) {
        case .success(let code): codes.append(code)
        case .failure(let why): bad.append("\"\(text.count > 80 ? String(text.prefix(80)) + "…" : text)\" is not a stamp code (\(why.code): \(why))")
        }
    }
    if !bad.isEmpty { throw OperatorError(bad.joined(separator: "; ") + "; " + otherwise) }
    return codes
}

/// `lineagent outbox export [--format csv|jsonl] [--since …] [--output FILE]`.
struct OutboxExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export every decision with its verdict, code and the registrar's answer (for records and audits).",
        discussion: """
        Columns: id, line, bottle_sequence, decided_at (UTC), decided_at_astana, verdict, code, product_code, detail, \
        activation (pending|delivered|dead), result, batch_id, server_activated_at, answered_at, dead_reason. \
        With --output the file appears complete or not at all (written beside it, then renamed).
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, jsonl }

    @OptionGroup var options: AgentConfigOption

    @Option(name: .long, help: "csv or jsonl.")
    var format: Format = .csv

    @Option(name: .long, help: "Only decisions at or after this time: YYYY-MM-DD (00:00 Astana time) or ISO 8601 with an offset.")
    var since: String?

    @Option(name: .long, help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        if let since, Self.parseSince(since) == nil {
            throw ValidationError("--since: expected YYYY-MM-DD or an ISO 8601 time with an offset (2026-11-22T10:00:00+05:00), got \"\(since)\"")
        }
    }

    /// `YYYY-MM-DD` is the start of that day in Astana time; otherwise ISO 8601 with an offset.
    static func parseSince(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
           let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
           (1...12).contains(month), (1...31).contains(day) {
            let days = CivilDateTime.daysFromCivil(year: year, month: month, day: day)
            guard CivilDateTime.civilFromDays(days) == (year, month, day) else { return nil }
            return Date(timeIntervalSince1970: Double(days * 86_400 - AstanaTime.utcOffsetSeconds))
        }
        return UTCTime.parse(text)
    }

    func run() async throws {
        let plan = try options.loadPlan()
        try await operatorRun("outbox export") {
            let store = try plan.openExistingOutbox()
            let sink = try ExportSink(output: output)
            var written = 0
            do {
                if format == .csv { try sink.write(ExportRow.csvHeader + "\n") }
                var after: Int64 = 0
                let sinceDate = since.flatMap(Self.parseSince)
                while true {
                    let page = try await store.exportDecisions(after: after, since: sinceDate, limit: 5000)
                    var chunk = ""
                    for decision in page {
                        let row = ExportRow(decision)
                        chunk += (format == .csv ? row.csv : try OutboxList.line(row)) + "\n"
                    }
                    try sink.write(chunk)
                    written += page.count
                    guard page.count == 5000, let last = page.last else { break }
                    after = last.id
                }
                try sink.finish()
            } catch {
                sink.abandon()
                throw error
            }
            if let output {
                var stderr = StandardError()
                print("exported \(Show.count(written)) decision\(written == 1 ? "" : "s") to \(output)", to: &stderr)
            }
        }
    }
}

/// Where an export goes: standard output, or a temporary file beside `--output` renamed when complete.
final class ExportSink {
    private let handle: FileHandle
    private let temporary: String?
    private let destination: String?

    init(output: String?) throws {
        guard let output else {
            handle = FileHandle.standardOutput
            temporary = nil
            destination = nil
            return
        }
        let temp = output + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: nil) else {
            throw OperatorError("--output: cannot create \(output) (\(String(cString: strerror(errno))))")
        }
        guard let handle = FileHandle(forWritingAtPath: temp) else {
            throw OperatorError("--output: cannot write \(output)")
        }
        self.handle = handle
        temporary = temp
        destination = output
    }

    func write(_ text: String) throws {
        do { try handle.write(contentsOf: Data(text.utf8)) } catch {
            throw OperatorError("writing \(destination ?? "standard output"): \(error.localizedDescription)")
        }
    }

    func finish() throws {
        guard let temporary, let destination else { return }
        do {
            try handle.synchronize()
            try handle.close()
            if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
            try FileManager.default.moveItem(atPath: temporary, toPath: destination)
        } catch {
            abandon()
            throw OperatorError("--output: cannot complete \(destination): \(error.localizedDescription)")
        }
    }

    func abandon() {
        guard let temporary else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}

/// One exported decision.
struct ExportRow: Encodable {
    var id: Int64
    var line: String
    var bottleSequence: UInt64
    var decidedAt: String
    var decidedAtAstana: String
    var verdict: String
    var code: String?
    var productCode: String?
    /// What the verdict says beyond its kind: the malformed reason, the unmapped recipe, the codes of an ambiguous read.
    var detail: String?
    var activation: String?
    var result: String?
    var batchId: String?
    var serverActivatedAt: String?
    var answeredAt: String?
    var deadReason: String?

    init(_ decision: ExportedDecision) {
        id = decision.id
        line = decision.lineId
        bottleSequence = decision.bottleSequence
        decidedAt = UTCTime.iso8601(decision.decidedAt)
        decidedAtAstana = AstanaTime.iso8601(decision.decidedAt)
        verdict = decision.kind.rawValue
        code = decision.code?.rawValue
        productCode = decision.productCode
        switch decision.verdict {
        case .malformed(let why): detail = "\(why.code): \(why)"
        case .unknownProduct(let recipe): detail = "recipe \(recipe)"
        case .ambiguous(let codes): detail = codes.map(\.rawValue).joined(separator: " ")
        default: detail = nil
        }
        activation = decision.activationState
        result = decision.result
        batchId = decision.batchId?.uuidString.lowercased()
        serverActivatedAt = decision.serverActivatedAt.map(UTCTime.iso8601)
        answeredAt = decision.answeredAt.map(UTCTime.iso8601)
        deadReason = decision.deadReason
    }

    static let csvHeader = "id,line,bottle_sequence,decided_at,decided_at_astana,verdict,code,product_code,detail,activation,result,"
        + "batch_id,server_activated_at,answered_at,dead_reason"

    /// The row as RFC 4180 CSV (`detail` always starts with a reason name, never with a payload's text).
    var csv: String {
        let cells: [String?] = [String(id), line, String(bottleSequence), decidedAt, decidedAtAstana, verdict, code, productCode,
                                detail, activation, result, batchId, serverActivatedAt, answeredAt, deadReason]
        return cells.map { Self.quote($0 ?? "") }.joined(separator: ",")
    }

    static func quote(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
