import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

@Suite("Bad input: a 4xx with the stable error code, nothing half-applied")
struct BadInputTests {
    static let batchPath = "/v1/activations"

    func validBody(_ code: String, id: UUID = UUID()) -> String {
        #"{"batchId":"\#(id.uuidString)","lineId":"l1","equipmentId":"c1","items":[{"code":"\#(code)","activatedAt":"2026-11-21T22:10:05+05:00","productCode":"P1"}]}"#
    }

    @Test("invalid JSON, wrong types, missing fields")
    func malformedBodies() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                let cases: [(String, Int, ErrorCode, String?)] = [
                    ("{not json", 400, .invalidJSON, nil),
                    ("", 400, .invalidJSON, nil),
                    (#"{"batchId":"\#(UUID())","lineId":5,"equipmentId":"c","items":[]}"#, 422, .invalidField, "lineId"),
                    (#"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c","items":"x"}"#, 422, .invalidField, "items"),
                    (#"{"batchId":"nope","lineId":"l","equipmentId":"c","items":[]}"#, 422, .invalidField, "batchId"),
                    (#"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c","items":[{"code":"\#(codes[0])","activatedAt":"2026-11-21 10:00:00","productCode":"P"}]}"#,
                     422, .invalidField, "items[0].activatedAt"),
                    (#"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c","items":[{"code":"\#(codes[0])","activatedAt":"2026-11-21T10:00:00Z","productCode":"P Q"}]}"#,
                     422, .invalidField, "items[0].productCode"),
                    (#"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c"}"#, 422, .missingField, "items"),
                    (#"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c","items":[{"code":"\#(codes[0])","productCode":"P"}]}"#,
                     422, .missingField, "items[0].activatedAt"),
                    (#"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c","items":[]}"#, 422, .invalidField, "items"),
                ]
                for (body, status, code, field) in cases {
                    let response = try await post(client, Self.batchPath, body)
                    #expect(response.status == status, "\(body)")
                    let error = errorBody(response)
                    #expect(error?.code == code, "\(body)")
                    if let field { #expect(error?.details?["field"] == field, "\(body)") }
                    #expect(error?.message.contains("Swift") != true && error?.message.contains(".swift") != true)
                }
                let status = try await client.code(codes[0]).status
                #expect(status == .issued)
            }
        }
    }

    @Test("a 100 MB body is refused with 413 body_too_large")
    func hugeBody() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("producerA") { client in
                let huge = [UInt8](repeating: UInt8(ascii: " "), count: 100 << 20)
                let response = try await client.raw(method: "POST", path: Self.batchPath, body: huge)
                #expect(response.status == 413)
                #expect(errorBody(response)?.code == .bodyTooLarge)
            }
        }
    }

    @Test("a code of 10 KB is refused with 422 code_too_long and the batch is not applied")
    func longCode() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                let long = String(repeating: "A", count: 10 * 1024)
                let batch = ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c", items: items([codes[0], long]))
                do {
                    _ = try await client.activate(batch)
                    Issue.record("accepted")
                } catch {
                    #expect(error.errorCode == .codeTooLong)
                    if case .server(let status, let body, _)? = error as? QazClientError {
                        #expect(status == 422)
                        #expect(body.details?["field"] == "items[1].code")
                    }
                }
                let status = try await client.code(codes[0]).status
                #expect(status == .issued)
                // The same on a look-up
                do { _ = try await client.code(long); Issue.record("accepted") } catch { #expect(error.errorCode == .codeTooLong) }
            }
        }
    }

    @Test("duplicate codes inside one batch are refused with 422 duplicate_code, nothing applied")
    func duplicates() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(2, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                // The URL form and the bare form of one code are the same code.
                let batch = ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c",
                                            items: items([codes[1], codes[0], "https://qr.example.kz/c/\(codes[0])"]))
                do { _ = try await client.activate(batch); Issue.record("accepted") } catch {
                    #expect(error.errorCode == .duplicateCode)
                    #expect(!error.isRetryable)
                }
                let status = try await client.code(codes[1]).status
                #expect(status == .issued)
                await #expect(throws: QazClientError.self) { _ = try await client.activation(batchId: batch.batchId) }
            }
        }
    }

    @Test("more than 10,000 items is 413 batch_too_large")
    func tooManyItems() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("producerA") { client in
                let batch = ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c",
                                            items: items((0..<10_001).map { makeCode("QZA", $0) }))
                do { _ = try await client.activate(batch); Issue.record("accepted") } catch {
                    #expect(error.errorCode == .batchTooLarge)
                    if case .server(let status, _, _)? = error as? QazClientError { #expect(status == 413) }
                }
            }
        }
    }

    @Test("no token, unknown token, expired token, revoked token → 401; wrong role → 403")
    func authentication() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            for (who, code) in [("qzt_00000000_unknown", ErrorCode.unauthenticated), ("expired", .tokenExpired)] {
                try await registrar.with(who) { client in
                    let response = try await post(client, Self.batchPath, validBody(codes[0]))
                    #expect(response.status == 401)
                    #expect(errorBody(response)?.code == code)
                    #expect(response.header("WWW-Authenticate") == "Bearer")
                }
            }
            try await registrar.with("producerA") { client in
                let response = try await client.raw(method: "POST", path: Self.batchPath, body: Array(validBody(codes[0]).utf8), authorized: false)
                #expect(response.status == 401 && errorBody(response)?.code == .unauthenticated)
            }
            // Revoked
            let (token, record) = try await TokenService(store: registrar.store).issue(participant: producerA, role: .producer)
            #expect(try await registrar.store.revokeToken(id: record.id, at: .now))
            try await registrar.with(token) { client in
                let response = try await post(client, Self.batchPath, validBody(codes[0]))
                #expect(response.status == 401 && errorBody(response)?.code == .unauthenticated)
            }
            // The factory may not activate; a producer may not submit waybills
            try await registrar.with("factory") { client in
                let response = try await post(client, Self.batchPath, validBody(codes[0]))
                #expect(response.status == 403 && errorBody(response)?.code == .forbidden)
            }
            try await registrar.with("producerA") { client in
                do { _ = try await client.submitWaybill(makeWaybill(number: "W9", to: producerA, prefix: "QZW", count: 1)); Issue.record("accepted") }
                catch { #expect(error.errorCode == .forbidden) }
                let status = try await client.code(codes[0]).status
                #expect(status == .issued)
            }
        }
    }

    @Test("another producer's codes: look-up and pool 403 not_owner, write-off refused whole, activation answers foreign")
    func otherProducersCodes() async throws {
        try await withRegistrar { registrar in
            let mine = try await registrar.issue(1, to: producerA, prefix: "QZA")
            let theirs = try await registrar.issue(1, to: producerB, prefix: "QZB", series: "BB")
            try await registrar.with("producerA") { client in
                do { _ = try await client.code(theirs[0]); Issue.record("accepted") } catch { #expect(error.errorCode == .notOwner) }
                do { _ = try await client.pool(bin: producerB); Issue.record("accepted") } catch { #expect(error.errorCode == .notOwner) }
                do {
                    _ = try await client.writeOff(WriteOffRequest(writtenOffAt: .now, reason: "damaged", codes: [mine[0], theirs[0]]))
                    Issue.record("accepted")
                } catch {
                    #expect(error.errorCode == .notOwner)
                }
                #expect(try await client.code(mine[0]).status == .issued, "nothing half-applied")
                let (receipt, _) = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c", items: items(theirs)))
                #expect(receipt.results.map(\.result) == [.foreign])
            }
            #expect(try await registrar.store.code(StampCode(trusted: theirs[0]))?.status == .issued)
        }
    }

    @Test("over the participant's rate limit → 429 rate_limited with Retry-After; the client waits and retries")
    func rateLimit() async throws {
        var limits = LimitsConfiguration()
        // One token per 4 s.
        limits.requestsPerSecond = 0.25
        limits.burst = 2
        try await withRegistrar(limits: limits) { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                _ = try await client.code(codes[0])
                _ = try await client.code(codes[0])
                // The burst is spent. A starved test process (parallel suites on 2 cores) can take seconds per request
                // and earn a token back meanwhile, so the limit must show within a few more requests.
                var limited: (any Error)?
                for _ in 0..<6 where limited == nil {
                    do { _ = try await client.code(codes[0]) } catch { limited = error }
                }
                if let error = limited {
                    #expect(error.errorCode == .rateLimited)
                    #expect(error.isRetryable)
                    let wait = error.retryAfter ?? .zero
                    #expect(wait >= .seconds(1) && wait <= .seconds(4), "Retry-After \(wait)")
                } else {
                    Issue.record("not limited")
                }
            }
            // A client allowed to retry honours Retry-After and gets through.
            try await registrar.with("producerA", maxAttempts: 3) { client in
                let start = ContinuousClock.now
                let status = try await client.code(codes[0]).status
                #expect(status == .issued)
                #expect(start.duration(to: .now) < .seconds(10))
            }
            // Another participant has its own bucket.
            try await registrar.with("producerB") { client in
                let page = try await client.pool(bin: producerB)
                #expect(page.items.isEmpty)
            }
        }
    }
}
