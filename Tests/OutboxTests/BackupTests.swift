import Delivery
import Foundation
import GRDB
import LineAgentTesting
import LineCore
import Logging
@testable import Outbox
import QazAPI
import QazClient
@testable import QazServer
import Synchronization
import Testing

/// Forwards to the registrar and counts the batches; the answer to every batch after the first `holdAfter` is held
/// (the registrar applied it, the outbox does not know yet) until ``release()``.
private final class HoldingSink: ActivationSink {
    private struct State { var forwarded: [ActivationSubmission] = []; var released = false }
    private let state = Mutex(State())
    private let target: any ActivationSink
    private let holdAfter: Int

    init(_ target: any ActivationSink, holdAfter: Int = .max) {
        self.target = target
        self.holdAfter = holdAfter
    }

    var forwarded: [ActivationSubmission] { state.withLock { $0.forwarded } }
    func release() { state.withLock { $0.released = true } }

    func deliver(_ submission: ActivationSubmission) async -> ActivationDelivery {
        let answer = await target.deliver(submission)
        let count = state.withLock { $0.forwarded.append(submission); return $0.forwarded.count }
        if count > holdAfter {
            // Held at most a minute: a test that fails before release() must not hang the run
            let deadline = ContinuousClock.now + .seconds(60)
            while !state.withLock({ $0.released }), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        }
        return answer
    }
}

/// Runs a blocking call on a thread of its own (the registrar in this process serves on the cooperative pool).
private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A registrar on the SQLite file `path` on 127.0.0.1: `issue` codes issued to `producer` (none: the file has them),
/// a fresh producer token; `body` gets a client as the producer and the store. The store is closed afterwards.
private func withFileRegistrar<T: Sendable>(_ path: String, producer: TaxpayerID, issue codes: [String],
                                            _ body: (QazAPIClient, any RegistrarStore) async throws -> T) async throws -> T {
    let store = try SQLiteRegistrarStore(path: path)
    try await store.migrate()
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    let server = RegistrarServer(store: store, limits: limits)
    if let waybill = WaybillRequest.consecutive(
        number: "WB-TEST-1", date: CalendarDate("2026-11-02")!, recipient: Recipient(bin: producer, name: "Test Distillery LLP"),
        product: WaybillProduct(name: "Vodka Test", type: "vodka", capacityMl: 500), series: StampSeries("AB")!, codes: codes) {
        _ = try await store.recordWaybill(try server.command(for: waybill))
    }
    let token = try await TokenService(store: store).issue(participant: producer, role: .producer).token
    return try await server.withLoopbackServer(logger: quietLogger) { port, _ in
        try await QazAPIClient(configuration: QazClientConfiguration(
            baseURL: "http://127.0.0.1:\(port)", token: token, maxBatchItems: 400, requestsPerSecond: 10_000, burst: 10_000,
            maxAttempts: 1), logger: quietLogger).closing { client in
            try await body(client, store)
        }
    }
}

@Suite("Outbox backup and restore: online backup, a restored outbox re-sends nothing twice, wrong files refused")
struct OutboxBackupTests {
    @Test("backed up while the agent appends and delivers, restored after everything was delivered: the restored outbox drains again and the registrar counts every code once", .timeLimit(.minutes(3)))
    func restoredOutboxResendsNothingTwice() async throws {
        try await withRealRegistrar(codes: 1000) { client, registrar in
            let dir = TempDir()
            defer { dir.cleanup() }
            let path = dir.path("outbox.sqlite"), backup = dir.path("outbox-backup.sqlite")
            let config = DrainerConfiguration(maxItems: 100, maxAge: .milliseconds(20), initialBackoff: .milliseconds(5),
                                              maxBackoff: .milliseconds(50), equipmentId: "cam1")
            let sink = HoldingSink(client, holdAfter: 3)
            let summary: OutboxBackupSummary
            do {
                // Given an agent that recorded 800 good bottles and delivered three batches of 100; the fourth batch
                // reached the registrar, its answer has not come back yet
                let store = OutboxStore(database: try AgentDatabase(path: path))
                _ = try await store.append(contentsOf: (0..<800).map { good(UInt64($0), $0) })
                let drainer = OutboxDrainer(store: store, sink: sink, configuration: config, logger: quietLogger)
                let flushing = Task { await drainer.flush(timeout: .seconds(60)) }
                let deadline = ContinuousClock.now + .seconds(30)
                while sink.forwarded.count < 4, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                try #require(sink.forwarded.count >= 4, "the drainer sent \(sink.forwarded.count) batches in 30 s")

                // When the outbox is backed up while the line keeps recording bottles
                let appending = Task {
                    for start in stride(from: 800, to: 1000, by: 10) {
                        _ = try await store.append(contentsOf: (start..<start + 10).map { good(UInt64($0), $0) })
                    }
                }
                summary = try await offPool { try AgentDatabase.backup(outbox: path, to: backup) }
                try await appending.value

                // Then the backup is one committed state: every decision's activation whole, three batches delivered,
                // the fourth open
                #expect(summary.path == backup)
                #expect(summary.schemaVersion == AgentDatabase.knownMigrations.last)
                #expect(summary.decisions >= 800 && summary.decisions <= 1000 && summary.decisions % 10 == 0)
                #expect(summary.delivered == 300 && summary.openBatches == 1 && summary.dead == 0)
                #expect(summary.pending == summary.decisions - 300)

                // And the outbox cannot be restored while the agent holds it open
                do {
                    _ = try await offPool { try AgentDatabase.restore(outbox: path, from: backup) }
                    Issue.record("restored over an outbox the agent holds open")
                } catch let error as OutboxBackupError {
                    if case .inUse(let inUse, _) = error { #expect(inUse == path) } else { Issue.record("expected inUse, got \(error)") }
                }

                // And the agent delivers everything
                sink.release()
                _ = await flushing.value
                #expect(await drainer.flush(timeout: .seconds(60)) == 0)
                #expect(try await store.depth().pending == 0)
            }
            let afterFirstRun = sink.forwarded.count
            let total = try await registrar.monthlyCounters(participant: makeBIN("97010112345")).reduce(0) { $0 + $1.activated }
            #expect(total == 1000)

            // When the backup is restored (the agent stopped) and the agent drains the restored outbox again
            let result = try AgentDatabase.restore(outbox: path, from: backup)
            let aside = try #require(result.movedAside)
            #expect(aside.hasPrefix(path + ".before-restore-") && FileManager.default.fileExists(atPath: aside))
            #expect(result.restored.pending == summary.pending && result.restored.openBatches == 1)
            let restored = OutboxStore(database: try AgentDatabase(path: path))
            #expect(try await restored.depth().pending == summary.pending)
            let openBatch = try #require(try await restored.openBatch())
            let drainer = OutboxDrainer(store: restored, sink: sink, configuration: config, logger: quietLogger)
            #expect(await drainer.flush(timeout: .seconds(60)) == 0)

            // Then the open batch went out again under its own id and was answered from the registrar's storage
            let resent = Array(sink.forwarded.dropFirst(afterFirstRun))
            #expect(resent.first?.batchId == openBatch.batchId)
            #expect(resent.flatMap(\.records).count == summary.pending)
            // And the registrar still counts every code exactly once: 1,000 activated, 1,000 stream events
            let again = try await registrar.monthlyCounters(participant: makeBIN("97010112345")).reduce(0) { $0 + $1.activated }
            #expect(again == 1000)
            #expect(try await registrar.latestActivationEventID() == 1000)
            // And the restored outbox ends with nothing pending and nothing dead: the open batch's codes answered as at
            // first (`activated`), the ones batched anew `alreadyActivated` (held since the first run)
            let depth = try await restored.depth()
            #expect(depth.pending == 0 && depth.deadLetters == 0 && depth.openBatches == 0)
            for record in openBatch.records {
                #expect(try await restored.answer(for: record.code)?.result == "activated", "\(record.code)")
            }
            for number in [400, 650, summary.decisions - 1] {
                let answer = try await restored.answer(for: code(number))
                #expect(answer?.state == .delivered && answer?.result == "alreadyActivated", "\(number): \(String(describing: answer))")
            }
            for number in [0, 399, 999] { #expect(try await client.code(code(number).rawValue).status == .activated) }
        }
    }

    @Test("after the registrar is restored from an older backup, lineagent resend's requeue sends again what it lacks: every code activated once, nothing pending", .timeLimit(.minutes(3)))
    func registrarRestoredThenOutboxResends() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let producer = makeBIN("97010112345")
        let registrarPath = dir.path("registrar.sqlite"), registrarBackup = dir.path("registrar-backup.sqlite")
        let outbox = OutboxStore(database: try AgentDatabase(path: dir.path("outbox.sqlite")))
        let config = DrainerConfiguration(maxItems: 100, maxAge: .milliseconds(20), initialBackoff: .milliseconds(5),
                                          maxBackoff: .milliseconds(50), equipmentId: "cam1")
        // Given a registrar on a file with 600 codes and an agent that delivered 300 before the registrar's backup and
        // 300 after it
        let backupTime = try await withFileRegistrar(registrarPath, producer: producer, issue: (0..<600).map { code($0).rawValue }) { client, _ in
            _ = try await outbox.append(contentsOf: (0..<300).map { good(UInt64($0), $0) })
            #expect(await OutboxDrainer(store: outbox, sink: client, configuration: config, logger: quietLogger).flush(timeout: .seconds(60)) == 0)
            let time = Date()
            _ = try await offPool { try SQLiteRegistrarStore.backup(database: registrarPath, to: registrarBackup) }
            _ = try await outbox.append(contentsOf: (300..<600).map { good(UInt64($0), $0) })
            #expect(await OutboxDrainer(store: outbox, sink: client, configuration: config, logger: quietLogger).flush(timeout: .seconds(60)) == 0)
            return time
        }
        // When the registrar is restored from that backup, it lacks the later 300; the outbox has them as delivered
        _ = try SQLiteRegistrarStore.restore(database: registrarPath, from: registrarBackup)
        try await withFileRegistrar(registrarPath, producer: producer, issue: []) { client, registrar in
            #expect(try await registrar.monthlyCounters(participant: producer).reduce(0) { $0 + $1.activated } == 300)
            #expect(try await outbox.depth().pending == 0)
            // And the agent queues again what the registrar answered since a minute before its backup, and drains
            let requeued = try await outbox.requeueDelivered(since: backupTime.addingTimeInterval(-60))
            #expect(requeued.activations == 600 && requeued.aggregationEvents == 0)
            #expect(await OutboxDrainer(store: outbox, sink: client, configuration: config, logger: quietLogger).flush(timeout: .seconds(60)) == 0)
            // Then the registrar holds every code once: 600 activated, 600 stream events; nothing pending or dead
            #expect(try await registrar.monthlyCounters(participant: producer).reduce(0) { $0 + $1.activated } == 600)
            #expect(try await registrar.latestActivationEventID() == 600)
            let depth = try await outbox.depth()
            #expect(depth.pending == 0 && depth.deadLetters == 0)
            #expect(try await outbox.answer(for: code(10))?.result == "alreadyActivated")
            #expect(try await outbox.answer(for: code(450))?.result == "activated")
            #expect(try await client.code(code(599).rawValue).status == .activated)
        }
    }

    @Test("restore refuses a registrar database, a garbage file and a newer schema; qazserver's side refuses an outbox and a newer schema; each names the file")
    func wrongFiles() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let outbox = dir.path("outbox.sqlite"), registrarFile = dir.path("registrar.sqlite")
        do {
            let store = OutboxStore(database: try AgentDatabase(path: outbox))
            _ = try await store.append(contentsOf: (0..<5).map { good(UInt64($0), $0) })
            let registrar = try SQLiteRegistrarStore(path: registrarFile)
            try await registrar.migrate()
        }
        let target = dir.path("live/outbox.sqlite")
        try FileManager.default.createDirectory(atPath: dir.path("live"), withIntermediateDirectories: true)

        // A registrar's database given to the outbox's restore, and an outbox given to the registrar's
        #expect(throws: OutboxBackupError.wrongKind(path: registrarFile, detail: "it is a registrar database (restore it with qazserver restore)")) {
            try AgentDatabase.restore(outbox: target, from: registrarFile)
        }
        #expect(throws: RegistrarBackupError.wrongKind(path: outbox, detail: "it is a line agent's outbox (restore it with lineagent restore)")) {
            try SQLiteRegistrarStore.restore(database: dir.path("live/registrar.sqlite"), from: outbox)
        }
        // Another program's SQLite database
        let foreign = dir.path("foreign.sqlite")
        try await DatabaseQueue(path: foreign).write { db in try db.execute(sql: "CREATE TABLE photos (id INTEGER PRIMARY KEY)") }
        #expect(throws: OutboxBackupError.wrongKind(path: foreign, detail: "application_id is 0, tables photos")) {
            try AgentDatabase.restore(outbox: target, from: foreign)
        }
        // A garbage file
        let garbage = dir.path("garbage.bin")
        try Data(repeating: 0xA5, count: 10_000).write(to: URL(fileURLWithPath: garbage))
        do {
            _ = try AgentDatabase.restore(outbox: target, from: garbage)
            Issue.record("a garbage file was restored")
        } catch {
            guard case .notADatabase(let path, _) = error else { Issue.record("expected notADatabase, got \(error)"); return }
            #expect(path == garbage && error.description.hasPrefix("\(garbage) is not a SQLite database"))
        }
        // A newer schema: a migration this binary does not know, on either side
        for file in [outbox, registrarFile] {
            try await DatabaseQueue(path: file).write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')") }
        }
        #expect(throws: OutboxBackupError.newerSchema(path: outbox, unknown: ["v99-future"])) {
            try AgentDatabase.restore(outbox: target, from: outbox)
        }
        #expect(throws: RegistrarBackupError.newerSchema(path: registrarFile, unknown: ["v99-future"])) {
            try SQLiteRegistrarStore.restore(database: dir.path("live/registrar.sqlite"), from: registrarFile)
        }
        #expect(RegistrarBackupError.newerSchema(path: registrarFile, unknown: ["v99-future"]).description
                == "\(registrarFile) was written by a newer qazserver (migrations this binary does not know: v99-future); restore it with that version")
        // Nothing was put in place, no temporary file left
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("live")).isEmpty)
        // A backup into a directory that does not exist names it
        #expect(throws: OutboxBackupError.noDirectory(path: dir.path("nowhere"))) {
            try AgentDatabase.backup(outbox: outbox, to: dir.path("nowhere/b.sqlite"))
        }
    }

    @Test("a damaged outbox no server holds is replaced by the backup; its WAL and shared-memory files go aside with it", .timeLimit(.minutes(3)))
    func restoreOverADamagedOutbox() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let outbox = dir.path("outbox.sqlite"), backup = dir.path("b.sqlite")
        do {
            let store = OutboxStore(database: try AgentDatabase(path: outbox))
            _ = try await store.append(contentsOf: (0..<7).map { good(UInt64($0), $0) })
        }
        _ = try AgentDatabase.backup(outbox: outbox, to: backup)
        // Given an outbox overwritten with garbage and a stale WAL beside it
        try Data(repeating: 0x33, count: 16_384).write(to: URL(fileURLWithPath: outbox))
        try Data(repeating: 0x44, count: 4096).write(to: URL(fileURLWithPath: outbox + "-wal"))
        let result = try AgentDatabase.restore(outbox: outbox, from: backup)
        let aside = try #require(result.movedAside)
        #expect(FileManager.default.fileExists(atPath: aside) && FileManager.default.fileExists(atPath: aside + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: outbox + "-wal"))
        let store = OutboxStore(database: try AgentDatabase(path: outbox))
        #expect(try await store.depth().pending == 7)
    }
}
