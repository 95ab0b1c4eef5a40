import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// An SSCC of the tests' company prefix.
func sscc(_ serial: Int64) -> UnitCode { try! SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: serial) }

let packedAt = "2026-11-21T22:30:00+05:00"

func packCase(_ unit: UnitCode, _ codes: [String], id: UUID = UUID(), at: String = packedAt) -> AggregationEvent {
    AggregationEvent(eventId: id, kind: .casePacked, unit: unit, contents: codes, at: Timestamp(text: at)!)
}

func dissolveCase(_ unit: UnitCode, id: UUID = UUID(), at: String = "2026-11-21T23:00:00+05:00") -> AggregationEvent {
    AggregationEvent(eventId: id, kind: .caseDissolved, unit: unit, contents: [], at: Timestamp(text: at)!)
}

func buildPallet(_ unit: UnitCode, _ cases: [UnitCode], id: UUID = UUID(), at: String = packedAt) -> AggregationEvent {
    AggregationEvent(eventId: id, kind: .palletBuilt, unit: unit, contents: cases.map(\.rawValue), at: Timestamp(text: at)!)
}

func dissolvePallet(_ unit: UnitCode, id: UUID = UUID(), at: String = "2026-11-21T23:00:00+05:00") -> AggregationEvent {
    AggregationEvent(eventId: id, kind: .palletDissolved, unit: unit, contents: [], at: Timestamp(text: at)!)
}

extension Registrar {
    /// `POST /v1/aggregations` as `who` with a raw body.
    func postAggregations(_ who: String, _ body: [UInt8]) async throws -> RawResponse {
        try await with(who) { client in try await client.raw(method: "POST", path: "/v1/aggregations", body: body) }
    }

    /// `POST /v1/aggregations` as `who`; the receipt (the answer must be 200).
    func aggregate(_ who: String, _ events: [AggregationEvent], line: String = "pack-1", equipment: String = "case-packer-1")
        async throws -> AggregationReceipt
    {
        let body = try WireCoding.encoder().encode(AggregationBatch(lineId: line, equipmentId: equipment, events: events))
        let response = try await postAggregations(who, Array(body))
        try #require(response.status == 200, "POST /v1/aggregations answered \(response.status): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
        let receipt = try WireCoding.decoder().decode(AggregationReceipt.self, from: Data(response.body))
        #expect(receipt.results.map(\.eventId) == events.map(\.eventId), "one result per event, in request order")
        return receipt
    }

    /// One event as `who`: its result.
    func aggregate(_ who: String, _ event: AggregationEvent) async throws -> AggregationResult {
        try await aggregate(who, [event]).results[0]
    }

    /// `GET /v1/units/{unit}…` as `who`.
    func getUnit(_ who: String, _ unit: String, query: String = "") async throws -> RawResponse {
        try await with(who) { client in try await client.raw(method: "GET", path: "/v1/units/\(unit)\(query)", body: nil) }
    }

    /// `GET /v1/units/{unit}` as `who`; the unit (the answer must be 200).
    func unitInfo(_ who: String, _ unit: UnitCode, query: String = "") async throws -> UnitInfo {
        let response = try await getUnit(who, unit.rawValue, query: query)
        try #require(response.status == 200, "GET /v1/units/\(unit) answered \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        return try WireCoding.decoder().decode(UnitInfo.self, from: Data(response.body))
    }

    /// The code's current case and pallet, read over HTTP as the registrar.
    func packing(_ code: String) async throws -> (case: UnitCode?, pallet: UnitCode?) {
        let info = try await with("registrar") { client in try await client.code(code) }
        return (info.case, info.pallet)
    }

    /// Issues `count` codes to `who` and activates all but the last `inactive` of them.
    func activatedCodes(_ count: Int, to owner: TaxpayerID, as who: String, prefix: String, series: String = "AB",
                        inactive: Int = 0) async throws -> [String] {
        let codes = try await issue(count, to: owner, prefix: prefix, series: series)
        if owner == importerC {
            // An importer's codes come into operation through its App. 8 report (cl. 20), not POST /v1/activations.
            try await fileImportReport(who, Array(codes.dropLast(inactive)), series: series)
        } else {
            try await activate(who, Array(codes.dropLast(inactive)))
        }
        return codes
    }

    /// Files an App. 8 report as `who` for codes issued by ``issue(_:to:prefix:series:start:number:issuedOn:name:)`` from
    /// stamp 1 (the answer must be 200); `participant` for the registrar acting for an importer.
    @discardableResult
    func fileImportReport(_ who: String, _ codes: [String], series: String, participant: TaxpayerID? = nil,
                          at time: String = "2026-11-10T12:00:00+05:00") async throws -> ActivationReceipt {
        let rows = codes.enumerated().map { index, code in
            ImportReportRow(code: code, stamp: AffixedStamp(series: StampSeries(series)!, number: StampNumber(index + 1)!),
                            affixedAt: Timestamp(text: time)!)
        }
        let body = try WireCoding.encoder().encode(ImportReportRequest(reportId: UUID(), rows: rows, participant: participant))
        let response = try await with(who) { client in try await client.raw(method: "POST", path: "/v1/import-reports", body: Array(body)) }
        try #require(response.status == 200, "POST /v1/import-reports answered \(response.status): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
        return try WireCoding.decoder().decode(ActivationReceipt.self, from: Data(response.body))
    }
}

/// Whether `result` is a refusal for `reason` naming exactly `codes` (nil: no codes listed) with a detail.
func expectRefused(_ result: AggregationResult, _ reason: AggregationRefusal, codes: [String]? = nil,
                   detailContains: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.result == .refused, "expected a refusal (\(reason)), got \(result)", sourceLocation: sourceLocation)
    #expect(result.reason == reason, "expected \(reason), got \(String(describing: result.reason)): \(result.detail ?? "")",
            sourceLocation: sourceLocation)
    if let codes { #expect(result.codes == codes, sourceLocation: sourceLocation) }
    #expect((result.detail ?? "").count > 10, "a refusal says why for people", sourceLocation: sourceLocation)
    if let detailContains {
        #expect(result.detail?.contains(detailContains) == true, "detail: \(result.detail ?? "")", sourceLocation: sourceLocation)
    }
}

@Suite("Aggregation: bottles into cases, cases onto pallets (through the router, every backend)")
struct AggregationTests {
    @Test("a 24-code case is packed; the codes show their case; the unit shows owner, line, time and contents", arguments: TestBackend.allCases)
    func packAndLookUp(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(24, to: producerA, as: "producerA", prefix: "QZA")
            let unit = sscc(1)
            // Given the first code in its QR URL form
            var contents = codes
            contents[0] = "https://qr.example.kz/c/\(codes[0])"
            // When the case is packed
            let receipt = try await registrar.aggregate("producerA", [packCase(unit, contents)])
            // Then it is applied for producer A
            #expect(receipt.participant == producerA)
            #expect(receipt.results[0].result == .applied && receipt.results[0].unit == unit)
            #expect(receipt.results[0].reason == nil && receipt.results[0].codes == nil)
            // And every code shows the case and no pallet
            for code in [codes[0], codes[23]] {
                let packing = try await registrar.packing(code)
                #expect(packing.case == unit && packing.pallet == nil)
            }
            // And the unit shows what was packed, where and when (contents as codes, in code order)
            let info = try await registrar.unitInfo("producerA", unit)
            #expect(info.unit == unit && info.kind == .case && info.status == .packed && info.owner == producerA)
            #expect(info.lineId == "pack-1" && info.equipmentId == "case-packer-1")
            #expect(info.packedAt == Timestamp(text: packedAt) && info.packedAtAstana == "2026-11-21T22:30:00+05:00")
            #expect(info.dissolvedAt == nil && info.pallet == nil)
            #expect(info.count == 24 && info.contents == codes.sorted() && info.next == nil)
            // And the label's other forms find it: "(00)" + SSCC, and the GS1 element string "00" + SSCC
            for form in ["(00)\(unit.rawValue)", "00\(unit.rawValue)", "%2800%29\(unit.rawValue)"] {
                let response = try await registrar.getUnit("producerA", form)
                #expect(response.status == 200, "\(form): \(response.status)")
            }
            // And the outcome is counted in /metrics
            let metrics = try await registrar.with("producerA") { client in try await client.raw(method: "GET", path: "/metrics", body: nil) }
            #expect(String(decoding: metrics.body, as: UTF8.self).contains(#"qaz_aggregation_events_total{result="applied"} 1"#))
            // And a code that is in no case shows none
            let loose = try await registrar.activatedCodes(1, to: producerA, as: "producerA", prefix: "QZL", series: "AL")
            let packing = try await registrar.packing(loose[0])
            #expect(packing.case == nil && packing.pallet == nil)
        }
    }

    @Test("a re-sent event is alreadyApplied and changes nothing; its id with another body is conflict; refusals are kept",
          arguments: TestBackend.allCases)
    func idempotency(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(6, to: producerA, as: "producerA", prefix: "QZA", inactive: 1)
            let event = packCase(sscc(1), Array(codes[0..<3]))
            #expect(try await registrar.aggregate("producerA", event).result == .applied)
            // The same event again (and twice in one request): alreadyApplied, nothing changes
            let again = try await registrar.aggregate("producerA", [event, event])
            #expect(again.results.map(\.result) == [.alreadyApplied, .alreadyApplied])
            #expect(again.results[0].reason == nil && again.results[0].unit == sscc(1))
            #expect(try await registrar.unitInfo("producerA", sscc(1)).contents == Array(codes[0..<3]).sorted())
            // The same id with other contents, another unit, another time or kind: conflict, nothing changes
            var otherContents = event
            otherContents.contents = [codes[3]]
            var otherUnit = event
            otherUnit.unit = sscc(2)
            var otherTime = event
            otherTime.at = Timestamp(milliseconds: event.at.milliseconds + 1)
            let conflicts = try await registrar.aggregate("producerA", [otherContents, otherUnit, otherTime])
            #expect(conflicts.results.map(\.result) == [.conflict, .conflict, .conflict])
            #expect(conflicts.results[0].detail?.contains(event.eventId.uuidString.lowercased()) == true)
            #expect(try await registrar.packing(codes[3]).case == nil)
            #expect(try await registrar.getUnit("producerA", sscc(2).rawValue).status == 404)
            // Another participant sending the same event id and body: conflict (the digest includes the participant)
            #expect(try await registrar.aggregate("producerB", event).result == .conflict)
            // The bare and URL forms of a code are one code: the same event
            var urlForm = event
            urlForm.contents[0] = "https://qr.example.kz/c/\(codes[0])"
            #expect(try await registrar.aggregate("producerA", urlForm).result == .alreadyApplied)
            // A refused event keeps its answer: re-sent after its cause is gone, it is refused again
            let early = packCase(sscc(3), [codes[5]])
            expectRefused(try await registrar.aggregate("producerA", early), .notActivated, codes: [codes[5]])
            try await registrar.activate("producerA", [codes[5]])
            expectRefused(try await registrar.aggregate("producerA", early), .notActivated, codes: [codes[5]])
            #expect(try await registrar.packing(codes[5]).case == nil)
            // And a new event id for the same packing is applied
            #expect(try await registrar.aggregate("producerA", packCase(sscc(3), [codes[5]])).result == .applied)
        }
    }

    @Test("every refusal reason, each naming the offending codes; a refused event leaves nothing behind", arguments: TestBackend.allCases)
    func refusals(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(10, to: producerA, as: "producerA", prefix: "QZA", inactive: 2)
            let issuedOnly = codes[8]
            let writtenOff = codes[9]
            try await registrar.with("producerA") { client in
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: .now, reason: "damaged", codes: [writtenOff]))
            }
            let others = try await registrar.activatedCodes(2, to: producerB, as: "producerB", prefix: "QZB", series: "BB")
            let neverIssued = makeCode("QZX", 1)
            var seen = Set<AggregationRefusal>()
            func refused(_ event: AggregationEvent, _ reason: AggregationRefusal, codes: [String]? = nil, detail: String? = nil,
                         as who: String = "producerA", sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let result = try await registrar.aggregate(who, event)
                expectRefused(result, reason, codes: codes, detailContains: detail, sourceLocation: sourceLocation)
                seen.insert(reason)
            }

            // Contents the kind does not allow
            try await refused(packCase(sscc(90), []), .badContents)
            try await refused(AggregationEvent(eventId: UUID(), kind: .caseDissolved, unit: sscc(90), contents: [codes[0]],
                                               at: Timestamp(text: packedAt)!), .badContents, codes: [codes[0]])
            try await refused(AggregationEvent(eventId: UUID(), kind: .palletDissolved, unit: sscc(90), contents: [sscc(1).rawValue],
                                               at: Timestamp(text: packedAt)!), .badContents)
            try await refused(buildPallet(sscc(90), []), .badContents)
            // Malformed contents: a stamp code in a case, a unit code on a pallet
            try await refused(packCase(sscc(90), [codes[0], "not a code!"]), .malformedCode, codes: ["not a code!"], detail: "not a stamp code")
            try await refused(AggregationEvent(eventId: UUID(), kind: .palletBuilt, unit: sscc(90), contents: ["bad unit!", "048700010000000012"],
                                               at: Timestamp(text: packedAt)!),
                              .malformedCode, codes: ["bad unit!", "048700010000000012"], detail: "not unit codes")
            // A code twice in one event (its bare and URL forms are one code)
            try await refused(packCase(sscc(90), [codes[0], codes[1], "https://qr.example.kz/c/\(codes[0])"]), .duplicateContent,
                              codes: ["https://qr.example.kz/c/\(codes[0])"])
            // Never issued, or issued to another producer
            try await refused(packCase(sscc(90), [codes[0], neverIssued, others[0]]), .unknownCode, codes: [neverIssued, others[0]])
            // Issued only, or written off
            try await refused(packCase(sscc(90), [codes[0], issuedOnly, writtenOff]), .notActivated, codes: [issuedOnly, writtenOff])
            #expect(try await registrar.getUnit("producerA", sscc(90).rawValue).status == 404, "refused events packed nothing")

            // Given case 1 with codes 0-2
            #expect(try await registrar.aggregate("producerA", packCase(sscc(1), Array(codes[0..<3]))).result == .applied)
            // A code in another packed case
            try await refused(packCase(sscc(2), [codes[3], codes[1]]), .alreadyInCase, codes: [codes[1]], detail: sscc(1).rawValue)
            #expect(try await registrar.packing(codes[3]).case == nil, "the free code of the refused case was not packed")
            #expect(try await registrar.getUnit("producerA", sscc(2).rawValue).status == 404)
            // The case code packed already
            try await refused(packCase(sscc(1), [codes[3]]), .unitInUse, detail: "packed case")
            #expect(try await registrar.unitInfo("producerA", sscc(1)).contents == Array(codes[0..<3]).sorted())
            // Dissolving or stacking what is not a packed case of this participant
            try await refused(dissolveCase(sscc(91)), .unknownUnit)
            try await refused(dissolvePallet(sscc(91)), .unknownUnit)
            try await refused(dissolvePallet(sscc(1)), .unknownUnit, detail: "is a packed case, not a pallet")
            try await refused(buildPallet(sscc(50), [sscc(1), sscc(92)]), .unknownUnit, codes: [sscc(92).rawValue])
            // Given pallet 50 with case 1, and case 2
            #expect(try await registrar.aggregate("producerA", buildPallet(sscc(50), [sscc(1)])).result == .applied)
            #expect(try await registrar.aggregate("producerA", packCase(sscc(2), [codes[3]])).result == .applied)
            // A case on another pallet
            try await refused(buildPallet(sscc(51), [sscc(2), sscc(1)]), .alreadyOnPallet, codes: [sscc(1).rawValue], detail: sscc(50).rawValue)
            #expect(try await registrar.unitInfo("producerA", sscc(2)).pallet == nil, "the free case of the refused pallet was not stacked")
            // A case on a pallet is not dissolved
            try await refused(dissolveCase(sscc(1)), .onPallet, detail: sscc(50).rawValue)
            #expect(try await registrar.packing(codes[0]).case == sscc(1))
            // A pallet is not a case
            try await refused(dissolveCase(sscc(50)), .unknownUnit, detail: "is a packed pallet, not a case")
            try await refused(buildPallet(sscc(52), [sscc(50)]), .unknownUnit, codes: [sscc(50).rawValue])
            // A packed case code as a pallet, a packed pallet code as a case
            try await refused(buildPallet(sscc(2), [sscc(1)]), .unitInUse)
            try await refused(packCase(sscc(50), [codes[4]]), .unitInUse)

            // The trade reasons (a bottle sold, or in an order pending signature) need signed orders: TradeFlowTests.orderOfACase.
            let expected = Set(AggregationRefusal.allCases).subtracting([.notHeld, .inPendingOrder])
            #expect(seen == expected, "not exercised: \(expected.subtracting(seen))")
        }
    }

    @Test("events of one request apply in order, each on its own: a refused one between applied ones changes nothing",
          arguments: TestBackend.allCases)
    func eventsOnTheirOwn(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(6, to: producerA, as: "producerA", prefix: "QZA")
            let receipt = try await registrar.aggregate("producerA", [
                packCase(sscc(1), [codes[0], codes[1]]),
                packCase(sscc(2), [codes[2], codes[1]]),   // codes[1] is in case 1 by now
                packCase(sscc(3), [codes[2], codes[3]]),   // codes[2] is free: the event before was refused whole
                dissolveCase(sscc(1)),
                packCase(sscc(4), [codes[1], codes[4]]),   // codes[1] is free again
            ])
            #expect(receipt.results.map(\.result) == [.applied, .refused, .applied, .applied, .applied])
            expectRefused(receipt.results[1], .alreadyInCase, codes: [codes[1]])
            #expect(try await registrar.packing(codes[2]).case == sscc(3))
            #expect(try await registrar.packing(codes[1]).case == sscc(4))
            #expect(try await registrar.packing(codes[0]).case == nil)
            #expect(try await registrar.getUnit("producerA", sscc(2).rawValue).status == 404)
        }
    }

    @Test("a dissolved case frees its codes for other cases and keeps its history; its code is packed again only by its owner",
          arguments: TestBackend.allCases)
    func dissolveAndRepack(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(30, to: producerA, as: "producerA", prefix: "QZA")
            let first = Array(codes[0..<24])
            #expect(try await registrar.aggregate("producerA", packCase(sscc(1), first)).result == .applied)
            // When the case is dissolved (rework)
            #expect(try await registrar.aggregate("producerA", dissolveCase(sscc(1), at: "2026-11-22T09:00:00+05:00")).result == .applied)
            // Then its codes are in no case, and the unit shows it dissolved with what it held
            #expect(try await registrar.packing(codes[0]).case == nil)
            let dissolved = try await registrar.unitInfo("producerA", sscc(1))
            #expect(dissolved.status == .dissolved && dissolved.dissolvedAt == Timestamp(text: "2026-11-22T04:00:00Z"))
            #expect(dissolved.count == 24 && dissolved.contents == first.sorted())
            // And dissolving it again is refused (it is not packed)
            expectRefused(try await registrar.aggregate("producerA", dissolveCase(sscc(1))), .unknownUnit)
            // And its codes go into two other cases
            let again = try await registrar.aggregate("producerA", [packCase(sscc(2), Array(first[0..<12])), packCase(sscc(3), Array(first[12...]))])
            #expect(again.results.map(\.result) == [.applied, .applied])
            #expect(try await registrar.packing(codes[0]).case == sscc(2))
            #expect(try await registrar.packing(codes[23]).case == sscc(3))
            // And another producer may not take the dissolved case's code
            let theirs = try await registrar.activatedCodes(1, to: producerB, as: "producerB", prefix: "QZB", series: "BB")
            expectRefused(try await registrar.aggregate("producerB", packCase(sscc(1), theirs)), .unitInUse, detailContains: "another participant")
            // But its owner packs it again, with other codes: the look-up shows the new packing
            #expect(try await registrar.aggregate("producerA", packCase(sscc(1), Array(codes[24...]), at: "2026-11-22T10:00:00+05:00")).result == .applied)
            let repacked = try await registrar.unitInfo("producerA", sscc(1))
            #expect(repacked.status == .packed && repacked.dissolvedAt == nil && repacked.count == 6)
            #expect(repacked.contents == Array(codes[24...]).sorted())
            #expect(repacked.packedAt == Timestamp(text: "2026-11-22T10:00:00+05:00"))
            // A dissolved case's code is not reused for a pallet
            #expect(try await registrar.aggregate("producerA", dissolveCase(sscc(2))).result == .applied)
            expectRefused(try await registrar.aggregate("producerA", buildPallet(sscc(2), [sscc(3)])), .unitInUse, detailContains: "was a case")
        }
    }

    @Test("pallets: built from packed cases, shown on codes and cases; a case on a pallet is not dissolved until the pallet is",
          arguments: TestBackend.allCases)
    func pallets(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(240, to: producerA, as: "producerA", prefix: "QZA")
            let cases = (1...10).map { sscc(Int64($0)) }
            // Ten cases of 24 and a pallet of eight of them in one request
            let events = cases.enumerated().map { index, unit in packCase(unit, Array(codes[index * 24..<(index + 1) * 24])) }
                + [buildPallet(sscc(100), Array(cases[0..<8]), at: "2026-11-21T22:40:00+05:00")]
            let receipt = try await registrar.aggregate("producerA", events, equipment: "palletiser-1")
            #expect(receipt.results.allSatisfy { $0.result == .applied }, "\(receipt.results.filter { $0.result != .applied })")
            // Then a bottle shows its case and the case's pallet; the case shows its pallet
            let packing = try await registrar.packing(codes[0])
            #expect(packing.case == sscc(1) && packing.pallet == sscc(100))
            #expect(try await registrar.packing(codes[239]).pallet == nil)
            #expect(try await registrar.unitInfo("producerA", sscc(1)).pallet == sscc(100))
            let pallet = try await registrar.unitInfo("producerA", sscc(100))
            #expect(pallet.kind == .pallet && pallet.status == .packed && pallet.count == 8 && pallet.equipmentId == "palletiser-1")
            #expect(pallet.contents == cases[0..<8].map(\.rawValue).sorted() && pallet.pallet == nil)
            // A case on the pallet is not dissolved
            expectRefused(try await registrar.aggregate("producerA", dissolveCase(sscc(1))), .onPallet)
            // When the pallet is dissolved, its cases are free (and still packed), and it keeps what it held
            #expect(try await registrar.aggregate("producerA", dissolvePallet(sscc(100))).result == .applied)
            let freed = try await registrar.packing(codes[0])
            #expect(freed.case == sscc(1) && freed.pallet == nil)
            let caseInfo = try await registrar.unitInfo("producerA", sscc(1))
            #expect(caseInfo.pallet == nil && caseInfo.status == .packed)
            let dissolved = try await registrar.unitInfo("producerA", sscc(100))
            #expect(dissolved.status == .dissolved && dissolved.count == 8 && dissolved.contents.count == 8)
            // Then a case comes off and the rest go onto a new pallet, and the old pallet code is built again
            let rework = try await registrar.aggregate("producerA", [
                dissolveCase(sscc(1)),
                buildPallet(sscc(101), Array(cases[1..<5])),
                buildPallet(sscc(100), Array(cases[5..<10])),
            ])
            #expect(rework.results.map(\.result) == [.applied, .applied, .applied])
            #expect(try await registrar.packing(codes[0]).case == nil)
            #expect(try await registrar.packing(codes[24]).pallet == sscc(101))
            #expect(try await registrar.packing(codes[239]).pallet == sscc(100))
            #expect(try await registrar.unitInfo("producerA", sscc(100)).contents == cases[5..<10].map(\.rawValue).sorted())
        }
    }

    @Test("look-ups page through contents in code order as pools do; bad parameters are 422 naming them; unknown units 404",
          arguments: TestBackend.allCases)
    func lookUpPaging(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(24, to: producerA, as: "producerA", prefix: "QZA")
            _ = try await registrar.aggregate("producerA", [packCase(sscc(1), codes.reversed()), packCase(sscc(2), []),
                                                            buildPallet(sscc(100), [sscc(1)])])
            var seen = [String]()
            var after: String?
            var pages = [Int]()
            repeat {
                let query = "?limit=10" + (after.map { "&after=\($0)" } ?? "")
                let page = try await registrar.unitInfo("producerA", sscc(1), query: query)
                #expect(page.count == 24)
                seen += page.contents
                pages.append(page.contents.count)
                after = page.next
            } while after != nil && pages.count < 10
            #expect(pages == [10, 10, 4])
            #expect(seen == codes.sorted())
            // A full last page has a next, and the page after it is empty
            let full = try await registrar.unitInfo("producerA", sscc(1), query: "?limit=24")
            #expect(full.contents.count == 24 && full.next == codes.sorted().last)
            let empty = try await registrar.unitInfo("producerA", sscc(1), query: "?limit=24&after=\(full.next!)")
            #expect(empty.contents.isEmpty && empty.next == nil && empty.count == 24)
            #expect(try await registrar.unitInfo("producerA", sscc(100), query: "?limit=1").contents == [sscc(1).rawValue])
            // Bad parameters
            for (query, field) in [("?limit=0", "limit"), ("?limit=10001", "limit"), ("?limit=x", "limit"),
                                   ("?after=" + String(repeating: "A", count: 600), "after")] {
                let response = try await registrar.getUnit("producerA", sscc(1).rawValue, query: query)
                #expect(response.status == 422, "\(query)")
                #expect(errorBody(response)?.details?["field"] == field, "\(query)")
            }
            let badCheck = try await registrar.getUnit("producerA", "048700010000000012")
            #expect(badCheck.status == 422 && errorBody(badCheck)?.message.contains("check digit") == true)
            #expect(errorBody(badCheck)?.details?["field"] == "unit")
            let badText = try await registrar.getUnit("producerA", "bad%20unit")
            #expect(badText.status == 422 && errorBody(badText)?.details?["field"] == "unit")
            let unknown = try await registrar.getUnit("producerA", sscc(77).rawValue)
            #expect(unknown.status == 404 && errorBody(unknown)?.code == .notFound)
            // A plant's own label pattern is a unit code too
            let own = try UnitCode(parsing: "CASE-2026/000017")
            #expect(try await registrar.aggregate("producerA", packCase(own, [])).result == .refused)
            let plant = try await registrar.activatedCodes(2, to: producerA, as: "producerA", prefix: "QZP", series: "AP")
            #expect(try await registrar.aggregate("producerA", packCase(own, plant)).result == .applied)
            #expect(try await registrar.getUnit("producerA", "CASE-2026%2F000017").status == 200)
            #expect(try await registrar.packing(plant[0]).case == own)
        }
    }

    @Test("access: another producer's units are 404 and cannot be dissolved or stacked; the registrar packs only for a participant it names; readers read all",
          arguments: TestBackend.allCases)
    func accessControl(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(5, to: producerA, as: "producerA", prefix: "QZA")
            _ = try await registrar.aggregate("producerA", [packCase(sscc(1), Array(codes[0..<3])), buildPallet(sscc(100), [sscc(1)]),
                                                            packCase(sscc(2), [codes[3]])])
            // Producer B does not see A's units (404, as if they did not exist)
            for unit in [sscc(1), sscc(100)] {
                let response = try await registrar.getUnit("producerB", unit.rawValue)
                #expect(response.status == 404 && errorBody(response)?.code == .notFound)
                #expect(!String(decoding: response.body, as: UTF8.self).contains(producerA.rawValue))
            }
            // And cannot pack A's codes, dissolve A's case or pallet, or stack A's case
            let theirs = try await registrar.activatedCodes(2, to: producerB, as: "producerB", prefix: "QZB", series: "BB")
            let refusals = try await registrar.aggregate("producerB", [
                packCase(sscc(20), [theirs[0], codes[4]]), dissolveCase(sscc(2)), dissolvePallet(sscc(100)), buildPallet(sscc(21), [sscc(2)]),
            ])
            expectRefused(refusals.results[0], .unknownCode, codes: [codes[4]])
            expectRefused(refusals.results[1], .unknownUnit)
            expectRefused(refusals.results[2], .unknownUnit)
            expectRefused(refusals.results[3], .unknownUnit, codes: [sscc(2).rawValue])
            #expect(refusals.results[1].detail?.contains(producerA.rawValue) != true)
            // A's units are unchanged
            let caseInfo = try await registrar.unitInfo("producerA", sscc(2))
            #expect(caseInfo.status == .packed && caseInfo.pallet == nil)
            #expect(try await registrar.unitInfo("producerA", sscc(100)).status == .packed)
            #expect(try await registrar.packing(codes[4]).case == nil)
            // The revenue body and the registrar read every unit
            for who in ["revenue", "registrar"] {
                let info = try await registrar.unitInfo(who, sscc(1))
                #expect(info.owner == producerA && info.pallet == sscc(100))
            }
            // The revenue body and the banknote factory do not pack; the factory does not look up units
            let body = Array(try WireCoding.encoder().encode(AggregationBatch(lineId: "l", equipmentId: "e", events: [packCase(sscc(30), theirs)])))
            for who in ["revenue", "factory"] {
                let response = try await registrar.postAggregations(who, body)
                #expect(response.status == 403 && errorBody(response)?.code == .forbidden, "\(who): \(response.status)")
            }
            // The registrar packs only for the participant it names (cl. 24(2)); a producer names only itself
            let unnamed = try await registrar.postAggregations("registrar", body)
            #expect(unnamed.status == 422 && errorBody(unnamed)?.code == .missingField && errorBody(unnamed)?.details?["field"] == "participant")
            let forB = Array(try WireCoding.encoder().encode(AggregationBatch(lineId: "l", equipmentId: "e", events: [packCase(sscc(30), theirs)],
                                                                               participant: producerB)))
            let asA = try await registrar.postAggregations("producerA", forB)
            #expect(asA.status == 403 && errorBody(asA)?.code == .forbidden && errorBody(asA)?.details?["field"] == "participant")
            let factory = try await registrar.getUnit("factory", sscc(1).rawValue)
            #expect(factory.status == 403 && errorBody(factory)?.code == .forbidden)
            // No token, an expired token
            let anonymous = try await registrar.with("producerA") { client in
                try await client.raw(method: "POST", path: "/v1/aggregations", body: body, authorized: false)
            }
            #expect(anonymous.status == 401)
            #expect(try await registrar.postAggregations("expired", body).status == 401)
            // An importer packs its own codes
            let imported = try await registrar.activatedCodes(2, to: importerC, as: "importerC", prefix: "QZC", series: "CC")
            let receipt = try await registrar.aggregate("importerC", [packCase(sscc(40), imported)])
            #expect(receipt.participant == importerC && receipt.results[0].result == .applied && receipt.actor == nil)
            #expect(try await registrar.unitInfo("importerC", sscc(40)).packedBy == nil)
            #expect(try await registrar.getUnit("producerA", sscc(40).rawValue).status == 404)
        }
    }

    @Test("bad input: malformed unit codes and check digits name the field; over 1,000 events or 100,000 codes is 413",
          arguments: TestBackend.allCases)
    func badInput(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(2, to: producerA, as: "producerA", prefix: "QZA")
            func event(_ unit: String, kind: String = "casePacked", at: String = packedAt, extra: String = "") -> String {
                #"{"eventId":"\#(UUID())","kind":"\#(kind)","unit":"\#(unit)","contents":["\#(codes[0])"],"at":"\#(at)"\#(extra)}"#
            }
            func batch(_ events: String...) -> String { #"{"lineId":"pack-1","equipmentId":"cp-1","events":[\#(events.joined(separator: ","))]}"# }
            let future = Timestamp(milliseconds: Timestamp.now.milliseconds + 2 * 86_400_000).description
            let cases: [(String, Int, ErrorCode, String?, String?)] = [
                (batch(event("bad unit!")), 422, .invalidField, "events[0].unit", "characters outside"),
                (batch(event(sscc(1).rawValue), event("048700010000000012")), 422, .invalidField, "events[1].unit", "check digit (the last digit should be 1)"),
                (batch(event("(00)04870001000000001")), 422, .invalidField, "events[0].unit", "18 digits"),
                (batch(event("abc")), 422, .invalidField, "events[0].unit", "4 to 64 characters"),
                (batch(event(sscc(1).rawValue, kind: "caseOpened")), 422, .invalidField, "events[0].kind", "casePacked, caseDissolved, palletBuilt, palletDissolved"),
                (batch(event(sscc(1).rawValue, at: "2026-11-21 22:30:00")), 422, .invalidField, "events[0].at", nil),
                (batch(event(sscc(1).rawValue, at: future)), 422, .invalidField, "events[0].at", "future"),
                (batch(event(sscc(1).rawValue, extra: #","count":24"#)), 422, .invalidField, "events[0].count", "unknown field"),
                (#"{"lineId":"pack-1","equipmentId":"cp-1","events":[{"kind":"casePacked","unit":"\#(sscc(1))","contents":[],"at":"\#(packedAt)"}]}"#,
                 422, .missingField, "events[0].eventId", nil),
                (#"{"lineId":"pack-1","equipmentId":"cp-1","events":[]}"#, 422, .invalidField, "events", nil),
                (#"{"lineId":"","equipmentId":"cp-1","events":[\#(event(sscc(1).rawValue))]}"#, 422, .invalidField, "lineId", nil),
                (#"{"lineId":"pack-1","equipmentId":"cp-1","events":[{"eventId":"\#(UUID())","kind":"casePacked","unit":"\#(sscc(1))","contents":["\#(String(repeating: "A", count: 600))"],"at":"\#(packedAt)"}]}"#,
                 422, .codeTooLong, "events[0].contents[0]", nil),
                ("{\"lineId\":", 400, .invalidJSON, nil, nil),
            ]
            for (body, status, code, field, message) in cases {
                let response = try await registrar.postAggregations("producerA", Array(body.utf8))
                #expect(response.status == status, "\(body.prefix(200))")
                let error = errorBody(response)
                #expect(error?.code == code, "\(body.prefix(200)): \(String(describing: error))")
                if let field { #expect(error?.details?["field"] == field, "\(body.prefix(200)): \(String(describing: error))") }
                if let message { #expect(error?.message.contains(message) == true, "\(String(describing: error?.message))") }
                #expect(error?.message.contains("AggregationKind") != true && error?.message.contains("Swift") != true)
            }
            // 1,001 events
            let many = (0...1000).map { _ in packCase(sscc(1), [codes[0]]) }
            let tooMany = try await registrar.postAggregations("producerA", Array(try WireCoding.encoder().encode(
                AggregationBatch(lineId: "l", equipmentId: "e", events: many))))
            #expect(tooMany.status == 413 && errorBody(tooMany)?.code == .batchTooLarge)
            #expect(errorBody(tooMany)?.details?["limit"] == "1000" && errorBody(tooMany)?.details?["count"] == "1001")
            // 1,000 events are accepted (the first applied, the rest refused: the case is packed by then)
            let most = try await registrar.aggregate("producerA", Array(many.dropLast()))
            #expect(most.results.count == 1000 && most.results[0].result == .applied && most.results[999].reason == .unitInUse)
            // 100,001 contained codes
            let bulk = (0..<50_001).map { makeCode("QZY", $0) }
            let heavy = try await registrar.postAggregations("producerA", Array(try WireCoding.encoder().encode(
                AggregationBatch(lineId: "l", equipmentId: "e", events: [packCase(sscc(2), bulk), packCase(sscc(3), bulk)]))))
            #expect(heavy.status == 413 && errorBody(heavy)?.code == .batchTooLarge)
            #expect(errorBody(heavy)?.details?["limit"] == "100000" && errorBody(heavy)?.message.contains("contained codes") == true)
            // Nothing of the refused requests was applied
            #expect(try await registrar.packing(codes[1]).case == nil)
            #expect(try await registrar.getUnit("producerA", sscc(2).rawValue).status == 404)
        }
    }

    @Test("concurrent requests: a code goes into one case, a label onto one case, a re-sent event applies once",
          arguments: TestBackend.allCases)
    func concurrency(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codes = try await registrar.activatedCodes(24 + 8 * 3, to: producerA, as: "producerA", prefix: "QZA")
            let shared = Array(codes[0..<24])
            // Eight requests pack the same 24 codes into eight cases
            let contested = try await withThrowingTaskGroup(of: AggregationResult.self) { group in
                for index in 0..<8 { group.addTask { try await registrar.aggregate("producerA", packCase(sscc(Int64(10 + index)), shared)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(contested.filter { $0.result == .applied }.count == 1)
            #expect(contested.filter { $0.reason == .alreadyInCase }.count == 7)
            let winner = try #require(contested.first { $0.result == .applied }).unit
            #expect(try await registrar.packing(shared[5]).case == winner)
            // Eight requests pack different codes under one label
            let label = try await withThrowingTaskGroup(of: AggregationResult.self) { group in
                for index in 0..<8 {
                    let own = Array(codes[24 + index * 3..<24 + index * 3 + 3])
                    group.addTask { try await registrar.aggregate("producerA", packCase(sscc(50), own)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(label.filter { $0.result == .applied }.count == 1)
            #expect(label.filter { $0.reason == .unitInUse }.count == 7)
            #expect(try await registrar.unitInfo("producerA", sscc(50)).count == 3)
            // Eight re-sends of one event
            let event = dissolveCase(sscc(50))
            let resent = try await withThrowingTaskGroup(of: AggregationResult.self) { group in
                for _ in 0..<8 { group.addTask { try await registrar.aggregate("producerA", event) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(resent.filter { $0.result == .applied }.count == 1)
            #expect(resent.filter { $0.result == .alreadyApplied }.count == 7)
        }
    }
}
