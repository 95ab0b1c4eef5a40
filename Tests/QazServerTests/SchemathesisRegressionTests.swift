import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// Each bug schemathesis found (scripts/schemathesis.sh), kept as a Swift regression over loopback HTTP.
@Suite("Regressions found by schemathesis")
struct SchemathesisRegressionTests {
    @Test("a known path with a method it does not answer is 405 method_not_allowed with Allow (was 404)")
    func methodNotAllowed() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("producerA") { client in
                for (method, path, allow) in [("TRACE", "/health", "GET"), ("DELETE", "/v1/activations", "POST"),
                                              ("PUT", "/v1/codes/QZA000000000000000001", "GET"), ("POST", "/openapi.yaml", "GET")] {
                    let answer = try await client.raw(method: method, path: path, body: nil, authorized: false)
                    #expect(answer.status == 405, "\(method) \(path): \(answer.status)")
                    #expect(answer.header("Allow") == allow, "\(method) \(path)")
                    #expect(errorBody(answer)?.code == .methodNotAllowed)
                }
                let unknown = try await client.raw(method: "TRACE", path: "/v2/nothing", body: nil)
                #expect(unknown.status == 404)
            }
        }
    }

    @Test("unknown fields in request bodies are 422 invalid_field naming the field (the document says additionalProperties: false)")
    func unknownFields() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(2, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                let batch = try await post(client, "/v1/activations", """
                    {"batchId":"\(UUID().uuidString)","lineId":"l","equipmentId":"e","items":[
                     {"code":"\(codes[0])","activatedAt":"2026-11-21T22:10:05+05:00","productCode":"DSN-1"},
                     {"code":"\(codes[1])","activatedAt":"2026-11-21T22:10:05+05:00","productCode":"DSN-1","productcode":"typo"}]}
                    """)
                #expect(batch.status == 422)
                #expect(errorBody(batch)?.details?["field"] == "items[1].productcode")
                let writeOff = try await post(client, "/v1/write-offs", """
                    {"writtenOffAt":"2026-11-21T22:10:05+05:00","reason":"damaged","codes":["\(codes[0])"],"extra":1}
                    """)
                #expect(writeOff.status == 422 && errorBody(writeOff)?.details?["field"] == "extra")
            }
            try await registrar.with("importerC") { client in
                let report = try await post(client, "/v1/import-reports", """
                    {"reportId":"\(UUID().uuidString)","rows":[{"code":"\(codes[0])","affixedAt":"2026-11-21T22:10:05+05:00",
                     "stamp":{"series":"AB","number":"000000001","x":42}}]}
                    """)
                #expect(report.status == 422 && errorBody(report)?.details?["field"] == "rows[0].stamp.x")
            }
            try await registrar.with("factory") { client in
                var waybill = try JSONSerialization.jsonObject(with: WireCoding.encoder().encode(
                    makeWaybill(number: "WB-X", to: producerA, prefix: "QZX", count: 1))) as! [String: Any]
                var recipient = waybill["recipient"] as! [String: Any]
                recipient["address"] = "Almaty"
                waybill["recipient"] = recipient
                let answer = try await client.raw(method: "POST", path: "/v1/waybills", body: Array(try JSONSerialization.data(withJSONObject: waybill)))
                #expect(answer.status == 422 && errorBody(answer)?.details?["field"] == "recipient.address")
            }
            // Nothing was applied
            #expect(try await registrar.store.pool(owner: producerA, status: .issued, after: nil, limit: 10).count == 2)
        }
    }

    @Test("lengths are counted as JSON Schema counts them (Unicode scalars): codes, identifiers, names")
    func lengths() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                // 200 characters, 600 bytes: within maxLength 512, answered per code as malformed (was 422 code_too_long)
                let wide = String(repeating: "Ж", count: 200) + "ж"
                let receipt = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e",
                                                                        items: items([codes[0], wide, ""])))
                #expect(receipt.receipt.results.map(\.result) == [.activated, .malformed, .malformed])
                // 513 characters is still the whole request's error
                let long = String(repeating: "A", count: 513)
                let answer = try await post(client, "/v1/activations", """
                    {"batchId":"\(UUID().uuidString)","lineId":"l","equipmentId":"e","items":[{"code":"\(long)","activatedAt":"2026-11-21T22:10:05+05:00","productCode":"P"}]}
                    """)
                #expect(answer.status == 422 && errorBody(answer)?.code == .codeTooLong)
                // 40 "é" written as e + combining acute: 40 characters but 80 scalars, over the 64 of Identifier (was accepted)
                let combining = String(repeating: "e\u{301}", count: 40)
                for lineId in [combining, "line\u{85}1", "line\u{2028}1"] {
                    let refused = try await post(client, "/v1/activations", """
                        {"batchId":"\(UUID().uuidString)","lineId":"\(lineId)","equipmentId":"e","items":[{"code":"\(codes[0])","activatedAt":"2026-11-21T22:10:05+05:00","productCode":"P"}]}
                        """)
                    #expect(refused.status == 422 && errorBody(refused)?.details?["field"] == "lineId", "lineId \(lineId.unicodeScalars.count) scalars")
                }
            }
        }
    }

    @Test("a stamp series outside Latin/Cyrillic upper-case letters and digits is 422 (was accepted for any upper-case letter)")
    func series() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("factory") { client in
                let greek = makeWaybill(number: "WB-G", to: producerA, prefix: "QZG", series: "ΩΣ", count: 1)
                let refused = await #expect(throws: QazClientError.self) { _ = try await client.submitWaybill(greek) }
                #expect(refused?.errorCode == .invalidField)
                // Cyrillic and Kazakh letters are series letters
                let kazakh = makeWaybill(number: "WB-K", to: producerA, prefix: "QZK", series: "ҚӘ1", count: 1)
                let issued = try await client.submitWaybill(kazakh).issued
                #expect(issued == 1)
            }
        }
    }

    @Test("a time that falls outside years 0000-9999 in UTC is 422 (was accepted and answered as \"-1-01-01T…\")")
    func timestampRange() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                let answer = try await post(client, "/v1/activations", """
                    {"batchId":"\(UUID().uuidString)","lineId":"l","equipmentId":"e","items":[{"code":"\(codes[0])","activatedAt":"0000-01-01T00:00:00+05:00","productCode":"P"}]}
                    """)
                #expect(answer.status == 422 && errorBody(answer)?.details?["field"] == "items[0].activatedAt")
                #expect(try await client.code(codes[0]).status == .issued)
            }
        }
    }

    @Test("a time with a space instead of T or an offset without a colon is 422 (RFC 3339 date-time; was accepted); an import row's productCode may be null")
    func timestampSeparatorAndNullProduct() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.with("producerA") { client in
                let answer = try await post(client, "/v1/write-offs", """
                    {"writtenOffAt":"2026-11-21 22:10:05+05:00","reason":"damaged","codes":["\(codes[0])"]}
                    """)
                #expect(answer.status == 422 && errorBody(answer)?.details?["field"] == "writtenOffAt")
                let noColon = try await post(client, "/v1/write-offs", """
                    {"writtenOffAt":"2026-11-21T22:10:05+0500","reason":"damaged","codes":["\(codes[0])"]}
                    """)
                #expect(noColon.status == 422 && errorBody(noColon)?.details?["field"] == "writtenOffAt")
                #expect(try await client.code(codes[0]).status == .issued)
            }
            let imported = try await registrar.issue(1, to: importerC, prefix: "QZC", series: "AC")
            try await registrar.with("importerC") { client in
                let answer = try await post(client, "/v1/import-reports", """
                    {"reportId":"\(UUID().uuidString)","rows":[{"code":"\(imported[0])","stamp":{"series":"AC","number":"000000001"},
                     "affixedAt":"2026-11-21T22:10:05+05:00","productCode":null}]}
                    """)
                #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            }
        }
    }

    @Test("GET /v1/activations/{batchId} with a batch id that is not a UUID is 422 invalid_field (now in the document)")
    func batchIdNotUUID() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("producerA") { client in
                let answer = try await client.raw(method: "GET", path: "/v1/activations/not-a-uuid", body: nil)
                #expect(answer.status == 422 && errorBody(answer)?.details?["field"] == "batchId")
                let document = String(decoding: try await client.raw(method: "GET", path: "/openapi.yaml", body: nil, authorized: false).body, as: UTF8.self)
                #expect(document.contains("format: iin-bin"))
            }
        }
    }

    @Test("an integer beyond 64 bits in a valid body is 422 invalid_field (was 400 invalid_json); quantity has a documented maximum")
    func integerOutOfRange() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("factory") { client in
                let waybill = makeWaybill(number: "WB-BIG", to: producerA, prefix: "QZB", count: 1)
                let json = String(decoding: try WireCoding.encoder().encode(waybill), as: UTF8.self)
                let huge = json.replacingOccurrences(of: #""quantity":1"#, with: #""quantity":39059909741840376638173342538399744"#)
                #expect(huge != json)
                let answer = try await post(client, "/v1/waybills", huge)
                #expect(answer.status == 422 && errorBody(answer)?.code == .invalidField, "\(String(decoding: answer.body, as: UTF8.self))")
                let tooMany = try await post(client, "/v1/waybills", json.replacingOccurrences(of: #""quantity":1"#, with: #""quantity":10000001"#))
                #expect(tooMany.status == 422 && errorBody(tooMany)?.details?["field"] == "quantity")
                let broken = try await post(client, "/v1/waybills", "{\"quantity\": 1")
                #expect(broken.status == 400 && errorBody(broken)?.code == .invalidJSON)
                let document = String(decoding: try await client.raw(method: "GET", path: "/openapi.yaml", body: nil, authorized: false).body, as: UTF8.self)
                #expect(document.contains("quantity: { type: integer, minimum: 1, maximum: 10000000 }"))
            }
        }
    }

    @Test("a banknote-factory token reading a batch answer gets 403, and the document now lists 403 there (schemathesis --long, ST103)")
    func batchAnswerForbiddenDocumented() async throws {
        try await withRegistrar { registrar in
            try await registrar.with("factory") { client in
                let answer = try await client.raw(method: "GET", path: "/v1/activations/\(UUID().uuidString)", body: nil)
                #expect(answer.status == 403 && errorBody(answer)?.code == .forbidden)
                let document = String(decoding: try await client.raw(method: "GET", path: "/openapi.yaml", body: nil, authorized: false).body, as: UTF8.self)
                let operation = document.components(separatedBy: "operationId: getActivation").last ?? ""
                let responses = operation.components(separatedBy: "operationId:").first ?? ""
                #expect(responses.contains("'403': { $ref: '#/components/responses/Error' }"))
            }
        }
    }
}
