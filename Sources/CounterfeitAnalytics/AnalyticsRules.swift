// Counterfeit analytics on consumers' scans of excise stamps (order No 288 cl. 27): the alert rules, distances and
// Kazakhstan's regions. Pure functions of their arguments: the registrar stores scans and alerts, this module judges.

/// The counterfeit analytics' settings. Every key is optional in a configuration file: a missing key takes the default
/// documented on it. Call ``problems()`` at start-up and refuse to run while it names any.
public struct AnalyticsRules: Codable, Sendable, Equatable {
    /// The fastest a bottle may travel between two scans, km/h. Default 250: faster than any road or rail journey in
    /// Kazakhstan (the fastest trains are built for 200 km/h and average far less). Domestic flights are faster,
    /// but one stamp seen in two cities a flight apart is exactly the copied stamp we look for: a genuine bottle is
    /// rarely flown and scanned at both ends, and a rare false alert is the price of catching copies.
    public var maxSpeedKmh: Double
    /// The travel check ignores pairs of scans closer than this, km, after subtracting both locations' accuracy.
    /// Default 50: GPS noise and movement within a city never alert. Must be > 0.
    public var minDistanceKm: Double
    /// A redeemed code scanned within this time after its redemption is the buyer checking the bottle just bought;
    /// later scans alert `redeemedScanned`. Hours, default 24. A scan exactly at the end of the grace does not alert.
    public var redeemedGraceHours: Double
    /// `frequentScans` is raised when a code's scans within ``frequentWindowHours`` (this one included) reach this
    /// count. Default 10; at least 2.
    public var frequentScans: Int
    /// The window of ``frequentScans``, hours ending at the scan judged. Default 24; at most ``lookbackHours``.
    public var frequentWindowHours: Double
    /// The same kind of alert for the same code is not raised again within this time, hours. Default 24; 0 never
    /// suppresses. `impossibleTravel` is exempt: each new impossible pair is news.
    public var repeatAlertHours: Double
    /// How far back earlier scans of the code are compared, hours. Default 720 (30 days); at most 87 600 (ten years).
    public var lookbackHours: Double

    public init(maxSpeedKmh: Double = 250, minDistanceKm: Double = 50, redeemedGraceHours: Double = 24, frequentScans: Int = 10,
                frequentWindowHours: Double = 24, repeatAlertHours: Double = 24, lookbackHours: Double = 720) {
        self.maxSpeedKmh = maxSpeedKmh
        self.minDistanceKm = minDistanceKm
        self.redeemedGraceHours = redeemedGraceHours
        self.frequentScans = frequentScans
        self.frequentWindowHours = frequentWindowHours
        self.repeatAlertHours = repeatAlertHours
        self.lookbackHours = lookbackHours
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AnalyticsRules()
        maxSpeedKmh = try c.decodeIfPresent(Double.self, forKey: .maxSpeedKmh) ?? d.maxSpeedKmh
        minDistanceKm = try c.decodeIfPresent(Double.self, forKey: .minDistanceKm) ?? d.minDistanceKm
        redeemedGraceHours = try c.decodeIfPresent(Double.self, forKey: .redeemedGraceHours) ?? d.redeemedGraceHours
        frequentScans = try c.decodeIfPresent(Int.self, forKey: .frequentScans) ?? d.frequentScans
        frequentWindowHours = try c.decodeIfPresent(Double.self, forKey: .frequentWindowHours) ?? d.frequentWindowHours
        repeatAlertHours = try c.decodeIfPresent(Double.self, forKey: .repeatAlertHours) ?? d.repeatAlertHours
        lookbackHours = try c.decodeIfPresent(Double.self, forKey: .lookbackHours) ?? d.lookbackHours
    }

    /// One invalid setting: its key (as in the configuration file) and what is wrong with it.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The key, e.g. `maxSpeedKmh`.
        public var key: String
        /// What was expected and what was given, e.g. `expected a number > 0, got -5`.
        public var message: String
        public init(key: String, message: String) {
            self.key = key
            self.message = message
        }
        public var description: String { "\(key): \(message)" }
    }

    /// The longest time setting accepted, hours (ten years): keeps millisecond arithmetic far from overflow.
    public static let maxHours: Double = 87_600

    /// Every invalid setting, in declaration order; empty when the rules may be used.
    public func problems() -> [Problem] {
        var found: [Problem] = []
        func check(_ ok: Bool, _ key: String, _ message: @autoclosure () -> String) {
            if !ok { found.append(Problem(key: key, message: message())) }
        }
        func positive(_ value: Double, _ key: String, unit: String) {
            check(value.isFinite && value > 0, key, "expected a number > 0 \(unit), got \(value)")
        }
        func hours(_ value: Double, _ key: String, allowZero: Bool) -> Bool {
            let ok = value.isFinite && (allowZero ? value >= 0 : value > 0) && value <= Self.maxHours
            check(ok, key, "expected \(allowZero ? "0 to" : "more than 0 and at most") \(Int(Self.maxHours)) hours, got \(value)")
            return ok
        }
        positive(maxSpeedKmh, "maxSpeedKmh", unit: "km/h")
        positive(minDistanceKm, "minDistanceKm", unit: "km")
        let lookbackValid = hours(lookbackHours, "lookbackHours", allowZero: false)
        if hours(redeemedGraceHours, "redeemedGraceHours", allowZero: true), lookbackValid {
            check(redeemedGraceHours <= lookbackHours, "redeemedGraceHours",
                  "expected at most lookbackHours (\(lookbackHours)), got \(redeemedGraceHours)")
        }
        check(frequentScans >= 2, "frequentScans", "expected at least 2 scans (1 would alert on every scan), got \(frequentScans)")
        if hours(frequentWindowHours, "frequentWindowHours", allowZero: false), lookbackValid {
            check(frequentWindowHours <= lookbackHours, "frequentWindowHours",
                  "expected at most lookbackHours (\(lookbackHours)): older scans are not compared, got \(frequentWindowHours)")
        }
        _ = hours(repeatAlertHours, "repeatAlertHours", allowZero: true)
        return found
    }
}

extension AnalyticsRules {
    /// Hours as milliseconds, clamped to 0…``maxHours`` so that unvalidated rules never trap.
    static func milliseconds(hours: Double) -> Int64 {
        guard hours.isFinite else { return hours > 0 ? milliseconds(hours: maxHours) : 0 }
        return Int64((min(max(hours, 0), maxHours) * 3_600_000).rounded())
    }
}
