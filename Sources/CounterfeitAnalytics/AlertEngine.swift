import Foundation
import LineCore
import QazAPI

/// What the registrar knows about the scanned code when the scan arrives.
public struct CodeFacts: Sendable, Equatable {
    /// The registrar issued the code.
    public var known: Bool
    /// The code was activated (the product declared produced).
    public var activated: Bool
    /// The code was written off.
    public var writtenOff: Bool
    /// When the code was redeemed «Өтелген», if it was.
    public var redeemedAt: Timestamp?
    /// The producer or importer the code was issued to.
    public var producer: TaxpayerID?

    /// The defaults describe a genuine code in circulation.
    public init(known: Bool = true, activated: Bool = true, writtenOff: Bool = false, redeemedAt: Timestamp? = nil, producer: TaxpayerID? = nil) {
        self.known = known
        self.activated = activated
        self.writtenOff = writtenOff
        self.redeemedAt = redeemedAt
        self.producer = producer
    }

    /// A code the registrar never issued (or text that is not a code).
    public static let unknown = CodeFacts(known: false, activated: false)
}

/// An alert the engine would raise: the registrar adds the id, the code, the time, the region and the producer to make
/// a ``CounterfeitAlert``.
public struct AlertDraft: Sendable, Equatable {
    public var kind: AlertKind
    /// One English sentence naming the facts.
    public var message: String
    public var evidence: AlertEvidence
    public init(kind: AlertKind, message: String, evidence: AlertEvidence) {
        self.kind = kind
        self.message = message
        self.evidence = evidence
    }
}

/// The alert rules on one consumer scan (order No 288 cl. 27; docs/registrar-retail.md).
public enum AlertEngine {
    /// The most scans a `frequentScans` alert carries as evidence (the last ones of the window).
    public static let maxEvidenceScans = 20

    /// The alerts one scan raises, in the order status, travel, frequency.
    ///
    /// - Status (at most one): a code never issued or written off → `unknownScanned`; issued, not activated →
    ///   `notActivatedScanned`; redeemed, scanned later than ``AnalyticsRules/redeemedGraceHours`` after the
    ///   redemption → `redeemedScanned` (exactly at the end of the grace is still the buyer's check).
    /// - `impossibleTravel`: the worst pair (the highest speed needed) of this scan and another located one (earlier
    ///   or later within the lookback either side: a location may be added after later scans) whose
    ///   net distance is at least ``AnalyticsRules/minDistanceKm`` and needs more than
    ///   ``AnalyticsRules/maxSpeedKmh`` (a pair at exactly the limit is allowed; two places at the same millisecond
    ///   are always impossible). Evidence: both scans, `distanceKm` (0.1 km), `hours` (0.001 h) and `speedKmh`
    ///   (0.1 km/h); at the same millisecond `hours` is 0 and `speedKmh` nil, since JSON cannot carry infinity.
    /// - `frequentScans`: the scans within ``AnalyticsRules/frequentWindowHours`` up to this one (both ends
    ///   included, this one counted) reach ``AnalyticsRules/frequentScans``. Evidence: the count, the window and the
    ///   last ``maxEvidenceScans`` scans.
    ///
    /// Every kind is skipped when `earlierAlerts` holds the same kind less than
    /// ``AnalyticsRules/repeatAlertHours`` from this scan (either side: scans may be judged out of order).
    /// Locations that fail ``LocationCheck`` are treated as absent.
    ///
    /// - Parameters:
    ///   - scan: the scan to judge.
    ///   - facts: the code's state at the registrar.
    ///   - earlier: the other scans of the same code, in any order; those outside the lookback either side of `scan`,
    ///     or repeating `scan`'s id or another's, are ignored; only travel looks at those later than `scan`.
    ///   - earlierAlerts: the alerts already raised for the code.
    ///   - rules: validated rules (invalid ones never trap, but their results mean little).
    public static func evaluate(scan: ScanRecord, facts: CodeFacts, earlier: [ScanRecord], earlierAlerts: [(kind: AlertKind, at: Timestamp)],
                                rules: AnalyticsRules) -> [AlertDraft] {
        let lookbackStart = minus(scan.at.milliseconds, AnalyticsRules.milliseconds(hours: rules.lookbackHours))
        var seen: Set<UUID> = [scan.id]
        let lookbackEnd = plus(scan.at.milliseconds, AnalyticsRules.milliseconds(hours: rules.lookbackHours))
        // Travel compares with scans on both sides in time (a location is often added to a scan after later scans of the
        // code); the other rules look back only.
        let around = earlier
            .filter { $0.at.milliseconds >= lookbackStart && $0.at.milliseconds <= lookbackEnd && seen.insert($0.id).inserted }
            .sorted { ($0.at.milliseconds, $0.id.uuidString) < ($1.at.milliseconds, $1.id.uuidString) }
        let past = around.filter { $0.at <= scan.at }
        let repeatWindow = AnalyticsRules.milliseconds(hours: rules.repeatAlertHours)
        func raisedRecently(_ kind: AlertKind) -> Bool {
            earlierAlerts.contains { $0.kind == kind && span($0.at, scan.at) < repeatWindow }
        }

        var drafts: [AlertDraft] = []
        if let status = statusAlert(scan: scan, facts: facts, rules: rules), !raisedRecently(status.kind) { drafts.append(status) }
        if !raisedRecently(.impossibleTravel), let travel = travelAlert(scan: scan, past: around, rules: rules) { drafts.append(travel) }
        if !raisedRecently(.frequentScans), let frequent = frequentAlert(scan: scan, past: past, rules: rules) { drafts.append(frequent) }
        return drafts
    }

    static func statusAlert(scan: ScanRecord, facts: CodeFacts, rules: AnalyticsRules) -> AlertDraft? {
        let opening = "Code \(scan.code) was scanned \(place(scan))"
        if !facts.known {
            return AlertDraft(kind: .unknownScanned, message: "\(opening), but this registrar never issued it: the stamp may be counterfeit.",
                              evidence: AlertEvidence(scans: [scan]))
        }
        if facts.writtenOff {
            return AlertDraft(kind: .unknownScanned, message: "\(opening), but it was written off: the stamp should not be on a product.",
                              evidence: AlertEvidence(scans: [scan]))
        }
        if !facts.activated {
            return AlertDraft(kind: .notActivatedScanned,
                              message: "\(opening), but it was never activated: the product was not declared produced.",
                              evidence: AlertEvidence(scans: [scan]))
        }
        if let redeemedAt = facts.redeemedAt,
           scan.at.milliseconds > plus(redeemedAt.milliseconds, AnalyticsRules.milliseconds(hours: rules.redeemedGraceHours)) {
            let after = duration(hours: Double(span(scan.at, redeemedAt)) / 3_600_000)
            let grace = duration(hours: rules.redeemedGraceHours)
            return AlertDraft(kind: .redeemedScanned,
                              message: "\(opening) \(after) after its redemption at \(redeemedAt), past the \(grace) a buyer has to check the "
                                  + "bottle: the stamp may be on a refilled bottle.",
                              evidence: AlertEvidence(scans: [scan], redeemedAt: redeemedAt))
        }
        return nil
    }

    static func travelAlert(scan: ScanRecord, past: [ScanRecord], rules: AnalyticsRules) -> AlertDraft? {
        guard let here = validLocation(scan) else { return nil }
        var worst: (other: ScanRecord, km: Double, hours: Double, speed: Double)?
        for other in past {
            guard let there = validLocation(other) else { continue }
            let km = Geo.netDistanceKm(there, here)
            guard km >= rules.minDistanceKm else { continue }
            let hours = Double(span(scan.at, other.at)) / 3_600_000
            let speed = hours > 0 ? km / hours : .infinity
            guard speed > rules.maxSpeedKmh else { continue }
            // `past` is oldest first: on a tie the later scan wins.
            if let w = worst, speed < w.speed || (speed == w.speed && km < w.km) { continue }
            worst = (other, km, hours, speed)
        }
        guard let worst else { return nil }
        let km = rounded(worst.km, 1)
        let (first, second) = worst.other.at <= scan.at ? (worst.other, scan) : (scan, worst.other)
        let places = "Code \(scan.code) was scanned \(place(first)) and"
        let message = worst.hours > 0
            ? "\(places) \(duration(hours: worst.hours)) later \(place(second)), \(text(km)) km away net of the locations' accuracy: "
                + "that needs \(text(rounded(worst.speed, 0))) km/h, over the \(text(rules.maxSpeedKmh)) km/h allowed."
            : "\(places) at the same moment \(place(second)), \(text(km)) km away net of the locations' accuracy: one stamp cannot be in two places."
        let evidence = AlertEvidence(scans: [first, second], distanceKm: km, hours: rounded(worst.hours, 3),
                                     speedKmh: worst.hours > 0 ? rounded(worst.speed, 1) : nil, maxSpeedKmh: rules.maxSpeedKmh)
        return AlertDraft(kind: .impossibleTravel, message: message, evidence: evidence)
    }

    static func frequentAlert(scan: ScanRecord, past: [ScanRecord], rules: AnalyticsRules) -> AlertDraft? {
        let windowStart = minus(scan.at.milliseconds, AnalyticsRules.milliseconds(hours: rules.frequentWindowHours))
        let inWindow = past.filter { $0.at.milliseconds >= windowStart } + [scan]
        guard inWindow.count >= rules.frequentScans else { return nil }
        let message = "Code \(scan.code) was scanned \(inWindow.count) times within \(duration(hours: rules.frequentWindowHours)), the last "
            + "\(place(scan)): more than genuine use explains (the rule alerts at \(rules.frequentScans))."
        let evidence = AlertEvidence(scans: Array(inWindow.suffix(maxEvidenceScans)), count: inWindow.count, windowHours: rules.frequentWindowHours)
        return AlertDraft(kind: .frequentScans, message: message, evidence: evidence)
    }

    // MARK: Words and numbers

    static func validLocation(_ scan: ScanRecord) -> ScanLocation? {
        guard let location = scan.location, LocationCheck.problem(location) == nil else { return nil }
        return location
    }

    /// `in Almaty (city)`, `abroad`, `without a location`.
    static func place(_ scan: ScanRecord) -> String {
        guard let location = validLocation(scan) else { return "without a location" }
        switch scan.region ?? KazakhstanRegions.region(of: location) {
        case KazakhstanRegions.abroad: return "abroad"
        case KazakhstanRegions.unknown: return "at an unknown place"
        case let region: return "in \(region)"
        }
    }

    /// `45 minutes`, `1.5 hours`, `30 days`.
    static func duration(hours: Double) -> String {
        func unit(_ value: Double, _ name: String) -> String { "\(text(value)) \(name)\(value == 1 ? "" : "s")" }
        if hours < 1 { return unit(rounded(hours * 60, 0), "minute") }
        if hours < 48 { return unit(rounded(hours, 1), "hour") }
        return unit(rounded(hours / 24, 1), "day")
    }

    static func rounded(_ value: Double, _ decimals: Int) -> Double {
        let scale = pow(10, Double(decimals))
        return (value * scale).rounded() / scale
    }

    /// A number without a trailing `.0`.
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    // MARK: Millisecond arithmetic that saturates instead of trapping

    static func minus(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b > 0 ? .min : .max) : result
    }

    static func plus(_ a: Int64, _ b: Int64) -> Int64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : result
    }

    /// The time between two instants, ms.
    static func span(_ a: Timestamp, _ b: Timestamp) -> Int64 {
        let (difference, overflow) = a.milliseconds.subtractingReportingOverflow(b.milliseconds)
        return overflow ? .max : Int64(clamping: difference.magnitude)
    }
}
