import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

@Suite("App. 8 import reports (in process, through the router)")
struct ImportReportTests {
    static func body(_ report: ImportReportRequest) throws -> String {
        String(decoding: try WireCoding.encoder().encode(report), as: UTF8.self)
    }

    static func row(_ code: String, _ number: Int, series: String = "CC", at: String = "2026-11-10T12:00:00+05:00") -> ImportReportRow {
        ImportReportRow(code: code, stamp: AffixedStamp(series: StampSeries(series)!, number: StampNumber(number)!), affixedAt: Timestamp(text: at)!)
    }

    @Test("rows activate the importer's codes with the per-code results of activations; re-send replays, another body is 409",
          arguments: TestBackend.allCases)
    func importActivates(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            let mine = try await registrar.issue(5, to: importerC, prefix: "QZC", series: "CC")
            let theirs = try await registrar.issue(1, to: producerA, prefix: "QZA", series: "AA")
            try await registrar.with("importerC") { client in
                // Given one code written off
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: .now, reason: "damaged", codes: [mine[4]]))
                let report = ImportReportRequest(reportId: UUID(), rows: [
                    Self.row(mine[0], 1), Self.row("https://qr.example.kz/c/\(mine[1])", 2), Self.row(mine[2], 99),  // wrong stamp
                    Self.row(theirs[0], 1, series: "AA"), Self.row(makeCode("QZX", 1), 1), Self.row(mine[4], 5), Self.row("nope!", 7),
                ])
                let first = try await post(client, "/v1/import-reports", try Self.body(report))
                #expect(first.status == 200 && first.header("Idempotent-Replayed") == "false")
                let receipt = try WireCoding.decoder().decode(ActivationReceipt.self, from: Data(first.body))
                #expect(receipt.results.map(\.result) == [.activated, .activated, .malformed, .foreign, .unknown, .writtenOff, .malformed])
                #expect(receipt.results[2].reason?.hasPrefix("stamp_mismatch") == true)
                #expect(receipt.lineId == RegistrarServer.importLineId && receipt.participant == importerC)
                // the code's record shows the affixing time as its activation time
                let info = try await client.code(mine[0])
                #expect(info.status == .activated && info.activatedAt == Timestamp(text: "2026-11-10T12:00:00+05:00"))
                #expect(try await client.code(mine[2]).status == .issued)
                // re-send: the stored answer, nothing changes
                let again = try await post(client, "/v1/import-reports", try Self.body(report))
                #expect(again.status == 200 && again.header("Idempotent-Replayed") == "true")
                #expect(try WireCoding.decoder().decode(ActivationReceipt.self, from: Data(again.body)).results == receipt.results)
                // same id, another body: 409
                var changed = report
                changed.rows[2] = Self.row(mine[2], 3)
                let conflict = try await post(client, "/v1/import-reports", try Self.body(changed))
                #expect(conflict.status == 409 && errorBody(conflict)?.code == .idempotencyConflict)
                #expect(try await client.code(mine[2]).status == .issued)
                // a second report later: alreadyActivated for the first code
                let later = try await post(client, "/v1/import-reports", try Self.body(ImportReportRequest(reportId: UUID(), rows: [
                    Self.row(mine[0], 1), Self.row(mine[2], 3)])))
                let laterReceipt = try WireCoding.decoder().decode(ActivationReceipt.self, from: Data(later.body))
                #expect(laterReceipt.results.map(\.result) == [.alreadyActivated, .activated])
            }
            let counters = try await registrar.store.monthlyCounters(participant: importerC)
            #expect(counters.first { $0.month == ReportingMonth("2026-11") }?.activated == 3)
        }
    }

    @Test("only importers file App. 8; bad rows are 4xx and change nothing")
    func refusals() async throws {
        try await withRegistrar { registrar in
            let mine = try await registrar.issue(2, to: importerC, prefix: "QZC", series: "CC")
            try await registrar.with("producerA") { client in
                let answer = try await post(client, "/v1/import-reports", try Self.body(ImportReportRequest(reportId: UUID(), rows: [Self.row(mine[0], 1)])))
                #expect(answer.status == 403 && errorBody(answer)?.code == .forbidden)
            }
            try await registrar.with("importerC") { client in
                let empty = try await post(client, "/v1/import-reports", #"{"reportId":"\#(UUID())","rows":[]}"#)
                #expect(empty.status == 422 && errorBody(empty)?.details?["field"] == "rows")
                let twice = try await post(client, "/v1/import-reports", try Self.body(ImportReportRequest(reportId: UUID(), rows: [
                    Self.row(mine[0], 1), Self.row(mine[0], 1)])))
                #expect(twice.status == 422 && errorBody(twice)?.code == .duplicateCode)
                let badStamp = try await post(client, "/v1/import-reports",
                                              #"{"reportId":"\#(UUID())","rows":[{"code":"\#(mine[0])","stamp":{"series":"CC","number":"12"},"affixedAt":"2026-11-10T12:00:00+05:00"}]}"#)
                #expect(badStamp.status == 422 && errorBody(badStamp)?.details?["field"] == "rows[0].stamp.number")
                // Stamp number 000000000 is no stamp (App. 6/7 element 1)
                let zero = try await post(client, "/v1/import-reports", try Self.body(ImportReportRequest(reportId: UUID(), rows: [
                    Self.row(mine[0], 1), Self.row(mine[1], 0)])))
                #expect(zero.status == 422 && errorBody(zero)?.code == .invalidField && errorBody(zero)?.details?["field"] == "rows[1].stamp.number")
                #expect(errorBody(zero)?.message.contains("000000000 is not a stamp number") == true)
                let missing = try await post(client, "/v1/import-reports", #"{"reportId":"\#(UUID())","rows":[{"code":"\#(mine[0])"}]}"#)
                #expect(missing.status == 422 && errorBody(missing)?.code == .missingField)
                #expect(try await client.code(mine[0]).status == .issued)
            }
        }
    }
}
