import Logging
import Foundation
import LineAgentTesting
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// Issue 8, "no one gets in": roles and ownership over real loopback HTTP on every backend, token expiry and
/// revocation, tokens at rest, and TLS verification by the client.
@Suite("Access control: ownership, roles, expired and revoked tokens, tokens at rest, TLS verification")
struct AccessControlTests {
    /// The status and error code of an answer that must be an error.
    func refusal(_ body: () async throws -> Void) async -> (status: Int, code: ErrorCode)? {
        do {
            try await body()
            return nil
        } catch let QazClientError.server(status, error, _) {
            return (status, error.code)
        } catch {
            Issue.record("expected an error answer, got \(error)")
            return nil
        }
    }

    @Test("a producer cannot activate, look up, write off, list, report on or read batches of another producer's codes",
          arguments: TestBackend.allCases)
    func producerIsolation(backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            // Given codes of producer B, one activated by B
            let codesB = try await registrar.issue(4, to: producerB, prefix: "QZB")
            let batchB = ActivationBatch(batchId: UUID(), lineId: "b-line", equipmentId: "b-cam", items: items([codesB[3]]))
            try await registrar.with("producerB") { client in _ = try await client.activate(batchB) }

            try await registrar.with("producerA") { a in
                // When A activates B's code, it is answered foreign and stays issued
                let receipt = try await a.activate(ActivationBatch(batchId: UUID(), lineId: "a-line", equipmentId: "a-cam", items: items([codesB[0]])))
                #expect(receipt.receipt.results.map(\.result) == [.foreign])
                #expect(receipt.receipt.summary.activated == 0)

                // A look-up of B's code is 403 not_owner and the answer carries none of the code's details
                let lookUp = try await a.raw(method: "GET", path: "/v1/codes/\(codesB[3])", body: nil)
                #expect(lookUp.status == 403)
                #expect(errorBody(lookUp)?.code == .notOwner)
                let text = String(decoding: lookUp.body, as: UTF8.self)
                for detail in ["\"owner\"", "\"status\"", "waybillNumber", "activatedAt", "b-line", "b-cam", producerB.rawValue, "WB-"] {
                    #expect(!text.contains(detail), "the refusal leaks \(detail): \(text)")
                }

                // Writing off B's code is refused whole
                let writeOff = await refusal {
                    _ = try await a.writeOff(WriteOffRequest(writtenOffAt: Timestamp(text: "2026-11-21T10:00:00+05:00")!, reason: "damaged",
                                                             codes: [codesB[1]]))
                }
                #expect(writeOff?.status == 403 && writeOff?.code == .notOwner, "\(String(describing: writeOff))")

                // B's pool, B's reports and B's stored batch are not A's to read
                let pool = await refusal { _ = try await a.pool(bin: producerB) }
                #expect(pool?.status == 403 && pool?.code == .notOwner, "\(String(describing: pool))")
                for report in ["qr-usage", "qr-activation"] {
                    let answer = try await a.raw(method: "GET", path: "/v1/reports/\(report)?bin=\(producerB)&month=2026-11", body: nil)
                    #expect(answer.status == 403, "\(report): \(answer.status)")
                    #expect(errorBody(answer)?.code == .notOwner)
                }
                let stored = await refusal { _ = try await a.activation(batchId: batchB.batchId) }
                #expect(stored?.status == 404 && stored?.code == .notFound, "\(String(describing: stored))")
                // App. 8 import reports are the importer's
                let importReport = try await post(a, "/v1/import-reports", """
                    {"reportId":"\(UUID().uuidString)","rows":[{"code":"\(codesB[2])","stamp":{"series":"AB","number":"000000003"},"affixedAt":"2026-11-21T10:00:00+05:00"}]}
                    """)
                #expect(importReport.status == 403)
                #expect(errorBody(importReport)?.code == .forbidden)
            }

            // Then nothing of B's changed: three codes issued, one activated by B's own line
            let issued = try await registrar.store.pool(owner: producerB, status: .issued, after: nil, limit: 10).map(\.code)
            #expect(issued == Array(codesB.prefix(3)))
            let info = try #require(try await registrar.store.code(StampCode(trusted: codesB[3])))
            #expect(info.status == .activated && info.lineId == "b-line")
        }
    }

    @Test("revenue body and banknote factory: neither activates nor writes off; the revenue body reads everything",
          arguments: [TestBackend.sqliteFile, .postgres])
    func roles(backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.issue(3, to: producerA, prefix: "QZA")
            let writeOff = WriteOffRequest(writtenOffAt: Timestamp(text: "2026-11-21T10:00:00+05:00")!, reason: "damaged", codes: [codes[1]])
            for who in ["revenue", "factory"] {
                try await registrar.with(who) { client in
                    let activation = await refusal {
                        _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e", items: items([codes[0]])))
                    }
                    #expect(activation?.status == 403 && activation?.code == .forbidden, "\(who) activate: \(String(describing: activation))")
                    let writtenOff = await refusal { _ = try await client.writeOff(writeOff) }
                    #expect(writtenOff?.status == 403 && writtenOff?.code == .forbidden, "\(who) write-off: \(String(describing: writtenOff))")
                }
            }
            try await registrar.with("revenue") { revenue in
                // The revenue body cannot issue stamps either
                let waybill = await refusal {
                    _ = try await revenue.submitWaybill(makeWaybill(number: "WB-REV", to: producerA, prefix: "QZR", count: 1))
                }
                #expect(waybill?.status == 403 && waybill?.code == .forbidden, "\(String(describing: waybill))")
                // but reads any participant's codes and reports
                #expect(try await revenue.code(codes[0]).owner == producerA)
                let report = try await revenue.raw(method: "GET", path: "/v1/reports/qr-usage?bin=\(producerA)&month=2026-11", body: nil)
                #expect(report.status == 200)
            }
            // Nothing was activated or written off
            #expect(try await registrar.store.pool(owner: producerA, status: .issued, after: nil, limit: 10).count == 3)
        }
    }

    @Test("an expired token is 401 token_expired; a revoked, altered, missing or non-Bearer token is 401 unauthenticated",
          arguments: [TestBackend.sqliteFile, .postgres])
    func expiredAndRevoked(backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            let path = "/v1/codes/\(codes[0])"
            let service = TokenService(store: registrar.store)
            let (token, record) = try await service.issue(participant: producerA, role: .producer)
            try await registrar.with(token) { client in
                #expect(try await client.raw(method: "GET", path: path, body: nil).status == 200, "the fresh token works")
                #expect(try await registrar.store.revokeToken(id: record.id, at: .now))
                let revoked = try await client.raw(method: "GET", path: path, body: nil)
                #expect(revoked.status == 401 && errorBody(revoked)?.code == .unauthenticated, "revoked: \(revoked.status)")
            }
            try await registrar.with("expired") { client in
                let expired = try await client.raw(method: "GET", path: path, body: nil)
                #expect(expired.status == 401 && errorBody(expired)?.code == .tokenExpired, "expired: \(expired.status)")
                #expect(expired.header("WWW-Authenticate") == "Bearer")
            }
            // A token that expires in the near future works until then
            let (shortLived, _) = try await service.issue(participant: producerA, role: .producer,
                                                          expiresAt: Timestamp(milliseconds: Timestamp.now.milliseconds + 1_500))
            try await registrar.with(shortLived) { client in
                #expect(try await client.raw(method: "GET", path: path, body: nil).status == 200)
                try await Task.sleep(for: .milliseconds(1_600))
                let later = try await client.raw(method: "GET", path: path, body: nil)
                #expect(later.status == 401 && errorBody(later)?.code == .tokenExpired)
            }
            // One changed character of a valid token, no token, another scheme
            let good = try #require(registrar.tokens["producerA"])
            let altered = String(good.dropLast()) + (good.last == "A" ? "B" : "A")
            try await registrar.with(altered) { client in
                let answer = try await client.raw(method: "GET", path: path, body: nil)
                #expect(answer.status == 401 && errorBody(answer)?.code == .unauthenticated)
            }
            try await registrar.with("producerA") { client in
                let none = try await client.raw(method: "GET", path: path, body: nil, authorized: false)
                #expect(none.status == 401 && errorBody(none)?.code == .unauthenticated)
                let basic = try await client.raw(method: "GET", path: path, body: nil, headers: [("Authorization", "Basic \(good)")], authorized: false)
                #expect(basic.status == 401 && errorBody(basic)?.code == .unauthenticated)
            }
        }
    }

    @Test("qazserver token issue / revoke (the CLI): the issued token works over HTTP, the revoked one is refused")
    func revokeWithCLI() async throws {
        try await withRegistrar(backend: .sqliteFile) { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            let directory = try #require(registrar.directory)
            let config = directory.appendingPathComponent("server.yaml")
            try "storage:\n  backend: sqlite\n  path: registrar.sqlite\n".write(to: config, atomically: true, encoding: .utf8)
            guard let issued = try await runQazServer(["token", "issue", "--config", config.path, "--bin", producerA.rawValue, "--role", "producer",
                                                 "--expires", "1d"]) else {
                Issue.record("the qazserver binary is not next to the test bundle: run swift build --build-tests")
                return
            }
            #expect(issued.status == 0, "\(issued.stderr)")
            let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let id = try #require(token.split(separator: "_").dropFirst().first.map(String.init), "token \(token)")
            try await registrar.with(token) { client in
                #expect(try await client.code(codes[0]).status == .issued)
                let revoked = try #require(try await runQazServer(["token", "revoke", "--config", config.path, id]))
                #expect(revoked.status == 0 && revoked.stdout.contains("revoked \(id)"), "\(revoked.stderr)")
                let answer = try await client.raw(method: "GET", path: "/v1/codes/\(codes[0])", body: nil)
                #expect(answer.status == 401 && errorBody(answer)?.code == .unauthenticated)
                // Revoking again names the problem and fails
                let again = try #require(try await runQazServer(["token", "revoke", "--config", config.path, id]))
                #expect(again.status != 0 && again.stderr.contains("no active token \(id)"))
                let list = try #require(try await runQazServer(["token", "list", "--config", config.path]))
                #expect(list.stdout.contains(id) && list.stdout.contains("revoked") && !list.stdout.contains(token))
            }
        }
    }

    @Test("tokens are not stored in clear: no token text or secret in the SQLite files, only SHA-256 of the whole token")
    func tokensAtRest() async throws {
        try await withRegistrar(backend: .sqliteFile) { registrar in
            let directory = try #require(registrar.directory)
            let records = try await registrar.store.tokens()
            #expect(records.count == registrar.tokens.count)
            for (name, token) in registrar.tokens {
                let record = try #require(records.first { $0.hash == TokenService.hash(token) }, "no record hashed from \(name)'s token")
                #expect(token.hasPrefix("qzt_\(record.id)_"))
                #expect(record.hash.count == 32)
            }
            // Every byte SQLite wrote (main file, WAL, shared memory) is free of the token text and of its secret part
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("registrar.sqlite") }
            #expect(files.contains("registrar.sqlite"))
            var bytes = Data()
            for file in files { bytes += try Data(contentsOf: directory.appendingPathComponent(file)) }
            #expect(bytes.count > 4096)
            for (name, token) in registrar.tokens {
                let secret = String(token.split(separator: "_", maxSplits: 2).last ?? "")
                #expect(secret.count >= 40)
                #expect(bytes.range(of: Data(token.utf8)) == nil, "\(name)'s token is stored in clear")
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name)'s secret is stored in clear")
                // while its hash is there (so the check above looks at the right bytes)
                #expect(bytes.range(of: Data(TokenService.hash(token))) != nil, "\(name)'s hash not found in the database files")
            }
        }
    }

    @Test("TLS: a client trusting the test CA connects; the system trust store and a wrong host name are refused with a certificate error")
    func tlsVerification() async throws {
        let pki = try TestPKI.make()
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        let files = ServerTLSFiles(certificate: pki.path("server.pem"), privateKey: pki.path("server.key"))
        try await withRegistrar(tls: files) { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            /// The answer, or the client's error text.
            func attempt(_ baseURL: String, _ tls: ClientTLS?) async throws -> Result<CodeStatus, QazClientError> {
                let client = try QazAPIClient(configuration: QazClientConfiguration(
                    baseURL: baseURL, token: registrar.tokens["producerA"]!, requestTimeout: .seconds(20), tls: tls, maxAttempts: 1), logger: Logger(label: "test"))
                let result: Result<CodeStatus, QazClientError>
                do { result = .success(try await client.code(codes[0]).status) } catch { result = .failure(error) }
                try await client.shutdown()
                return result
            }
            // (a) trusting the CA that signed the server's certificate
            let trusted = try await attempt(registrar.baseURL, ClientTLS(caFile: pki.path("ca.pem")))
            #expect((try? trusted.get()) == .issued, "\(trusted)")

            // (b) the system trust store does not know the test CA
            let system = try await attempt(registrar.baseURL, ClientTLS())
            guard case .failure(.connection(let why)) = system else { Issue.record("system trust store: \(system)"); return }
            #expect(why.uppercased().contains("CERTIFICATE_VERIFY_FAILED"), "not a clear certificate error: \(why)")

            // and plain HTTP to the TLS port gets no answer
            let plain = try await attempt("http://127.0.0.1:\(registrar.port)", nil)
            if case .success = plain { Issue.record("plain HTTP was answered by the TLS server") }
        }

        // (c) a certificate from the same CA for another name (DNS registrar.example, no IP address): NIOSSL accepts a
        // certificate whose IP SAN matches the connected address whatever name was asked for, so the wrong-name
        // server's certificate must not name 127.0.0.1.
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "other.key",
                          "-out", "other.csr", "-subj", "/CN=registrar.example"], in: pki.directory)
        try "subjectAltName=DNS:registrar.example\n".write(to: pki.directory.appendingPathComponent("other.ext"), atomically: true, encoding: .utf8)
        try Self.openssl(["x509", "-req", "-in", "other.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "other.pem",
                          "-days", "2", "-extfile", "other.ext"], in: pki.directory)
        try await withRegistrar(tls: ServerTLSFiles(certificate: pki.path("other.pem"), privateKey: pki.path("other.key"))) { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            for host in ["localhost", "127.0.0.1"] {
                let client = try QazAPIClient(configuration: QazClientConfiguration(
                    baseURL: "https://\(host):\(registrar.port)", token: registrar.tokens["producerA"]!, requestTimeout: .seconds(20),
                    tls: ClientTLS(caFile: pki.path("ca.pem")), maxAttempts: 1), logger: Logger(label: "test"))
                do {
                    _ = try await client.code(codes[0])
                    Issue.record("\(host): connected to a server whose certificate names registrar.example")
                } catch QazClientError.connection(let why) {
                    #expect(why.lowercased().contains("hostname") || why.contains("registrar.example") || why.contains(host),
                            "\(host): not a clear host name error: \(why)")
                } catch {
                    Issue.record("\(host): expected a connection error, got \(error)")
                }
                try await client.shutdown()
            }
        }
    }

    static func openssl(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
        }
    }
}
