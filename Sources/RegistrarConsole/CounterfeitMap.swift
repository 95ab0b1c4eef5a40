import Foundation

/// The numbers of the counterfeits map: an equirectangular projection of Kazakhstan (standard parallel 48.2° N, the
/// country's middle, so that shapes and east–west distances look right there; at 41° and 55° they are off by some 12 %,
/// which a map of points by region can bear), circle sizes by scans and colour levels by alerts.
enum CounterfeitMap {
    /// The drawn area, degrees: the outline's extent (40.66–55.39° N, 46.47–87.36° E) with a margin for labels.
    static let west = 45.8, east = 88.0, north = 55.8, south = 40.2
    static let pixelsPerDegreeLatitude = 27.0
    static let standardParallel = 48.2
    static let pixelsPerDegreeLongitude = pixelsPerDegreeLatitude * cos(standardParallel * .pi / 180)

    /// The SVG's size in its own units (about 760 × 421).
    static let width = ((east - west) * pixelsPerDegreeLongitude).rounded(.up)
    static let height = ((north - south) * pixelsPerDegreeLatitude).rounded(.up)

    /// A point's position in the SVG (x to the east, y to the south).
    static func project(latitude: Double, longitude: Double) -> (x: Double, y: Double) {
        ((longitude - west) * pixelsPerDegreeLongitude, (north - latitude) * pixelsPerDegreeLatitude)
    }

    /// The outline as one closed SVG path (numbers only).
    static let outlinePath: String = {
        let points = KazakhstanMapGeometry.outline.map { project(latitude: $0.latitude, longitude: $0.longitude) }
        return points.enumerated().map { index, point in (index == 0 ? "M" : "L") + number(point.x) + " " + number(point.y) }
            .joined(separator: " ") + " Z"
    }()

    /// A region without scans is a small hollow dot; with scans, the circle's area grows with them (the busiest region
    /// of the period gets ``largestRadius``).
    static let emptyRadius = 3.5
    static let smallestRadius = 5.0
    static let largestRadius = 26.0

    static func radius(scans: Int, most: Int) -> Double {
        guard scans > 0, most > 0 else { return emptyRadius }
        return smallestRadius + (largestRadius - smallestRadius) * (Double(min(scans, most)) / Double(most)).squareRoot()
    }

    /// The colour level of a region by its alerts in the period: 0 none, 1 for 1–9, 2 for 10–99, 3 for 100 or more
    /// (fixed steps, so that one colour means the same in every period).
    static func level(alerts: Int) -> Int {
        switch alerts {
        case ..<1: 0
        case 1..<10: 1
        case 10..<100: 2
        default: 3
        }
    }

    /// The levels' ranges as the legend prints them.
    static let levelRanges = ["0", "1–9", "10–99", "100+"]

    /// One decimal place, without a trailing `.0` (SVG coordinates).
    static func number(_ value: Double) -> String {
        let text = String(format: "%.1f", value)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
