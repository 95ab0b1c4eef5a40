import Foundation
import LineAgentTesting
import Outbox
import QazServer
import Testing

@Suite("lineagent backup|restore", .serialized)
struct BackupCommandsTests {
    @Test("backup prints pending and delivered counts; restore is refused while the outbox is open, then puts the backup in place and keeps the replaced file", .timeLimit(.minutes(3)))
    func backupAndRestore() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let backup = fixture.directory.appendingPathComponent("outbox-backup.sqlite").path
        do {
            // Given an outbox with 1 delivered, 2 dead, 2 pending in an open batch and 1 not batched, held open as the agent would
            let store = try await filledOutbox(fixture)
            // When it is backed up
            let run = try await lineagent(["backup", "--config", fixture.configPath, "--to", backup])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("backup    \(backup)"), "\(run.stdout)")
            #expect(run.stdout.contains("pending   3 activation(s) in 1 open batch(es) or not yet batched"), "\(run.stdout)")
            #expect(run.stdout.contains("delivered 1 activation(s); 2 dead letter(s)"), "\(run.stdout)")
            #expect(run.stdout.contains("schema    \(AgentDatabase.knownMigrations.last!)"), "\(run.stdout)")
            // Then a second backup to the same file needs --force
            let again = try await lineagent(["backup", "--config", fixture.configPath, "--to", backup])
            #expect(again.status == 1 && again.stderr.contains("lineagent backup: \(backup) exists"), "\(again)")
            #expect(try await lineagent(["backup", "--config", fixture.configPath, "--to", backup, "--force"]).status == 0)
            // And the outbox the agent holds open cannot be restored over
            let busy = try await lineagent(["restore", "--config", fixture.configPath, "--from", backup])
            #expect(busy.status == 1 && busy.stderr.contains("\(fixture.outboxPath) is in use") && busy.stderr.contains("stop the agent"),
                    "\(busy)")
            // (the agent goes on: one more bottle after the backup)
            _ = try await store.append(goodDecision(10, stamp(10), at: Date()))
        }
        // When the agent has stopped, the backup is restored
        let run = try await lineagent(["restore", "--config", fixture.configPath, "--from", backup])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("restored  \(fixture.outboxPath)") && run.stdout.contains("previous  \(fixture.outboxPath).before-restore-"),
                "\(run.stdout)")
        // Then the outbox is the backup's (the bottle recorded after it is only in the file moved aside)
        let store = try fixture.store()
        let depth = try await store.depth()
        #expect(depth.pending == 3 && depth.deadLetters == 2 && depth.openBatches == 1)
        #expect(try await store.answer(for: stamp(10)) == nil)
    }

    @Test("a missing directory, a garbage file and a registrar's database are refused, naming the file")
    func badInput() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        _ = try await filledOutbox(fixture)
        let missing = fixture.directory.appendingPathComponent("missing").path
        let noDir = try await lineagent(["backup", "--config", fixture.configPath, "--to", missing + "/b.sqlite"])
        #expect(noDir.status == 1 && noDir.stderr.contains("the directory \(missing) does not exist"), "\(noDir)")

        let garbage = fixture.directory.appendingPathComponent("garbage.bin").path
        try Data(repeating: 0x7E, count: 8192).write(to: URL(fileURLWithPath: garbage))
        let bad = try await lineagent(["restore", "--config", fixture.configPath, "--from", garbage])
        #expect(bad.status == 1 && bad.stderr.contains("\(garbage) is not a SQLite database"), "\(bad)")

        let registrarFile = fixture.directory.appendingPathComponent("registrar.sqlite").path
        do {
            let registrar = try SQLiteRegistrarStore(path: registrarFile)
            try await registrar.migrate()
        }
        let wrong = try await lineagent(["restore", "--config", fixture.configPath, "--from", registrarFile])
        #expect(wrong.status == 1 && wrong.stderr.contains("\(registrarFile) is not a line agent's outbox: it is a registrar database"),
                "\(wrong)")
        let check = try await lineagent(["restore", "--config", fixture.configPath, "--from", registrarFile, "--check-only"])
        #expect(check.status == 1, "\(check)")
        let missingFile = try await lineagent(["restore", "--config", fixture.configPath, "--from", missing + "/none.sqlite"])
        #expect(missingFile.status == 1 && missingFile.stderr.contains("\(missing)/none.sqlite"), "\(missingFile)")
    }
}
