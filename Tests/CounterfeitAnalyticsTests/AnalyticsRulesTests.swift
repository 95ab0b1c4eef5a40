import Foundation
import Testing
@testable import CounterfeitAnalytics

struct AnalyticsRulesTests {
    @Test func defaultsAreValid() {
        let rules = AnalyticsRules()
        #expect(rules.problems().isEmpty)
        #expect(rules.maxSpeedKmh == 250)
        #expect(rules.minDistanceKm == 50)
        #expect(rules.redeemedGraceHours == 24)
        #expect(rules.frequentScans == 10)
        #expect(rules.frequentWindowHours == 24)
        #expect(rules.repeatAlertHours == 24)
        #expect(rules.lookbackHours == 720)
    }

    @Test func missingKeysTakeTheDefaults() throws {
        let empty = try JSONDecoder().decode(AnalyticsRules.self, from: Data("{}".utf8))
        #expect(empty == AnalyticsRules())
        let some = try JSONDecoder().decode(AnalyticsRules.self, from: Data(#"{"maxSpeedKmh": 300, "frequentScans": 5}"#.utf8))
        #expect(some == AnalyticsRules(maxSpeedKmh: 300, frequentScans: 5))
    }

    @Test func roundTripsThroughJSON() throws {
        let rules = AnalyticsRules(maxSpeedKmh: 180, minDistanceKm: 20, redeemedGraceHours: 2, frequentScans: 4, frequentWindowHours: 6,
                                   repeatAlertHours: 0, lookbackHours: 48)
        #expect(try JSONDecoder().decode(AnalyticsRules.self, from: JSONEncoder().encode(rules)) == rules)
    }

    /// One broken setting and the key it must be reported under.
    static let broken: [(String, AnalyticsRules, String)] = [
        ("negative speed", AnalyticsRules(maxSpeedKmh: -5), "maxSpeedKmh"),
        ("zero speed", AnalyticsRules(maxSpeedKmh: 0), "maxSpeedKmh"),
        ("NaN speed", AnalyticsRules(maxSpeedKmh: .nan), "maxSpeedKmh"),
        ("infinite speed", AnalyticsRules(maxSpeedKmh: .infinity), "maxSpeedKmh"),
        ("zero distance", AnalyticsRules(minDistanceKm: 0), "minDistanceKm"),
        ("NaN distance", AnalyticsRules(minDistanceKm: .nan), "minDistanceKm"),
        ("negative grace", AnalyticsRules(redeemedGraceHours: -1), "redeemedGraceHours"),
        ("NaN grace", AnalyticsRules(redeemedGraceHours: .nan), "redeemedGraceHours"),
        ("grace beyond lookback", AnalyticsRules(redeemedGraceHours: 721), "redeemedGraceHours"),
        ("one scan", AnalyticsRules(frequentScans: 1), "frequentScans"),
        ("negative scans", AnalyticsRules(frequentScans: -3), "frequentScans"),
        ("zero window", AnalyticsRules(frequentWindowHours: 0), "frequentWindowHours"),
        ("window beyond lookback", AnalyticsRules(frequentWindowHours: 721), "frequentWindowHours"),
        ("negative repeat", AnalyticsRules(repeatAlertHours: -0.5), "repeatAlertHours"),
        ("NaN repeat", AnalyticsRules(repeatAlertHours: .nan), "repeatAlertHours"),
        ("zero lookback", AnalyticsRules(redeemedGraceHours: 0, frequentWindowHours: 1, lookbackHours: 0), "lookbackHours"),
        ("lookback over ten years", AnalyticsRules(lookbackHours: 100_000), "lookbackHours"),
    ]

    @Test(arguments: broken)
    func eachBrokenSettingIsNamed(_ name: String, _ rules: AnalyticsRules, _ key: String) {
        let problems = rules.problems()
        #expect(problems.map(\.key) == [key], "\(name)")
    }

    @Test func messagesNameTheValueAndTheLimit() {
        let problems = AnalyticsRules(maxSpeedKmh: -5, redeemedGraceHours: 800).problems()
        #expect(problems.map(\.description) == [
            "maxSpeedKmh: expected a number > 0 km/h, got -5.0",
            "redeemedGraceHours: expected at most lookbackHours (720.0), got 800.0",
        ])
        #expect(AnalyticsRules(minDistanceKm: .nan).problems().first?.message.contains("nan") == true)
    }

    @Test func everyProblemIsReported() {
        let rules = AnalyticsRules(maxSpeedKmh: .nan, minDistanceKm: -1, redeemedGraceHours: -1, frequentScans: 0, frequentWindowHours: -1,
                                   repeatAlertHours: .infinity, lookbackHours: .nan)
        #expect(rules.problems().map(\.key) == [
            "maxSpeedKmh", "minDistanceKm", "lookbackHours", "redeemedGraceHours", "frequentScans", "frequentWindowHours", "repeatAlertHours",
        ])
    }

    @Test func zeroGraceAndZeroRepeatAreAllowed() {
        #expect(AnalyticsRules(redeemedGraceHours: 0, repeatAlertHours: 0).problems().isEmpty)
    }

    @Test func hoursBecomeClampedMilliseconds() {
        #expect(AnalyticsRules.milliseconds(hours: 1.5) == 5_400_000)
        #expect(AnalyticsRules.milliseconds(hours: .nan) == 0)
        #expect(AnalyticsRules.milliseconds(hours: -3) == 0)
        #expect(AnalyticsRules.milliseconds(hours: .infinity) == AnalyticsRules.milliseconds(hours: AnalyticsRules.maxHours))
    }
}
