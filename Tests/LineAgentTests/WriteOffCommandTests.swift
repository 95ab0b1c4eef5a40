import Foundation
import LineAgentTesting
import LineCore
import Outbox
import QazAPI
import QazClient
import Testing
@testable import LineAgent

@Suite("lineagent write-off", .serialized)
struct WriteOffCommandTests {
    @Test("writes off damaged stamps at the real registrar, printing each code's result")
    func writeOff() async throws {
        try await withAgentAndRegistrar(codes: 20) { fixture, client in
            // When two codes (one in QR payload form) are written off as damaged with a note
            let run = try await lineagent(["write-off", "--config", fixture.configPath, stamp(1).rawValue,
                                           "https://qr.example.kz/c/\(stamp(2).rawValue)", "--reason", "damaged", "--note", "cap torn at the capper"])
            // Then each is reported written off and the registrar holds them so, with the reason
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout == """
                \(stamp(1).rawValue)  written off
                \(stamp(2).rawValue)  written off
                write-off (damaged: cap torn at the capper): 2 of 2 written off

                """)
            let info = try await client.code(stamp(1).rawValue)
            #expect(info.status == .writtenOff)
            #expect(info.writeOffReason == "damaged: cap torn at the capper")
            #expect(try await client.code(stamp(3).rawValue).status == .issued)
        }
    }

    @Test("write-offs made while a job runs count in the job's report, and are in the audit log")
    func writeOffCountsInTheJob() async throws {
        try await withAgentAndRegistrar(codes: 20) { fixture, _ in
            let started = try await lineagent(["job", "start", "--config", fixture.configPath, "--line", "line1", "--lot", "L-7"])
            #expect(started.status == 0, "\(started)")
            let run = try await lineagent(["write-off", "--config", fixture.configPath, stamp(4).rawValue, stamp(5).rawValue, "--reason", "damaged"])
            #expect(run.status == 0, "\(run)")
            let store = try fixture.store()
            let job = try #require(try await store.openJob(line: "line1"))
            #expect(try await store.jobReport(job.id).codesWrittenOff == 2)
            let ended = try await lineagent(["job", "end", "--config", fixture.configPath, "--line", "line1"])
            #expect(ended.status == 0 && ended.stdout.contains("job \(job.id) ended: 0 bottles"), "\(ended)")
            let shown = try await lineagent(["job", "show", "--config", fixture.configPath, String(job.id)])
            #expect(shown.stdout.contains("codes written off  2"), "\(shown)")
            #expect(try await store.auditLog().map(\.action) == ["job-end", "write-off", "job-start"])
        }
    }

    @Test("a written-off code leaves the local pool, so a bottle still carrying it is foreign")
    func writeOffLeavesThePool() async throws {
        try await withAgentAndRegistrar(codes: 20) { fixture, _ in
            // Given a local pool with the producer's codes
            let sync = try await lineagent(["pool", "sync", "--config", fixture.configPath])
            #expect(sync.status == 0, "\(sync)")
            #expect(try fixture.store().poolContains(stamp(7)))
            // When one is written off
            let run = try await lineagent(["write-off", "--config", fixture.configPath, stamp(7).rawValue, "--reason", "damaged"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("removed 1 from the local pool"), "\(run)")
            // Then it is no longer in the pool; the others are
            #expect(try !fixture.store().poolContains(stamp(7)))
            #expect(try fixture.store().poolContains(stamp(8)))
        }
    }

    @Test("an activated or never-issued code fails (exit 1) while the others are written off; a repeat is done")
    func mixedResults() async throws {
        try await withAgentAndRegistrar(codes: 20) { fixture, client in
            _ = try await client.activate(ActivationBatchFixture.one(stamp(5)))
            _ = try await lineagent(["write-off", "--config", fixture.configPath, stamp(6).rawValue, "--reason", "unused"])

            let run = try await lineagent(["write-off", "--config", fixture.configPath, "--reason", "damaged",
                                           stamp(4).rawValue, stamp(5).rawValue, stamp(6).rawValue, stamp(999).rawValue, stamp(4).rawValue])
            #expect(run.status == 1, "\(run)")
            #expect(run.stdout == """
                \(stamp(4).rawValue)  written off
                \(stamp(5).rawValue)  FAILED: already activated: an activated stamp cannot be written off
                \(stamp(6).rawValue)  already written off (nothing changed)
                \(stamp(999).rawValue)  FAILED: unknown to the registrar (never issued)
                write-off (damaged): 2 of 4 written off, 2 failed

                """)
            #expect(run.stderr == "write-off: 1 repeated code(s) sent once\n")
            #expect(try await client.code(stamp(4).rawValue).status == .writtenOff)
            #expect(try await client.code(stamp(5).rawValue).status == .activated)
        }
    }

    @Test("a bad code is named and nothing is sent")
    func badCode() async throws {
        try await withAgentAndRegistrar(codes: 20) { fixture, client in
            let run = try await lineagent(["write-off", "--config", fixture.configPath, "--reason", "damaged",
                                           stamp(1).rawValue, "qz-lower-case", "https://evil.example.com/c/\(stamp(2).rawValue)"])
            #expect(run.status == 1)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.hasPrefix("lineagent write-off: \"qz-lower-case\" is not a stamp code (code_mismatch"), "\(run)")
            #expect(run.stderr.contains("\"https://evil.example.com/c/\(stamp(2).rawValue)\" is not a stamp code (host_not_allowed"))
            #expect(run.stderr.hasSuffix("; nothing was sent\n"))
            #expect(try await client.code(stamp(1).rawValue).status == .issued)
        }
    }

    @Test("an unknown reason is refused by the command line")
    func unknownReason() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let run = try await lineagent(["write-off", "--config", fixture.configPath, stamp(1).rawValue, "--reason", "lost"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--reason"))
        #expect(run.stderr.contains("damaged"))
    }

    @Test("with the registrar down: names server.url, nothing written off, exit 1")
    func registrarDown() async throws {
        let fixture = try AgentFixture(registrar: "http://127.0.0.1:1")
        defer { fixture.cleanup() }
        let run = try await lineagent(["write-off", "--config", fixture.configPath, stamp(1).rawValue, "--reason", "damaged"])
        #expect(run.status == 1)
        #expect(run.stderr == "lineagent write-off: cannot reach the registrar at http://127.0.0.1:1 (server.url in \(fixture.configPath)): "
            + "connection refused; nothing was written off\n", "\(run)")
    }
}
