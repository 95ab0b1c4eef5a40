import AgentRuntime
import ArgumentParser
import CommandSupport
import Foundation
import Outbox

/// `lineagent backup`, `lineagent restore` and `lineagent resend`.
let backupCommands: [any ParsableCommand.Type] = [BackupCommand.self, RestoreCommand.self, ResendCommand.self]

/// `lineagent backup --config FILE --to PATH [--force]`: an online backup of the outbox.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a backup of the outbox; consistent while the agent runs and records decisions.",
        discussion: """
            SQLite's backup API copies one committed state into a temporary file beside PATH, which is checked \
            (integrity, an outbox, known migrations), fsynced and renamed to PATH. Prints what it holds: pending and \
            delivered activations, dead letters, open batches. See docs/backup.md.
            """)

    @OptionGroup var options: AgentConfigOption
    @Option(name: .long, help: "The backup file to write (its directory must exist).", completion: .file())
    var to: String
    @Flag(name: .long, help: "Replace PATH if it exists.")
    var force = false

    func run() async throws {
        let plan = try options.loadPlan()
        try await operatorRun("backup") {
            let summary = try AgentDatabase.backup(outbox: plan.outboxPath, to: to, force: force)
            print("""
                backup    \(summary.path)
                from      \(plan.outboxPath)
                \(describe(summary))
                """)
        }
    }
}

/// `lineagent restore --config FILE --from BACKUP [--check-only]`: puts a backup in place of the outbox.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the outbox by a checked backup; refused while the agent holds the outbox open.",
        discussion: """
            The backup is copied beside the outbox and checked (integrity, an outbox, a schema no newer than this \
            binary's). The outbox is locked with SQLite's exclusive lock (a running agent holds it open, so the restore \
            is refused), its WAL is folded in, it is kept as FILE.before-restore-<UTC time>, and the checked copy is \
            renamed into its place. What the backup lists as pending is sent again when the agent starts: batches \
            under their ids (the registrar answers them from storage), the rest answered alreadyActivated; no code is \
            activated twice.
            """)

    @OptionGroup var options: AgentConfigOption
    @Option(name: .long, help: "The backup file (written by lineagent backup).", completion: .file())
    var from: String
    @Flag(name: .long, help: "Only check the backup and print what it holds; change nothing.")
    var checkOnly = false

    func run() async throws {
        let plan = try options.loadPlan()
        try await operatorRun("restore") {
            if checkOnly {
                let summary = try AgentDatabase.check(backup: from)
                print("""
                    OK        \(summary.path)
                    \(describe(summary))
                    """)
                return
            }
            let result = try AgentDatabase.restore(outbox: plan.outboxPath, from: from)
            print("""
                restored  \(plan.outboxPath)
                from      \(URL(fileURLWithPath: from).standardizedFileURL.path)
                previous  \(result.movedAside ?? "none (there was no outbox)")
                \(describe(result.restored))
                next      start the agent; what the backup lists as pending is re-sent and answered idempotently
                """)
        }
    }
}

/// `lineagent resend --config FILE --since TIME`: after the registrar was restored from a backup, send again what it
/// accepted since then.
struct ResendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resend",
        abstract: "After the registrar was restored from a backup: queue again every activation it answered since TIME.",
        discussion: """
            A registrar restored from a backup lacks what it accepted after that backup, while the outbox holds it as \
            delivered. This puts every activation (and aggregation event) the registrar answered at or after TIME back \
            in the queue; the agent sends them in new batches, the registrar activates the codes it lacks and answers \
            the rest alreadyActivated, so nothing is counted twice. Give a TIME a few minutes before the registrar's \
            backup. Safe while the agent runs. See docs/backup.md.
            """)

    @OptionGroup var options: AgentConfigOption
    @Option(name: .long, help: "YYYY-MM-DD (00:00 Astana time) or ISO 8601 with an offset (2026-12-04T10:00:00+05:00).")
    var since: String

    func validate() throws {
        guard OutboxExport.parseSince(since) != nil else {
            throw ValidationError("--since: expected YYYY-MM-DD or an ISO 8601 time with an offset (2026-12-04T10:00:00+05:00), got \"\(since)\"")
        }
    }

    func run() async throws {
        let plan = try options.loadPlan()
        let time = OutboxExport.parseSince(since)!
        try await operatorRun("resend") {
            let store = try plan.openExistingOutbox()
            let requeued = try await store.requeueDelivered(since: time)
            print("""
                queued again  \(requeued.activations) activation(s), \(requeued.aggregationEvents) aggregation event(s) answered since \(Show.time(time))
                next          the running agent sends them within its batch age; or start it (lineagent run)
                """)
        }
    }
}

/// The lines `backup` and `restore` print about an outbox file.
private func describe(_ summary: OutboxBackupSummary) -> String {
    """
    size      \(String(format: "%.1f", Double(summary.bytes) / 1_048_576)) MiB (\(summary.bytes) bytes)
    schema    \(summary.schemaVersion) (\(summary.migrations) of \(summary.knownMigrations) migrations known to this lineagent)
    pending   \(summary.pending) activation(s) in \(summary.openBatches) open batch(es) or not yet batched
    delivered \(summary.delivered) activation(s); \(summary.dead) dead letter(s)
    holds     \(summary.counts)
    took      \(String(format: "%.2f", summary.seconds)) s
    """
}
