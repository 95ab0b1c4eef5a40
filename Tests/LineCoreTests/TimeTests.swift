import Foundation
import Testing
@testable import LineCore

@Suite("UTC storage, Astana display, reporting months")
struct TimeTests {
    /// 2024-05-31T19:00:00Z is 2024-06-01 00:00 in Astana.
    let astanaMidnightJune = Date(timeIntervalSince1970: 1_717_182_000)

    @Test("Astana is UTC+5")
    func display() {
        #expect(AstanaTime.display(astanaMidnightJune) == "2024-06-01 00:00:00")
        #expect(AstanaTime.iso8601(astanaMidnightJune) == "2024-06-01T00:00:00+05:00")
        #expect(UTCTime.iso8601(astanaMidnightJune) == "2024-05-31T19:00:00.000Z")
    }

    @Test("an instant belongs to the Astana month, not the UTC month")
    func monthBoundary() {
        #expect(ReportingMonth.containing(astanaMidnightJune) == ReportingMonth(year: 2024, month: 6))
        #expect(ReportingMonth.containing(astanaMidnightJune.addingTimeInterval(-1)) == ReportingMonth(year: 2024, month: 5))
        let june = ReportingMonth(year: 2024, month: 6)!
        #expect(june.start == astanaMidnightJune)
        #expect(june.contains(astanaMidnightJune))
        #expect(!june.contains(june.end))
        #expect(june.end == ReportingMonth(year: 2024, month: 7)!.start)
    }

    @Test("months chain across years", arguments: 2024...2027)
    func chain(_ year: Int) {
        var month = ReportingMonth(year: year, month: 1)!
        for _ in 0..<12 {
            #expect(month.next.previous == month)
            #expect(month.end == month.next.start)
            #expect(month.end.timeIntervalSince(month.start) >= 28 * 86_400)
            month = month.next
        }
        #expect(month == ReportingMonth(year: year + 1, month: 1))
    }

    @Test("months parse from YYYY-MM only", arguments: [("2024-06", true), ("2024-6", false), ("2024-13", false),
                                                        ("24-06", false), ("2024-06-01", false), ("abcd-ef", false)])
    func parsing(_ text: String, _ valid: Bool) {
        #expect((ReportingMonth(text) != nil) == valid)
        if valid { #expect(ReportingMonth(text)?.description == text) }
    }

    @Test("ISO 8601 with offsets parses to the same instant", arguments: [
        "2024-06-01T00:00:00+05:00", "2024-05-31T19:00:00Z", "2024-05-31T19:00:00.000Z", "2024-05-31T16:00:00-03:00",
        "2024-06-01T00:00:00+0500",
    ])
    func parseISO(_ text: String) {
        #expect(UTCTime.parse(text) == astanaMidnightJune)
    }

    @Test("times without an offset or out of range are refused", arguments: [
        "2024-06-01T00:00:00", "2024-02-30T00:00:00Z", "2024-06-01T24:00:00Z", "2024-06-01T00:00:00+15:00", "yesterday",
        "2024-06-01T00:00:00.Z", "2024-06-01T00:00:00Zjunk",
    ])
    func refuse(_ text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    @Test("civil date conversion agrees with Foundation's Gregorian calendar")
    func civilAgreesWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = AstanaTime.timeZone
        for seconds in stride(from: 0, to: 4_000_000_000, by: 7_777_777) {
            let date = Date(timeIntervalSince1970: Double(seconds))
            let ours = AstanaTime.components(of: date)
            let theirs = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            #expect([ours.year, ours.month, ours.day, ours.hour, ours.minute, ours.second]
                    == [theirs.year, theirs.month, theirs.day, theirs.hour, theirs.minute, theirs.second])
        }
    }
}
