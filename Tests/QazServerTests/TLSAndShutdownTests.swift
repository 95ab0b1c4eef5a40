import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import ServiceLifecycle
import Testing

/// PEM files made with the openssl CLI: a CA, a server certificate for 127.0.0.1, a client certificate.
struct TestPKI {
    let directory: URL
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func make() throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\n".write(to: directory.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let steps: [[String]] = [
            ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=QazLine Test CA"],
            ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
             "-days", "2", "-extfile", "san.ext"],
            ["req"] + ec + ["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=line-agent"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2"],
        ]
        for arguments in steps { try AccessControlTests.openssl(arguments, in: directory) }
        return TestPKI(directory: directory)
    }
}

@Suite("TLS with a custom CA and client certificates; graceful shutdown")
struct TLSAndShutdownTests {
    @Test("mutual TLS: a client with the CA and its certificate gets through; without them the failure is a connection error")
    func mutualTLS() async throws {
        let pki = try TestPKI.make()
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let files = ServerTLSFiles(certificate: pki.path("server.pem"), privateKey: pki.path("server.key"), clientCA: pki.path("ca.pem"))
        try await withRegistrar(tls: files) { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            let good = try registrar.client("producerA", tls: ClientTLS(caFile: pki.path("ca.pem"), certificateFile: pki.path("client.pem"),
                                                                      privateKeyFile: pki.path("client.key")))
            // Shut the client down whatever happens: an HTTPClient released without shutdown aborts the whole test process.
            let status: CodeStatus?
            do { status = try await good.code(codes[0]).status } catch {
                Issue.record("with the CA and a client certificate: \(error)")
                status = nil
            }
            try await good.shutdown()
            #expect(status == .issued)

            for tls in [ClientTLS(caFile: pki.path("ca.pem")), ClientTLS()] {
                try await registrar.client("producerA", tls: tls).closing { client in
                    do {
                        _ = try await client.code(codes[0])
                        Issue.record("connected without \(tls.certificateFile == nil ? "a client certificate" : "the CA")")
                    } catch {
                        guard case .connection? = error as? QazClientError else { Issue.record("expected a connection error, got \(error)"); return }
                        #expect(error.isRetryable)
                    }
                }
            }
        }
    }

    @Test("graceful shutdown: an in-flight batch is answered whole, or not acknowledged and not half-applied")
    func gracefulShutdown() async throws {
        try await withRegistrar(over: .socket, backend: .sqliteFile) { registrar in
            let codes = try await registrar.issue(5_000, to: producerA, prefix: "QZA")
            let client = try registrar.client("producerA")
            let batch = ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c", items: items(codes))
            async let answer: Result<Int, QazClientError> = {
                do { return .success(try await client.activate(batch).receipt.summary.activated) } catch let error as QazClientError { return .failure(error) } catch { return .failure(.connection("\(error)")) }
            }()
            try await Task.sleep(for: .milliseconds(30))
            await registrar.group.triggerGracefulShutdown()
            let result = await answer
            try await client.shutdown()
            let activated = try await registrar.store.pool(owner: producerA, status: .activated, after: nil, limit: 10_000).count
            let stored = try await registrar.store.activation(batchId: batch.batchId)
            switch result {
            case .success(let count):
                #expect(count == 5_000 && activated == 5_000 && stored != nil)
            case .failure(let error):
                #expect(error.isRetryable, "\(error)")
                #expect(activated == 0 || activated == 5_000, "all or nothing")
                #expect((stored != nil) == (activated == 5_000))
            }
        }
    }
}
