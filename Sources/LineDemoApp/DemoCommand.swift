import ArgumentParser
import CommandSupport
import Foundation
import LineDemo
import Logging
import Synchronization
import UnixSignals

/// `qazline-demo`: the complete simulated line on embedded defaults, ending with a reconciled summary.
@main
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qazline-demo",
        abstract: "Run a complete simulated line: linesim as the PLC, generated caps as the camera, the agent, and the registrar on SQLite.",
        discussion: """
        Prints progress every second and ends with a summary: bottles, good, rejected by reason, rejects late or \
        missed (linesim at the reject station), activations sent and accepted, and the registrar's App. 10 report for \
        the month. Exits 1 unless every total reconciles.
        """)

    @Option(name: .long, help: "Bottles to fill.")
    var bottles = 1_000

    @Option(name: .long, help: "Line speed in bottles per hour.")
    var speed = 36_000.0

    @Option(name: .long, help: "Share of caps without a readable code (0-1).")
    var unreadable = 0.03

    @Option(name: .long, help: "Share of damaged caps whose code reads wrong (0-1).")
    var damaged = 0.02

    @Option(name: .long, help: "Share of caps with a code used before (0-1).")
    var duplicate = 0.02

    @Option(name: .long, help: "Share of caps with another producer's code (0-1).")
    var foreign = 0.02

    @Option(name: .long, help: "Seed of the caps and frames.")
    var seed: UInt64 = 2024

    @Option(name: .long, help: "Write the summary as JSON to this file.")
    var summaryJSON: String?

    @Option(name: .long, help: "Keep the demo's files (agent config, outbox, registrar database) in this directory.")
    var workdir: String?

    @Flag(name: .long, help: "Log the agent's warnings (alarms) while the demo runs.")
    var verbose = false

    @Option(name: .long, help: "Log level of the agent and the registrar (standard error): trace, debug, info, notice, warning, error or critical (default: critical; warning with --verbose).")
    var logLevel: Logger.Level?

    @Option(name: .long, help: "Print the resource figures (RSS, outbox and registrar file sizes, pending) every this many seconds while the line runs (1-3600).")
    var sampleEvery = 60.0

    @Option(name: .long, help: ArgumentHelp("For the secrets-in-logs test: write every credential the run made (tokens, console password) as JSON to this file (mode 0600).", visibility: .hidden))
    var secretsFile: String?

    @Option(name: .long, help: "The line console's port (default: any free port; the address is printed first).")
    var consolePort = 0

    @Option(name: .long, help: "Password of the console users operator and engineer (default: a random one, printed).")
    var consolePassword: String?

    @Flag(name: .long, help: "After the summary, keep the consoles (line and registrar) up until interrupted (Ctrl-C).")
    var hold = false

    @Flag(name: .long, help: "Run without the case station (no aggregation into cases and pallets).")
    var noCaseStation = false

    @Flag(name: .long, help: """
        Run without the registrar's trade half (no signed stamp applications before the waybills, no signed order of         bottles to a wholesaler after the line).
        """)
    var noTrade = false

    @Option(name: .long, help: "Retail step: bottles the demo shop buys from the wholesaler and sells at its tills (at most the good bottles).")
    var shopBottles = 16

    @Option(name: .long, help: "Retail step: the shop's cash registers (the second goes offline for 3/8 of the day).")
    var registers = 3

    @Option(name: .long, help: "Retail step: simulated hours of the tills' day (4-720).")
    var tillHours = 8

    @Option(name: .long, help: "Bottles per case: 12, 20 or 24.")
    var bottlesPerCase = 12

    @Flag(name: .long, help: "The agent assigns case codes and prints them on a test label printer (ZPL over TCP on loopback) instead of reading pre-printed labels.")
    var printCaseCodes = false

    @Option(name: .long, help: "Share of cases the packer gets wrong (missing bottle, rejected cap, unreadable cap, bad label), 0-1.")
    var caseDefects = 0.08

    func validate() throws {
        guard bottles >= 1, bottles <= 10_000_000 else { throw ValidationError("--bottles must be 1-10000000, got \(bottles)") }
        guard speed >= 60, speed <= 200_000 else { throw ValidationError("--speed must be 60-200000 bottles/h, got \(speed)") }
        for (name, value) in [("unreadable", unreadable), ("damaged", damaged), ("duplicate", duplicate), ("foreign", foreign)] {
            guard (0...1).contains(value) else { throw ValidationError("--\(name) must be a share 0-1, got \(value)") }
        }
        guard unreadable + damaged + duplicate + foreign <= 1 else {
            throw ValidationError("the shares of bad caps add up to more than 1")
        }
        guard (0...65_535).contains(consolePort) else { throw ValidationError("--console-port must be 0-65535, got \(consolePort)") }
        guard [12, 20, 24].contains(bottlesPerCase) else { throw ValidationError("--bottles-per-case must be 12, 20 or 24, got \(bottlesPerCase)") }
        guard (1...1_000_000).contains(shopBottles) else { throw ValidationError("--shop-bottles must be 1-1000000, got \(shopBottles)") }
        guard (2...500).contains(registers) else { throw ValidationError("--registers must be 2-500, got \(registers)") }
        guard (4...720).contains(tillHours) else { throw ValidationError("--till-hours must be 4-720, got \(tillHours)") }
        guard (1...3_600).contains(sampleEvery) else { throw ValidationError("--sample-every must be 1-3600 seconds, got \(sampleEvery)") }
        guard (0...1).contains(caseDefects) else { throw ValidationError("--case-defects must be a share 0-1, got \(caseDefects)") }
        if let consolePassword, consolePassword.count < 8 {
            throw ValidationError("--console-password needs at least 8 characters")
        }
    }

    func run() async throws {
        let verbose = verbose
        CommandLogging.bootstrap(level: logLevel ?? (verbose ? .warning : .critical))
        var options = DemoOptions()
        options.registrarLogLevel = logLevel
        options.sampleEvery = .milliseconds(Int(sampleEvery * 1_000))
        if let secretsFile {
            let secrets = SecretsFile(path: secretsFile)
            options.onSecrets = { secrets.add($0) }
        }
        options.bottles = bottles
        options.bottlesPerHour = speed
        options.shares = [.unreadable: unreadable, .damaged: damaged, .duplicate: duplicate, .foreign: foreign]
        options.seed = seed
        options.workDirectory = workdir.map { URL(fileURLWithPath: $0).path }
        options.consolePort = consolePort
        options.consolePassword = consolePassword
        options.caseStation = !noCaseStation
        options.trade = !noTrade
        options.retail.shopBottles = shopBottles
        options.retail.registers = registers
        options.retail.hours = tillHours
        options.bottlesPerCase = bottlesPerCase
        options.printedCaseCodes = printCaseCodes
        let kinds: [CaseDefect] = printCaseCodes ? [.missingBottle, .rejectedCap, .unreadableCap]
            : [.missingBottle, .rejectedCap, .unreadableCap, .unreadableLabel, .duplicatedLabel]
        options.caseDefects = CasePacker.Shares(Dictionary(uniqueKeysWithValues: kinds.map { ($0, caseDefects / Double(kinds.count)) }))
        // First lines on standard output, unbuffered: where the consoles are and how to sign in.
        options.onConsole = { console in
            var lines = "console: \(console.url)\n"
            for user in console.users { lines += "console user: \(user.name) password \(user.password) (\(user.role))\n" }
            lines += "registrar console: \(console.registrarURL)\nregistrar console token: \(console.registrarToken)\n"
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        if hold {
            options.hold = { summary in
                FileHandle.standardOutput.write(Data((LineDemo.render(summary) + "\nholding: the consoles printed above stay up until interrupted (Ctrl-C)\n").utf8))
                for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
            }
        }
        let summary: DemoSummary
        do {
            summary = try await LineDemo.run(options, logger: Logger(label: "qazline.demo")) { line in
                FileHandle.standardError.write(Data("demo: \(line)\n".utf8))
            }
        } catch {
            var stderr = StandardError()
            print("qazline-demo: \(error)", to: &stderr)
            throw ExitCode.failure
        }
        if !hold { print(LineDemo.render(summary)) }
        if let summaryJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(summary).write(to: URL(fileURLWithPath: summaryJSON))
        }
        if !summary.reconciled { throw ExitCode.failure }
    }
}

/// The credentials a run made, kept in a JSON file (mode 0600) for the secrets-in-logs test (`--secrets-file`).
final class SecretsFile: Sendable {
    let path: String
    private let secrets = Mutex<[String: String]>([:])

    init(path: String) { self.path = path }

    /// Adds `more` and rewrites the file.
    func add(_ more: [String: String]) {
        let all = secrets.withLock { $0.merge(more) { _, new in new }; return $0 }
        guard FileManager.default.createFile(atPath: path, contents: try? JSONEncoder().encode(all), attributes: [.posixPermissions: 0o600]) else {
            FileHandle.standardError.write(Data("qazline-demo: cannot write --secrets-file \(path): check that its directory exists and is writable\n".utf8))
            return
        }
    }
}
