import Foundation
import LineAgentTesting
import LineCore
import Outbox
import QazClient
import Testing
@testable import LineAgent

@Suite("lineagent pool sync|import", .serialized)
struct PoolCommandsTests {
    @Test("import adds the codes of a good file (bare and URL form, comments, blank lines); again adds none")
    func importGoodFile() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let file = fixture.directory.appendingPathComponent("pool.txt").path
        try """
        # codes of waybill WB-1
        \(stamp(1).rawValue)
        https://qr.example.kz/c/\(stamp(2).rawValue)

        \(stamp(3).rawValue)
        """.write(toFile: file, atomically: true, encoding: .utf8)

        let run = try await lineagent(["pool", "import", "--config", fixture.configPath, file])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout == "pool import: 3 new codes from \(file); the local pool holds 3 codes\n")
        let store = try fixture.store()
        #expect(try store.poolCount() == 3)
        #expect(try store.poolContains(stamp(2)))

        let again = try await lineagent(["pool", "import", "--config", fixture.configPath, file])
        #expect(again.stdout == "pool import: 0 new codes from \(file); the local pool holds 3 codes\n")
    }

    @Test("import of a file with a bad line: file:line on stderr, exit 1, nothing imported")
    func importBadLine() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let file = fixture.directory.appendingPathComponent("pool.txt").path
        try "\(stamp(1).rawValue)\n\(stamp(2).rawValue)\nhttps://evil.example.com/c/\(stamp(3).rawValue)\n\(stamp(4).rawValue)\n"
            .write(toFile: file, atomically: true, encoding: .utf8)

        let run = try await lineagent(["pool", "import", "--config", fixture.configPath, file])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("lineagent pool import: \(file):3: not a code: "), "\(run)")
        #expect(run.stderr.hasSuffix("; nothing was imported\n"))
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(try fixture.store().poolCount() == 0)

        let missing = try await lineagent(["pool", "import", "--config", fixture.configPath, "/nonexistent/pool.txt"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "lineagent pool import: /nonexistent/pool.txt: cannot read the file; nothing was imported\n")
    }

    @Test("sync pages through the real registrar's pool into the local pool, progress on stderr; again adds none")
    func syncFromRegistrar() async throws {
        try await withAgentAndRegistrar(codes: 2_500) { fixture, client in
            // Given one code already activated at the registrar (it is no longer "issued")
            let batch = ActivationBatchFixture.one(stamp(7))
            _ = try await client.activate(batch)

            // When the operator syncs the pool, 1,000 codes per page
            let run = try await lineagent(["pool", "sync", "--config", fixture.configPath, "--page-size", "1000"])

            // Then every issued code is in the local pool, and the activated one is not
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == "pool sync: 2,499 codes issued to \(fixture.producer) at the registrar, 2,499 new; the local pool holds 2,499 codes\n")
            #expect(run.stderr.contains("pool sync: page 1: 1,000 codes fetched, 1,000 new"))
            #expect(run.stderr.contains("pool sync: page 3: 2,499 codes fetched, 2,499 new"))
            let store = try fixture.store()
            #expect(try store.poolCount() == 2_499)
            #expect(try store.poolContains(stamp(0)))
            #expect(try store.poolContains(stamp(2_499)))
            #expect(try !store.poolContains(stamp(7)))

            let again = try await lineagent(["pool", "sync", "--config", fixture.configPath, "--quiet"])
            #expect(again.status == 0)
            #expect(again.stdout.contains("2,499 codes issued to \(fixture.producer) at the registrar, 0 new"))
            #expect(again.stderr.isEmpty)
        }
    }

    @Test("sync with a token the registrar refuses: one line naming the credential file, exit 1")
    func syncBadToken() async throws {
        let producer = validBIN("97010112345")
        try await withRegistrar(codes: 10, producer: producer) { url, _, _ in
            let fixture = try AgentFixture(producer: producer, registrar: url, token: "qzt_wrong")
            defer { fixture.cleanup() }
            let run = try await lineagent(["pool", "sync", "--config", fixture.configPath])
            #expect(run.status == 1)
            #expect(run.stderr.hasPrefix("lineagent pool sync: registrar answered 401"), "\(run)")
            #expect(run.stderr.contains("server.credentialFile \(fixture.tokenPath)"))
            #expect(run.stderr.split(separator: "\n").count == 1)
            #expect(try fixture.store().poolCount() == 0)
        }
    }

    @Test("sync with the registrar down: names server.url, exit 1")
    func syncRegistrarDown() async throws {
        let fixture = try AgentFixture(registrar: "http://127.0.0.1:1")
        defer { fixture.cleanup() }
        let run = try await lineagent(["pool", "sync", "--config", fixture.configPath])
        #expect(run.status == 1)
        #expect(run.stderr == "lineagent pool sync: cannot reach the registrar at http://127.0.0.1:1 (server.url in \(fixture.configPath)): connection refused\n",
                "\(run)")
    }
}
