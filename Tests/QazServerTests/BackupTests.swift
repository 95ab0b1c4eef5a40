import Foundation
import LineAgentTesting
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Synchronization
import Testing

/// Runs a blocking call (a backup, a restore) on a thread of its own, off the cooperative pool the registrar serves on.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A fresh directory for files that must outlive a registrar's own directory.
private func scratch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-backup-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every code of a pool with `status`, page by page.
private func poolCodes(_ client: QazAPIClient, _ bin: TaxpayerID, _ status: CodeStatus) async throws -> [PoolCode] {
    var codes = [PoolCode](), after: String?
    repeat {
        let page = try await client.pool(bin: bin, status: status, after: after, limit: 1000)
        codes += page.items
        after = page.next
    } while after != nil
    return codes
}

/// What the registrar answers for one participant: its pools, App. 10 and App. 9 for two months (generation time
/// set aside) and the look-ups of `codes`.
private struct Answers: Equatable {
    var pools: [CodeStatus: [PoolCode]] = [:]
    var usage: [QRUsageReport] = []
    var activation: [QRActivationReport] = []
    var lookups: [String: CodeInfo] = [:]

    static func read(_ client: QazAPIClient, revenue: QazAPIClient, _ bin: TaxpayerID, codes: [String]) async throws -> Answers {
        var answers = Answers()
        for status in [CodeStatus.issued, .activated, .writtenOff] { answers.pools[status] = try await poolCodes(client, bin, status) }
        for month in ["2026-10", "2026-11"] {
            var usage = try await revenue.usageReport(bin: bin, month: ReportingMonth(month)!)
            usage.generatedAt = Timestamp(milliseconds: 0)
            answers.usage.append(usage)
            var activation = try await revenue.activationReport(bin: bin, month: ReportingMonth(month)!)
            activation.generatedAt = Timestamp(milliseconds: 0)
            answers.activation.append(activation)
        }
        for code in codes { answers.lookups[code] = try await client.code(code) }
        return answers
    }
}

/// Producer A's activation batches as sent by ``Ingest``.
private struct SentBatch: Sendable {
    var batch: ActivationBatch
    var receipt: ActivationReceipt?
}

/// A client that keeps activating producer A's codes, one batch after another, until stopped or out of codes.
private final class Ingest: Sendable {
    struct Progress { var started = 0; var done = 0; var stop = false; var sent: [SentBatch] = []; var failure: String? }
    let progress = Mutex(Progress())

    func run(_ client: QazAPIClient, batches: [ActivationBatch]) async {
        for batch in batches {
            let go = progress.withLock { p -> Bool in
                guard !p.stop else { return false }
                p.started += 1
                return true
            }
            guard go else { return }
            do {
                let receipt = try await client.activate(batch).receipt
                progress.withLock { $0.sent.append(SentBatch(batch: batch, receipt: receipt)); $0.done += 1 }
            } catch {
                progress.withLock { $0.failure = "\(error)"; $0.stop = true }
                return
            }
        }
    }

    func waitUntil(_ condition: (Progress) -> Bool) async throws {
        for _ in 0..<3000 {
            if progress.withLock({ condition($0) || $0.failure != nil || $0.stop }) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("ingest did not reach the expected progress in 30 s")
    }
}

@Suite("Registrar backup and restore on SQLite: online backup, restore, refusals")
struct BackupTests {
    @Test("a backup taken while activations stream in over HTTP holds whole batches (a prefix), and a registrar restored from it answers look-ups, pools and App. 9/10 as the original did at that point", .timeLimit(.minutes(3)))
    func onlineBackupThenRestore() async throws {
        let work = try scratch()
        defer { try? FileManager.default.removeItem(at: work) }
        let backupPath = work.appendingPathComponent("registrar-backup.sqlite").path
        let batchSize = 20
        let (sent, summary, original, settledB) = try await withRegistrar(over: .socket, backend: .sqliteFile) { registrar in
            let live = try #require(registrar.directory).appendingPathComponent("registrar.sqlite").path
            // Given producer B's settled state: October and November waybills, activations and a write-off
            let october = try await registrar.issue(40, to: producerB, prefix: "QZB", issuedOn: "2026-10-20", name: "Second Distillery LLP")
            let november = try await registrar.issue(30, to: producerB, prefix: "QZB", series: "AC", start: 100, issuedOn: "2026-11-03",
                                                     name: "Second Distillery LLP")
            try await registrar.with("producerB") { client in
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "b1", equipmentId: "cam",
                                                              items: items(Array(october.prefix(25)) + Array(november.prefix(10)),
                                                                           at: "2026-11-05T09:00:00+05:00")))
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: Timestamp(text: "2026-11-06T10:00:00+05:00")!,
                                                              reason: "damaged", codes: [october[39]]))
            }
            // And producer A's 2,000 codes activated by a client that keeps sending batches of 20 over loopback HTTP
            let codesA = try await registrar.issue(2000, to: producerA, prefix: "QZA", series: "AD", issuedOn: "2026-11-02",
                                                   name: "Qazaq Spirits LLP")
            let batches = stride(from: 0, to: codesA.count, by: batchSize).map { start in
                ActivationBatch(batchId: UUID(), lineId: "a1", equipmentId: "cam",
                                items: items(Array(codesA[start..<start + batchSize]), at: "2026-11-21T22:10:05+05:00"))
            }
            let ingest = Ingest()
            let clientA = try registrar.client("producerA")
            let running = Task { await ingest.run(clientA, batches: batches) }

            // When a backup is taken while batches keep arriving
            try await ingest.waitUntil { $0.done >= 5 }
            let doneBefore = ingest.progress.withLock { $0.done }
            let summary = try await offPool { try SQLiteRegistrarStore.backup(database: live, to: backupPath) }
            let startedAtEnd = ingest.progress.withLock { $0.started }
            try await ingest.waitUntil { $0.done >= startedAtEnd + 5 }
            // Then the live database cannot be restored over while the server holds it
            do {
                _ = try await offPool { try SQLiteRegistrarStore.restore(database: live, from: backupPath) }
                Issue.record("restored over the database the running server holds")
            } catch let error as RegistrarBackupError {
                if case .inUse(let path, _) = error { #expect(path == live) } else { Issue.record("expected inUse, got \(error)") }
                #expect(error.description.contains("stop the registrar (qazserver serve) first"), "\(error)")
            }
            ingest.progress.withLock { $0.stop = true }
            await running.value
            try await clientA.shutdown()
            let progress = ingest.progress.withLock { $0 }
            #expect(progress.failure == nil, "\(progress.failure ?? "")")
            #expect(doneBefore <= startedAtEnd)

            // The original's answers once the ingest stopped
            let revenue = try registrar.client("revenue")
            let a = try await registrar.with("producerA") { client in
                try await Answers.read(client, revenue: revenue, producerA, codes: Array(codesA.prefix(progress.done * batchSize + 40)))
            }
            let b = try await registrar.with("producerB") { client in
                try await Answers.read(client, revenue: revenue, producerB, codes: october + november)
            }
            try await revenue.shutdown()
            return (progress.sent, summary, a, b)
        }

        // The backup names itself, its schema and what it holds: producer B's batch and a prefix of producer A's
        #expect(summary.path == backupPath)
        let written = try FileManager.default.attributesOfItem(atPath: backupPath)[.size] as? NSNumber
        #expect(summary.bytes > 0 && summary.bytes == written?.int64Value)
        #expect(summary.schemaVersion == SQLiteRegistrarStore.knownMigrations.last)
        #expect(summary.migrations == SQLiteRegistrarStore.knownMigrations.count)
        #expect(summary.waybills == 3 && summary.codes == 2070)
        let prefix = summary.activationBatches - 1
        #expect(prefix >= 5 && prefix < sent.count, "batches of A in the backup: \(prefix) of \(sent.count) sent")
        #expect(summary.activatedCodes == 35 + prefix * batchSize, "every batch in the backup is whole")

        // When the backup is restored into a new registrar's directory (no database there yet)
        let restoredPath = work.appendingPathComponent("restored/registrar.sqlite").path
        try FileManager.default.createDirectory(atPath: work.appendingPathComponent("restored").path, withIntermediateDirectories: true)
        let result = try SQLiteRegistrarStore.restore(database: restoredPath, from: backupPath)
        #expect(result.movedAside == nil)
        #expect(result.restored.path == restoredPath && result.restored.activationBatches == summary.activationBatches)
        #expect(!FileManager.default.fileExists(atPath: restoredPath + "-wal"))

        try await withRegistrar(over: .router, store: try SQLiteRegistrarStore(path: restoredPath)) { restored in
            let revenue = try restored.client("revenue")
            // Then producer B (settled before the backup) gets exactly the original's answers
            let codesB = Array(settledB.lookups.keys)
            let b = try await restored.with("producerB") { try await Answers.read($0, revenue: revenue, producerB, codes: codesB) }
            #expect(b == settledB)
            // And producer A's batches in it are the first `prefix` sent, each whole: the same answers as the original's
            // for their codes and for the codes never sent; the codes of later batches are still issued
            let a = try await restored.with("producerA") { client in
                try await Answers.read(client, revenue: revenue, producerA, codes: Array(original.lookups.keys))
            }
            let inBackup = Set(sent.prefix(prefix).flatMap { $0.batch.items.map(\.code) })
            let later = Set(sent.dropFirst(prefix).flatMap { $0.batch.items.map(\.code) })
            for (code, info) in original.lookups {
                if later.contains(code) {
                    #expect(a.lookups[code]?.status == .issued, "\(code) was activated after the backup")
                } else {
                    #expect(a.lookups[code] == info, "\(code)")
                }
            }
            #expect(Set(a.pools[.activated]!.map(\.code)) == inBackup)
            #expect(a.pools[.issued]!.count == 2000 - inBackup.count)
            let lost = later.count
            let (usage, app9) = (original.usage[1], original.activation[1])
            #expect(a.usage[1].used == usage.used - lost && a.usage[1].activated == usage.activated - lost)
            #expect(a.usage[1].closingBalance == usage.closingBalance + lost && a.usage[1].received == usage.received)
            #expect(a.activation[1].activated == app9.activated - lost && a.activation[1].received == app9.received)
            #expect(a.usage[0] == original.usage[0] && a.activation[0] == original.activation[0])

            // And a batch the backup holds, sent again, is answered from storage with the original answer; a later one
            // is applied now
            try await restored.with("producerA") { client in
                let first = try #require(sent.first)
                let again = try await client.activate(first.batch)
                #expect(again.replayed && again.receipt.results == first.receipt?.results)
                let next = sent[prefix]
                let applied = try await client.activate(next.batch)
                #expect(!applied.replayed && applied.receipt.results.allSatisfy { $0.result == .activated })
            }
            try await revenue.shutdown()
        }
    }

    @Test("backup refuses a missing directory, an existing target without --force and the live file itself; restore refuses garbage and a missing file, each naming the file")
    func refusals() async throws {
        let work = try scratch()
        defer { try? FileManager.default.removeItem(at: work) }
        let live = work.appendingPathComponent("registrar.sqlite").path
        let store = try SQLiteRegistrarStore(path: live)
        try await store.migrate()

        // A target directory that does not exist
        let missingDirectory = work.appendingPathComponent("no-such-dir").path
        #expect(throws: RegistrarBackupError.noDirectory(path: missingDirectory)) {
            try SQLiteRegistrarStore.backup(database: live, to: missingDirectory + "/b.sqlite")
        }
        // The live database (or its WAL) as the target, even with --force
        #expect(throws: RegistrarBackupError.sameFile(target: live, live: live)) {
            try SQLiteRegistrarStore.backup(database: live, to: live, force: true)
        }
        #expect(throws: RegistrarBackupError.sameFile(target: live + "-wal", live: live)) {
            try SQLiteRegistrarStore.backup(database: live, to: live + "-wal", force: true)
        }
        // An existing target: refused, then replaced with --force
        let target = work.appendingPathComponent("b.sqlite").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        #expect(throws: RegistrarBackupError.targetExists(path: target)) { try SQLiteRegistrarStore.backup(database: live, to: target) }
        #expect(try SQLiteRegistrarStore.backup(database: live, to: target, force: true).codes == 0)
        // No database where the configuration points
        #expect(throws: RegistrarBackupError.noDatabase(path: work.appendingPathComponent("none.sqlite").path)) {
            try SQLiteRegistrarStore.backup(database: work.appendingPathComponent("none.sqlite").path, to: target, force: true)
        }

        // Restore: a garbage file, an empty SQLite file, a file that is not there, each named; the target untouched
        let other = work.appendingPathComponent("other/registrar.sqlite").path
        try FileManager.default.createDirectory(atPath: work.appendingPathComponent("other").path, withIntermediateDirectories: true)
        let garbage = work.appendingPathComponent("garbage.sqlite").path
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: URL(fileURLWithPath: garbage))
        do {
            _ = try SQLiteRegistrarStore.restore(database: other, from: garbage)
            Issue.record("a garbage file was restored")
        } catch {
            guard case .notADatabase(let path, _) = error else { Issue.record("expected notADatabase, got \(error)"); return }
            #expect(path == garbage)
            #expect(error.description.hasPrefix("\(garbage) is not a SQLite database"))
        }
        let empty = work.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        do {
            _ = try SQLiteRegistrarStore.restore(database: other, from: empty)
            Issue.record("an empty file was restored")
        } catch {
            guard case .wrongKind(let path, let detail) = error else { Issue.record("expected wrongKind, got \(error)"); return }
            #expect(path == empty && detail == "it has no tables")
        }
        #expect(throws: RegistrarBackupError.noBackup(path: work.appendingPathComponent("gone.sqlite").path)) {
            try SQLiteRegistrarStore.restore(database: other, from: work.appendingPathComponent("gone.sqlite").path)
        }
        #expect(!FileManager.default.fileExists(atPath: other))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("other").path).isEmpty,
                "no temporary file is left behind")
        // The directory of the database to restore must exist
        #expect(throws: RegistrarBackupError.noDirectory(path: work.appendingPathComponent("nowhere").path)) {
            try SQLiteRegistrarStore.restore(database: work.appendingPathComponent("nowhere/registrar.sqlite").path, from: target)
        }
    }

    @Test("the qazserver binary backs up a serving registrar, refuses to restore over it, and restores after it stopped, keeping the replaced file; PostgreSQL is pointed to its procedure", .timeLimit(.minutes(3)))
    func cli() async throws {
        let work = try scratch()
        defer { try? FileManager.default.removeItem(at: work) }
        let backup = work.appendingPathComponent("nightly.sqlite").path
        let binaryMissing = "qazserver binary not found next to the test bundle at \(CommandLine.arguments[0])"
        let usage = try await withRegistrar(over: .socket, backend: .sqliteFile) { registrar -> QRUsageReport in
            let directory = try #require(registrar.directory)
            let codes = try await registrar.issue(30, to: producerA, prefix: "QZA", issuedOn: "2026-11-02", name: "Qazaq Spirits LLP")
            try await registrar.with("producerA") { client in
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e",
                                                              items: items(Array(codes.prefix(12)), at: "2026-11-03T10:00:00+05:00")))
            }
            let config = directory.appendingPathComponent("server.yaml")
            try "storage:\n  backend: sqlite\n  path: registrar.sqlite\n".write(to: config, atomically: true, encoding: .utf8)
            // When the binary backs up the database the running server holds
            let run = try #require(try await runQazServer(["backup", "--config", config.path, "--to", backup]), "\(binaryMissing)")
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("backup    \(backup)"), "\(run.stdout)")
            #expect(run.stdout.contains("schema    \(SQLiteRegistrarStore.knownMigrations.last!)"), "\(run.stdout)")
            #expect(run.stdout.contains("1 waybill(s), 30 code(s) (12 activated), 1 activation batch(es)"), "\(run.stdout)")
            // Then a second run without --force is refused, naming the file
            let again = try #require(try await runQazServer(["backup", "--config", config.path, "--to", backup]))
            #expect(again.status == 1 && again.stderr.contains("qazserver backup: \(backup) exists: choose another --to or give --force"),
                    "\(again)")
            // And restore is refused while the server holds the database
            let busy = try #require(try await runQazServer(["restore", "--config", config.path, "--from", backup]))
            #expect(busy.status == 1 && busy.stderr.contains("is in use") && busy.stderr.contains("stop the registrar"), "\(busy)")
            let revenue = try registrar.client("revenue")
            let report = try await revenue.usageReport(bin: producerA, month: ReportingMonth("2026-11")!)
            try await revenue.shutdown()
            return report
        }
        // When the registrar has stopped, the backup is restored over another database (which is kept aside)
        let config = work.appendingPathComponent("server.yaml")
        try "storage:\n  backend: sqlite\n  path: data/registrar.sqlite\n".write(to: config, atomically: true, encoding: .utf8)
        let live = work.appendingPathComponent("data/registrar.sqlite").path
        do {
            let other = try SQLiteRegistrarStore(path: live)
            try await other.migrate()
            _ = try await TokenService(store: other).issue(participant: producerB, role: .producer)
            let check = try #require(try await runQazServer(["restore", "--config", config.path, "--from", backup, "--check-only"]))
            #expect(check.status == 0 && check.stdout.contains("OK        \(backup)"), "\(check)")
            // (while this store holds the file open, the restore is refused)
            let held = try #require(try await runQazServer(["restore", "--config", config.path, "--from", backup]))
            #expect(held.status == 1 && held.stderr.contains("\(live) is in use"), "\(held)")
            try await other.ping()
        }
        let run = try #require(try await runQazServer(["restore", "--config", config.path, "--from", backup]))
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("restored  \(live)") && run.stdout.contains("previous  \(live).before-restore-"), "\(run.stdout)")
        let aside = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("data").path)
            .filter { $0.hasPrefix("registrar.sqlite.before-restore-") }
        #expect(aside.count == 1 && !aside[0].hasSuffix("-wal"), "\(aside)")
        // Then the restored database answers the report as the original did
        let report = try #require(try await runQazServer(["report", "usage", "--config", config.path, "--bin", producerA.rawValue,
                                                          "--month", "2026-11"]))
        var restored = try WireCoding.decoder().decode(QRUsageReport.self, from: Data(report.stdout.utf8))
        restored.generatedAt = usage.generatedAt
        #expect(restored == usage && restored.activated == 12)

        // Bad input through the binary: a missing directory, a garbage backup, PostgreSQL
        let noDir = try #require(try await runQazServer(["backup", "--config", config.path, "--to", work.path + "/missing/b.sqlite"]))
        #expect(noDir.status == 1 && noDir.stderr.contains("the directory \(work.path)/missing does not exist"), "\(noDir)")
        let garbage = work.appendingPathComponent("garbage.bin").path
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: garbage))
        let bad = try #require(try await runQazServer(["restore", "--config", config.path, "--from", garbage]))
        #expect(bad.status == 1 && bad.stderr.contains("\(garbage) is not a SQLite database"), "\(bad)")
        let postgres = work.appendingPathComponent("pg.yaml")
        try "storage:\n  backend: postgres\n  url: postgresql://qaz@127.0.0.1:1/qaz\n".write(to: postgres, atomically: true, encoding: .utf8)
        for action in [["backup", "--to", backup], ["restore", "--from", backup]] {
            let pg = try #require(try await runQazServer([action[0], "--config", postgres.path, action[1], action[2]]))
            #expect(pg.status == 1 && pg.stderr.contains("pg_dump -Fc") && pg.stderr.contains("pg_basebackup")
                    && pg.stderr.contains("docs/backup.md"), "\(pg)")
        }
    }
}
