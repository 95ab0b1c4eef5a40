import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// Issue 16, "Fidelity": the registrar may perform any participant's operation (cl. 24(2) of the Rules), recorded as
/// its own; an importer's codes come into operation through its App. 8 report (cl. 20), never through the producers'
/// filling-line activation (cl. 19).
@Suite("The registrar acts for a participant (cl. 24(2)) and is recorded as the actor; importers activate through App. 8 (cl. 20)")
struct OnBehalfTests {
    static func json(_ value: some Encodable) throws -> String { String(decoding: try WireCoding.encoder().encode(value), as: UTF8.self) }

    @Test("activations: an importer's token is 403 use_import_report naming cl. 20 and App. 8; the registrar activates for the producer it names",
          arguments: TestBackend.allCases)
    func activations(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codesA = try await registrar.issue(3, to: producerA, prefix: "QZA")
            let codesC = try await registrar.issue(1, to: importerC, prefix: "QZC", series: "CC")
            // An importer on the producers' endpoint: refused, pointed at App. 8, nothing activated
            try await registrar.with("importerC") { client in
                for participant in [nil, importerC] {
                    let answer = try await post(client, "/v1/activations", try Self.json(ActivationBatch(
                        batchId: UUID(), lineId: "l", equipmentId: "e", items: items(codesC), participant: participant)))
                    #expect(answer.status == 403)
                    let error = errorBody(answer)
                    #expect(error?.code == .useImportReport && error?.details?["endpoint"] == "/v1/import-reports")
                    for words in ["cl. 20", "App. 8", "POST /v1/import-reports"] {
                        #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
                    }
                }
            }
            #expect(try await registrar.store.code(StampCode(trusted: codesC[0]))?.status == .issued)

            let batch = ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items(Array(codesA[0..<2])),
                                        participant: producerA)
            try await registrar.with("registrar") { client in
                // The registrar must say whom it acts for
                var unnamed = batch
                unnamed.participant = nil
                let missing = try await post(client, "/v1/activations", try Self.json(unnamed))
                #expect(missing.status == 422 && errorBody(missing)?.code == .missingField && errorBody(missing)?.details?["field"] == "participant")
                // For producer A: A's codes, A's counters, the registrar recorded as the actor
                let (receipt, replayed) = try await client.activate(batch)
                #expect(!replayed && receipt.summary.activated == 2)
                #expect(receipt.participant == producerA && receipt.actor == registrarBIN)
                // A re-send is the stored answer, with the actor read back from storage
                let again = try await client.activate(batch)
                #expect(again.replayed && again.receipt.actor == registrarBIN && again.receipt.results == receipt.results)
                #expect(try await client.activation(batchId: batch.batchId).actor == registrarBIN)
            }
            try await registrar.with("producerA") { client in
                // A reads the batch done for it and sees who did it
                #expect(try await client.activation(batchId: batch.batchId).actor == registrarBIN)
                let info = try await client.code(codesA[0])
                #expect(info.status == .activated && info.owner == producerA && info.activatedBy == registrarBIN && info.lineId == "line-1")
                // A's own activation is its own: no actor shown
                let own = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1", items: items([codesA[2]])))
                #expect(own.receipt.actor == nil && own.receipt.participant == producerA)
                #expect(try await client.code(codesA[2]).activatedBy == nil)
                // A producer may name only itself
                let other = try await post(client, "/v1/activations", try Self.json(ActivationBatch(
                    batchId: UUID(), lineId: "l", equipmentId: "e", items: items([codesA[2]]), participant: producerB)))
                #expect(other.status == 403 && errorBody(other)?.code == .forbidden && errorBody(other)?.details?["field"] == "participant")
                let itself = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e", items: items([codesA[2]]),
                                                                       participant: producerA))
                #expect(itself.receipt.results.map(\.result) == [.alreadyActivated] && itself.receipt.actor == nil)
            }
            let counters = try await registrar.store.monthlyCounters(participant: producerA)
            #expect(counters.first { $0.month == ReportingMonth("2026-11") }?.activated == 3)
            #expect(try await registrar.store.monthlyCounters(participant: registrarBIN).isEmpty)
        }
    }

    @Test("App. 8: the importer's way; the registrar files it for the importer it names; a producer's token is 403 naming cl. 19",
          arguments: TestBackend.allCases)
    func importReports(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codesC = try await registrar.issue(3, to: importerC, prefix: "QZC", series: "CC")
            let own = try await registrar.fileImportReport("importerC", [codesC[0]], series: "CC")
            #expect(own.participant == importerC && own.actor == nil && own.summary.activated == 1)
            // The registrar, for importer C (rows 2 and 3: stamps CC 000000002 and 000000003)
            let rows = [1, 2].map { index in
                ImportReportRow(code: codesC[index], stamp: AffixedStamp(series: StampSeries("CC")!, number: StampNumber(index + 1)!),
                                affixedAt: Timestamp(text: "2026-11-12T09:00:00+05:00")!)
            }
            try await registrar.with("registrar") { client in
                let missing = try await post(client, "/v1/import-reports", try Self.json(ImportReportRequest(reportId: UUID(), rows: rows)))
                #expect(missing.status == 422 && errorBody(missing)?.details?["field"] == "participant")
                let answer = try await post(client, "/v1/import-reports", try Self.json(ImportReportRequest(reportId: UUID(), rows: rows,
                                                                                                           participant: importerC)))
                #expect(answer.status == 200)
                let receipt = try WireCoding.decoder().decode(ActivationReceipt.self, from: Data(answer.body))
                #expect(receipt.participant == importerC && receipt.actor == registrarBIN && receipt.summary.activated == 2)
                #expect(receipt.lineId == RegistrarServer.importLineId)
                let info = try await client.code(codesC[1])
                #expect(info.status == .activated && info.owner == importerC && info.activatedBy == registrarBIN)
                #expect(try await client.code(codesC[0]).activatedBy == nil)
            }
            // A producer's token, and an importer naming someone else
            try await registrar.with("producerA") { client in
                let answer = try await post(client, "/v1/import-reports", try Self.json(ImportReportRequest(reportId: UUID(), rows: rows)))
                #expect(answer.status == 403 && errorBody(answer)?.code == .forbidden)
                #expect(errorBody(answer)?.message.contains("cl. 19") == true && errorBody(answer)?.message.contains("POST /v1/activations") == true)
            }
            try await registrar.with("importerC") { client in
                let answer = try await post(client, "/v1/import-reports", try Self.json(ImportReportRequest(reportId: UUID(), rows: rows,
                                                                                                           participant: producerA)))
                #expect(answer.status == 403 && errorBody(answer)?.details?["field"] == "participant")
            }
            let counters = try await registrar.store.monthlyCounters(participant: importerC)
            #expect(counters.first { $0.month == ReportingMonth("2026-11") }?.activated == 3)
        }
    }

    @Test("write-offs: the registrar's own BIN is kept as who wrote a code off; named, it writes off only that participant's codes",
          arguments: TestBackend.allCases)
    func writeOffs(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codesA = try await registrar.issue(3, to: producerA, prefix: "QZA")
            let codesB = try await registrar.issue(2, to: producerB, prefix: "QZB", series: "BB")
            let at = Timestamp(text: "2026-11-21T10:00:00+05:00")!
            try await registrar.with("registrar") { client in
                // Named A: B's code refuses the whole request
                let mixed = try await post(client, "/v1/write-offs", try Self.json(WriteOffRequest(writtenOffAt: at, reason: "damaged",
                                                                                                   codes: [codesA[0], codesB[0]], participant: producerA)))
                #expect(mixed.status == 403 && errorBody(mixed)?.code == .notOwner && errorBody(mixed)?.details?["codes"] == codesB[0])
                let named = try await client.writeOff(WriteOffRequest(writtenOffAt: at, reason: "damaged", codes: [codesA[0]], participant: producerA))
                #expect(named.participant == registrarBIN && named.results.map(\.result) == [.writtenOff])
                // Unnamed: anyone's codes, as before
                let anyone = try await client.writeOff(WriteOffRequest(writtenOffAt: at, reason: "unused", codes: [codesB[0]]))
                #expect(anyone.results.map(\.result) == [.writtenOff])
                for code in [codesA[0], codesB[0]] {
                    let info = try await client.code(code)
                    #expect(info.status == .writtenOff && info.writtenOffBy == registrarBIN, "\(code)")
                }
            }
            try await registrar.with("producerA") { client in
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: at, reason: "damaged", codes: [codesA[1]]))
                #expect(try await client.code(codesA[1]).writtenOffBy == nil)
                let other = try await post(client, "/v1/write-offs", try Self.json(WriteOffRequest(writtenOffAt: at, reason: "damaged",
                                                                                                   codes: [codesA[2]], participant: producerB)))
                #expect(other.status == 403 && errorBody(other)?.code == .forbidden && errorBody(other)?.details?["field"] == "participant")
                #expect(try await client.code(codesA[2]).status == .issued)
            }
            // The owners' counters, not the registrar's
            #expect(try await registrar.store.monthlyCounters(participant: producerA).first?.writtenOff == 2)
            #expect(try await registrar.store.monthlyCounters(participant: producerB).first?.writtenOff == 1)
        }
    }

    @Test("aggregations: the registrar packs for the participant it names; the receipt and the unit show it as the actor",
          arguments: TestBackend.allCases)
    func aggregations(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let codesB = try await registrar.activatedCodes(3, to: producerB, as: "producerB", prefix: "QZB", series: "BB")
            let body = Array(try WireCoding.encoder().encode(AggregationBatch(
                lineId: "pack-9", equipmentId: "case-packer-9", events: [packCase(sscc(50), Array(codesB[0..<2]))], participant: producerB)))
            let answer = try await registrar.postAggregations("registrar", body)
            #expect(answer.status == 200)
            let receipt = try WireCoding.decoder().decode(AggregationReceipt.self, from: Data(answer.body))
            #expect(receipt.participant == producerB && receipt.actor == registrarBIN && receipt.results.map(\.result) == [.applied])
            let unit = try await registrar.unitInfo("producerB", sscc(50))
            #expect(unit.owner == producerB && unit.packedBy == registrarBIN && unit.lineId == "pack-9" && unit.count == 2)
            #expect(try await registrar.packing(codesB[0]).case == sscc(50))
            // The same event again is alreadyApplied; B's own packing shows no actor
            #expect(try await registrar.postAggregations("registrar", body).status == 200)
            let own = try await registrar.aggregate("producerB", [packCase(sscc(51), [codesB[2]])])
            #expect(own.actor == nil && own.results[0].result == .applied)
            #expect(try await registrar.unitInfo("producerB", sscc(51)).packedBy == nil)
            // Named for A, B's codes are A's unknown codes: refused, not packed for B
            let forA = Array(try WireCoding.encoder().encode(AggregationBatch(
                lineId: "l", equipmentId: "e", events: [dissolveCase(sscc(50))], participant: producerA)))
            let refused = try WireCoding.decoder().decode(AggregationReceipt.self, from: Data(try await registrar.postAggregations("registrar", forA).body))
            expectRefused(refused.results[0], .unknownUnit)
            #expect(try await registrar.unitInfo("producerB", sscc(50)).status == .packed)
        }
    }
}
