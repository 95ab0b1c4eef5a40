import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import Testing

/// A small deterministic generator (SplitMix64), so a failing scenario can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What the reports must say, counted independently of the monthly counters: from every code's own record.
struct IndependentCount {
    var received = [String: Int](), activated = [String: Int](), writtenOff = [String: Int]()
    var issuedBy = [(ReportingMonth, ReportingMonth?)]()   // per code: issue month, use month

    static func key(_ month: ReportingMonth) -> String { month.description }

    mutating func add(_ info: CodeInfo) {
        let issued = info.issuedOn.reportingMonth
        received[Self.key(issued), default: 0] += 1
        var used: ReportingMonth?
        if let at = info.activatedAt, info.status == .activated {
            activated[Self.key(at.reportingMonth), default: 0] += 1
            used = at.reportingMonth
        }
        if let at = info.writtenOffAt, info.status == .writtenOff {
            writtenOff[Self.key(at.reportingMonth), default: 0] += 1
            used = at.reportingMonth
        }
        issuedBy.append((issued, used))
    }

    /// Codes issued by the end of `month` and not used by then: what the closing balance must be.
    func stockAtEnd(of month: ReportingMonth) -> Int {
        issuedBy.filter { $0.0 <= month && !($0.1.map { $0 <= month } ?? false) }.count
    }
}

func reportJSON<T: Decodable>(_ type: T.Type, _ response: RawResponse) throws -> T {
    try WireCoding.decoder().decode(T.self, from: Data(response.body))
}

/// The figures of an HTML report: `data-field="name">value<`.
func htmlFigures(_ html: String) -> [String: String] {
    var figures = [String: String]()
    let regex = try! Regex(#"data-field="([a-zA-Z]+)">([^<]*)<"#)
    for match in html.matches(of: regex) {
        if let name = match.output[1].substring, let value = match.output[2].substring { figures[String(name)] = String(value) }
    }
    return figures
}

@Suite("Monthly reports (App. 9, App. 10) from the counters")
struct ReportTests {
    static let months = (0..<7).map { ReportingMonth(year: 2026, month: 3 + $0)! }  // March … September 2026 (the past)

    /// An Astana instant `day`/`hour` of a month (hour 0 = midnight: the first instant of the month on day 1).
    static func astana(_ month: ReportingMonth, day: Int, hour: Int, minute: Int = 0) -> Timestamp {
        Timestamp(text: String(format: "%04d-%02d-%02dT%02d:%02d:00+05:00", month.year, month.month, day, hour, minute))!
    }

    @Test("three participants over five months: issuance, activations, import reports and write-offs match an independent count; months chain",
          arguments: TestBackend.allCases)
    func reportsMatchIndependentCount(_ backend: TestBackend) async throws {
        try await withRegistrar(backend: backend) { registrar in
            var rng = SplitMix(state: 20261121)
            let participants: [(TaxpayerID, String, String, String)] = [  // bin, token, prefix, series
                (producerA, "producerA", "QZA", "AA"), (producerB, "producerB", "QZB", "BB"), (importerC, "importerC", "QZC", "CC"),
            ]
            var all = [TaxpayerID: [(code: String, series: String, number: Int, issued: ReportingMonth)]]()
            // Given waybills in April-August (one on the last day of a month, one on the first)
            for (who, _, prefix, series) in participants {
                var start = 1
                for (index, month) in Self.months[1...5].enumerated() {
                    let count = Int.random(in: 20...60, using: &rng)
                    let day = index == 2 ? CivilDateTime.daysInMonthForTests(month) : (index == 3 ? 1 : Int.random(in: 2...27, using: &rng))
                    let date = String(format: "%04d-%02d-%02d", month.year, month.month, day)
                    let codes = try await registrar.issue(count, to: who, prefix: prefix, series: series, start: start,
                                                          number: "WB-\(prefix)-\(month)", issuedOn: date, name: "Participant \(prefix) LLP")
                    all[who, default: []] += codes.enumerated().map { (code: $1, series: series, number: start + $0, issued: month) }
                    start += count
                }
            }
            // When each participant uses about two thirds of its codes in the months after issue (some right at the
            // Astana month boundary), writes some off, and re-sends some (which must not count twice)
            for (who, token, _, _) in participants {
                let codes = all[who]!.shuffled(using: &rng)
                let used = codes.prefix(codes.count * 2 / 3)
                var activations = [(code: String, series: String, number: Int, at: Timestamp)]()
                var writeOffs = [(String, Timestamp)]()
                for (i, code) in used.enumerated() {
                    let later = Self.months.filter { $0 >= code.issued }
                    let month = later[Int.random(in: 0..<later.count, using: &rng)]
                    let time: Timestamp = switch i % 9 {
                    case 0: Self.astana(month, day: 1, hour: 0, minute: 30)   // 00:30 Astana on the 1st = the previous UTC day
                    case 1: Timestamp(milliseconds: Timestamp(month.end).milliseconds - 1000)  // last second of the month
                    default: Self.astana(month, day: Int.random(in: 2...27, using: &rng), hour: Int.random(in: 0...23, using: &rng))
                    }
                    // keep activation no earlier than the issue day
                    let safe = max(time, Timestamp(code.issued.start))
                    if i % 7 == 3 { writeOffs.append((code.code, safe)) } else { activations.append((code.code, code.series, code.number, safe)) }
                }
                try await registrar.with(token) { client in
                    for chunk in stride(from: 0, to: activations.count, by: 25).map({ Array(activations[$0..<min($0 + 25, activations.count)]) }) {
                        if who == importerC {
                            let report = ImportReportRequest(reportId: UUID(), rows: chunk.map {
                                ImportReportRow(code: $0.code, stamp: AffixedStamp(series: StampSeries($0.series)!, number: StampNumber($0.number)!),
                                                affixedAt: $0.at)
                            })
                            let answer = try await post(client, "/v1/import-reports", String(decoding: try WireCoding.encoder().encode(report), as: UTF8.self))
                            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
                        } else {
                            let batch = ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1",
                                                        items: chunk.map { ActivationItem(code: $0.code, activatedAt: $0.at, productCode: "DSN-1") })
                            let (receipt, _) = try await client.activate(batch)
                            #expect(receipt.summary.activated == chunk.count)
                            // a re-send under a new batch id: alreadyActivated, counted once
                            let again = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1",
                                                                                  items: batch.items.prefix(3).map { $0 }))
                            #expect(again.receipt.summary.alreadyActivated == min(3, chunk.count))
                        }
                    }
                    for (code, at) in writeOffs {
                        _ = try await client.writeOff(WriteOffRequest(writtenOffAt: at, reason: "damaged", codes: [code]))
                    }
                }
            }
            // Then every participant's reports equal the independent count, month by month
            try await registrar.with("revenue") { client in
                for (who, _, _, _) in participants {
                    var count = IndependentCount()
                    for code in all[who]! { count.add(try #require(try await registrar.store.code(StampCode(trusted: code.code)))) }
                    var previousClosing = 0
                    for month in Self.months {
                        let usage = try reportJSON(QRUsageReport.self, try await client.raw(
                            method: "GET", path: "/v1/reports/qr-usage?bin=\(who)&month=\(month)", body: nil))
                        let key = IndependentCount.key(month)
                        let activated = count.activated[key] ?? 0, writtenOff = count.writtenOff[key] ?? 0
                        #expect(usage.received == count.received[key] ?? 0, "\(who) \(month) received")
                        #expect(usage.activated == activated, "\(who) \(month) activated")
                        #expect(usage.writtenOff == writtenOff, "\(who) \(month) written off")
                        #expect(usage.used == activated + writtenOff, "\(who) \(month) used")
                        #expect(usage.closingBalance == usage.openingBalance + usage.received - usage.used)
                        #expect(usage.closingBalance == count.stockAtEnd(of: month), "\(who) \(month) closing = codes in stock at the month's end")
                        // the month chain: closing of the previous month is the opening of this one
                        #expect(usage.openingBalance == previousClosing, "\(who) \(month) opening")
                        previousClosing = usage.closingBalance
                        #expect(usage.participantName == "Participant \(who == producerA ? "QZA" : who == producerB ? "QZB" : "QZC") LLP")

                        let activation = try reportJSON(QRActivationReport.self, try await client.raw(
                            method: "GET", path: "/v1/reports/qr-activation?bin=\(who)&month=\(month)", body: nil))
                        #expect(activation.received == usage.received && activation.activated == activated)
                        #expect(activation.note.isEmpty == (writtenOff == 0))
                    }
                    #expect(previousClosing == all[who]!.count - all[who]!.count * 2 / 3, "\(who): what is left at the end")
                }
            }
        }
    }

    @Test("JSON, CSV and HTML by Accept carry the same figures; the HTML is the appendix form")
    func contentNegotiation() async throws {
        try await withRegistrar { registrar in
            let codes = try await registrar.issue(10, to: producerA, prefix: "QZA", issuedOn: "2026-10-20", name: "Qazaq Spirits <LLP> & Co")
            try await registrar.with("producerA") { client in
                _ = try await client.activate(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e",
                                                              items: items(Array(codes.prefix(4)), at: "2026-11-03T10:00:00+05:00")))
                _ = try await client.writeOff(WriteOffRequest(writtenOffAt: Timestamp(text: "2026-11-04T10:00:00+05:00")!, reason: "damaged",
                                                              codes: [codes[9]]))
                let path = "/v1/reports/qr-usage?bin=\(producerA)&month=2026-11"
                let json = try await client.raw(method: "GET", path: path, body: nil, headers: [("Accept", "application/json")])
                #expect(json.header("Content-Type")?.hasPrefix("application/json") == true)
                let report = try reportJSON(QRUsageReport.self, json)
                #expect(report.openingBalance == 10 && report.received == 0 && report.used == 5 && report.closingBalance == 5)

                let csv = try await client.raw(method: "GET", path: path, body: nil, headers: [("Accept", "text/csv")])
                #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
                let lines = String(decoding: csv.body, as: UTF8.self).split(separator: "\r\n").map(String.init)
                #expect(lines.count == 2)
                #expect(lines[1] == "\(producerA),Qazaq Spirits <LLP> & Co,2026-11,10,0,5,4,1,5")

                let html = try await client.raw(method: "GET", path: path, body: nil,
                                                headers: [("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")])
                #expect(html.header("Content-Type")?.hasPrefix("text/html") == true)
                let page = String(decoding: html.body, as: UTF8.self)
                let figures = htmlFigures(page)
                #expect(figures["openingBalance"] == String(report.openingBalance))
                #expect(figures["received"] == String(report.received))
                #expect(figures["used"] == String(report.used))
                #expect(figures["closingBalance"] == String(report.closingBalance))
                #expect(figures["activated"] == "4" && figures["writtenOff"] == "1")
                #expect(figures["participant"] == producerA.rawValue)
                for heading in ["Есепті кезеңнің басындағы қалдық", "Алынған QR-код", "Пайдаланылған QR-код", "Есепті кезеңнің соңындағы қалдық",
                                "Остаток на начало отчётного периода", "есептік кезең", "қараша", "ЭЦҚ-ға қол қойылған күні мен уақыты", "10-қосымша"] {
                    #expect(page.contains(heading), "missing \(heading)")
                }
                #expect(page.contains("Qazaq Spirits &lt;LLP&gt; &amp; Co"))

                let app9 = String(decoding: try await client.raw(
                    method: "GET", path: "/v1/reports/qr-activation?bin=\(producerA)&month=2026-10", body: nil,
                    headers: [("Accept", "text/html")]).body, as: UTF8.self)
                #expect(htmlFigures(app9)["received"] == "10" && htmlFigures(app9)["activated"] == "0")
                for heading in ["QR-коды алынды", "QR-коды іске қосылды", "Ескертпе", "мерзімімен таныстым", "9-қосымша"] {
                    #expect(app9.contains(heading), "missing \(heading)")
                }
                // Nothing acceptable offered: JSON anyway
                let other = try await client.raw(method: "GET", path: path, body: nil, headers: [("Accept", "image/png")])
                #expect(other.status == 200 && other.header("Content-Type")?.hasPrefix("application/json") == true)
            }
        }
    }

    @Test("a participant reads only its own reports; the revenue body and the registrar read everyone's; bad queries are 422")
    func access() async throws {
        try await withRegistrar { registrar in
            _ = try await registrar.issue(3, to: producerA, prefix: "QZA")
            let path = "/v1/reports/qr-usage?bin=\(producerA)&month=2026-11"
            try await registrar.with("producerB") { client in
                let answer = try await client.raw(method: "GET", path: path, body: nil)
                #expect(answer.status == 403 && errorBody(answer)?.code == .notOwner)
            }
            try await registrar.with("factory") { client in
                let answer = try await client.raw(method: "GET", path: path, body: nil)
                #expect(answer.status == 403 && errorBody(answer)?.code == .forbidden)
            }
            for who in ["revenue", "registrar", "producerA"] {
                try await registrar.with(who) { client in
                    let report = try reportJSON(QRUsageReport.self, try await client.raw(method: "GET", path: path, body: nil))
                    #expect(report.received == 3 && report.closingBalance == 3)
                }
            }
            try await registrar.with("revenue") { client in
                for (query, field) in [("bin=\(producerA)&month=2026-13", "month"), ("bin=123&month=2026-11", "bin"), ("month=2026-11", "bin"),
                                       ("bin=\(producerA)", "month")] {
                    let answer = try await client.raw(method: "GET", path: "/v1/reports/qr-activation?\(query)", body: nil)
                    #expect(answer.status == 422 && errorBody(answer)?.details?["field"] == field, "\(query)")
                }
                let anonymous = try await client.raw(method: "GET", path: path, body: nil, authorized: false)
                #expect(anonymous.status == 401)
            }
        }
    }

    @Test("the calculator: the closing balance of every month is the opening of the next, over gaps and years")
    func monthChain() {
        var rng = SplitMix(state: 7)
        var counters = [MonthlyCounters]()
        var month = ReportingMonth(year: 2024, month: 5)!
        for _ in 0..<30 {
            if Int.random(in: 0..<4, using: &rng) > 0 {  // some months have no row at all
                counters.append(MonthlyCounters(participant: producerA, month: month, received: Int.random(in: 0...5000, using: &rng),
                                                activated: Int.random(in: 0...3000, using: &rng), writtenOff: Int.random(in: 0...50, using: &rng)))
            }
            month = month.next
        }
        counters.append(MonthlyCounters(participant: producerB, month: ReportingMonth(year: 2025, month: 1)!, received: 99, activated: 1, writtenOff: 0))
        var check = ReportingMonth(year: 2024, month: 1)!
        var previous = 0
        while check < ReportingMonth(year: 2027, month: 3)! {
            let report = ReportCalculator.usage(participant: producerA, name: nil, month: check, counters: counters, generatedAt: .now)
            #expect(report.openingBalance == previous, "\(check)")
            previous = report.closingBalance
            check = check.next
        }
        let total = counters.filter { $0.participant == producerA }.reduce(0) { $0 + $1.received - $1.activated - $1.writtenOff }
        #expect(previous == total)
    }

    @Test("Accept negotiation picks by quality, the first at a tie, JSON by default")
    func negotiation() {
        #expect(ReportFormat.negotiate(nil) == .json)
        #expect(ReportFormat.negotiate("text/csv") == .csv)
        #expect(ReportFormat.negotiate("text/html;q=0.5, text/csv") == .csv)
        #expect(ReportFormat.negotiate("text/html, text/csv") == .html)
        #expect(ReportFormat.negotiate("*/*") == .json)
        #expect(ReportFormat.negotiate("image/png") == nil)
        #expect(ReportFormat.negotiate("text/csv;q=0") == nil)
    }
}

extension CivilDateTime {
    /// The last day of a month (test helper).
    static func daysInMonthForTests(_ month: ReportingMonth) -> Int {
        let first = daysFromCivil(year: month.year, month: month.month, day: 1)
        let next = daysFromCivil(year: month.next.year, month: month.next.month, day: 1)
        return next - first
    }
}
