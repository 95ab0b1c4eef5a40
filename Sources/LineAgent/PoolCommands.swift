import AgentRuntime
import ArgumentParser
import CommandSupport
import Foundation
import LineConfig
import LineCore
import Outbox
import QazAPI
import QazClient

/// `lineagent pool …`: the local pool of codes issued to this producer (bottles with other codes are `foreign`).
struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Fill the local pool of codes issued to this producer (from the registrar or a file).",
        subcommands: [PoolSync.self, PoolImport.self])
}

/// `lineagent pool sync --config FILE`: pages through `GET /v1/pools/{bin}/codes` and adds the codes.
struct PoolSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Add every code the registrar lists as issued to the producer (producer.bin) to the local pool.",
        discussion: """
        Progress goes to standard error, the final count to standard output. Each page is stored as it arrives: \
        after a failure, running it again continues (codes already in the pool are not added twice).
        """)

    @OptionGroup var options: AgentConfigOption

    @Option(name: .long, help: "Codes per request (1-10000).")
    var pageSize = 1000

    @Flag(name: .long, help: "No progress lines on standard error.")
    var quiet = false

    func validate() throws {
        guard (1...10_000).contains(pageSize) else { throw ValidationError("--page-size must be 1-10000, got \(pageSize)") }
    }

    func run() async throws {
        let plan = try options.loadPlan()
        try await operatorRun("pool sync") {
            let rules = try plan.payloadRules()
            let bin = plan.configuration.producer.bin
            let store = try plan.openOutbox()
            let client = try operatorClient(plan)
            var stderr = StandardError()
            var fetched = 0, added = 0, skipped = 0, pages = 0
            var after: String?
            let source = "registrar \(plan.configuration.server.url) pool of \(bin)"
            do {
                repeat {
                    let page: CodePage
                    do throws(QazClientError) {
                        page = try await withRegistrarRetries { () async throws(QazClientError) in
                            try await client.pool(bin: bin, status: .issued, after: after, limit: pageSize)
                        }
                    } catch {
                        let progress = added > 0 ? " (\(Show.count(added)) codes added before this; run again to continue)" : ""
                        throw OperatorError(describe(error, plan: plan) + progress)
                    }
                    pages += 1
                    var codes = [StampCode]()
                    codes.reserveCapacity(page.items.count)
                    for item in page.items {
                        switch rules.parse(item.code) {
                        case .success(let code): codes.append(code)
                        case .failure(let why):
                            if skipped < 5 {
                                print("pool sync: skipped \(item.code): not a code under payload.codePattern (\(why.code))", to: &stderr)
                            }
                            skipped += 1
                        }
                    }
                    if !codes.isEmpty { added += try await store.addToPool(codes, source: source) }
                    fetched += page.items.count
                    if !quiet {
                        print("pool sync: page \(pages): \(Show.count(fetched)) codes fetched, \(Show.count(added)) new", to: &stderr)
                    }
                    // A page without items or a cursor that does not move would never end.
                    guard let next = page.next, !page.items.isEmpty, next != after else { break }
                    after = next
                } while true
            } catch {
                try? await client.shutdown()
                throw error
            }
            try? await client.shutdown()
            let total = try store.poolCount()
            var summary = "pool sync: \(Show.count(fetched, "code")) issued to \(bin) at the registrar, \(Show.count(added)) new;"
                + " the local pool holds \(Show.count(total, "code"))"
            if skipped > 0 { summary += "; \(Show.count(skipped)) skipped (they do not match payload.codePattern)" }
            print(summary)
        }
    }
}

/// `lineagent pool import --config FILE CODES-FILE`.
struct PoolImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the codes of a file to the local pool: one code per line (bare or QR payload), # comments.",
        discussion: "Every line is checked first: one bad line is reported as FILE:LINE and nothing is imported (exit 1).")

    @OptionGroup var options: AgentConfigOption

    @Argument(help: "The file of codes.", completion: .file())
    var file: String

    func run() async throws {
        let plan = try options.loadPlan()
        try await operatorRun("pool import") {
            let rules = try plan.payloadRules()
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw OperatorError("\(file): cannot read the file; nothing was imported")
            }
            let store = try plan.openOutbox()
            let added = try await store.importPool(from: file, rules: rules)
            print("pool import: \(Show.count(added, "new code")) from \(file); the local pool holds \(Show.count(try store.poolCount(), "code"))")
        }
    }
}
