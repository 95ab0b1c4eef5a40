import Foundation
import QazAPI
import Testing
@testable import CounterfeitAnalytics

/// Runs the engine with the default rules unless told otherwise.
private func evaluate(_ scan: ScanRecord, facts: CodeFacts = CodeFacts(), earlier: [ScanRecord] = [],
                      alerts: [(kind: AlertKind, at: Timestamp)] = [], rules: AnalyticsRules = AnalyticsRules()) -> [AlertDraft] {
    AlertEngine.evaluate(scan: scan, facts: facts, earlier: earlier, earlierAlerts: alerts, rules: rules)
}

struct StatusRuleTests {
    @Test func aGenuineCodeScannedOnceRaisesNothing() {
        #expect(evaluate(scan(at(hours: 0), Place.almaty)).isEmpty)
    }

    @Test func anUnknownCode() {
        let s = scan(at(hours: 0), Place.almaty, code: "XYZ", verdict: .unknown)
        let drafts = evaluate(s, facts: .unknown)
        #expect(drafts.map(\.kind) == [.unknownScanned])
        #expect(drafts[0].evidence == AlertEvidence(scans: [s]))
        #expect(drafts[0].message == "Code XYZ was scanned in Almaty (city), but this registrar never issued it: the stamp may be counterfeit.")
    }

    @Test func aWrittenOffCodeIsUnknownScanned() {
        let drafts = evaluate(scan(at(hours: 0)), facts: CodeFacts(writtenOff: true))
        #expect(drafts.map(\.kind) == [.unknownScanned])
        #expect(drafts[0].message.contains("written off"))
        #expect(drafts[0].message.contains("without a location"))
    }

    @Test func aCodeNeverActivated() {
        let drafts = evaluate(scan(at(hours: 0), Place.shymkent), facts: CodeFacts(activated: false))
        #expect(drafts.map(\.kind) == [.notActivatedScanned])
        #expect(drafts[0].message.contains("in Shymkent (city)"))
    }

    @Test func abroadIsNamed() {
        let moscow = ScanLocation(latitude: 55.7558, longitude: 37.6173)
        #expect(evaluate(scan(at(hours: 0), moscow), facts: .unknown)[0].message.contains("scanned abroad,"))
    }

    @Test func aStoredRegionIsTrusted() {
        var s = scan(at(hours: 0), Place.almaty)
        s.region = "Almaty Region"
        #expect(evaluate(s, facts: .unknown)[0].message.contains("in Almaty Region,"))
    }

    @Test func redeemedWithinTheGraceIsTheBuyersCheck() {
        let facts = CodeFacts(redeemedAt: at(hours: 0))
        #expect(evaluate(scan(at(hours: 23)), facts: facts).isEmpty)
        #expect(evaluate(scan(at(hours: 24)), facts: facts).isEmpty, "exactly at the end of the grace")
    }

    @Test func redeemedAfterTheGrace() throws {
        let facts = CodeFacts(redeemedAt: at(hours: 0))
        let drafts = evaluate(scan(at(hours: 24, ms: 1), Place.karaganda), facts: facts)
        #expect(drafts.map(\.kind) == [.redeemedScanned])
        #expect(drafts[0].evidence.redeemedAt == at(hours: 0))
        let late = evaluate(scan(at(hours: 24 * 5)), facts: facts)[0]
        #expect(late.message.contains("5 days after its redemption at \(at(hours: 0))"))
        #expect(late.message.contains("past the 24 hours a buyer has"))
    }

    @Test func aZeroGraceAlertsOnTheNextMillisecond() {
        let rules = AnalyticsRules(redeemedGraceHours: 0)
        let facts = CodeFacts(redeemedAt: at(hours: 0))
        #expect(evaluate(scan(at(hours: 0)), facts: facts, rules: rules).isEmpty)
        #expect(evaluate(scan(at(hours: 0, ms: 1)), facts: facts, rules: rules).map(\.kind) == [.redeemedScanned])
    }

    @Test func theSameKindIsNotRepeatedWithinTheWindow() {
        let s = scan(at(hours: 24))
        #expect(evaluate(s, facts: .unknown, alerts: [(.unknownScanned, at(hours: 0, ms: 1))]).isEmpty)
        #expect(evaluate(s, facts: .unknown, alerts: [(.unknownScanned, at(hours: 0))]).map(\.kind) == [.unknownScanned],
                "exactly the repeat window later")
        #expect(evaluate(s, facts: .unknown, alerts: [(.notActivatedScanned, at(hours: 23))]).map(\.kind) == [.unknownScanned],
                "another kind does not suppress")
        #expect(evaluate(s, facts: .unknown, alerts: [(.unknownScanned, at(hours: 30))]).isEmpty, "an alert after this scan, judged late")
        let redeemed = CodeFacts(redeemedAt: at(hours: -100))
        #expect(evaluate(s, facts: redeemed, alerts: [(.redeemedScanned, at(hours: 12))]).isEmpty)
    }

    @Test func aZeroRepeatWindowNeverSuppresses() {
        let rules = AnalyticsRules(repeatAlertHours: 0)
        #expect(evaluate(scan(at(hours: 1)), facts: .unknown, alerts: [(.unknownScanned, at(hours: 1))], rules: rules).count == 1)
    }
}

struct TravelRuleTests {
    @Test func almatyThenAstanaAnHourLater() throws {
        let first = scan(at(hours: 0), Place.almaty), second = scan(at(hours: 1), Place.astana)
        let drafts = evaluate(second, earlier: [first])
        #expect(drafts.map(\.kind) == [.impossibleTravel])
        let e = drafts[0].evidence
        #expect(e.scans == [first, second])
        #expect(e.distanceKm == 968.2)
        #expect(e.hours == 1)
        #expect(e.speedKmh == 968.2)
        #expect(e.maxSpeedKmh == 250)
        #expect(drafts[0].message == "Code 0100000000000017 was scanned in Almaty (city) and 1 hour later in Astana (city), 968.2 km away "
            + "net of the locations' accuracy: that needs 968 km/h, over the 250 km/h allowed.")
    }

    @Test func aJourneyTheRoadAllows() {
        #expect(evaluate(scan(at(hours: 5), Place.astana), earlier: [scan(at(hours: 0), Place.almaty)]).isEmpty)  // 194 km/h
    }

    @Test func aPairAtExactlyTheSpeedLimitIsAllowed() {
        let first = scan(at(hours: 0), Place.karaganda), second = scan(at(hours: 2), Place.astana)
        let speed = Geo.netDistanceKm(Place.karaganda, Place.astana) / 2
        #expect(evaluate(second, earlier: [first], rules: AnalyticsRules(maxSpeedKmh: speed)).isEmpty)
        #expect(evaluate(second, earlier: [first], rules: AnalyticsRules(maxSpeedKmh: speed.nextDown)).map(\.kind) == [.impossibleTravel])
    }

    @Test func twoPlacesAtTheSameMoment() throws {
        let first = scan(at(hours: 3), Place.almaty), second = scan(at(hours: 3), Place.shymkent)
        let draft = try #require(evaluate(second, earlier: [first]).first)
        #expect(draft.kind == .impossibleTravel)
        #expect(draft.evidence.hours == 0)
        #expect(draft.evidence.speedKmh == nil)
        #expect(draft.message.contains("at the same moment in Shymkent (city)"))
        _ = try JSONEncoder().encode(draft.evidence)  // no infinity
    }

    @Test func theSamePlaceAtTheSameMomentIsFine() {
        #expect(evaluate(scan(at(hours: 3), Place.almaty), earlier: [scan(at(hours: 3), Place.almaty)]).isEmpty)
    }

    @Test func accuracyCanCancelTheDistance() {
        // Almaty to Konaev: 68.8 km in 10 minutes, 413 km/h.
        #expect(evaluate(scan(at(hours: 1.0 / 6), Place.konaev), earlier: [scan(at(hours: 0), Place.almaty)]).count == 1)
        var vagueAlmaty = Place.almaty, vagueKonaev = Place.konaev
        vagueAlmaty.accuracy = 10_000
        vagueKonaev.accuracy = 10_000  // net 48.8 km < 50
        #expect(evaluate(scan(at(hours: 1.0 / 6), vagueKonaev), earlier: [scan(at(hours: 0), vagueAlmaty)]).isEmpty)
    }

    @Test func nearbyPairsNeverAlertHoweverFast() {
        let near = ScanLocation(latitude: Place.almaty.latitude + 0.3, longitude: Place.almaty.longitude)  // 33 km
        #expect(evaluate(scan(at(hours: 0, ms: 1), near), earlier: [scan(at(hours: 0), Place.almaty)]).isEmpty)
    }

    @Test func theWorstPairIsReported() throws {
        let astana = scan(at(hours: 8), Place.astana)  // 968 km in 2 h: 484 km/h
        let shymkent = scan(at(hours: 9.5), Place.shymkent)  // 607 km in 0.5 h: 1214 km/h
        let karaganda = scan(at(hours: 9), Place.karaganda)  // 727 km in 1 h
        let here = scan(at(hours: 10), Place.almaty)
        let drafts = evaluate(here, earlier: [shymkent, astana, karaganda])
        #expect(drafts.count == 1)
        #expect(drafts[0].evidence.scans == [shymkent, here])
        #expect(drafts[0].evidence.hours == 0.5)
        #expect(drafts[0].message.contains("30 minutes later"))
    }

    @Test func theLookbackCutsOff() {
        let rules = AnalyticsRules(redeemedGraceHours: 1, frequentWindowHours: 1, lookbackHours: 2)
        let here = scan(at(hours: 2), Place.almaty)
        #expect(evaluate(here, earlier: [scan(at(hours: 0), Place.astana)], rules: rules).count == 1, "exactly the lookback ago")
        #expect(evaluate(here, earlier: [scan(at(hours: 0, ms: -1), Place.astana)], rules: rules).isEmpty)
    }

    @Test func theScanItselfIsIgnored() {
        let here = scan(at(hours: 2), Place.almaty)
        var itself = here
        itself.location = Place.astana
        #expect(evaluate(here, earlier: [itself]).isEmpty)
    }

    @Test func travelComparesWithLaterScansToo() {
        // A location added to a scan after a later scan of the code was located: the pair is judged all the same, oldest first.
        let here = scan(at(hours: 2), Place.almaty)
        let later = scan(at(hours: 2.5), Place.astana)
        let drafts = evaluate(here, earlier: [later])
        #expect(drafts.map(\.kind) == [.impossibleTravel])
        #expect(drafts.first?.evidence.scans.map(\.id) == [here.id, later.id])
        // The other rules look back only: a later scan does not count towards frequent scans.
        #expect(evaluate(here, earlier: (1...20).map { scan(at(hours: 2 + Double($0) / 100)) }, rules: AnalyticsRules(frequentScans: 2)).isEmpty)
    }

    @Test func travelAlertsAreNotRepeatedWithinTheWindow() {
        let drafts = evaluate(scan(at(hours: 1), Place.astana), earlier: [scan(at(hours: 0), Place.almaty)],
                              alerts: [(.impossibleTravel, at(hours: 0.5))])
        #expect(drafts.isEmpty)
    }

    @Test func invalidOrMissingLocationsAreSkipped() {
        let broken = ScanLocation(latitude: .nan, longitude: 71)
        #expect(evaluate(scan(at(hours: 1), Place.astana), earlier: [scan(at(hours: 0), broken), scan(at(hours: 0))]).isEmpty)
        #expect(evaluate(scan(at(hours: 1), broken), earlier: [scan(at(hours: 0), Place.almaty)]).isEmpty)
        #expect(evaluate(scan(at(hours: 1)), earlier: [scan(at(hours: 0), Place.almaty)]).isEmpty)
    }
}

struct FrequencyRuleTests {
    /// `count` scans one hour apart before hour 23, oldest first.
    func history(_ count: Int, endingAt end: Double = 22) -> [ScanRecord] {
        (0..<count).map { scan(at(hours: end - Double(count - 1 - $0))) }
    }

    @Test func tenScansInADay() throws {
        let here = scan(at(hours: 23))
        let earlier = history(9)
        let drafts = evaluate(here, earlier: earlier.shuffled())
        #expect(drafts.map(\.kind) == [.frequentScans])
        #expect(drafts[0].evidence == AlertEvidence(scans: earlier + [here], count: 10, windowHours: 24))
        #expect(drafts[0].message == "Code 0100000000000017 was scanned 10 times within 24 hours, the last without a location: "
            + "more than genuine use explains (the rule alerts at 10).")
        #expect(evaluate(here, earlier: history(8)).isEmpty)
    }

    @Test func theWindowIncludesItsStart() {
        let here = scan(at(hours: 24))
        let edge = scan(at(hours: 0))
        #expect(evaluate(here, earlier: history(8) + [edge]).count == 1)
        #expect(evaluate(here, earlier: history(8) + [scan(at(hours: 0, ms: -1))]).isEmpty)
    }

    @Test func evidenceKeepsTheLastTwenty() {
        let here = scan(at(hours: 23))
        let earlier = (0..<29).map { scan(at(hours: Double($0) * 0.5 + 8)) }
        let draft = evaluate(here, earlier: earlier)[0]
        #expect(draft.evidence.count == 30)
        #expect(draft.evidence.scans.count == 20)
        #expect(draft.evidence.scans.last == here)
        #expect(draft.evidence.scans.first == earlier[10])
    }

    @Test func notRepeatedWithinTheWindow() {
        let here = scan(at(hours: 23))
        #expect(evaluate(here, earlier: history(12), alerts: [(.frequentScans, at(hours: 1))]).isEmpty)
        #expect(evaluate(here, earlier: history(12), alerts: [(.frequentScans, at(hours: -1))]).count == 1)
    }

    @Test func duplicatesCountOnce() {
        let earlier = history(8)
        #expect(evaluate(scan(at(hours: 23)), earlier: earlier + earlier).isEmpty)
    }
}

struct AlertEngineTests {
    @Test func everyRuleAtOnceInOrder() throws {
        let earlier = [scan(at(hours: 0), Place.astana)] + (1...9).map { scan(at(hours: 0.1 * Double($0)), Place.almaty) }
        let drafts = evaluate(scan(at(hours: 1), Place.almaty, verdict: .unknown), facts: .unknown, earlier: earlier)
        #expect(drafts.map(\.kind) == [.unknownScanned, .impossibleTravel, .frequentScans])
        for draft in drafts {
            #expect(draft.message.hasPrefix("Code 0100000000000017 was scanned"))
            #expect(draft.message.hasSuffix("."))
            _ = try JSONEncoder().encode(draft.evidence)
        }
    }

    @Test func invalidRulesDoNotTrap() {
        // The instants a Timestamp can carry on the wire: years 0000 to 9999.
        let earliest = Timestamp(milliseconds: -62_167_219_200_000), latest = Timestamp(milliseconds: 253_402_300_799_999)
        let rules = AnalyticsRules(maxSpeedKmh: .nan, minDistanceKm: .nan, redeemedGraceHours: .infinity, frequentScans: Int.min,
                                   frequentWindowHours: .nan, repeatAlertHours: -.infinity, lookbackHours: .infinity)
        let old = ScanRecord(id: UUID(), code: "X", at: earliest, verdict: .genuine, location: Place.almaty)
        _ = evaluate(scan(latest, Place.astana), facts: CodeFacts(redeemedAt: earliest), earlier: [old], alerts: [(.frequentScans, earliest)],
                     rules: rules)
        _ = evaluate(scan(latest, Place.astana), facts: CodeFacts(redeemedAt: earliest), earlier: [old], rules: AnalyticsRules(redeemedGraceHours: 0))
    }
}
