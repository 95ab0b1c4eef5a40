import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

@Suite("Waybills, look-ups, pools, write-offs and service endpoints (in process, through the router)")
struct WaybillAndLookupTests {
    @Test("a waybill issues its codes; a re-send is answered again; a changed re-send is 409")
    func waybill() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("factory") { client in
                let waybill = makeWaybill(number: "WB-1", to: producerA, prefix: "QZA", start: 100, count: 5)
                let receipt = try await client.submitWaybill(waybill)
                #expect(receipt.issued == 5 && receipt.recipient == producerA && receipt.month == ReportingMonth("2026-11"))
                #expect(try await client.submitWaybill(waybill) == receipt)
                var changed = waybill
                changed.recipient.name = "Someone else"
                do { _ = try await client.submitWaybill(changed); Issue.record("accepted") } catch {
                    #expect(error.errorCode == .idempotencyConflict)
                }
                let info = try await client.code(waybill.codes[0].code)
                #expect(info.status == .issued && info.owner == producerA && info.waybillNumber == "WB-1")
                #expect(info.number == StampNumber(100) && info.productName == "Vodka Test")
            }
            let counters = try await registrar.store.monthlyCounters(participant: producerA)
            #expect(counters.map(\.received) == [5])
        }
    }

    @Test("quantity, ranges and codes must agree, or the whole waybill is refused with the reason",
          arguments: ["quantity", "range", "outside", "twice", "overlap", "malformed"])
    func waybillMismatch(_ kind: String) async throws {
        try await withRegistrar { registrar in
            try await registrar.with("factory") { client in
                var waybill = makeWaybill(number: "WB-\(kind)", to: producerA, prefix: "QZA", count: 4)
                var expected = ErrorCode.waybillMismatch
                switch kind {
                case "quantity": waybill.quantity = 5
                case "range": waybill.ranges[0].last = StampNumber(9)!
                case "outside": waybill.codes[3].number = StampNumber(50)!
                case "twice": waybill.codes[3].number = StampNumber(1)!
                case "overlap":
                    waybill.ranges = [WaybillRange(series: StampSeries("AB")!, first: StampNumber(1)!, last: StampNumber(2)!),
                                      WaybillRange(series: StampSeries("AB")!, first: StampNumber(2)!, last: StampNumber(3)!)]
                default:
                    waybill.codes[2].code = "bad code"
                    expected = .invalidField
                }
                do { _ = try await client.submitWaybill(waybill); Issue.record("accepted") } catch {
                    #expect(error.errorCode == expected)
                    if case .server(let status, let body, _)? = error as? QazClientError {
                        #expect(status == 422)
                        let reason = body.details?["reason"] ?? ""
                        #expect(expected != .waybillMismatch || reason.count > 10, "reason: \(reason)")
                    }
                }
                do { _ = try await client.code(waybill.codes[0].code); Issue.record("half-applied") } catch {
                    #expect(error.errorCode == .notFound)
                }
            }
        }
    }

    @Test("stamp number 000000000 is no stamp (App. 6 element 1): a range starting at it or a code on it is 422 naming the field")
    func stampNumberZero() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("factory") { client in
                // Stamps 000000000-000000002 (the range and its first code)
                let fromZero = makeWaybill(number: "WB-ZERO", to: producerA, prefix: "QZA", start: 0, count: 3)
                #expect(fromZero.ranges[0].first.description == "000000000")
                var onZero = makeWaybill(number: "WB-ZERO-CODE", to: producerA, prefix: "QZA", start: 1, count: 3)
                onZero.ranges[0].first = StampNumber(0)!  // a code listed on stamp 0 inside a range that starts there
                onZero.codes[0].number = StampNumber(0)!
                var codeOnly = makeWaybill(number: "WB-ZERO-ONLY", to: producerA, prefix: "QZA", start: 1, count: 3)
                codeOnly.codes[2].number = StampNumber(0)!
                for (waybill, field) in [(fromZero, "ranges[0].first"), (onZero, "ranges[0].first"), (codeOnly, "codes[2].number")] {
                    let answer = try await client.raw(method: "POST", path: "/v1/waybills", body: Array(try WireCoding.encoder().encode(waybill)))
                    #expect(answer.status == 422, "\(waybill.number): \(answer.status)")
                    let error = errorBody(answer)
                    #expect(error?.code == .invalidField && error?.details?["field"] == field, "\(waybill.number): \(String(describing: error))")
                    #expect(error?.message.contains("000000000 is not a stamp number") == true)
                    do { _ = try await client.code(waybill.codes[1].code); Issue.record("half-applied") } catch {
                        #expect(error.errorCode == .notFound)
                    }
                }
                // 000000001 is the first stamp
                #expect(try await client.submitWaybill(makeWaybill(number: "WB-ONE", to: producerA, prefix: "QZA", start: 1, count: 1)).issued == 1)
            }
        }
    }

    @Test("codes issued before refuse the whole waybill with 409 already_issued")
    func alreadyIssued() async throws {
        try await withRegistrar { registrar in
            _ = try await registrar.issue(2, to: producerA, prefix: "QZA", start: 1)
            try await registrar.with("factory") { client in
                // Stamps 2-3: stamp 2 was issued by the first waybill.
                let waybill = makeWaybill(number: "WB-2", to: producerA, prefix: "QZA", start: 2, count: 2)
                do { _ = try await client.submitWaybill(waybill); Issue.record("accepted") } catch {
                    #expect(error.errorCode == .alreadyIssued)
                }
                do { _ = try await client.code(waybill.codes[1].code); Issue.record("half-applied") } catch {
                    #expect(error.errorCode == .notFound)
                }
            }
            #expect(try await registrar.store.monthlyCounters(participant: producerA).map(\.received) == [2])
        }
    }

    @Test("a pool pages through a producer's issued codes in code order; status filters")
    func pools() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(25, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c", items: items([codes[0], codes[24]])))
                var seen = [String]()
                var after: String?
                var pages = 0
                repeat {
                    let page = try await client.pool(bin: producerA, after: after, limit: 10)
                    seen += page.items.map(\.code)
                    after = page.next
                    pages += 1
                } while after != nil && pages < 10
                #expect(seen == Array(codes[1...23]))
                #expect(pages == 3)
                #expect(try await client.pool(bin: producerA, status: .activated).items.map(\.code) == [codes[0], codes[24]])
                let bad = try await client.raw(method: "GET", path: "/v1/pools/\(producerA)/codes?limit=0", body: nil)
                #expect(bad.status == 422 && errorBody(bad)?.code == .invalidField)
            }
            // The revenue body reads every pool.
            let count = try await registrar.with("revenue") { client in try await client.pool(bin: producerA, limit: 5).items.count }
            #expect(count == 5)
        }
    }

    @Test("a pool cursor with a NUL in it pages as the text before the NUL (PostgreSQL's text holds no NUL)", arguments: TestBackend.allCases)
    func poolCursorWithNUL(backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.issue(5, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                let response = try await client.raw(method: "GET", path: "/v1/pools/\(producerA)/codes?after=\(codes[1])%00ZZ&limit=10", body: nil)
                #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
                let page = try JSONDecoder().decode(CodePage.self, from: Data(response.body))
                #expect(page.items.map(\.code) == Array(codes[2...]))
            }
        }
    }

    @Test("write-offs: issued → writtenOff, then alreadyWrittenOff; activated codes are not written off")
    func writeOffs() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(3, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c", items: items([codes[2]])))
                let request = WriteOffRequest(writtenOffAt: .now, reason: "damaged", codes: [codes[0], codes[2], makeCode("QZX", 1), "??"])
                let receipt = try await client.writeOff(request)
                #expect(receipt.results.map(\.result) == [.writtenOff, .activated, .unknown, .malformed])
                #expect(try await client.writeOff(request).results.first?.result == .alreadyWrittenOff)
                let info = try await client.code(codes[0])
                #expect(info.status == .writtenOff && info.writeOffReason == "damaged")
            }
        }
    }

    @Test("/health, /ready, /metrics, /openapi.yaml; unknown routes answer in the error shape")
    func serviceEndpoints() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "c", items: items(codes)))
                for path in ["/health", "/ready"] {
                    let response = try await client.raw(method: "GET", path: path, body: nil, authorized: false)
                    #expect(response.status == 200)
                    #expect(try WireCoding.decoder().decode(HealthStatus.self, from: Data(response.body)).status == "ok")
                }
                let metrics = try await client.raw(method: "GET", path: "/metrics", body: nil, authorized: false)
                let text = String(decoding: metrics.body, as: UTF8.self)
                #expect(text.contains(#"qaz_activation_items_total{result="activated"} 1"#))
                #expect(text.contains("qaz_http_requests_total"))
                let document = try await client.raw(method: "GET", path: "/openapi.yaml", body: nil, authorized: false)
                #expect(String(decoding: document.body, as: UTF8.self).hasPrefix("openapi: 3.1"))
                let missing = try await client.raw(method: "GET", path: "/v2/nothing", body: nil)
                #expect(missing.status == 404 && errorBody(missing)?.code == .notFound)
                let badID = try await client.raw(method: "GET", path: "/v1/activations/not-a-uuid", body: nil)
                #expect(badID.status == 422 && errorBody(badID)?.code == .invalidField)
                let wrongType = try await client.raw(method: "POST", path: "/v1/activations", body: Array("{}".utf8),
                                                     headers: [("Content-Type", "text/plain")])
                #expect(wrongType.status == 415 && errorBody(wrongType)?.code == .unsupportedMediaType)
                let wrongMethod = try await client.raw(method: "DELETE", path: "/v1/activations", body: nil)
                #expect(wrongMethod.status == 404 || wrongMethod.status == 405, "\(wrongMethod.status)")
                #expect(errorBody(wrongMethod) != nil)
                let unknown = try await client.raw(method: "GET", path: "/v1/codes/\(makeCode("QZX", 5))", body: nil)
                #expect(unknown.status == 404 && errorBody(unknown)?.code == .notFound)
            }
        }
    }
}
