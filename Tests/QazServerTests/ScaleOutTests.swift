import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LineAgentTesting
import LineCore
import Logging
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// Several `qazserver serve` processes (the built binary) on one PostgreSQL database: what a registrar's operations team
/// runs behind a load balancer (docs/operations.md, "Several registrar instances").
@Suite("Scale-out: two qazserver processes on one PostgreSQL", .serialized)
struct ScaleOutTests {
    @Test("the same batch sent to both at once is applied once; a stream on one sees every activation ingested on the other; one instance runs each background job and the other takes it over when the first is killed")
    func twoInstancesShareOneDatabase() async throws {
        try await withCluster(instances: 2) { cluster in
            let (a, b) = (cluster.servers[0], cluster.servers[1])
            let codes = try await cluster.issue(600, prefix: "QSA")

            // The same batch to both instances at once: both answer 200, the database holds it once.
            let batch = ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items(Array(codes[0..<200])))
            async let fromA = cluster.client(a, "producer").closing { try await $0.activate(batch) }
            async let fromB = cluster.client(b, "producer").closing { try await $0.activate(batch) }
            let answers = try await [fromA, fromB]
            #expect(answers.map(\.receipt.summary.activated) == [200, 200], "both instances answer with the batch's receipt")
            #expect(answers.filter(\.replayed).count == 1, "exactly one of the two applied it; the other answered the stored receipt")
            #expect(try await cluster.count("SELECT count(*) FROM activation_batch") == 1)
            #expect(try await cluster.count("SELECT count(*) FROM code WHERE status = 'activated'") == 200)

            // A stream on A while B ingests: every activation arrives on A, in event id order, none twice.
            let stream = try SSEConnection(port: a.port, path: "/v1/stream/activations?after=0", token: cluster.tokens["registrar"])
            #expect(try await stream.readHead() == 200)
            let ingest = Task {
                try await cluster.client(b, "producer").closing { client in
                    for chunk in stride(from: 200, to: 600, by: 50) {
                        _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1",
                                                                      items: items(Array(codes[chunk..<chunk + 50]))))
                    }
                }
            }
            var seen = [String](), ids = [Int64]()
            while seen.count < 600 {
                guard case .event(let id, _, let data)? = try await stream.next(timeout: .seconds(30)) else { continue }
                let event = try WireCoding.decoder().decode(ActivationEvent.self, from: Data(data.utf8))
                #expect(id == String(event.id))
                ids.append(event.id)
                seen.append(event.code)
            }
            try await ingest.value
            stream.close()
            #expect(Set(seen) == Set(codes), "the stream on A delivered every code activated through either instance")
            #expect(seen.count == Set(seen).count, "no code twice")
            #expect(ids == Array(1...Int64(600)), "event ids increase by one from the first activation, with no gap")

            // One holder per job; kill -9 the holder and the other instance takes the job within the lease's TTL.
            let leases = try await cluster.store.jobLeases()
            #expect(Set(leases.map(\.job)) == ["order-expiry", "receipt-gaps"])
            #expect(Set(leases.map(\.holder)).isSubset(of: ["instance-0", "instance-1"]))
            let holder = try #require(leases.first { $0.job == "order-expiry" }?.holder)
            let survivor = holder == "instance-0" ? "instance-1" : "instance-0"
            cluster.servers[holder == "instance-0" ? 0 : 1].kill()
            let deadline = ContinuousClock.now + .seconds(20)
            var moved = false
            while ContinuousClock.now < deadline, !moved {
                try await Task.sleep(for: .milliseconds(250))
                moved = try await cluster.store.jobLeases().allSatisfy { $0.holder == survivor }
            }
            #expect(moved, "both jobs moved to \(survivor) after \(holder) was killed (lease TTL 3 s)")
            #expect(cluster.servers[holder == "instance-0" ? 1 : 0].isRunning)
        }
    }

    @Test("an instance killed under load: a client with both addresses moves to the other, and every code is activated exactly once")
    func killOneUnderLoad() async throws {
        try await withCluster(instances: 2) { cluster in
            let (a, b) = (cluster.servers[0], cluster.servers[1])
            let codes = try await cluster.issue(3000, prefix: "QSK")
            let batches = stride(from: 0, to: codes.count, by: 50).map {
                ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items(Array(codes[$0..<$0 + 50])))
            }
            // Two senders, as two lines' agents would be, each with both addresses (A preferred), retrying as the outbox
            // drainer does until the registrar answers.
            let configuration = QazClientConfiguration(baseURLs: ["http://127.0.0.1:\(a.port)", "http://127.0.0.1:\(b.port)"], failback: .seconds(600),
                                                       token: try #require(cluster.tokens["producer"]), requestTimeout: .seconds(10),
                                                       requestsPerSecond: 1000, burst: 1000, maxAttempts: 1)
            let sent = Sent()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<2 {
                    group.addTask {
                        let client = try QazAPIClient(configuration: configuration, logger: Logger(label: "scale-out-test"))
                        try await client.closing { client in
                            for batch in batches.enumerated().filter({ $0.offset % 2 == lane }).map(\.element) {
                                var attempts = 0
                                while true {
                                    attempts += 1
                                    do {
                                        let answer = try await client.activate(batch)
                                        sent.record(accepted: answer.receipt.summary.activated, replayed: answer.replayed)
                                        break
                                    } catch {
                                        guard attempts < 50 else { throw error }
                                        sent.failed()
                                        try await Task.sleep(for: .milliseconds(100))
                                    }
                                }
                            }
                        }
                    }
                }
                // Kill the preferred instance once a fifth of the batches are in.
                group.addTask {
                    while sent.answers < batches.count / 5 { try await Task.sleep(for: .milliseconds(5)) }
                    a.kill()
                }
                try await group.waitForAll()
            }
            #expect(!a.isRunning && b.isRunning)
            #expect(sent.answers == batches.count, "every batch got an answer")
            #expect(sent.accepted == codes.count, "every item was accepted once per batch (replays answer the stored receipt)")
            #expect(try await cluster.count("SELECT count(*) FROM activation_batch") == batches.count, "no batch lost, none doubled")
            #expect(try await cluster.count("SELECT count(*) FROM code WHERE status = 'activated'") == codes.count)
            print("kill under load: \(batches.count) batches, \(sent.replays) answered as replays, \(sent.failures) failed attempts retried")
        }
    }

    @Test("shared rate limits: one participant's bucket spans both instances")
    func sharedRateLimits() async throws {
        try await withCluster(instances: 2, limits: "limits:\n  requestsPerSecond: 0.5\n  burst: 6", rateLimits: "shared") { cluster in
            // 12 look-ups alternating between the instances: the shared bucket of 6 lets 6 through in all (per-instance
            // buckets would let 12 through).
            var statuses = [Int]()
            for i in 0..<12 {
                let client = try cluster.client(cluster.servers[i % 2], "producer")
                let answer = try await client.closing { try await $0.raw(method: "GET", path: "/v1/codes/QSA000000000000000001", body: nil) }
                statuses.append(answer.status)
            }
            #expect(statuses.filter { $0 == 429 }.count == 6, "\(statuses)")
            #expect(Array(statuses.prefix(6)).allSatisfy { $0 != 429 }, "\(statuses)")
            #expect(try await cluster.count("SELECT count(*) FROM rate_bucket") == 1)
        }
    }
}

/// What the senders of ``ScaleOutTests/killOneUnderLoad()`` got back.
private final class Sent: @unchecked Sendable {
    private let lock = NSLock()
    private var state = (answers: 0, accepted: 0, replays: 0, failures: 0)
    func record(accepted: Int, replayed: Bool) {
        lock.withLock {
            state.answers += 1
            state.accepted += accepted
            if replayed { state.replays += 1 }
        }
    }
    func failed() { lock.withLock { state.failures += 1 } }
    var answers: Int { lock.withLock { state.answers } }
    var accepted: Int { lock.withLock { state.accepted } }
    var replays: Int { lock.withLock { state.replays } }
    var failures: Int { lock.withLock { state.failures } }
}

/// A running `qazserver serve` process.
final class ServerProcess: @unchecked Sendable {
    let name: String
    let port: Int
    let log: URL
    private let process: Process

    init(name: String, config: URL, port: Int, log: URL) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qazserver")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ClusterFailure("qazserver is not built next to the test bundle (\(binary.path)): swift build --product qazserver")
        }
        self.name = name
        self.port = port
        self.log = log
        process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--config", config.path]
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// SIGKILL: no graceful shutdown, no lease given up.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Waits until `GET /ready` answers 200.
    func waitReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw ClusterFailure("\(name) exited with \(process.terminationStatus): \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            if let connection = try? SSEConnection(port: port, path: "/ready", token: nil), (try? await connection.readHead(timeout: .seconds(2))) == 200 {
                connection.close()
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ClusterFailure("\(name) not ready on port \(port) within \(timeout)")
    }
}

struct ClusterFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Several server processes on one fresh PostgreSQL database, tokens for a producer and the registrar, and an in-process
/// store on the same database for set-up and checks.
struct TestCluster: Sendable {
    let servers: [ServerProcess]
    let store: PostgresRegistrarStore
    let tokens: [String: String]
    let url: String

    func client(_ server: ServerProcess, _ who: String) throws -> QazAPIClient {
        try QazAPIClient(configuration: QazClientConfiguration(baseURL: "http://127.0.0.1:\(server.port)", token: tokens[who] ?? who,
                                                               requestTimeout: .seconds(30), maxAttempts: 1),
                         logger: Logger(label: "scale-out-test"))
    }

    /// Issues codes to the producer straight into the database (set-up, not under test).
    func issue(_ count: Int, prefix: String) async throws -> [String] {
        let waybill = makeWaybill(number: "WB-\(prefix)", to: producerA, prefix: prefix, count: count)
        let command = try RegistrarServer(store: store).validator.waybill(waybill, now: .now)
        _ = try await store.recordWaybill(command)
        return waybill.codes.map(\.code)
    }

    /// One integer from SQL, through psql (the tests' PostgreSQL has no password).
    func count(_ sql: String) async throws -> Int {
        guard let run = try await runProcess(PostgresTestServer.binDirectory().map { $0 + "/psql" } ?? "psql", ["-At", url, "-c", sql]) else {
            throw ClusterFailure("psql not found")
        }
        guard run.status == 0, let value = Int(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ClusterFailure("psql \(sql): \(run.stderr)")
        }
        return value
    }
}

/// Runs `body` with `instances` server processes on one new database (lease TTL 3 s), stopping them afterwards; the
/// processes' logs are printed when the body fails.
func withCluster(instances: Int, limits: String = "", rateLimits: String = "instance", _ body: (TestCluster) async throws -> Void) async throws {
    let url = try await PostgresTestServer.shared.makeDatabase()
    let store = try PostgresRegistrarStore(url: url, poolSize: 4, logger: Logger(label: "scale-out-test"))
    try await withRunningStore(store) {
        try await store.migrate()
        var tokens = [String: String]()
        tokens["producer"] = try await TokenService(store: store).issue(participant: producerA, role: .producer).token
        tokens["registrar"] = try await TokenService(store: store).issue(participant: registrarBIN, role: .registrar).token
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-cluster-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var servers = [ServerProcess]()
        defer {
            for server in servers { server.stop() }
            try? FileManager.default.removeItem(at: directory)
        }
        for i in 0..<instances {
            let port = try freeLoopbackPort()
            let config = directory.appendingPathComponent("server-\(i).yaml")
            try """
                listen:
                  host: 127.0.0.1
                  port: \(port)
                storage:
                  backend: postgres
                  url: \(url)
                  poolSize: 4
                console:
                  enabled: false
                cluster:
                  instance: instance-\(i)
                  jobLeaseTTL: 3s
                  rateLimits: \(rateLimits)
                \(limits)
                """.write(to: config, atomically: true, encoding: .utf8)
            servers.append(try ServerProcess(name: "instance-\(i)", config: config, port: port, log: directory.appendingPathComponent("server-\(i).log")))
        }
        for server in servers { try await server.waitReady() }
        do {
            try await body(TestCluster(servers: servers, store: store, tokens: tokens, url: url))
        } catch {
            for server in servers { print("--- \(server.name) log:\n\((try? String(contentsOf: server.log, encoding: .utf8)) ?? "")") }
            throw error
        }
    }
}

/// Runs a program to completion; nil when it does not exist.
func runProcess(_ path: String, _ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String)? {
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}
