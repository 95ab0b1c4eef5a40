import AgentConsole
import AgentRuntime
import ArgumentParser
import ConsoleKit
import Foundation
import LineConfig
import LineCore
import Outbox

/// `lineagent job list|show|start|end` and `lineagent user add|password|disable|list`: production jobs and the
/// console's users from a terminal, on the same database the running agent uses (the agent sees a job started here
/// with its next decision). Every change is in the audit log as `terminal:<login>`.
let consoleCommands: [any ParsableCommand.Type] = [JobCommand.self, UserCommand.self]

/// Who acts from a terminal, as the audit log records it.
func terminalUser() -> String {
    let name = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    return "terminal:\(name)"
}

struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Production jobs: list, show a job's report (or its CSV), start and end a job on a line.",
        subcommands: [List.self, Show.self, Start.self, End.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first (times in Astana time).")
        @OptionGroup var options: AgentConfigOption
        @Option(name: .long, help: "At most this many jobs.") var limit = 50

        func run() async throws {
            try await operatorRun("job list") {
                let store = try options.loadPlan().openExistingOutbox()
                let jobs = try await store.jobs(limit: limit)
                if jobs.isEmpty { print("no jobs"); return }
                let rows: [[String]] = jobs.map { job in
                    let recipe: String = job.recipe.map { String($0) } ?? "-"
                    let planned: String = job.planned.map { String($0) } ?? "-"
                    let ended: String = job.endedAt.map { LineAgent.Show.time($0) } ?? "running"
                    return [String(job.id), job.lineID, job.lot, recipe, planned, LineAgent.Show.time(job.startedAt), ended, job.startedBy]
                }
                print(LineAgent.Show.table(["job", "line", "lot", "recipe", "planned", "started", "ended", "by"], rows))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A job's report: bottles, good, rejected by reason, codes used and written off.")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "The job's number.") var id: Int64
        @Flag(name: .long, help: "Print the report as CSV (the console's export).") var csv = false

        func run() async throws {
            try await operatorRun("job show") {
                let plan = try options.loadPlan()
                let report = try await plan.openExistingOutbox().jobReport(id)
                if csv {
                    print(AgentConsole.jobCSV(report, producer: plan.configuration.producer.bin.rawValue), terminator: "")
                    return
                }
                let job = report.job
                let recipe: String = job.recipe.map { String($0) } ?? "-"
                let planned: String = job.planned.map { String($0) } ?? "-"
                let ended: String = job.endedAt.map { "\(LineAgent.Show.time($0)) by \(job.endedBy ?? "?")" } ?? "running"
                var rows: [[String]] = [["job", String(job.id)], ["line", job.lineID], ["lot", job.lot], ["product", job.productCode ?? "-"]]
                rows += [["recipe", recipe], ["planned", planned], ["started", "\(LineAgent.Show.time(job.startedAt)) by \(job.startedBy)"]]
                rows += [["ended", ended], ["bottles", LineAgent.Show.count(report.bottles)], ["good", LineAgent.Show.count(report.good)]]
                rows.append(["rejected", LineAgent.Show.count(report.rejected)])
                for (kind, count) in report.rejectedByKind.sorted(by: { $0.key < $1.key }) { rows.append(["  \(kind)", LineAgent.Show.count(count)]) }
                rows += [["codes used", LineAgent.Show.count(report.codesUsed)], ["codes written off", LineAgent.Show.count(report.codesWrittenOff)]]
                print(LineAgent.Show.table(["", ""], rows))
            }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a job on a line (refused while the line has an open job).")
        @OptionGroup var options: AgentConfigOption
        @Option(name: .long, help: "The line's id.") var line: String
        @Option(name: .long, help: "The lot (batch) number.") var lot: String
        @Option(name: .long, help: "The PLC recipe number of the product.") var recipe: Int?
        @Option(name: .long, help: "The planned quantity of bottles.") var planned: Int?

        func run() async throws {
            try await operatorRun("job start") {
                let plan = try options.loadPlan()
                guard plan.configuration.lines.contains(where: { $0.id == line }) else {
                    throw OperatorError("line \(line) is not in \(plan.configurationFile.path) (lines: \(plan.configuration.lines.map(\.id).joined(separator: ", ")))")
                }
                var product: String?
                if let recipe {
                    guard let found = plan.configuration.product(forRecipe: recipe) else {
                        throw OperatorError("recipe \(recipe) is not configured (products in \(plan.configurationFile.path))")
                    }
                    product = found.dsnCode
                }
                let store = try plan.openOutbox()
                let user = terminalUser()
                let job = try await store.startJob(NewJob(lineID: line, productCode: product, recipe: recipe, lot: lot, planned: planned), by: user)
                try await store.audit(user: user, action: "job-start", target: "job \(job.id)", detail: "line \(line), lot \(job.lot)")
                print("job \(job.id) started on line \(line) at \(LineAgent.Show.time(job.startedAt)) (lot \(job.lot))")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End the open job of a line.")
        @OptionGroup var options: AgentConfigOption
        @Option(name: .long, help: "The line's id.") var line: String

        func run() async throws {
            try await operatorRun("job end") {
                let store = try options.loadPlan().openExistingOutbox()
                let user = terminalUser()
                let job = try await store.endJob(line: line, by: user)
                try await store.audit(user: user, action: "job-end", target: "job \(job.id)", detail: "line \(line), lot \(job.lot)")
                let report = try await store.jobReport(job.id)
                print("job \(job.id) ended: \(report.bottles) bottles, \(report.good) good, \(report.rejected) rejected")
            }
        }
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "The line console's users: add, set a password, disable, list.",
        discussion: "Passwords are read from standard input (one line) and stored only as bcrypt hashes.",
        subcommands: [Add.self, Password.self, Disable.self, List.self])

    /// Reads one line from standard input as the new password and checks it.
    static func readPassword(for user: String) throws -> String {
        FileHandle.standardError.write(Data("password for \(user) (one line on standard input): ".utf8))
        guard let line = readLine(strippingNewline: true) else { throw OperatorError("no password on standard input") }
        if let problem = PasswordHash.problem(with: line, user: user) { throw OperatorError(problem) }
        return line
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with a role (operator or engineer).")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "The user name.") var name: String
        @Option(name: .long, help: "operator or engineer.") var role: String

        func run() async throws {
            try await operatorRun("user add") {
                guard let role = ConsoleAccount.Role(rawValue: role) else { throw OperatorError("--role must be operator or engineer, got \(role)") }
                let store = try options.loadPlan().openOutbox()
                let password = try UserCommand.readPassword(for: name)
                try await store.addUser(name, role: role, passwordHash: PasswordHash.make(password))
                try await store.audit(user: terminalUser(), action: "user-add", target: name, detail: role.rawValue)
                print("user \(name) added (\(role.rawValue))")
            }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (and enable a disabled user).")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "The user name.") var name: String

        func run() async throws {
            try await operatorRun("user password") {
                let store = try options.loadPlan().openExistingOutbox()
                guard try await store.account(named: name) != nil else { throw OperatorError("there is no user \(name)") }
                let password = try UserCommand.readPassword(for: name)
                try await store.setPassword(name, passwordHash: PasswordHash.make(password))
                try await store.audit(user: terminalUser(), action: "user-password", target: name)
                print("password of \(name) changed")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user (kept for the audit log; `password` enables again).")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "The user name.") var name: String

        func run() async throws {
            try await operatorRun("user disable") {
                let store = try options.loadPlan().openExistingOutbox()
                try await store.disableUser(name)
                try await store.audit(user: terminalUser(), action: "user-disable", target: name)
                print("user \(name) disabled")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users.")
        @OptionGroup var options: AgentConfigOption

        func run() async throws {
            try await operatorRun("user list") {
                let accounts = try await options.loadPlan().openExistingOutbox().accounts()
                if accounts.isEmpty { print("no users (add one with `lineagent user add NAME --role operator`)"); return }
                print(LineAgent.Show.table(["user", "role", "state"], accounts.map { [$0.name, $0.role.rawValue, $0.disabled ? "disabled" : "active"] }))
            }
        }
    }
}
