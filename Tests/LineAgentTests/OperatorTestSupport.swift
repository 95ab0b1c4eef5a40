import Foundation
import LineCore
import Logging
import Outbox
import QazAPI
import QazClient
@testable import QazServer
import ServiceLifecycle
import Testing

/// What a run of the `lineagent` binary printed.
struct BinaryRun: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs the built `lineagent` binary without blocking a cooperative thread (the registrar the test started runs on
/// the same pool); kills it after `timeout` seconds. `stdin`: a file given as its standard input.
func lineagent(_ arguments: [String], timeout: Double = 20, stdin: URL? = nil) async throws -> BinaryRun {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lineagent")
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "lineagent binary not found next to \(CommandLine.arguments[0])")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
    let finished = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { finished.continuation.yield($0.terminationStatus) }
    try process.run()
    // Drain both pipes on threads of their own: a blocking read on the 2-thread cooperative pool would starve the
    // registrar this test runs in-process, and a full pipe would stall the child.
    let stdout = PipeReader(out.fileHandleForReading)
    let stderr = PipeReader(err.fileHandleForReading)
    let killer = Task.detached {
        try await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
        if process.isRunning { process.terminate() }
    }
    var iterator = finished.stream.makeAsyncIterator()
    let status = await iterator.next() ?? -1
    killer.cancel()
    return BinaryRun(status: status, stdout: String(decoding: await stdout.data(), as: UTF8.self),
                     stderr: String(decoding: await stderr.data(), as: UTF8.self))
}

/// Reads a pipe to its end on a dedicated thread.
final class PipeReader: @unchecked Sendable {
    private let done = AsyncStream<Data>.makeStream()

    init(_ handle: FileHandle) {
        let continuation = done.continuation
        let thread = Thread { continuation.yield(handle.readDataToEndOfFile()) }
        thread.start()
    }

    /// Everything the pipe delivered, once the writer closed it.
    func data() async -> Data {
        var iterator = done.stream.makeAsyncIterator()
        return await iterator.next() ?? Data()
    }
}

/// A valid IIN/BIN from 11 digits.
func validBIN(_ first11: String) -> TaxpayerID {
    var digits = first11.utf8.map { Int($0) - 48 }
    while TaxpayerID.checkDigit(digits) == nil { digits[10] = (digits[10] + 1) % 10 }
    return TaxpayerID(digits.map(String.init).joined() + String(TaxpayerID.checkDigit(digits)!))!
}

/// A valid code: `QZB` + 18 digits.
func stamp(_ number: Int) -> StampCode {
    let digits = String(number)
    return StampCode(trusted: "QZB" + String(repeating: "0", count: max(0, 18 - digits.count)) + digits)
}

/// A temporary agent setup: `Config/agent.example.yaml` with the outbox, token file, registrar URL, producer and
/// agent port pointed at a fresh directory (the example's calibration file is used as is).
struct AgentFixture {
    let directory: URL
    let producer: TaxpayerID
    var configPath: String { directory.appendingPathComponent("agent.yaml").path }
    var outboxPath: String { directory.appendingPathComponent("data/outbox.sqlite").path }
    var tokenPath: String { directory.appendingPathComponent("agent.token").path }

    /// - Parameters:
    ///   - registrar: the registrar's base URL.
    ///   - token: written to the credential file.
    ///   - agentPort: the agent's `http.port` (1: nothing listens there).
    init(producer: TaxpayerID = validBIN("97010112345"), registrar: String = "http://127.0.0.1:1", token: String = "qzt_none",
         agentPort: Int = 1) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lineagent-op-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.producer = producer
        let example = try String(contentsOf: repositoryRoot.appendingPathComponent("Config/agent.example.yaml"), encoding: .utf8)
        let replacements = [
            ("bin: \"980515400019\"", "bin: \"\(producer.rawValue)\""),
            ("calibration: ../Calibration/line1-top.yaml", "calibration: \(repositoryRoot.appendingPathComponent("Calibration/line1-top.yaml").path)"),
            ("path: /var/lib/qazline/outbox.sqlite", "path: data/outbox.sqlite"),
            ("url: https://registrar.example.kz", "url: \(registrar)"),
            ("credentialFile: /etc/qazline/agent.token", "credentialFile: agent.token"),
            ("requestsPerSecond: 20", "requestsPerSecond: 1000"),
            ("port: 9464", "port: \(agentPort)"),
        ]
        var text = example
        for (old, new) in replacements {
            try #require(text.contains(old), "Config/agent.example.yaml no longer contains \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        try (token + "\n").write(toFile: tokenPath, atomically: true, encoding: .utf8)
    }

    /// The outbox file, opened as the agent would.
    func store() throws -> OutboxStore { OutboxStore(database: try AgentDatabase(path: outboxPath)) }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

/// The real registrar (QazServer on SQLite) on 127.0.0.1 with an ephemeral port and `count` codes (`stamp(0..<count)`)
/// issued to `producer`; `body` gets the base URL, a producer token and a client speaking as the producer.
func withRegistrar<T: Sendable>(codes count: Int, producer: TaxpayerID,
                                _ body: (_ url: String, _ token: String, _ client: QazAPIClient) async throws -> T) async throws -> T {
    let store = try SQLiteRegistrarStore()
    try await store.migrate()
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 100_000
    limits.burst = 100_000
    let server = RegistrarServer(store: store, limits: limits)
    let issued = (0..<count).map { i in IssuedCode(code: stamp(i).rawValue, series: StampSeries("AB")!, number: StampNumber(i + 1)!) }
    let waybill = WaybillRequest(
        number: "WB-OP-1", date: CalendarDate("2026-11-02")!, issuedOn: CalendarDate("2026-11-02")!,
        application: ApplicationReference(number: "APP-1", date: CalendarDate("2026-10-28")!),
        recipient: Recipient(bin: producer, name: "Test Distillery LLP"),
        product: WaybillProduct(name: "Vodka Test", type: "vodka", capacityMl: 500),
        ranges: [WaybillRange(series: StampSeries("AB")!, first: StampNumber(1)!, last: StampNumber(count)!)],
        quantity: count, codes: issued)
    _ = try await store.recordWaybill(try server.validator.waybill(waybill, now: .now))
    let token = try await TokenService(store: store).issue(participant: producer, role: .producer).token

    var logger = Logger(label: "registrar-test")
    logger.logLevel = .warning
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = try server.application(host: "127.0.0.1", port: 0, logger: logger, onServerRunning: { continuation.yield($0) })
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let url = "http://127.0.0.1:\(port)"
        let client = try QazAPIClient(configuration: QazClientConfiguration(
            baseURL: url, token: token, requestsPerSecond: 10_000, burst: 10_000, maxAttempts: 1), logger: Logger(label: "test"))
        do {
            let value = try await body(url, token, client)
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            try? await client.shutdown()
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// Activation batches sent straight to the registrar by a test.
enum ActivationBatchFixture {
    /// One code activated now on line1.
    static func one(_ code: StampCode) -> ActivationBatch {
        ActivationBatch(batchId: UUID(), lineId: "line1", equipmentId: "line1-top",
                        items: [ActivationItem(code: code.rawValue, activatedAt: .now, productCode: "KZ-VDK-0001")])
    }
}
