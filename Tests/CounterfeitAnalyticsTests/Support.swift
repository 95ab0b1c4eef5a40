import Foundation
import QazAPI

/// Well-known places (city centres).
enum Place {
    static let astana = ScanLocation(latitude: 51.1282, longitude: 71.4304)  // Baiterek
    static let almaty = ScanLocation(latitude: 43.2567, longitude: 76.9286)
    static let shymkent = ScanLocation(latitude: 42.3417, longitude: 69.5901)
    static let konaev = ScanLocation(latitude: 43.8670, longitude: 77.0670)
    static let karaganda = ScanLocation(latitude: 49.8067, longitude: 73.0853)
}

/// An arbitrary instant all tests count from.
let origin = Timestamp(milliseconds: 1_790_000_000_000)

/// `origin` plus some hours (and milliseconds).
func at(hours: Double, ms: Int64 = 0) -> Timestamp {
    Timestamp(milliseconds: origin.milliseconds + Int64((hours * 3_600_000).rounded()) + ms)
}

/// A scan of `code` at `time`.
func scan(_ time: Timestamp, _ location: ScanLocation? = nil, code: String = "0100000000000017", verdict: VerifyVerdict = .genuine) -> ScanRecord {
    ScanRecord(id: UUID(), code: code, at: time, verdict: verdict, location: location)
}
