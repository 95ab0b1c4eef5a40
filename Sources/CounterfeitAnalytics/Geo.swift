import Foundation
import QazAPI

/// Distances between scan locations on a spherical Earth.
public enum Geo {
    /// The mean Earth radius (IUGG), km. The sphere errs by at most ~0.5 % against the ellipsoid: far below GPS noise
    /// at the distances the travel rule compares.
    public static let earthRadiusKm = 6371.0088

    /// The great-circle distance, km (haversine formula).
    public static func distanceKm(_ a: ScanLocation, _ b: ScanLocation) -> Double {
        let φ1 = a.latitude * .pi / 180, φ2 = b.latitude * .pi / 180
        let Δφ = φ2 - φ1, Δλ = (b.longitude - a.longitude) * .pi / 180
        let h = sin(Δφ / 2) * sin(Δφ / 2) + cos(φ1) * cos(φ2) * sin(Δλ / 2) * sin(Δλ / 2)
        return 2 * earthRadiusKm * asin(min(1, max(0, h)).squareRoot())
    }

    /// The distance less both locations' accuracy (metres; none counts as 0), km, never below 0: the least the two
    /// devices can truly have been apart.
    public static func netDistanceKm(_ a: ScanLocation, _ b: ScanLocation) -> Double {
        max(0, distanceKm(a, b) - ((a.accuracy ?? 0) + (b.accuracy ?? 0)) / 1000)
    }
}

/// Checks a location a consumer's device sent before it is stored or compared.
public enum LocationCheck {
    /// The greatest accuracy radius accepted, metres (a location vaguer than 100 km says nothing useful).
    public static let maxAccuracyMetres: Double = 100_000

    /// The first thing wrong with the location: the field (`location.latitude`, `location.longitude`,
    /// `location.accuracy`) and a message naming the value and the allowed range; nil when it is valid.
    public static func problem(_ l: ScanLocation) -> (field: String, message: String)? {
        if !(l.latitude.isFinite && (-90...90).contains(l.latitude)) {
            return ("location.latitude", "expected degrees from -90 to 90, got \(l.latitude)")
        }
        if !(l.longitude.isFinite && (-180...180).contains(l.longitude)) {
            return ("location.longitude", "expected degrees from -180 to 180, got \(l.longitude)")
        }
        if let accuracy = l.accuracy, !(accuracy.isFinite && (0...maxAccuracyMetres).contains(accuracy)) {
            return ("location.accuracy", "expected metres from 0 to 100000, got \(accuracy)")
        }
        return nil
    }
}
